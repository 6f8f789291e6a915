package incidents

import (
	"context"
	"testing"
	"time"
)

func TestFindAndLinkPrevious(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	now := f.clock.Now()
	if _, err := f.svc.IngestAlerts(ctx, notification("g1", alert("a1", AlertFiring, now))); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	other := notification("g2", Alert{Fingerprint: "b1", Status: AlertFiring, StartsAt: now, Labels: map[string]string{"alertname": "DiskFull"}})
	if _, err := f.svc.IngestAlerts(ctx, other); err != nil {
		t.Fatal(err)
	}
	third := notification("g3", Alert{Fingerprint: "c1", Status: AlertFiring, StartsAt: now, Labels: map[string]string{"alertname": "HighLatency"}})
	if _, err := f.svc.IngestAlerts(ctx, third); err != nil {
		t.Fatal(err)
	}
	list, _ := f.svc.List(ctx, ListOptions{})
	if len(list) != 3 {
		t.Fatalf("incidents = %d, want 3", len(list))
	}
	newest := list[0]
	prev, err := f.svc.FindPrevious(ctx, newest, 100)
	if err != nil || prev != list[2].Number {
		t.Fatalf("FindPrevious(#%d) = %d, %v; want #%d (same alert name, another group)", newest.Number, prev, err, list[2].Number)
	}
	if p, _ := f.svc.FindPrevious(ctx, list[1], 100); p != 0 {
		t.Errorf("DiskFull has no earlier incident, got #%d", p)
	}
	got, err := f.svc.LinkPrevious(ctx, newest.Number, prev)
	if err != nil || got.Previous != prev {
		t.Fatalf("LinkPrevious: %+v, %v", got, err)
	}
	if got, _ := f.svc.LinkPrevious(ctx, newest.Number, list[1].Number); got.Previous != prev {
		t.Errorf("a second link replaced the first: %d", got.Previous)
	}
}
