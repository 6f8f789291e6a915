// Package maintenancetest is the conformance suite of maintenance.Store:
// the same tests run against every store.
package maintenancetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/maintenance"
)

// Run runs the suite; open returns a new, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) maintenance.Store) {
	tests := []struct {
		name string
		f    func(t *testing.T, s maintenance.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"DuplicateID", testDuplicate},
		{"Remove", testRemove},
		{"EndsAfterAndOrder", testList},
		{"ConcurrentAdds", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.f(t, open(t))
		})
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var (
	t0     = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	almaty = time.FixedZone("Asia/Almaty", 5*3600)
)

func full(id string) maintenance.Window {
	return maintenance.Window{
		ID: id, Matchers: []string{`service="checkout"`, `env=~"prod|staging"`, `"dotted.name"!="x y"`},
		From: t0.Add(time.Hour).In(almaty), To: t0.Add(3 * time.Hour).In(almaty), Reason: "DB upgrade <v16> & vacuum",
		CreatedBy: "U0001", CreatedAt: t0.In(almaty), Silences: []string{"11111111-2222-4333-8444-555555555555", "second"},
	}
}

func utc(w maintenance.Window) maintenance.Window {
	w.From, w.To, w.CreatedAt = w.From.UTC(), w.To.UTC(), w.CreatedAt.UTC()
	return w
}

func testRoundTrip(t *testing.T, s maintenance.Store) {
	ctx := testCtx(t)
	w := full("a1b2c3")
	added, err := s.AddWindow(ctx, w)
	if err != nil || !added {
		t.Fatalf("AddWindow = %v, %v; want added", added, err)
	}
	r := maintenance.Window{ID: "db-patching-202611280200", Service: "checkout", From: t0, To: t0.Add(time.Hour), Recurring: "db-patching"}
	if _, err := s.AddWindow(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.Windows(ctx, t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []maintenance.Window{r, utc(w)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Windows:\ngot  %+v\nwant %+v", got, want)
	}
}

func testDuplicate(t *testing.T, s maintenance.Store) {
	ctx := testCtx(t)
	if _, err := s.AddWindow(ctx, full("dup")); err != nil {
		t.Fatal(err)
	}
	other := full("dup")
	other.Reason = "other"
	added, err := s.AddWindow(ctx, other)
	if err != nil || added {
		t.Fatalf("AddWindow of a stored ID = %v, %v; want not added", added, err)
	}
	got, _ := s.Windows(ctx, t0)
	if len(got) != 1 || got[0].Reason != full("dup").Reason {
		t.Errorf("after a duplicate add: %+v; want the first kept", got)
	}
}

func testRemove(t *testing.T, s maintenance.Store) {
	ctx := testCtx(t)
	if _, err := s.AddWindow(ctx, full("rm")); err != nil {
		t.Fatal(err)
	}
	got, err := s.RemoveWindow(ctx, "rm")
	if err != nil || !reflect.DeepEqual(got, utc(full("rm"))) {
		t.Fatalf("RemoveWindow = %+v, %v", got, err)
	}
	if _, err := s.RemoveWindow(ctx, "rm"); !errors.Is(err, maintenance.ErrNotFound) {
		t.Errorf("removing it again: %v, want ErrNotFound", err)
	}
	if left, _ := s.Windows(ctx, time.Time{}); len(left) != 0 {
		t.Errorf("left after remove: %+v", left)
	}
}

func testList(t *testing.T, s maintenance.Store) {
	ctx := testCtx(t)
	mk := func(id string, from, to time.Duration) maintenance.Window {
		return maintenance.Window{ID: id, Service: "s", From: t0.Add(from), To: t0.Add(to)}
	}
	for _, w := range []maintenance.Window{mk("b", time.Hour, 2*time.Hour), mk("a", time.Hour, 3*time.Hour), mk("old", -3*time.Hour, -time.Hour),
		mk("c", 0, time.Hour), mk("edge", -time.Hour, 0)} {
		if _, err := s.AddWindow(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Windows(ctx, t0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, w := range got {
		ids = append(ids, w.ID)
	}
	if fmt.Sprint(ids) != "[c a b]" {
		t.Errorf("windows ending after t0 = %v, want [c a b] (by start, then ID; one ending at t0 is over)", ids)
	}
}

func testConcurrent(t *testing.T, s maintenance.Store) {
	ctx := testCtx(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	added := 0
	for range 8 {
		wg.Go(func() {
			ok, err := s.AddWindow(ctx, full("race"))
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				added++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if added != 1 {
		t.Errorf("8 concurrent adds of one ID: %d added, want 1", added)
	}
}
