package incidentstest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// A change whose update is stale writes nothing: not its new incident, not
// its events, alerts, groups or storm state, and the counter stays.
func testCommitAllOrNothing(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	if err := create(ctx, s, &incidents.Incident{Number: 1, Title: "old", Status: incidents.StatusTriggered}); err != nil {
		t.Fatal(err)
	}
	if err := update(ctx, s, &incidents.Incident{Number: 1, Title: "moved on", Version: 0}); err != nil {
		t.Fatal(err)
	}
	st := incidents.StormState{Incident: 2, Opened: []time.Time{at(1)}}
	c := &incidents.Change{
		At:      at(2),
		Counter: incidents.Counter{From: 0, To: 2},
		Create:  []*incidents.Incident{{Number: 2, Title: "new", Status: incidents.StatusTriggered}},
		Update:  []*incidents.Incident{{Number: 1, Title: "stale", Version: 0}},
		Events:  []incidents.Event{{ID: "2:declared", Incident: 2, Type: incidents.EventDeclared, At: at(2), Text: "x"}},
		Alerts:  []incidents.IncidentAlert{{Incident: 2, Alert: incidents.Alert{Fingerprint: "f", Status: incidents.AlertFiring, StartsAt: at(1)}}},
		Groups:  []incidents.Group{{Key: "g", Incident: 2}},
		Storm:   &st,
	}
	if err := s.Commit(ctx, c); !errors.Is(err, incidents.ErrConflict) {
		t.Fatalf("Commit with a stale update = %v, want ErrConflict", err)
	}
	if _, err := s.GetIncident(ctx, 2); !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("the new incident of a failed commit: %v, want ErrNotFound", err)
	}
	if evs, _ := s.Timeline(ctx, 2); len(evs) != 0 {
		t.Errorf("events of a failed commit were stored: %v", evs)
	}
	if got, _ := s.GetAlerts(ctx, 2, []string{"f"}); len(got) != 0 {
		t.Errorf("alerts of a failed commit were stored: %v", got)
	}
	if _, err := s.GetGroup(ctx, "g"); !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("the group of a failed commit: %v, want ErrNotFound", err)
	}
	if got, _ := s.GetStorm(ctx); got.Incident != 0 {
		t.Errorf("the storm state of a failed commit was stored: %+v", got)
	}
	if n, _ := s.LastNumber(ctx); n != 0 {
		t.Errorf("counter after a failed commit = %d, want 0", n)
	}
	if inc, _ := s.GetIncident(ctx, 1); inc.Title != "moved on" || inc.Version != 1 {
		t.Errorf("#1 after a failed commit: %q v%d, want %q v1", inc.Title, inc.Version, "moved on")
	}

	// The same change at the right version commits whole.
	c.Update[0].Version = 1
	if err := s.Commit(ctx, c); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if c.Update[0].Version != 2 {
		t.Errorf("updated Version = %d, want 2", c.Update[0].Version)
	}
	if inc, err := s.GetIncident(ctx, 2); err != nil || inc.Title != "new" {
		t.Errorf("new incident: %+v, %v", inc, err)
	}
	if evs, _ := s.Timeline(ctx, 2); len(evs) != 1 {
		t.Errorf("events = %d, want 1", len(evs))
	}
	if got, _ := s.GetAlerts(ctx, 2, []string{"f"}); len(got) != 1 {
		t.Errorf("alerts = %v, want f", got)
	}
	if g, err := s.GetGroup(ctx, "g"); err != nil || g.Incident != 2 {
		t.Errorf("group = %+v, %v", g, err)
	}
	if got, _ := s.GetStorm(ctx); got.Incident != 2 {
		t.Errorf("storm = %+v", got)
	}
	if n, _ := s.LastNumber(ctx); n != 2 {
		t.Errorf("counter = %d, want 2", n)
	}
}

// The counter moves only from where the change read it; a taken number
// fails the whole change.
func testCommitCounter(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	if n, err := s.LastNumber(ctx); err != nil || n != 0 {
		t.Fatalf("LastNumber of an empty store = %d, %v", n, err)
	}
	if err := s.Commit(ctx, &incidents.Change{Counter: incidents.Counter{From: 0, To: 3}}); err != nil {
		t.Fatal(err)
	}
	err := s.Commit(ctx, &incidents.Change{Counter: incidents.Counter{From: 0, To: 1},
		Create: []*incidents.Incident{{Number: 1, Title: "late"}}})
	if !errors.Is(err, incidents.ErrConflict) {
		t.Fatalf("Commit from a stale counter = %v, want ErrConflict", err)
	}
	if _, err := s.GetIncident(ctx, 1); !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("incident of a stale counter commit: %v", err)
	}
	if err := create(ctx, s, &incidents.Incident{Number: 3, Title: "three"}); err != nil {
		t.Fatal(err)
	}
	err = s.Commit(ctx, &incidents.Change{Counter: incidents.Counter{From: 3, To: 4},
		Create: []*incidents.Incident{{Number: 3, Title: "taken"}}})
	if !errors.Is(err, incidents.ErrExists) {
		t.Fatalf("Commit creating a taken number = %v, want ErrExists", err)
	}
	if n, _ := s.LastNumber(ctx); n != 3 && atomic(s) {
		t.Errorf("counter after a failed create = %d, want 3", n)
	}
}

