package app

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/store"
)

// A second serve on the same data dir is refused at once, but a backup
// works beside the running one, and the copy restores as a working store.
func TestBackupBesideServeAndSecondServeRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{manual: true})
	h.mustPost(payload("g1", testAlert{fp(1), "firing", "HighLatency", h.clock.Now()}))
	h.applyAll()

	env := config.LoadEnv(func(k string) string {
		return map[string]string{"INCIDENTBOT_DATA_DIR": h.dir, "INCIDENTBOT_LISTEN": "127.0.0.1:0", "INCIDENTBOT_WEBHOOK_AUTH": "none"}[k]
	}, func(string) bool { return false })
	_, err := New(context.Background(), Options{Env: env, Config: config.Default()})
	if !errors.Is(err, store.ErrDataDirInUse) {
		t.Fatalf("second app on the data dir: err = %v, want ErrDataDirInUse", err)
	}

	to := filepath.Join(t.TempDir(), "backup.db")
	var out bytes.Buffer
	getenv := func(k string) string { return map[string]string{"INCIDENTBOT_DATA_DIR": h.dir}[k] }
	if err := Backup(context.Background(), getenv, to, &out); err != nil {
		t.Fatalf("Backup beside the running app: %v", err)
	}
	if !strings.Contains(out.String(), to) {
		t.Errorf("backup said %q, want it to name %s", out.String(), to)
	}

	restored := t.TempDir()
	b, err := os.ReadFile(to)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, "incidentbot.db"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(context.Background(), store.Options{DataDir: restored})
	if err != nil {
		t.Fatalf("open the restored copy: %v", err)
	}
	defer s.Close(context.Background())
	inc, err := s.GetIncident(context.Background(), 1)
	if err != nil || inc.GroupKey != "g1" {
		t.Errorf("restored incident #1 = %+v, %v; want the g1 incident", inc, err)
	}
}

func TestBackupRefusedWithMongoDB(t *testing.T) {
	t.Parallel()
	getenv := func(k string) string { return map[string]string{"MONGODB_URI": "mongodb://127.0.0.1:1/"}[k] }
	err := Backup(context.Background(), getenv, filepath.Join(t.TempDir(), "b.db"), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "mongodump") {
		t.Errorf("Backup with MONGODB_URI = %v, want a refusal naming mongodump", err)
	}
}
