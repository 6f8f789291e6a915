// Package sqlitetest opens a fresh embedded store for a test. It is what
// storetest.New does, without storetest's other stores: a test that needs
// one store and imports this links neither the MongoDB driver nor the
// test-only FerretDB server (the bot package's test binary went from about
// 650 packages to about 300, and no longer waits for FerretDB to compile).
package sqlitetest

import (
	"context"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/store/sqlite"
)

// timeout bounds opening and closing the store.
const timeout = 30 * time.Second

// New opens an embedded store in a temporary directory and closes it when t ends.
func New(t testing.TB) *sqlite.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s, err := sqlite.Open(ctx, sqlite.Options{DataDir: t.TempDir(), Logger: discard.Logger()})
	if err != nil {
		t.Fatalf("sqlitetest: open sqlite store: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("sqlitetest: close store: %v", err)
		}
	})
	return s
}
