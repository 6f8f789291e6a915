package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"github.com/sirupsen/logrus"
)

// ErrDataDirInUse is matched (errors.Is) by the error Open returns when another
// process, or another Store in this process, holds the embedded data directory.
var ErrDataDirInUse = errors.New("data dir is in use by another incidentbot process")

type dataDirInUseError struct{ dir, lock string }

func (e *dataDirInUseError) Error() string {
	return fmt.Sprintf("data dir %s is in use by another incidentbot process (lock %s)", e.dir, e.lock)
}

func (e *dataDirInUseError) Is(target error) bool { return target == ErrDataDirInUse }

// lockFileName is the file in the data dir that an embedded store holds an exclusive flock on.
const lockFileName = "incidentbot.lock"

// ferretNewMu serializes ferretdb.New, which writes a package-level variable
// (version.Get().Package) and so races when tests open stores in parallel.
var ferretNewMu sync.Mutex

// embedded is an in-process FerretDB serving one data directory.
type embedded struct {
	dir    string // absolute
	uri    string // mongodb://127.0.0.1:<port>/ — no credentials
	lock   *os.File
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

func startEmbedded(dir string, log *logrus.Entry) (*embedded, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolve data dir %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", dir, err)
	}
	lockPath := filepath.Join(dir, lockFileName)
	lock, err := lockFile(lockPath)
	if err != nil {
		if errors.Is(err, errLocked) {
			return nil, &dataDirInUseError{dir: dir, lock: lockPath}
		}
		return nil, fmt.Errorf("lock data dir %s: %w", dir, err)
	}

	// FerretDB wants "file:" + an existing directory ending in "/".
	sqliteURL := (&url.URL{Scheme: "file", Path: abs + "/"}).String()
	ferretNewMu.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
		Logger:    slog.New(newSlogHandler(log.WithField("component", "ferretdb"))),
	})
	ferretNewMu.Unlock()
	if err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("start FerretDB in %s: %w", dir, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	e := &embedded{dir: abs, uri: f.MongoDBURI(), lock: lock, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		if err := f.Run(ctx); err != nil {
			log.WithError(err).Error("embedded FerretDB stopped")
		}
	}()
	return e, nil
}

// stopTimeout bounds the wait for FerretDB to close its connections and SQLite files.
const stopTimeout = 10 * time.Second

// stop stops FerretDB, waits for it to close its files, then releases the lock.
func (e *embedded) stop() error {
	var err error
	e.once.Do(func() {
		e.cancel()
		select {
		case <-e.done:
		case <-time.After(stopTimeout):
			err = fmt.Errorf("stop FerretDB in %s: still running after %s", e.dir, stopTimeout)
			// Keep the lock: the files may still be open.
			return
		}
		if cerr := e.lock.Close(); cerr != nil {
			err = fmt.Errorf("release lock in %s: %w", e.dir, cerr)
		}
	})
	return err
}
