package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/alertmanager"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/jobs"
)

// While another process holds the write lock past the busy timeout, every
// write fails as incidents.ErrUnavailable (callers answer 503 or "try
// again"), reads still answer, and writes work again once it lets go.
func TestWritesUnavailableWhileAnotherProcessHoldsTheLock(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	dir := t.TempDir()
	s, err := Open(ctx, Options{DataDir: dir, BusyTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	other, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	writes := map[string]func() error{
		"Commit": func() error {
			return s.Commit(ctx, &incidents.Change{Events: []incidents.Event{{ID: "1:x", Incident: 1, Type: incidents.EventNote, At: t0}}})
		},
		"AppendInbox": func() error {
			return s.AppendInbox(ctx, []alertmanager.InboxItem{{ID: "1", ReceivedAt: t0, Body: []byte("{}")}})
		},
		"Enqueue":  func() error { return s.Enqueue(ctx, jobs.Job{Key: "k", Kind: "k", RunAt: t0, CreatedAt: t0}) },
		"Claim":    func() error { _, err := s.Claim(ctx, "me", t0, time.Minute, jobs.AnyPriority); return err },
		"Complete": func() error { return s.Complete(ctx, "k", "me", t0) },
	}
	for name, write := range writes {
		if err := write(); !errors.Is(err, incidents.ErrUnavailable) {
			t.Errorf("%s while locked = %v, want ErrUnavailable", name, err)
		}
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping while locked: %v (reads go on in WAL mode)", err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Commit", "AppendInbox", "Enqueue"} {
		if err := writes[name](); err != nil {
			t.Errorf("%s after the lock was released: %v", name, err)
		}
	}
}
