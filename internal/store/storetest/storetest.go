// Package storetest opens real stores for tests and holds the conformance
// suites of the store interfaces the app declares itself (the inbox, the
// leases). New opens the embedded SQLite store, which is fast; ForEach runs
// a test against every store: SQLite, the MongoDB store over an in-process
// FerretDB (one connection), and a real MongoDB when MONGODB_URI is set.
//
// It imports FerretDB: import it only from _test.go files.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/store"
	"github.com/incidentbot/incidentbot/internal/store/mongo"
	"github.com/incidentbot/incidentbot/internal/store/mongo/ferrettest"
	"github.com/incidentbot/incidentbot/internal/store/sqlite"
)

// timeout bounds opening, closing and dropping a test store.
const timeout = 30 * time.Second

// New opens a fresh embedded (SQLite) store in a temporary directory and
// closes it when t ends.
func New(t testing.TB) *sqlite.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s, err := sqlite.Open(ctx, sqlite.Options{DataDir: t.TempDir(), Logger: discard.Logger()})
	if err != nil {
		t.Fatalf("storetest: open sqlite store: %v", err)
	}
	closeAtEnd(t, s)
	return s
}

// NewFerretDB opens the MongoDB store over a fresh in-process FerretDB, with
// the one connection FerretDB v1 needs, and closes both when t ends.
func NewFerretDB(t testing.TB) *mongo.Store {
	t.Helper()
	return openMongo(t, mongo.Options{URI: ferrettest.Start(t), MaxPoolSize: 1, Logger: discard.Logger()})
}

// NewMongoDB opens the MongoDB store on MONGODB_URI with a fresh database,
// dropped when t ends; it skips t when MONGODB_URI is unset.
func NewMongoDB(t testing.TB) *mongo.Store {
	t.Helper()
	uri := os.Getenv("MONGODB_URI")
	if uri == "" {
		t.Skip("MONGODB_URI is unset: no real MongoDB to test against")
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("storetest: random database name: %v", err)
	}
	db := "incidentbot_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() { dropDatabase(t, uri, db) })
	return openMongo(t, mongo.Options{URI: uri, Database: db, Logger: discard.Logger()})
}

func openMongo(t testing.TB, o mongo.Options) *mongo.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s, err := mongo.Open(ctx, o)
	if err != nil {
		t.Fatalf("storetest: open mongo store: %v", err)
	}
	closeAtEnd(t, s)
	return s
}

func closeAtEnd(t testing.TB, s interface{ Close(context.Context) error }) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("storetest: close store: %v", err)
		}
	})
}

// Backend names a store implementation and opens fresh instances of it.
type Backend struct {
	Name string
	Open func(t testing.TB) store.Store
}

// Backends are every store: SQLite, MongoDB over FerretDB, and a real
// MongoDB (which skips without MONGODB_URI).
var Backends = []Backend{
	{"sqlite", func(t testing.TB) store.Store { return New(t) }},
	{"ferretdb", func(t testing.TB) store.Store { return NewFerretDB(t) }},
	{"mongodb", func(t testing.TB) store.Store { return NewMongoDB(t) }},
}

// ForEach runs f as a parallel subtest of t for each backend.
func ForEach(t *testing.T, f func(t *testing.T, open func(t testing.TB) store.Store)) {
	for _, b := range Backends {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			f(t, b.Open)
		})
	}
}

func dropDatabase(t testing.TB, uri, db string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := mongodriver.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Errorf("storetest: connect to drop %s: %v", db, err)
		return
	}
	defer func() { _ = c.Disconnect(ctx) }()
	if err := c.Database(db).Drop(ctx); err != nil {
		t.Errorf("storetest: drop %s: %v", db, err)
	}
}
