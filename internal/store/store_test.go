package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/store"
	"github.com/incidentbot/incidentbot/internal/store/storetest"
)

func TestOpenChoosesTheStore(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s, err := store.Open(ctx, store.Options{DataDir: t.TempDir(), Logger: discard.Logger()})
	if err != nil {
		t.Fatalf("Open without a URI: %v", err)
	}
	defer s.Close(ctx)
	if !s.Embedded() {
		t.Error("Embedded() = false without a URI, want the embedded store")
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if m := storetest.NewFerretDB(t); m.Embedded() {
		t.Error("the MongoDB store says it is embedded")
	}
}

func TestOpenBadURIFails(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := store.Open(ctx, store.Options{URI: "mongodb://user:s3cret@127.0.0.1:1/?serverSelectionTimeoutMS=500", Logger: discard.Logger()})
	if err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error leaks the password: %v", err)
	}
}
