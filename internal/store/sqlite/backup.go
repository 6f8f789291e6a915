package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// backupTempInfix names a backup's temporary file: ".<target>.backup-<random>",
// beside the target, so the final rename never crosses file systems.
const backupTempInfix = ".backup-"

// Backup writes a consistent copy of the database in dataDir to the new file
// to (VACUUM INTO), without taking the data-dir lock, so it runs beside a
// serving process. The copy is a complete database: restore by stopping
// serve and putting it in place as DBFile in an empty data dir.
//
// It is atomic: the copy is written to a temporary file beside to, synced,
// checked (integrity_check, the schema version, every table of the
// original), and only then linked into place, and the directory synced. A
// backup interrupted at any moment leaves no file at to; the temporary files
// of killed runs are removed by the next backup into the same directory
// (a run still in progress holds a lock on its own, which is left alone).
func Backup(ctx context.Context, dataDir, to string) error {
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return fmt.Errorf("backup: resolve data dir %s: %w", dataDir, err)
	}
	if err := refuseFerretDB(dir); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("backup: no database in %s: %w", dataDir, err)
	}
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("backup: %s already exists", to)
	}
	target, err := filepath.Abs(to)
	if err != nil {
		return fmt.Errorf("backup: resolve %s: %w", to, err)
	}
	removeStaleBackups(target)

	db, err := openDB(path, 1, busyTimeout)
	if err != nil {
		return fmt.Errorf("backup: open %s: %w", path, err)
	}
	defer db.Close()
	var version int
	if err := db.QueryRowContext(ctx, "SELECT version FROM schema_version").Scan(&version); err != nil {
		return fmt.Errorf("backup: read %s: %w", path, err)
	}
	tables, err := tableNames(ctx, db)
	if err != nil {
		return fmt.Errorf("backup: read %s: %w", path, err)
	}

	tmp, err := createBackupTemp(target)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmpPath := tmp.Name()
	done := false
	defer func() {
		tmp.Close() // releases the lock
		if !done {
			removeBackupFiles(tmpPath)
		}
	}()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmpPath); err != nil {
		return fmt.Errorf("backup to %s: %w", to, err)
	}
	// VACUUM INTO does not sync what it wrote.
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("backup to %s: sync: %w", to, err)
	}
	if err := checkBackup(ctx, tmpPath, version, tables); err != nil {
		return fmt.Errorf("backup to %s: the copy does not check out: %w", to, err)
	}
	if err := linkNew(tmpPath, target); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	done = true
	removeBackupFiles(tmpPath)
	if err := syncDir(filepath.Dir(target)); err != nil {
		return fmt.Errorf("backup to %s: sync its directory: %w", to, err)
	}
	return nil
}

// createBackupTemp creates the empty temporary file of a backup to target
// (VACUUM INTO accepts an empty file) and locks it, so a concurrent backup
// into the same directory does not take it for a killed run's.
func createBackupTemp(target string) (*os.File, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	name := filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+backupTempInfix+hex.EncodeToString(b[:]))
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create a temporary file beside %s: %w", target, err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		os.Remove(name)
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return f, nil
}

// removeStaleBackups removes the temporary files that killed backups to
// target left behind: those nobody holds a lock on. Failures are ignored:
// a stale file never blocks a backup, it only takes room.
func removeStaleBackups(target string) {
	prefix := filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+backupTempInfix)
	matches, err := filepath.Glob(globEscape(prefix) + "*")
	if err != nil {
		return
	}
	for _, m := range matches {
		if strings.ContainsRune(m[len(prefix):], '-') {
			continue // a -journal, -wal or -shm: removed with its database below, or orphaned
		}
		f, err := os.OpenFile(m, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if tryLock(f) == nil {
			removeBackupFiles(m)
		}
		f.Close()
	}
	// What is left of a run whose database is already gone.
	for _, m := range matches {
		if base, _, ok := strings.Cut(m[len(prefix):], "-"); ok {
			if _, err := os.Lstat(prefix + base); errors.Is(err, os.ErrNotExist) {
				os.Remove(m)
			}
		}
	}
}

// removeBackupFiles removes a temporary copy and SQLite's files beside it.
func removeBackupFiles(path string) {
	for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}

// globEscape escapes the pattern characters of filepath.Match in s.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// checkBackup opens the copy read-only, as a file nothing else writes
// (immutable: no lock, no -wal or -shm beside it), and checks it: SQLite's
// integrity check, the schema version and every table of the original.
func checkBackup(ctx context.Context, path string, version int, tables []string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("integrity_check: %w", err)
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return fmt.Errorf("integrity_check: %w", err)
		}
		problems = append(problems, line)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("integrity_check: %w", err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		return fmt.Errorf("integrity_check: %s", strings.Join(problems, "; "))
	}
	var v int
	if err := db.QueryRowContext(ctx, "SELECT version FROM schema_version").Scan(&v); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if v != version {
		return fmt.Errorf("schema version %d, the original's is %d", v, version)
	}
	got, err := tableNames(ctx, db)
	if err != nil {
		return err
	}
	if !slices.Equal(got, tables) {
		return fmt.Errorf("tables %v, the original has %v", got, tables)
	}
	return nil
}

// tableNames lists a database's tables, sorted.
func tableNames(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

// linkNew puts the finished copy at target, atomically and without
// replacing a file that appeared there meanwhile: a hard link fails when
// target exists. Where the file system has no hard links, a rename (which
// would replace) follows a last check.
func linkNew(tmp, target string) error {
	err := os.Link(tmp, target)
	if err == nil {
		return nil
	}
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s already exists", target)
	}
	if _, serr := os.Lstat(target); serr == nil {
		return fmt.Errorf("%s already exists", target)
	}
	if rerr := os.Rename(tmp, target); rerr != nil {
		return fmt.Errorf("move the copy into place at %s: %w (link: %v)", target, rerr, err)
	}
	return nil
}

// syncDir makes a rename or link in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
