package incidentstest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// The paged reads of big incidents. Kept to a few hundred rows: FerretDB,
// where the MongoDB store's tests run, reads every document of a
// collection for each query.

// testAlertsPage pages through 250 alerts of one incident beside another's,
// by fingerprint, and checks each page's contents and cursor.
func testAlertsPage(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	a := func(i int, status string) incidents.Alert {
		return incidents.Alert{Fingerprint: fmt.Sprintf("fp%04d", i), Status: status,
			StartsAt: at(i % 60).In(almaty), Labels: map[string]string{"alertname": fmt.Sprint("A", i)}}
	}
	var put []incidents.IncidentAlert
	for i := 250; i > 0; i-- { // written in reverse: the order is the store's
		put = append(put, incidents.IncidentAlert{Incident: 12, Alert: a(i, incidents.AlertFiring)})
	}
	// Another incident's alerts sort before and after incident 12's in a
	// string key ("1/…", "12/…", "120/…", "2/…").
	for _, n := range []int64{1, 2, 120, 121} {
		put = append(put, incidents.IncidentAlert{Incident: n, Alert: a(1, incidents.AlertFiring)})
	}
	if err := s.Commit(ctx, &incidents.Change{Alerts: put}); err != nil {
		t.Fatal(err)
	}
	// A later change of an alert: paging shows the stored state.
	if err := s.Commit(ctx, &incidents.Change{Alerts: []incidents.IncidentAlert{{Incident: 12, Alert: a(7, incidents.AlertResolved)}}}); err != nil {
		t.Fatal(err)
	}

	var got []incidents.Alert
	after, pages := "", 0
	for range 10 { // bounded: 3 pages expected
		page, next, err := s.AlertsPage(ctx, 12, after, 100)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page) > 100 {
			t.Fatalf("page %d has %d alerts, limit 100", pages, len(page))
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		if next != page[len(page)-1].Fingerprint {
			t.Errorf("page %d: next = %q, want its last fingerprint %q", pages, next, page[len(page)-1].Fingerprint)
		}
		after = next
	}
	if pages != 3 || len(got) != 250 {
		t.Fatalf("%d alerts in %d pages, want 250 in 3", len(got), pages)
	}
	for i, al := range got {
		want := a(i+1, incidents.AlertFiring)
		if i+1 == 7 {
			want.Status = incidents.AlertResolved
		}
		want.StartsAt = want.StartsAt.UTC()
		if !reflect.DeepEqual(al, want) {
			t.Fatalf("alert %d = %+v, want %+v", i, al, want)
		}
	}

	// A page that ends exactly at the last alert has no next.
	page, next, err := s.AlertsPage(ctx, 12, "fp0200", 50)
	if err != nil || len(page) != 50 || next != "" {
		t.Errorf("the last 50 = %d alerts, next %q, %v; want 50, no next", len(page), next, err)
	}
	// A cursor between fingerprints, and beyond the last.
	if page, _, _ := s.AlertsPage(ctx, 12, "fp0009x", 1); len(page) != 1 || page[0].Fingerprint != "fp0010" {
		t.Errorf("after fp0009x = %v, want fp0010", page)
	}
	if page, next, err := s.AlertsPage(ctx, 12, "zz", 10); err != nil || len(page) != 0 || next != "" {
		t.Errorf("after the last = %v, %q, %v; want nothing", page, next, err)
	}
	if page, next, err := s.AlertsPage(ctx, 99, "", 10); err != nil || len(page) != 0 || next != "" {
		t.Errorf("an incident without alerts = %v, %q, %v; want nothing", page, next, err)
	}
	if page, _, _ := s.AlertsPage(ctx, 1, "", 10); len(page) != 1 {
		t.Errorf("incident 1 has %d alerts, want 1 (not incident 12's or 120's)", len(page))
	}
}

