package incidents

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

type recorder struct {
	mu  sync.Mutex
	log []string
}

func (r *recorder) IncidentChanged(before, after *Incident) {
	r.mu.Lock()
	defer r.mu.Unlock()
	from := "new"
	if before != nil {
		from = string(before.Status)
	}
	r.log = append(r.log, fmt.Sprintf("#%d %s→%s", after.Number, from, after.Status))
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.log, ", ")
}

// The observer hears each stored change once, with the state before it;
// a batch is heard at its flush, not step by step.
func TestObserverHearsStoredChanges(t *testing.T) {
	rec := &recorder{}
	f := newFixture(t, Options{Observer: rec})
	ctx := context.Background()
	inc, err := f.svc.Declare(ctx, DeclareRequest{Title: "DB down", Actor: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetStatus(ctx, inc.Number, StatusIdentified, "U1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetStatus(ctx, inc.Number, StatusIdentified, "U1"); err == nil {
		t.Fatal("setting the same status twice succeeded")
	}
	if _, err := f.svc.Resolve(ctx, inc.Number, "", "U1"); err != nil {
		t.Fatal(err)
	}
	t0 := f.clock.Now()
	if err := f.svc.IngestBatch(ctx, []Notification{
		notification("g", alert("a", AlertFiring, t0)),
		notification("g", alert("b", AlertFiring, t0)),
	}); err != nil {
		t.Fatal(err)
	}
	want := "#1 new→investigating, #1 investigating→identified, #1 identified→resolved, #2 new→triggered"
	if got := rec.String(); got != want {
		t.Errorf("heard %q, want %q", got, want)
	}
	if err := f.svc.IngestBatch(ctx, []Notification{notification("g", alert("a", AlertResolved, t0))}); err != nil {
		t.Fatal(err)
	}
	if got := rec.String(); !strings.HasSuffix(got, "#2 new→triggered, #2 triggered→triggered") {
		t.Errorf("a batch update heard as %q, want it last with its state before", got)
	}
}
