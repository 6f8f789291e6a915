// Package sqlite is incidentbot's embedded store: one SQLite database file in
// the data directory, through modernc.org/sqlite (pure Go, no cgo).
//
// The database runs in WAL mode with one writer connection and a pool of
// readers, so reads never wait behind writes. Every change is a single
// statement or one immediate transaction, so it is atomic without locks in Go;
// incidents are updated with a version-conditional UPDATE. The schema is built
// by numbered, forward-only migrations applied at Open. One process serves a
// data dir at a time (a lock file); Backup works beside it.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/discard"
)

// File names in the data dir.
const (
	// DBFile is the database.
	DBFile = "incidentbot.db"
	// lockFileName is held with an exclusive flock while a Store is open.
	lockFileName = "incidentbot.lock"
	// ferretFile is what the FerretDB-based store (before SQLite) wrote.
	ferretFile = "incidentbot.sqlite"
)

// Errors matched with errors.Is.
var (
	// ErrDataDirInUse means another process, or another Store in this process, holds the data dir.
	ErrDataDirInUse = errors.New("data dir is in use by another incidentbot process")
	// ErrFerretDBDataDir means the data dir was written by the earlier FerretDB-based store.
	ErrFerretDBDataDir = errors.New("data dir was written by the FerretDB store of an earlier incidentbot")
)

type dataDirInUseError struct{ dir, lock string }

func (e *dataDirInUseError) Error() string {
	return fmt.Sprintf("data dir %s is in use by another incidentbot process (lock %s)", e.dir, e.lock)
}

func (e *dataDirInUseError) Is(target error) bool { return target == ErrDataDirInUse }

// Options configure Open.
type Options struct {
	// DataDir holds the database; created if missing. Required.
	DataDir string
	// Readers is the size of the read pool; default 4.
	Readers int
	// Logger receives the store's logs; nil discards them.
	Logger *logrus.Entry
	// BusyTimeout is how long a write waits for a lock another process
	// holds before it fails (incidents.ErrUnavailable); default 10s.
	BusyTimeout time.Duration
}

// Store is the SQLite store of every domain package.
type Store struct {
	dir  string
	w    *sql.DB // one connection: SQLite has one writer anyway, and Go-side queuing beats busy waits
	r    *sql.DB // readers, in parallel thanks to WAL
	lock *os.File
	log  *logrus.Entry

	closeOnce sync.Once
	closeErr  error
}

// busyTimeout is how long a connection waits by default for another's lock
// (a backup, a checkpoint) before SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Open locks the data dir, opens (or creates) the database and migrates it to
// the current schema.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.DataDir == "" {
		return nil, errors.New("open sqlite store: no data dir")
	}
	if o.Readers <= 0 {
		o.Readers = 4
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = busyTimeout
	}
	log := discard.IfNil(o.Logger)
	dir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return nil, fmt.Errorf("resolve data dir %s: %w", o.DataDir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", o.DataDir, err)
	}
	if err := refuseFerretDB(dir); err != nil {
		return nil, err
	}
	lockPath := filepath.Join(dir, lockFileName)
	lock, err := lockFile(lockPath)
	if err != nil {
		if errors.Is(err, errLocked) {
			return nil, &dataDirInUseError{dir: o.DataDir, lock: lockPath}
		}
		return nil, fmt.Errorf("lock data dir %s: %w", o.DataDir, err)
	}
	s := &Store{dir: dir, lock: lock, log: log}
	path := filepath.Join(dir, DBFile)
	if s.w, err = openDB(path, 1, o.BusyTimeout); err == nil {
		s.r, err = openDB(path, o.Readers, o.BusyTimeout)
	}
	if err == nil {
		err = migrate(ctx, s.w, len(migrations), log)
	}
	if err == nil {
		err = s.releaseLeases(ctx)
	}
	if err != nil {
		_ = s.Close(ctx)
		return nil, fmt.Errorf("open sqlite store in %s: %w", o.DataDir, err)
	}
	log.WithField("data_dir", dir).Info("embedded store opened")
	return s, nil
}

