// Package evidence writes and checks signed evidence archives of incidents:
// one tar file holding the incident, its whole hash-chained timeline, its
// postmortem, a manifest of every file's size and SHA-256 with the chain's
// head, and the manifest's Ed25519 signature. An archive is checked offline
// with the public key alone: the signature, every sum, that no file is
// missing or extra, and the chain inside the timeline.
//
// Why tar: an archive is written once and read whole, so tar's plain
// sequence of (header, bytes) is all that is needed; every system extracts
// it (`tar -xf`), headers carry their own checksum, and the manifest's sums
// (not the container) are what proves the content. It is not compressed:
// the files are small, and checking one never inflates untrusted input.
//
// It imports the standard library and the incidents domain only.
package evidence

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// The files of an archive, in the order they are written.
const (
	fileManifest   = "manifest.json"
	fileSignature  = "manifest.sig"
	fileIncident   = "incident.json"
	fileTimeline   = "timeline.jsonl"
	filePostmortem = "postmortem.md" // only when the incident has one
)

// format names the archive layout in its manifest.
const format = "incidentbot-evidence/1"

// Limits of what VerifyFile reads, so a hostile archive cannot exhaust memory.
const (
	maxArchive = 512 << 20
	maxFile    = 256 << 20
	maxFiles   = 16
)

// File is one file of the archive as the manifest lists it.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Manifest describes an archive; its signature covers its exact bytes.
type Manifest struct {
	Format   string `json:"format"`
	Incident int64  `json:"incident"`
	// ChainHead is the timeline's last event: a timeline cut short or grown
	// after the archive was made no longer ends there.
	ChainHead incidents.ChainHead `json:"chain_head"`
	Events    int                 `json:"events"`
	CreatedAt time.Time           `json:"created_at"`
	// Tool is the program and version that wrote the archive.
	Tool string `json:"tool"`
	// KeyID names the signing key: KeyID of its public key.
	KeyID string `json:"key_id"`
	Files []File `json:"files"`
}

// signature is manifest.sig: the Ed25519 signature of manifest.json's
// bytes, the key that made it, and checks that tell a damaged signature
// file from a changed manifest (Check is a CRC-32 of the other fields; it
// proves nothing, the signature does).
type signature struct {
	Algorithm      string `json:"algorithm"` // "Ed25519"
	KeyID          string `json:"key_id"`
	ManifestSHA256 string `json:"manifest_sha256"`
	Signature      string `json:"signature"` // base64 (standard)
	Check          string `json:"check"`
}

func (s signature) check() string {
	sum := crc32.ChecksumIEEE([]byte(s.Algorithm + "\x00" + s.KeyID + "\x00" + s.ManifestSHA256 + "\x00" + s.Signature))
	return strconv.FormatUint(uint64(sum), 16)
}

// KeyID names a public key: the first 16 hex digits of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Input is what an archive holds.
type Input struct {
	Incident *incidents.Incident
	// Timeline is the incident's whole chain, in Seq order.
	Timeline []incidents.Event
	// Postmortem is the postmortem's Markdown; nil when there is none.
	Postmortem []byte
	CreatedAt  time.Time
	Tool       string
}

// write writes the signed archive of in to w (see WriteFile).
func write(w io.Writer, in Input, key ed25519.PrivateKey) (Manifest, error) {
	if in.Incident == nil {
		return Manifest{}, errors.New("evidence: no incident")
	}
	if len(key) != ed25519.PrivateKeySize {
		return Manifest{}, errors.New("evidence: the signing key is not an Ed25519 private key")
	}
	if _, err := incidents.VerifyChain(in.Incident.Number, in.Timeline); err != nil {
		return Manifest{}, fmt.Errorf("evidence: the timeline of incident #%d does not verify: %w", in.Incident.Number, err)
	}
	return writeArchive(w, in, key)
}