func testCommitUpdateMissing(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	err := update(ctx, s, &incidents.Incident{Number: 99})
	if !errors.Is(err, incidents.ErrNotFound) || errors.Is(err, incidents.ErrConflict) {
		t.Errorf("update of a missing incident = %v, want ErrNotFound", err)
	}
}

// Each new event gets the next Seq of its incident and the chain's hash;
// a re-sent event takes neither.
func testChain(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	ev := func(id string, n int64, minute int) incidents.Event {
		return incidents.Event{ID: id, Incident: n, Type: incidents.EventNote, At: at(minute), Actor: "U1", Text: id,
			Fields: map[string]string{"k": id}}
	}
	batches := [][]incidents.Event{
		{ev("a", 1, 5), ev("b", 1, 1), ev("x", 2, 1)},
		{ev("a", 1, 5), ev("c", 1, 3)},
		{ev("d", 1, 0)},
	}
	for _, b := range batches {
		if err := appendEvents(ctx, s, b...); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Timeline(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	bySeq := make([]incidents.Event, len(got))
	for _, e := range got {
		if e.Seq < 1 || int(e.Seq) > len(got) || bySeq[e.Seq-1].ID != "" {
			t.Fatalf("event %s has Seq %d; want each of 1..%d once", e.ID, e.Seq, len(got))
		}
		bySeq[e.Seq-1] = e
	}
	prev := incidents.ChainGenesis(1)
	for i, want := range []string{"a", "b", "c", "d"} {
		e := bySeq[i]
		if e.ID != want {
			t.Errorf("Seq %d is %s, want %s (the order written)", i+1, e.ID, want)
		}
		if wantHash := incidents.ChainHash(prev, e); e.Hash != wantHash {
			t.Errorf("event %s: Hash %q, want %q", e.ID, e.Hash, wantHash)
		}
		prev = e.Hash
	}
	chain, err := s.TimelineChain(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := incidents.VerifyChain(1, chain); err != nil || n != 4 {
		t.Errorf("VerifyChain of TimelineChain = %d, %v; want 4 events, intact", n, err)
	}
	other, _ := s.Timeline(ctx, 2)
	if len(other) != 1 || other[0].Seq != 1 {
		t.Errorf("incident 2's chain: %+v, want one event at Seq 1", other)
	}
}

// Writers appending to one incident at once leave one gapless chain.
func testChainConcurrent(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	const writers, each = 4, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e := incidents.Event{ID: fmt.Sprintf("w%d-%d", w, i), Incident: 1, Type: incidents.EventNote, At: at(i), Text: "x"}
				if err := appendEvents(ctx, s, e); err != nil {
					t.Errorf("append: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err := s.Timeline(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, e := range got {
		seen[e.Seq] = true
	}
	if len(got) != writers*each || len(seen) != writers*each || seen[0] || seen[writers*each+1] {
		t.Errorf("%d events with %d distinct Seqs; want %d, numbered 1..%d", len(got), len(seen), writers*each, writers*each)
	}
}

func testAlerts(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	a := func(fp, status string) incidents.Alert {
		return incidents.Alert{Fingerprint: fp, Status: status, StartsAt: at(1).In(almaty), EndsAt: at(9).In(almaty),
			Labels: map[string]string{"alertname": "X", "pod.name": "p"}, Annotations: map[string]string{"summary": "s"},
			GeneratorURL: "http://g", GroupKey: "gk"}
	}
	var put []incidents.IncidentAlert
	for i := range 120 {
		put = append(put, incidents.IncidentAlert{Incident: 1, Alert: a(fmt.Sprintf("fp%03d", i), incidents.AlertFiring)})
	}
	put = append(put, incidents.IncidentAlert{Incident: 2, Alert: a("fp001", incidents.AlertFiring)})
	if err := s.Commit(ctx, &incidents.Change{Alerts: put}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, &incidents.Change{Alerts: []incidents.IncidentAlert{{Incident: 1, Alert: a("fp001", incidents.AlertResolved)}}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetAlerts(ctx, 1, []string{"fp001", "fp119", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]incidents.Alert{"fp001": a("fp001", incidents.AlertResolved), "fp119": a("fp119", incidents.AlertFiring)}
	for k, v := range want {
		v.StartsAt, v.EndsAt = v.StartsAt.UTC(), v.EndsAt.UTC()
		want[k] = v
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetAlerts:\ngot  %+v\nwant %+v", got, want)
	}
	if got, _ := s.GetAlerts(ctx, 3, []string{"fp001"}); len(got) != 0 {
		t.Errorf("alerts of another incident: %v", got)
	}
}