// OpenReadOnly opens the database in dataDir for reading only, without the
// data-dir lock, so read-only commands (export-postmortems) run beside a
// serving process. WAL lets them read a consistent snapshot while it writes.
// Every write fails; the schema must be the one this binary knows.
func OpenReadOnly(ctx context.Context, dataDir string) (*Store, error) {
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("resolve data dir %s: %w", dataDir, err)
	}
	if err := refuseFerretDB(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open %s read-only: no database: %w", dataDir, err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&"+fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()))
	if err != nil {
		return nil, fmt.Errorf("open %s read-only: %w", dataDir, err)
	}
	var v int
	if err := db.QueryRowContext(ctx, "SELECT version FROM schema_version").Scan(&v); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s read-only: %w", dataDir, err)
	}
	if v != schemaVersion {
		db.Close()
		return nil, fmt.Errorf("open %s read-only: its schema is version %d, this incidentbot's is %d: run the same release as the serving bot", dataDir, v, schemaVersion)
	}
	return &Store{dir: dir, w: db, r: db, log: discard.Logger()}, nil
}

// refuseFerretDB recognises a data dir of the FerretDB store, which this
// version cannot read (there were no released users, so there is no migration).
func refuseFerretDB(dir string) error {
	old := filepath.Join(dir, ferretFile)
	if _, err := os.Stat(old); err == nil {
		if _, err := os.Stat(filepath.Join(dir, DBFile)); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w: %s holds the old FerretDB store (%s), which this version does not read; "+
				"move that directory away (or set INCIDENTBOT_DATA_DIR to an empty one) and start again",
				ErrFerretDBDataDir, dir, ferretFile)
		}
	}
	return nil
}

// openDB opens a pool of n connections to path with the pragmas every
// connection needs: WAL, a busy timeout, foreign keys, full fsync at commit
// (an acknowledged webhook must survive a power cut), and immediate write
// transactions (so a transaction never fails to upgrade from read to write).
func openDB(path string, n int, busy time.Duration) (*sql.DB, error) {
	q := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busy.Milliseconds()),
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(FULL)",
		"_pragma=foreign_keys(1)",
		"_txlock=immediate",
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+strings.Join(q, "&"))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxLifetime(0)
	return db, nil
}

// Ping runs a real query on the read pool; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error {
	var v int
	if err := s.r.QueryRowContext(ctx, "SELECT version FROM schema_version").Scan(&v); err != nil {
		return fmt.Errorf("ping sqlite store: %w", err)
	}
	return nil
}

// Embedded reports true: one process serves the data dir.
func (s *Store) Embedded() bool { return true }

// Close closes the database and releases the data-dir lock. Calling it again
// returns the first result.
func (s *Store) Close(context.Context) error {
	s.closeOnce.Do(func() {
		var errs []error
		for i, db := range []*sql.DB{s.r, s.w} {
			if db != nil && (i == 0 || db != s.r) { // read-only: one handle for both
				if err := db.Close(); err != nil {
					errs = append(errs, err)
				}
			}
		}
		if s.lock != nil {
			if err := s.lock.Close(); err != nil {
				errs = append(errs, fmt.Errorf("release lock: %w", err))
			}
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("close sqlite store: %w", err)
		}
	})
	return s.closeErr
}

// isConstraint reports whether err is a UNIQUE or PRIMARY KEY violation.
func isConstraint(err error) bool {
	var se *sqlite3.Error
	return errors.As(err, &se) &&
		(se.Code() == sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3lib.SQLITE_CONSTRAINT_UNIQUE)
}

// ts is a stored time: UTC Unix nanoseconds, 0 for the zero time.
func ts(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromTS is the inverse of ts, in UTC.
func fromTS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// tx runs f in one immediate transaction on the writer, committing when f
// returns nil. An error of the database itself being unusable (see
// unavailable) is marked incidents.ErrUnavailable.
func (s *Store) tx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(err)
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return unavailable(err)
	}
	return unavailable(tx.Commit())
}

// unavailable marks err with incidents.ErrUnavailable when it says the
// database cannot be written now, whatever was asked: another process holds
// its lock past busyTimeout (SQLITE_BUSY, SQLITE_LOCKED), the disk is full
// or failing, the file became read-only or unreadable.
func unavailable(err error) error {
	var se *sqlite3.Error
	if err == nil || errors.Is(err, incidents.ErrUnavailable) || !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff { // the primary result code
	case sqlite3lib.SQLITE_BUSY, sqlite3lib.SQLITE_LOCKED, sqlite3lib.SQLITE_IOERR, sqlite3lib.SQLITE_FULL,
		sqlite3lib.SQLITE_READONLY, sqlite3lib.SQLITE_CANTOPEN, sqlite3lib.SQLITE_PROTOCOL:
		return fmt.Errorf("%w: %w", incidents.ErrUnavailable, err)
	}
	return err
}