// writeArchive writes the archive of in, whatever its chain.
func writeArchive(w io.Writer, in Input, key ed25519.PrivateKey) (Manifest, error) {
	n := in.Incident.Number
	incJSON, err := json.MarshalIndent(in.Incident, "", "  ")
	if err != nil {
		return Manifest{}, fmt.Errorf("evidence: incident #%d: %w", n, err)
	}
	var timeline bytes.Buffer
	enc := json.NewEncoder(&timeline)
	enc.SetEscapeHTML(false)
	for _, e := range in.Timeline {
		if err := enc.Encode(e); err != nil {
			return Manifest{}, fmt.Errorf("evidence: event %s: %w", e.ID, err)
		}
	}
	files := []struct {
		name string
		data []byte
	}{{fileIncident, append(incJSON, '\n')}, {fileTimeline, timeline.Bytes()}}
	if in.Postmortem != nil {
		files = append(files, struct {
			name string
			data []byte
		}{filePostmortem, in.Postmortem})
	}
	pub := key.Public().(ed25519.PublicKey)
	m := Manifest{
		Format: format, Incident: n, ChainHead: incidents.Head(in.Timeline), Events: len(in.Timeline),
		CreatedAt: in.CreatedAt.UTC(), Tool: in.Tool, KeyID: KeyID(pub),
	}
	for _, f := range files {
		sum := sha256.Sum256(f.data)
		m.Files = append(m.Files, File{Name: f.name, Size: int64(len(f.data)), SHA256: hex.EncodeToString(sum[:])})
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, fmt.Errorf("evidence: manifest: %w", err)
	}
	manifest = append(manifest, '\n')
	msum := sha256.Sum256(manifest)
	sig := signature{Algorithm: "Ed25519", KeyID: m.KeyID, ManifestSHA256: hex.EncodeToString(msum[:]),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(key, manifest))}
	sig.Check = sig.check()
	sigJSON, err := json.MarshalIndent(sig, "", "  ")
	if err != nil {
		return Manifest{}, fmt.Errorf("evidence: signature: %w", err)
	}

	tw := tar.NewWriter(w)
	put := func(name string, data []byte) error {
		h := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := put(fileManifest, manifest); err != nil {
		return Manifest{}, fmt.Errorf("evidence: write: %w", err)
	}
	if err := put(fileSignature, append(sigJSON, '\n')); err != nil {
		return Manifest{}, fmt.Errorf("evidence: write: %w", err)
	}
	for _, f := range files {
		if err := put(f.name, f.data); err != nil {
			return Manifest{}, fmt.Errorf("evidence: write: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return Manifest{}, fmt.Errorf("evidence: write: %w", err)
	}
	return m, nil
}

// WriteFile writes the signed archive of in to path and returns its
// manifest. It refuses a timeline whose chain does not verify: evidence of
// a record already broken would prove nothing. It writes atomically: to a
// temporary file in the same directory, synced, then renamed over path. A
// crash leaves either the old file or the whole new one, never half an
// archive.
func WriteFile(path string, in Input, key ed25519.PrivateKey) (Manifest, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return Manifest{}, fmt.Errorf("evidence: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after the rename there is nothing left to remove
	bw := bufio.NewWriter(f)
	m, err := write(bw, in, key)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("evidence: write %s: %w", path, err)
	}
	return m, nil
}

// Problem says what VerifyFile found wrong.
type Problem string

// The problems VerifyFile reports.
const (
	ProblemDamaged   Problem = "damaged"   // not a readable archive, or a file of it unreadable
	ProblemMissing   Problem = "missing"   // a file the manifest lists is not there
	ProblemExtra     Problem = "extra"     // a file the manifest does not list
	ProblemChanged   Problem = "changed"   // a file's size or SHA-256 differs from the manifest's
	ProblemWrongKey  Problem = "wrong key" // signed with another key than the one given
	ProblemSignature Problem = "signature" // the signature does not verify
	ProblemChain     Problem = "chain"     // the timeline's chain is broken (Chain says where)
)

// Error is an archive that does not check out: the file concerned and what
// is wrong with it.
type Error struct {
	File    string
	Problem Problem
	Detail  string
	// Chain is the broken link, for ProblemChain.
	Chain *incidents.ChainError
}

func (e *Error) Error() string {
	if e.File == "" {
		return fmt.Sprintf("evidence: %s: %s", e.Problem, e.Detail)
	}
	return fmt.Sprintf("evidence: %s: %s: %s", e.File, e.Problem, e.Detail)
}

// Unwrap returns the chain's error, for ProblemChain.
func (e *Error) Unwrap() error {
	if e.Chain == nil {
		return nil
	}
	return e.Chain
}

// Result is an archive that checked out.
type Result struct {
	Manifest Manifest
	// Events is how many timeline events the chain check verified.
	Events int
}

// verify is VerifyFile's check of the archive read from r.
func verify(r io.Reader, pub ed25519.PublicKey) (Result, error) {
	if len(pub) != ed25519.PublicKeySize {
		return Result{}, errors.New("evidence: the public key is not an Ed25519 key")
	}
	data, err := io.ReadAll(io.LimitReader(r, maxArchive+1))
	if err != nil {
		return Result{}, fmt.Errorf("evidence: read the archive: %w", err)
	}
	if len(data) > maxArchive {
		return Result{}, &Error{Problem: ProblemDamaged, Detail: "larger than an evidence archive"}
	}
	files, order, err := readArchive(data)
	if err != nil {
		return Result{}, err
	}
	manifest, ok := files[fileManifest]
	if !ok {
		return Result{}, &Error{File: fileManifest, Problem: ProblemMissing, Detail: "the archive has no manifest"}
	}
	if err := checkSignature(files, manifest, pub); err != nil {
		return Result{}, err
	}
	var m Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		return Result{}, &Error{File: fileManifest, Problem: ProblemDamaged, Detail: err.Error()}
	}
	if m.Format != format {
		return Result{}, &Error{File: fileManifest, Problem: ProblemDamaged, Detail: fmt.Sprintf("format %q, want %q", m.Format, format)}
	}
	listed := map[string]bool{fileManifest: true, fileSignature: true}
	for _, f := range m.Files {
		listed[f.Name] = true
		data, ok := files[f.Name]
		if !ok {
			return Result{}, &Error{File: f.Name, Problem: ProblemMissing, Detail: "listed in the manifest but not in the archive"}
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); int64(len(data)) != f.Size || got != f.SHA256 {
			return Result{}, &Error{File: f.Name, Problem: ProblemChanged,
				Detail: fmt.Sprintf("%d bytes with SHA-256 %s, but the manifest says %d bytes with SHA-256 %s", len(data), got, f.Size, f.SHA256)}
		}
	}
	for _, name := range order {
		if !listed[name] {
			return Result{}, &Error{File: name, Problem: ProblemExtra, Detail: "in the archive but not in the manifest"}
		}
	}
	for _, name := range []string{fileIncident, fileTimeline} {
		if !slices.ContainsFunc(m.Files, func(f File) bool { return f.Name == name }) {
			return Result{}, &Error{File: name, Problem: ProblemMissing, Detail: "the manifest does not list it"}
		}
	}
	var inc struct {
		Number int64 `json:"number"`
	}
	if err := json.Unmarshal(files[fileIncident], &inc); err != nil || inc.Number != m.Incident {
		return Result{}, &Error{File: fileIncident, Problem: ProblemDamaged, Detail: fmt.Sprintf("not incident #%d (%v)", m.Incident, err)}
	}
	events, err := parseTimeline(files[fileTimeline])
	if err != nil {
		return Result{}, err
	}
	checked, err := incidents.VerifyChainHead(m.Incident, events, m.ChainHead)
	if err != nil {
		e := &Error{File: fileTimeline, Problem: ProblemChain, Detail: err.Error()}
		errors.As(err, &e.Chain)
		return Result{}, e
	}
	return Result{Manifest: m, Events: checked}, nil
}

// VerifyFile checks the archive at path against the public key pub: the
// manifest's signature, that every file it lists is there with its size
// and SHA-256 and no other file is, and the chain of the timeline up to the
// manifest's head. Any failure is an *Error naming the file.
func VerifyFile(path string, pub ed25519.PublicKey) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{}, fmt.Errorf("evidence: %w", err)
	}
	defer f.Close()
	return verify(bufio.NewReader(f), pub)
}