// testTimelinePage pages through a timeline forward and back, with events
// that share a time (ordered by ID), beside another incident's events.
func testTimelinePage(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	// 230 events: every minute has three events (IDs out of order with
	// their writing), so cursors fall inside runs of equal times.
	ev := func(i int) incidents.Event {
		return incidents.Event{ID: fmt.Sprintf("5:e%03d", i), Incident: 5, Type: incidents.EventNote,
			At: at(0).Add(time.Duration(i/3) * time.Minute).In(almaty), Text: fmt.Sprint("event ", i)}
	}
	var all []incidents.Event
	for i := range 230 {
		all = append(all, ev(229-i))
	}
	if err := appendEvents(ctx, s, all...); err != nil {
		t.Fatal(err)
	}
	if err := appendEvents(ctx, s, incidents.Event{ID: "6:x", Incident: 6, Type: incidents.EventNote, At: at(1), Text: "other"},
		incidents.Event{ID: "4:x", Incident: 4, Type: incidents.EventNote, At: at(1), Text: "other"}); err != nil {
		t.Fatal(err)
	}
	ids := func(evs []incidents.Event) []string {
		out := make([]string, len(evs))
		for i, e := range evs {
			out[i] = e.ID
		}
		return out
	}
	wantIDs := func(from, to int) []string { // events from..to-1, oldest first
		var out []string
		for i := from; i < to; i++ {
			out = append(out, ev(i).ID)
		}
		return out
	}

	// Forward: 100, 100, 30.
	var cur incidents.Cursor
	for i, want := range [][2]int{{0, 100}, {100, 200}, {200, 230}} {
		page, next, err := s.TimelinePage(ctx, 5, cur, 100)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(page); !reflect.DeepEqual(got, wantIDs(want[0], want[1])) {
			t.Fatalf("forward page %d = %v…, want events %d–%d", i, got[:min(3, len(got))], want[0], want[1]-1)
		}
		if want[1] == 230 {
			if !next.IsZero() {
				t.Errorf("the last forward page has next %+v, want none", next)
			}
			break
		}
		if next.IsZero() || next.Back || next.ID != page[len(page)-1].ID || !next.At.Equal(page[len(page)-1].At) {
			t.Fatalf("forward page %d: next = %+v, want after its last event", i, next)
		}
		cur = next
	}

	// Back from the end: 100, 100, 30.
	cur = incidents.Cursor{Back: true}
	for i, want := range [][2]int{{130, 230}, {30, 130}, {0, 30}} {
		page, next, err := s.TimelinePage(ctx, 5, cur, 100)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(page); !reflect.DeepEqual(got, wantIDs(want[0], want[1])) {
			t.Fatalf("back page %d = %v…, want events %d–%d oldest first", i, got[:min(3, len(got))], want[0], want[1]-1)
		}
		if want[0] == 0 {
			if !next.IsZero() {
				t.Errorf("the first back page has next %+v, want none", next)
			}
			break
		}
		if !next.Back || next.ID != page[0].ID {
			t.Fatalf("back page %d: next = %+v, want before its first event", i, next)
		}
		cur = next
	}

	// Back from the middle of a run of equal times, then forward again:
	// what the "older" and "newer" links of a page do.
	mid := ev(100)
	page, _, err := s.TimelinePage(ctx, 5, incidents.Cursor{At: mid.At, ID: mid.ID, Back: true}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(page); !reflect.DeepEqual(got, wantIDs(95, 100)) {
		t.Errorf("5 before event 100 = %v, want events 95–99", got)
	}
	page, _, _ = s.TimelinePage(ctx, 5, incidents.Cursor{At: mid.At, ID: mid.ID}, 2)
	if got := ids(page); !reflect.DeepEqual(got, wantIDs(101, 103)) {
		t.Errorf("2 after event 100 = %v, want events 101–102", got)
	}
	// Events come whole, times in UTC.
	page, _, _ = s.TimelinePage(ctx, 5, incidents.Cursor{}, 1)
	if len(page) != 1 || page[0].Text != "event 0" || page[0].Seq == 0 || page[0].Hash == "" {
		t.Errorf("first event = %+v, want event 0 with its place in the chain", page)
	}
	checkUTC(t, page)

	if page, next, err := s.TimelinePage(ctx, 7, incidents.Cursor{}, 10); err != nil || len(page) != 0 || !next.IsZero() {
		t.Errorf("an empty timeline = %v, %+v, %v; want nothing", page, next, err)
	}
	if page, _, _ := s.TimelinePage(ctx, 6, incidents.Cursor{Back: true}, 10); len(page) != 1 || page[0].ID != "6:x" {
		t.Errorf("incident 6 = %v, want its one event", ids(page))
	}
}

// testCountOpen counts open incidents by severity, following changes.
func testCountOpen(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	if got, err := s.CountOpen(ctx); err != nil || len(got) != 0 {
		t.Fatalf("CountOpen of an empty store = %v, %v; want nothing", got, err)
	}
	inc := func(n int64, sev string, st incidents.Status) *incidents.Incident {
		return &incidents.Incident{Number: n, Title: "t", Severity: sev, Status: st, DeclaredAt: at(int(n))}
	}
	for _, i := range []*incidents.Incident{
		inc(1, "sev1", incidents.StatusTriggered), inc(2, "sev1", incidents.StatusInvestigating),
		inc(3, "sev2", incidents.StatusResolved), inc(4, "sev3", incidents.StatusReopened),
		inc(5, "sev2", incidents.StatusMonitoring), inc(6, "sev4", incidents.StatusResolved),
	} {
		if err := create(ctx, s, i); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int{"sev1": 2, "sev2": 1, "sev3": 1}
	if got, err := s.CountOpen(ctx); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("CountOpen = %v, %v; want %v", got, err, want)
	}
	// Resolve #1, raise #5 to sev1, reopen #6.
	changes := []*incidents.Incident{inc(1, "sev1", incidents.StatusResolved), inc(5, "sev1", incidents.StatusMonitoring), inc(6, "sev4", incidents.StatusReopened)}
	for _, c := range changes {
		if err := update(ctx, s, c); err != nil {
			t.Fatal(err)
		}
	}
	want = map[string]int{"sev1": 2, "sev3": 1, "sev4": 1}
	if got, err := s.CountOpen(ctx); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("CountOpen after changes = %v, %v; want %v", got, err, want)
	}
}
