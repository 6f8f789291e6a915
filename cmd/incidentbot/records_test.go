package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/evidence"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/store"
)

// TestEvidenceCommands makes a key with keygen, an archive with the
// evidence package, and checks it with `evidence verify`: it passes, fails
// naming the file after one changed byte, and fails with another key.
func TestEvidenceCommands(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "evidence.key")
	if code, out, stderr := runCmd(t, "evidence", "keygen", "--out", key); code != 0 || !strings.Contains(out, key+".pub") {
		t.Fatalf("keygen: exit %d, %q %q", code, out, stderr)
	}
	if code, _, stderr := runCmd(t, "evidence", "keygen", "--out", key); code != 1 || !strings.Contains(stderr, "already exists") {
		t.Errorf("keygen over a key: exit %d, %q", code, stderr)
	}
	priv, err := evidence.LoadPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	archive := filepath.Join(dir, "inc-3.tar")
	if _, err := evidence.WriteFile(archive, evidence.Input{
		Incident:  &incidents.Incident{Number: 3, Title: "Payments down", DetectedAt: at, DeclaredAt: at},
		Timeline:  incidents.Seal(3, incidents.ChainHead{}, incidents.Event{ID: "3:d", Incident: 3, Type: incidents.EventDeclared, At: at, Text: "Declared"}),
		CreatedAt: at, Tool: "test",
	}, priv); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := runCmd(t, "evidence", "verify", archive, "--public-key", key+".pub"); code != 0 || !strings.HasPrefix(out, "ok: ") || !strings.Contains(out, "incident #3") {
		t.Errorf("verify: exit %d, %q %q", code, out, stderr)
	}
	if code, out, _ := runCmd(t, "evidence", "--public-key", key+".pub", "verify", archive); code != 0 {
		t.Errorf("verify with the flag first: exit %d, %q", code, out)
	}

	data, _ := os.ReadFile(archive)
	i := bytes.Index(data, []byte(`"title": "Payments down"`))
	data[i+12] ^= 1
	changed := filepath.Join(dir, "changed.tar")
	os.WriteFile(changed, data, 0o644)
	if code, _, stderr := runCmd(t, "evidence", "verify", changed, "--public-key", key+".pub"); code != 1 || !strings.Contains(stderr, "incident.json: changed") {
		t.Errorf("verify of a changed archive: exit %d, %q", code, stderr)
	}

	other := filepath.Join(dir, "other.key")
	runCmd(t, "evidence", "keygen", "--out", other)
	if code, _, stderr := runCmd(t, "evidence", "verify", archive, "--public-key", other+".pub"); code != 1 || !strings.Contains(stderr, "wrong key") {
		t.Errorf("verify with another key: exit %d, %q", code, stderr)
	}

	for _, args := range [][]string{{"evidence"}, {"evidence", "verify", archive}, {"evidence", "x1", "--out", "f"}, {"evidence", "3"}, {"evidence", "keygen"}} {
		if code, _, _ := runCmd(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestEvidenceNeedsTheSigningKey: without evidence.signing_key_file the
// command says what to set.
func TestEvidenceNeedsTheSigningKey(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("MONGODB_URI", "")
	t.Setenv("INCIDENTBOT_DATA_DIR", dir)
	cfg := filepath.Join(dir, "incidentbot.yaml")
	os.WriteFile(cfg, []byte("timezone: UTC\n"), 0o600)
	t.Setenv("INCIDENTBOT_CONFIG", cfg)
	if code, _, stderr := runCmd(t, "evidence", "1", "--out", filepath.Join(dir, "x.tar")); code != 1 || !strings.Contains(stderr, "evidence.signing_key_file") {
		t.Errorf("evidence without a key: exit %d, %q", code, stderr)
	}
}

func TestVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("MONGODB_URI", "")
	t.Setenv("INCIDENTBOT_DATA_DIR", dir)
	t.Setenv("INCIDENTBOT_CONFIG", "")
	if code, _, stderr := runCmd(t, "verify"); code != 1 || !strings.Contains(stderr, "no database") {
		t.Errorf("verify without a store: exit %d, %q", code, stderr)
	}
	st, err := store.Open(context.Background(), store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	st.Close(context.Background())
	if code, out, stderr := runCmd(t, "verify"); code != 0 || out != "verified 0 events of 0 incidents: 0 chains intact, 0 broken\n" {
		t.Errorf("verify of an empty store: exit %d, %q %q", code, out, stderr)
	}
	if code, _, stderr := runCmd(t, "verify", "extra"); code != 2 || !strings.Contains(stderr, "--incident") {
		t.Errorf("verify extra: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCmd(t, "verify", "--incident", "4"); code != 1 || !strings.Contains(stderr, "incident #4: not found") {
		t.Errorf("verify of an unknown incident: exit %d, %q", code, stderr)
	}
}
