// Package storetest opens real stores for tests: the embedded FerretDB in a
// temporary directory, or, when MONGODB_URI is set, that MongoDB with a fresh
// database that is dropped when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/incidentbot/incidentbot/internal/store"
)

// timeout bounds opening, closing and dropping a test store.
const timeout = 30 * time.Second

// New opens a fresh store for t and closes it (dropping its database on
// MongoDB) when t ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s, err := store.Open(ctx, Options(t))
	if err != nil {
		t.Fatalf("storetest: open store: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("storetest: close store: %v", err)
		}
	})
	return s
}

// Options returns the options of a fresh store for t without opening it, so a
// test can open, close and reopen the same data: an embedded store in a new
// t.TempDir(), or MONGODB_URI with a unique database dropped when t ends.
func Options(t testing.TB) store.Options {
	t.Helper()
	o := store.Options{Logger: Logger()}
	uri := os.Getenv("MONGODB_URI")
	if uri == "" {
		o.DataDir = t.TempDir()
		return o
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("storetest: random database name: %v", err)
	}
	o.URI = uri
	o.Database = "incidentbot_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() { dropDatabase(t, uri, o.Database) })
	return o
}

// Logger returns a logger that discards everything.
func Logger() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return logrus.NewEntry(l)
}

func dropDatabase(t testing.TB, uri, db string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Errorf("storetest: connect to drop %s: %v", db, err)
		return
	}
	defer func() { _ = c.Disconnect(ctx) }()
	if err := c.Database(db).Drop(ctx); err != nil {
		t.Errorf("storetest: drop %s: %v", db, err)
	}
}