// checkSignature verifies manifest.json's signature with pub, and when it
// does not verify, says which file is to blame: a damaged manifest.sig
// (its check fails), a changed manifest.json (its SHA-256 is not the one
// signed), another key, or a signature that is simply wrong.
func checkSignature(files map[string][]byte, manifest []byte, pub ed25519.PublicKey) error {
	raw, ok := files[fileSignature]
	if !ok {
		return &Error{File: fileSignature, Problem: ProblemMissing, Detail: "the archive has no signature"}
	}
	var sig signature
	if err := json.Unmarshal(raw, &sig); err != nil || sig.Check != sig.check() {
		return &Error{File: fileSignature, Problem: ProblemDamaged, Detail: "the signature file was changed or is damaged"}
	}
	sigBytes, err := base64.StdEncoding.DecodeString(sig.Signature)
	if err != nil || len(sigBytes) != ed25519.SignatureSize || sig.Algorithm != "Ed25519" {
		return &Error{File: fileSignature, Problem: ProblemDamaged, Detail: "not an Ed25519 signature"}
	}
	if ed25519.Verify(pub, manifest, sigBytes) {
		return nil
	}
	msum := sha256.Sum256(manifest)
	switch {
	case hex.EncodeToString(msum[:]) != sig.ManifestSHA256:
		return &Error{File: fileManifest, Problem: ProblemChanged, Detail: "it is not the manifest that was signed"}
	case sig.KeyID != KeyID(pub):
		return &Error{Problem: ProblemWrongKey,
			Detail: fmt.Sprintf("the archive was signed with key %s; the public key given is %s", sig.KeyID, KeyID(pub))}
	}
	return &Error{File: fileSignature, Problem: ProblemSignature, Detail: "the signature does not verify with the public key given"}
}

