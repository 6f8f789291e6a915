package evidence

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

var created = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// sample is incident 12 with a sealed timeline of five events.
func sample(t testing.TB) Input {
	t.Helper()
	at := time.Date(2026, 11, 25, 3, 0, 0, 123456789, time.UTC)
	inc := &incidents.Incident{Number: 12, Title: "Checkout <down> & out", Severity: "sev1", Status: incidents.StatusResolved,
		DetectedAt: at, DeclaredAt: at}
	var evs []incidents.Event
	for i := range 5 {
		evs = append(evs, incidents.Event{ID: fmt.Sprintf("12:e%d", i), Incident: 12, Type: incidents.EventNote,
			At: at.Add(time.Duration(i) * time.Minute), Actor: "U0001", Text: fmt.Sprintf("step %d — «шаг»", i),
			Fields: map[string]string{"i": fmt.Sprint(i)}})
	}
	return Input{Incident: inc, Timeline: incidents.Seal(12, incidents.ChainHead{}, evs...),
		Postmortem: []byte("# Postmortem\n\nIt broke.\n"), CreatedAt: created, Tool: "incidentbot test"}
}

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func archive(t testing.TB, in Input, key ed25519.PrivateKey) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := write(&b, in, key); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestFreshArchiveVerifies(t *testing.T) {
	key := newKey(t)
	in := sample(t)
	res, err := verify(bytes.NewReader(archive(t, in, key)), key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	m := res.Manifest
	if res.Events != 5 || m.Incident != 12 || m.ChainHead != incidents.Head(in.Timeline) || !m.CreatedAt.Equal(created) ||
		m.Tool != "incidentbot test" || m.KeyID != KeyID(key.Public().(ed25519.PublicKey)) {
		t.Errorf("result = %+v", res)
	}
	var names []string
	for _, f := range m.Files {
		names = append(names, f.Name)
		if len(f.SHA256) != 64 || f.Size == 0 {
			t.Errorf("file %+v", f)
		}
	}
	if got := strings.Join(names, " "); got != "incident.json timeline.jsonl postmortem.md" {
		t.Errorf("files = %s", got)
	}

	// Without a postmortem the archive has none, and still verifies.
	in.Postmortem = nil
	res, err = verify(bytes.NewReader(archive(t, in, key)), key.Public().(ed25519.PublicKey))
	if err != nil || len(res.Manifest.Files) != 2 {
		t.Errorf("without a postmortem: %+v, %v", res, err)
	}
}

// TestOneChangedByteNamesTheFile flips one byte inside each file of an
// archive in turn: every change fails, naming that file.
func TestOneChangedByteNamesTheFile(t *testing.T) {
	key := newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	good := archive(t, sample(t), key)
	files, order, err := readArchive(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range order {
		data := files[name]
		for _, at := range []int{0, len(data) / 2, len(data) - 2} {
			t.Run(fmt.Sprintf("%s@%d", name, at), func(t *testing.T) {
				off := bytes.Index(good, data)
				if off < 0 {
					t.Fatal("file not found in the archive")
				}
				bad := bytes.Clone(good)
				bad[off+at] ^= 0x01
				_, err := verify(bytes.NewReader(bad), pub)
				var ee *Error
				if !errors.As(err, &ee) {
					t.Fatalf("Verify after changing byte %d of %s = %v, want an *Error", at, name, err)
				}
				if ee.File != name || !strings.Contains(err.Error(), name) {
					t.Errorf("error %q names %q, want %s", err, ee.File, name)
				}
			})
		}
	}
}

func TestWrongKeyFailsClearly(t *testing.T) {
	key, other := newKey(t), newKey(t)
	_, err := verify(bytes.NewReader(archive(t, sample(t), key)), other.Public().(ed25519.PublicKey))
	var ee *Error
	if !errors.As(err, &ee) || ee.Problem != ProblemWrongKey {
		t.Fatalf("Verify with another key = %v, want the wrong-key error", err)
	}
	for _, id := range []string{KeyID(key.Public().(ed25519.PublicKey)), KeyID(other.Public().(ed25519.PublicKey))} {
		if !strings.Contains(err.Error(), id) {
			t.Errorf("error %q does not name key %s", err, id)
		}
	}
}

func TestBrokenArchivesFail(t *testing.T) {
	key := newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	good := archive(t, sample(t), key)

	// A timeline tampered with and signed again (by someone with the key,
	// or the bot fed a rewritten store) still fails on its chain.
	forged := sample(t)
	forged.Timeline[2].Text = "nothing happened"
	var b bytes.Buffer
	if _, err := write(&b, forged, key); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("Write of a broken chain = %v, want a refusal", err)
	}

	tests := []struct {
		name    string
		archive func() []byte
		problem Problem
		file    string
	}{
		{"truncated", func() []byte { return good[:len(good)/2] }, ProblemDamaged, ""},
		{"truncated at the end", func() []byte { return good[:len(good)-1024-10] }, ProblemDamaged, ""},
		{"empty", func() []byte { return nil }, ProblemDamaged, ""},
		{"not tar", func() []byte { return []byte(strings.Repeat("not a tar file ", 100)) }, ProblemDamaged, ""},
		{"extra file", func() []byte { return rewrite(t, good, func(f map[string][]byte) { f["notes.txt"] = []byte("hi") }) }, ProblemExtra, "notes.txt"},
		{"missing file", func() []byte { return rewrite(t, good, func(f map[string][]byte) { delete(f, filePostmortem) }) }, ProblemMissing, filePostmortem},
		{"no signature", func() []byte { return rewrite(t, good, func(f map[string][]byte) { delete(f, fileSignature) }) }, ProblemMissing, fileSignature},
		{"no manifest", func() []byte { return rewrite(t, good, func(f map[string][]byte) { delete(f, fileManifest) }) }, ProblemMissing, fileManifest},
		{"last event cut and re-signed", func() []byte {
			in := sample(t)
			full := archive(t, in, key)
			in.Timeline = in.Timeline[:4]
			short := archive(t, in, key)
			// the short timeline under the full archive's manifest and signature
			return rewrite(t, full, func(f map[string][]byte) {
				s, _, _ := readArchive(short)
				f[fileTimeline] = s[fileTimeline]
			})
		}, ProblemChanged, fileTimeline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verify(bytes.NewReader(tt.archive()), pub)
			var ee *Error
			if !errors.As(err, &ee) || ee.Problem != tt.problem || ee.File != tt.file {
				t.Errorf("Verify = %v (%+v), want %s of %q", err, ee, tt.problem, tt.file)
			}
		})
	}
}

