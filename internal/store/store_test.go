package store_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/store"
	"github.com/incidentbot/incidentbot/internal/store/storetest"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func skipIfExternal(t *testing.T) {
	t.Helper()
	if os.Getenv("MONGODB_URI") != "" {
		t.Skip("tests the embedded store; MONGODB_URI is set")
	}
}

func TestOpenEmbedded(t *testing.T) {
	t.Parallel()
	skipIfExternal(t)
	s := storetest.New(t)
	if !s.Embedded() {
		t.Errorf("Embedded() = false, want true without a URI")
	}
	if err := s.Ping(testCtx(t)); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestOpenDefaultsDataDirAndCreatesIt(t *testing.T) {
	t.Parallel()
	skipIfExternal(t)
	dir := filepath.Join(t.TempDir(), "nested", "data")
	ctx := testCtx(t)
	s, err := store.Open(ctx, store.Options{DataDir: dir, Logger: storetest.Logger()})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close(ctx)
	if _, err := os.Stat(filepath.Join(dir, "incidentbot.lock")); err != nil {
		t.Errorf("lock file: %v", err)
	}
	if got := s.DB().Name(); got != "incidentbot" {
		t.Errorf("database = %q, want the default %q", got, "incidentbot")
	}
}

func TestNextNumberPersistsAcrossReopen(t *testing.T) {
	t.Parallel()
	o := storetest.Options(t)
	ctx := testCtx(t)

	s, err := store.Open(ctx, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	for want := int64(1); want <= 3; want++ {
		got, err := s.NextNumber(ctx)
		if err != nil {
			t.Fatalf("NextNumber: %v", err)
		}
		if got != want {
			t.Errorf("NextNumber = %d, want %d", got, want)
		}
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s, err = store.Open(ctx, o)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close(ctx)
	got, err := s.NextNumber(ctx)
	if err != nil {
		t.Fatalf("NextNumber after reopen: %v", err)
	}
	if got != 4 {
		t.Errorf("NextNumber after reopen = %d, want 4", got)
	}
}

func TestSecondOpenOfDataDirFails(t *testing.T) {
	t.Parallel()
	skipIfExternal(t)
	o := storetest.Options(t)
	ctx := testCtx(t)
	first, err := store.Open(ctx, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}

	start := time.Now()
	second, err := store.Open(ctx, o)
	if err == nil {
		second.Close(ctx)
		t.Fatal("second Open of the same data dir succeeded, want an error")
	}
	if !errors.Is(err, store.ErrDataDirInUse) {
		t.Errorf("error %v is not ErrDataDirInUse", err)
	}
	wantMsg := "data dir " + o.DataDir + " is in use by another incidentbot process (lock " + filepath.Join(o.DataDir, "incidentbot.lock") + ")"
	if !strings.Contains(err.Error(), wantMsg) {
		t.Errorf("error = %q, want it to contain %q", err, wantMsg)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second Open took %s, want it to fail at once", d)
	}

	// Another process is refused too.
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperOpenDataDir$")
	cmd.Env = append(os.Environ(), "STORE_HELPER_DATA_DIR="+o.DataDir)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "is in use by another incidentbot process") {
		t.Errorf("other process: err=%v output=%q, want it refused with the in-use error", err, out)
	}

	if err := first.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	third, err := store.Open(ctx, o)
	if err != nil {
		t.Fatalf("Open after Close released the lock: %v", err)
	}
	third.Close(ctx)
}

// TestHelperOpenDataDir runs in a child process of TestSecondOpenOfDataDirFails.
func TestHelperOpenDataDir(t *testing.T) {
	dir := os.Getenv("STORE_HELPER_DATA_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	ctx := testCtx(t)
	s, err := store.Open(ctx, store.Options{DataDir: dir, Logger: storetest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	s.Close(ctx)
}

func TestPingFailsAfterClose(t *testing.T) {
	t.Parallel()
	o := storetest.Options(t)
	ctx := testCtx(t)
	s, err := store.Open(ctx, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping before Close: %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping after Close = nil, want an error")
	}
	if err := s.Close(ctx); err != nil {
		t.Errorf("second Close = %v, want the first result (nil)", err)
	}
}

func TestOpenBadURIFails(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := store.Open(ctx, store.Options{URI: "mongodb://user:s3cret@127.0.0.1:1/?serverSelectionTimeoutMS=500", Logger: storetest.Logger()})
	if err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error leaks the password: %v", err)
	}
}