// readArchive reads every regular file of a tar archive, in order. The
// archive must end as tar archives do, with two zero blocks, so one cut
// short anywhere fails.
func readArchive(archive []byte) (map[string][]byte, []string, error) {
	if n := len(archive); n < 2*tarBlock || n%tarBlock != 0 || !allZero(archive[n-2*tarBlock:]) {
		return nil, nil, &Error{Problem: ProblemDamaged, Detail: "not a whole tar archive: truncated, or not tar at all"}
	}
	tr := tar.NewReader(bytes.NewReader(archive))
	files := map[string][]byte{}
	var order []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, &Error{Problem: ProblemDamaged, Detail: "not a whole tar archive (truncated or damaged): " + err.Error()}
		}
		if h.Typeflag != tar.TypeReg {
			return nil, nil, &Error{File: h.Name, Problem: ProblemExtra, Detail: "not a regular file"}
		}
		if _, dup := files[h.Name]; dup {
			return nil, nil, &Error{File: h.Name, Problem: ProblemExtra, Detail: "in the archive twice"}
		}
		if h.Size > maxFile || len(files) >= maxFiles {
			return nil, nil, &Error{File: h.Name, Problem: ProblemDamaged, Detail: "larger than an evidence archive holds"}
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, nil, &Error{File: h.Name, Problem: ProblemDamaged, Detail: "truncated: " + err.Error()}
		}
		files[h.Name] = data
		order = append(order, h.Name)
	}
	if len(order) == 0 {
		return nil, nil, &Error{Problem: ProblemDamaged, Detail: "an empty archive"}
	}
	return files, order, nil
}

// tarBlock is tar's block size.
const tarBlock = 512

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// parseTimeline reads timeline.jsonl: one event per line.
func parseTimeline(data []byte) ([]incidents.Event, error) {
	var out []incidents.Event
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxFile)
	for line := 1; sc.Scan(); line++ {
		var e incidents.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, &Error{File: fileTimeline, Problem: ProblemDamaged, Detail: fmt.Sprintf("line %d: %v", line, err)}
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{File: fileTimeline, Problem: ProblemDamaged, Detail: err.Error()}
	}
	return out, nil
}
