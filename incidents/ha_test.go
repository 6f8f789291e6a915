package incidents

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// An HA pair of Alertmanagers delivers every notification twice, within a
// second or so and in any order; the slower peer may deliver a firing after
// the other's resolution. The incident's final state follows the alerts'
// startsAt and endsAt, never the arrival order.

// permutations returns every order of 0..n-1.
func permutations(n int) [][]int {
	if n == 1 {
		return [][]int{{0}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

func resolvedAt(fp string, startsAt, endsAt time.Time) Alert {
	a := alert(fp, AlertResolved, startsAt)
	a.EndsAt = endsAt
	return a
}

func TestHAPairAnyOrderEndsInTheSameState(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 2, 50, 0, 0, time.UTC)
	t1 := t0.Add(3 * time.Minute)
	// a fires and resolves; b fires and keeps firing. Each peer sends both.
	notes := []Notification{
		notification("g", alert("a", AlertFiring, t0), alert("b", AlertFiring, t0)), // peer 1
		notification("g", alert("a", AlertFiring, t0), alert("b", AlertFiring, t0)), // peer 2
		notification("g", resolvedAt("a", t0, t1), alert("b", AlertFiring, t0)),     // peer 1
		notification("g", resolvedAt("a", t0, t1), alert("b", AlertFiring, t0)),     // peer 2
	}
	for _, order := range permutations(len(notes)) {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			f := newFixture(t, Options{AutoResolve: true, AutoResolveAfter: 15 * time.Minute})
			for _, i := range order {
				f.ingest(t, notes[i])
				f.clock.Advance(300 * time.Millisecond)
			}
			list, _ := f.svc.List(context.Background(), ListOptions{})
			if len(list) != 1 {
				t.Fatalf("incidents = %d, want 1", len(list))
			}
			inc := list[0]
			if inc.Alerts["a"].Firing() || !inc.Alerts["b"].Firing() || inc.FiringCount != 1 || inc.AlertCount != 2 {
				t.Errorf("a %s, b %s, firing %d of %d; want a resolved, b firing, 1 of 2",
					inc.Alerts["a"].Status, inc.Alerts["b"].Status, inc.FiringCount, inc.AlertCount)
			}
			types := f.timelineTypes(t, inc.Number)
			if fired, resolved := countType(types, EventAlertFired), countType(types, EventAlertResolved); fired != 2 || resolved != 1 {
				t.Errorf("fired %d, resolved %d events; want 2 and 1 (%v)", fired, resolved, types)
			}
		})
	}
}

// One alert, both peers, the resolutions possibly first of all: one
// incident, its alert resolved and its auto-resolve scheduled, in every order.
func TestHAPairResolvedBeforeFiring(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 2, 50, 0, 0, time.UTC)
	t1 := t0.Add(3 * time.Minute)
	notes := []Notification{
		notification("g", alert("a", AlertFiring, t0)),
		notification("g", alert("a", AlertFiring, t0)),
		notification("g", resolvedAt("a", t0, t1)),
		notification("g", resolvedAt("a", t0, t1)),
	}
	for _, order := range permutations(len(notes)) {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			f := newFixture(t, Options{AutoResolve: true, AutoResolveAfter: 15 * time.Minute})
			for _, i := range order {
				f.ingest(t, notes[i])
				f.clock.Advance(300 * time.Millisecond)
			}
			list, _ := f.svc.List(context.Background(), ListOptions{})
			if len(list) != 1 {
				t.Fatalf("incidents = %d, want 1", len(list))
			}
			inc := list[0]
			if a := inc.Alerts["a"]; a.Firing() || !a.EndsAt.Equal(t1) || inc.FiringCount != 0 || inc.AlertsClearAt.IsZero() {
				t.Errorf("alert %s ending %s, firing %d, clear at %v; want resolved at %s, 0, set", a.Status, a.EndsAt, inc.FiringCount, inc.AlertsClearAt, t1)
			}
			if n := len(f.tasks.ofKind(TaskAutoResolve)); n != 1 {
				t.Errorf("auto-resolve tasks = %d, want 1", n)
			}
			types := f.timelineTypes(t, inc.Number)
			if fired, resolved := countType(types, EventAlertFired), countType(types, EventAlertResolved); fired != 1 || resolved != 1 {
				t.Errorf("fired %d, resolved %d events; want 1 each (%v)", fired, resolved, types)
			}
		})
	}
}

// After the incident resolved, a stale firing re-sent by the slower peer
// neither reopens it nor opens another; the alert firing again later does.
func TestStaleFiringAfterResolveOpensNothing(t *testing.T) {
	f := newFixture(t, Options{AutoResolve: true, AutoResolveAfter: 15 * time.Minute})
	ctx := context.Background()
	t0 := f.clock.Now().Add(-time.Minute)
	t1 := f.clock.Now()
	first := f.ingest(t, notification("g", alert("a", AlertFiring, t0)))
	f.ingest(t, notification("g", resolvedAt("a", t0, t1)))
	f.clock.Advance(16 * time.Minute)
	if _, err := f.svc.AutoResolve(ctx, first); err != nil {
		t.Fatal(err)
	}
	if got := f.ingest(t, notification("g", alert("a", AlertFiring, t0))); got != first {
		t.Errorf("the stale firing went to #%d, want #%d", got, first)
	}
	inc, _ := f.svc.Get(ctx, first)
	if inc.Status != StatusResolved || inc.Alerts["a"].Firing() {
		t.Errorf("after the stale firing: %s, alert %s; want resolved, resolved", inc.Status, inc.Alerts["a"].Status)
	}
	again := f.ingest(t, notification("g", alert("a", AlertFiring, f.clock.Now())))
	if again == first || again == 0 {
		t.Errorf("firing again after its resolution went to #%d, want a new incident", again)
	}
}

// A late resolution of an earlier episode does not resolve the alert that
// fired again since.
func TestOldResolutionDoesNotResolveALaterFiring(t *testing.T) {
	f := newFixture(t, Options{AutoResolve: true})
	t0 := f.clock.Now().Add(-time.Hour)
	t1 := t0.Add(10 * time.Minute)
	t2 := t0.Add(30 * time.Minute)
	n := f.ingest(t, notification("g", alert("a", AlertFiring, t0)))
	f.ingest(t, notification("g", resolvedAt("a", t0, t1)))
	f.ingest(t, notification("g", alert("a", AlertFiring, t2)))
	f.ingest(t, notification("g", resolvedAt("a", t0, t1))) // the slow peer's
	inc, _ := f.svc.Get(context.Background(), n)
	if a := inc.Alerts["a"]; !a.Firing() || !a.StartsAt.Equal(t2) {
		t.Errorf("alert %s since %s, want firing since %s", a.Status, a.StartsAt, t2)
	}
}