// TestChainInsideTheArchiveIsChecked signs a manifest over a timeline whose
// chain was tampered with: the sums match, the chain does not.
func TestChainInsideTheArchiveIsChecked(t *testing.T) {
	key := newKey(t)
	in := sample(t)
	var b bytes.Buffer
	_, err := writeUnchecked(&b, in, key, func(evs []incidents.Event) { evs[3].Text = "rewritten" })
	if err != nil {
		t.Fatal(err)
	}
	_, err = verify(&b, key.Public().(ed25519.PublicKey))
	var ce *incidents.ChainError
	if !errors.As(err, &ce) || ce.Seq != 4 || ce.Problem != incidents.ChainChanged || !strings.Contains(err.Error(), fileTimeline) {
		t.Errorf("Verify = %v; want the chain error at event 4 in %s", err, fileTimeline)
	}
}

func TestWriteFileIsAtomicAndVerifyFileReadsIt(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "evidence.key")
	pub, err := GenerateKeyFiles(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := GenerateKeyFiles(keyPath); err == nil {
		t.Error("GenerateKeyFiles overwrote an existing key")
	}
	if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private key file mode = %v, %v; want 0600", fi.Mode(), err)
	}
	priv, err := LoadPrivateKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadPublicKey(keyPath + ".pub")
	if err != nil || !loaded.Equal(pub) || !priv.Public().(ed25519.PublicKey).Equal(pub) {
		t.Fatalf("keys do not round-trip: %v", err)
	}
	if _, err := LoadPrivateKey(keyPath + ".pub"); err == nil {
		t.Error("a public key loaded as the signing key")
	}

	out := filepath.Join(dir, "inc-12.tar")
	os.WriteFile(out, []byte("an older archive"), 0o644)
	bad := sample(t)
	bad.Timeline[1].Text = "x"
	if _, err := WriteFile(out, bad, priv); err == nil {
		t.Fatal("WriteFile wrote a broken chain")
	}
	if got, _ := os.ReadFile(out); string(got) != "an older archive" {
		t.Errorf("a failed write changed the file: %q", got)
	}
	if _, err := WriteFile(out, sample(t), priv); err != nil {
		t.Fatal(err)
	}
	if res, err := VerifyFile(out, pub); err != nil || res.Events != 5 {
		t.Errorf("VerifyFile = %+v, %v", res, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// opensslKey is a key `openssl genpkey -algorithm ed25519` wrote, and its
// public half from `openssl pkey -pubout`.
const (
	opensslKey = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIO3zPoQV+UW6GuOEmHdROmhtUpL2k1F5XTBLSqoaU6L7
-----END PRIVATE KEY-----
`
	opensslPub = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEArAtu1pzoS4rkGqk+M5cD5U0Czxj7yhi5M11eJAWaq9Q=
-----END PUBLIC KEY-----
`
)

func TestOpenSSLKeys(t *testing.T) {
	priv, err := parsePrivateKey([]byte(opensslKey))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := parsePublicKey([]byte(opensslPub))
	if err != nil {
		t.Fatal(err)
	}
	if !priv.Public().(ed25519.PublicKey).Equal(pub) {
		t.Error("the OpenSSL public key is not the private key's")
	}
	if _, err := verify(bytes.NewReader(archive(t, sample(t), priv)), pub); err != nil {
		t.Errorf("Verify with OpenSSL's keys: %v", err)
	}
}

// rewrite rewrites an archive's files (keeping manifest and signature as
// they are unless change touches them), in a fresh tar.
func rewrite(t testing.TB, good []byte, change func(map[string][]byte)) []byte {
	t.Helper()
	files, order, err := readArchive(good)
	if err != nil {
		t.Fatal(err)
	}
	change(files)
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, name := range append(order, "notes.txt") {
		data, ok := files[name]
		if !ok || (name == "notes.txt" && slices.Contains(order, name)) {
			continue
		}
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write(data)
	}
	tw.Close()
	return b.Bytes()
}

// writeUnchecked signs an archive whose timeline tamper changed after it
// was sealed: what WriteFile refuses to make.
func writeUnchecked(w io.Writer, in Input, key ed25519.PrivateKey, tamper func([]incidents.Event)) (Manifest, error) {
	in.Timeline = slices.Clone(in.Timeline)
	tamper(in.Timeline)
	return writeArchive(w, in, key)
}
