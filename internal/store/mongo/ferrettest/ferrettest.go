// Package ferrettest runs FerretDB v1 (SQLite handler) in-process on a
// loopback port: a MongoDB wire-protocol server for tests, so the MongoDB
// store's code runs in CI on machines without a MongoDB. Import it only from
// _test.go files (and test helpers such as storetest), so that FerretDB and
// the database clients it brings stay out of the incidentbot binary.
//
// FerretDB v1 does not make single-document updates atomic: open the store
// over it with one connection (mongo.Options.MaxPoolSize 1).
package ferrettest

import (
	"context"
	"log/slog"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"

	"github.com/incidentbot/incidentbot/internal/discard"
)

// newMu serializes ferretdb.New, which writes a package-level variable
// (version.Get().Package) and so races when tests start servers in parallel.
var newMu sync.Mutex

// stopTimeout bounds the wait for FerretDB to close its connections and files.
const stopTimeout = 10 * time.Second

// Start runs a FerretDB server on a fresh temporary directory of t and
// returns its URI (mongodb://127.0.0.1:<port>/, no credentials). It stops
// when t ends.
func Start(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(t.TempDir())
	if err != nil {
		t.Fatalf("ferrettest: %v", err)
	}
	// FerretDB wants "file:" + an existing directory ending in "/".
	sqliteURL := (&url.URL{Scheme: "file", Path: dir + "/"}).String()
	newMu.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
		Logger:    slog.New(newSlogHandler(discard.Logger())),
	})
	newMu.Unlock()
	if err != nil {
		t.Fatalf("ferrettest: start FerretDB in %s: %v", dir, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := f.Run(ctx); err != nil {
			t.Logf("ferrettest: FerretDB stopped: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(stopTimeout):
			t.Errorf("ferrettest: FerretDB still running %s after stop", stopTimeout)
		}
	})
	return f.MongoDBURI()
}
