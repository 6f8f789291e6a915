package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// storeDown is a service whose store cannot be written.
type storeDown struct{ Service }

func (s storeDown) AddNote(ctx context.Context, n int64, text, actor string) (*incidents.Incident, error) {
	return nil, fmt.Errorf("update incident #%d: store the change: %w: database is locked", n, incidents.ErrUnavailable)
}

// A command the store cannot take is answered plainly: nothing changed,
// try again.
func TestCommandWhileTheStoreIsDownSaysTryAgain(t *testing.T) {
	e := newEnv(t)
	_, ch := e.incident("U0001", "Checkout down")
	e.h.svc = storeDown{Service: e.svc}
	got := e.incidentCmd("U0002", ch, "note checking")
	if want := e.h.t("handler.unavailable", nil); got.Text != want || !strings.Contains(want, "try again") {
		t.Errorf("answer %q, want %q", got.Text, want)
	}
}

// Work that runs out of WorkTimeout (the store stuck behind a lock) still
// gets its answer to response_url: the delivery has its own time.
func TestLateAnswerAfterWorkTimeoutIsDelivered(t *testing.T) {
	e := newEnv(t, func(o *HandlerOptions) { o.AckBudget = 10 * time.Millisecond; o.WorkTimeout = 50 * time.Millisecond })
	_, ch := e.incident("U0001", "Checkout down")
	e.h.svc = slowService{Service: e.svc, delay: time.Minute}
	if got := e.incidentCmd("U0002", ch, "note stuck"); !strings.HasPrefix(got.Text, "Working on it") {
		t.Fatalf("answer = %+v, want Working on it…", got)
	}
	waitFor(t, "the late answer on response_url", func() bool { return len(e.responses()) > 0 })
	if r := e.lastResponse(); !strings.Contains(r.Text, "try again") {
		t.Errorf("late answer %q, want it to say try again", r.Text)
	}
}
