package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHelperBackup runs in a child process of the backup tests: one backup.
func TestHelperBackup(t *testing.T) {
	arg := os.Getenv("STORE_HELPER_BACKUP")
	if arg == "" {
		t.Skip("helper process only")
	}
	dir, to, _ := strings.Cut(arg, "\n")
	if err := Backup(context.Background(), dir, to); err != nil {
		t.Fatal(err)
	}
}

func backupCmd(ctx context.Context, dir, to string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperBackup$")
	cmd.Env = append(os.Environ(), "STORE_HELPER_BACKUP="+dir+"\n"+to)
	return cmd
}

// fillStore writes about mb MiB into the store, so a backup takes a while.
func fillStore(t *testing.T, s *Store, mb int) {
	t.Helper()
	err := s.tx(testCtx(t), func(tx *sql.Tx) error {
		buf := make([]byte, 2048)
		for i := range mb * 256 {
			rand.Read(buf)
			if _, err := tx.Exec(`INSERT INTO state (name, body) VALUES (?, ?)`, fmt.Sprintf("filler:%d", i), hex.EncodeToString(buf)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// wholeOrAbsent fails unless the file at to is absent or a backup that
// checks out; it reports whether it is there.
func wholeOrAbsent(t *testing.T, to string, tables []string) bool {
	t.Helper()
	if _, err := os.Lstat(to); errors.Is(err, os.ErrNotExist) {
		for _, suffix := range []string{"-journal", "-wal"} {
			if _, err := os.Lstat(to + suffix); err == nil {
				t.Errorf("%s%s exists without the backup", to, suffix)
			}
		}
		return false
	}
	if err := checkBackup(testCtx(t), to, schemaVersion, tables); err != nil {
		t.Errorf("%s is there but not whole: %v", to, err)
	}
	return true
}

func tempFiles(t *testing.T, to string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(filepath.Dir(to), "."+filepath.Base(to)+backupTempInfix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A backup killed (SIGKILL) at random moments beside an open store leaves
// its target whole or absent, and the next backup to the same target
// succeeds and removes what the killed one left.
func TestBackupKilledAtRandomMoments(t *testing.T) {
	if testing.Short() {
		t.Skip("kills backup processes")
	}
	t.Parallel()
	ctx := testCtx(t)
	dir := t.TempDir()
	s := open(t, dir)
	seed(t, s, 0, schemaVersion)
	fillStore(t, s, 8)
	tables, err := tableNames(ctx, s.r)
	if err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(t.TempDir(), "backup.db")

	start := time.Now()
	if out, err := backupCmd(ctx, dir, to).CombinedOutput(); err != nil {
		t.Fatalf("a whole backup: %v\n%s", err, out)
	}
	whole := time.Since(start)
	if !wholeOrAbsent(t, to, tables) {
		t.Fatal("the whole backup left no file")
	}
	os.Remove(to)

	seed1, seed2 := uint64(time.Now().UnixNano()), uint64(os.Getpid())
	rng := mrand.New(mrand.NewPCG(seed1, seed2))
	t.Logf("a whole backup took %s (process start included); kill moments from seed %d,%d", whole, seed1, seed2)
	const kills = 10
	interrupted := 0
	for i := range kills {
		cmd := backupCmd(ctx, dir, to)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		at := time.Duration(rng.Int64N(int64(whole) * 3 / 2))
		timer := time.AfterFunc(at, func() { cmd.Process.Kill() })
		err := cmd.Wait()
		timer.Stop()
		killed := err != nil
		if wholeOrAbsent(t, to, tables) {
			os.Remove(to)
		} else if killed {
			interrupted++
		} else {
			t.Fatalf("kill %d: the backup finished but left no file", i)
		}
		// The next run succeeds and cleans up after the killed one.
		if out, err := backupCmd(ctx, dir, to).CombinedOutput(); err != nil {
			t.Fatalf("kill %d (at %s): the next backup failed: %v\n%s", i, at, err, out)
		}
		if !wholeOrAbsent(t, to, tables) {
			t.Fatalf("kill %d: the next backup left no file", i)
		}
		if left := tempFiles(t, to); len(left) > 0 {
			t.Errorf("kill %d: temporary files left after the next backup: %v", i, left)
		}
		os.Remove(to)
	}
	t.Logf("%d of %d kills interrupted a backup", interrupted, kills)
	if interrupted == 0 {
		t.Errorf("no kill interrupted a backup: the test proved nothing")
	}
}

// A temporary file that a running backup holds is not taken for a killed
// run's; one nobody holds is removed.
func TestBackupLeavesARunningBackupsTempFile(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	dir := t.TempDir()
	s := open(t, dir)
	seed(t, s, 0, schemaVersion)
	to := filepath.Join(t.TempDir(), "b.db")
	running, err := createBackupTemp(to)
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	stale := filepath.Join(filepath.Dir(to), "."+filepath.Base(to)+backupTempInfix+"0123456789ab")
	for _, f := range []string{stale, stale + "-journal"} {
		if err := os.WriteFile(f, []byte("half a database"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := Backup(ctx, dir, to); err != nil {
		t.Fatalf("Backup beside a stale and a running temporary file: %v", err)
	}
	if _, err := os.Stat(running.Name()); err != nil {
		t.Errorf("the running backup's file was removed: %v", err)
	}
	for _, f := range []string{stale, stale + "-journal"} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale %s is still there (%v)", f, err)
		}
	}
}
