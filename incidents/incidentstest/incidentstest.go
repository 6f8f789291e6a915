// Package incidentstest is the conformance suite of incidents.Store: the
// same tests run against the test fake in package incidents, the SQLite store
// and the MongoDB store, so that none of them drifts from the contract. It
// imports the standard library and incidents only.
package incidentstest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// Run runs the suite; open returns a new, empty store for each subtest.
// Stores must keep times to at least the millisecond and return them in UTC.
func Run(t *testing.T, open func(t *testing.T) incidents.Store) {
	tests := []struct {
		name string
		f    func(t *testing.T, s incidents.Store)
	}{
		{"IncidentRoundTrip", testIncidentRoundTrip},
		{"CreateIncidentExists", testCreateIncidentExists},
		{"NextNumberSequence", testNextNumberSequence},
		{"NextNumberConcurrent", testNextNumberConcurrent},
		{"UpdateIncident", testUpdateIncident},
		{"UpdateIncidentConcurrent", testUpdateIncidentConcurrent},
		{"ListIncidents", testListIncidents},
		{"ListFilters", testListFilters},
		{"ListOpenActionsAmongMany", testListOpenActionsAmongMany},
		{"ListFiltersFollowUpdates", testListFiltersFollowUpdates},
		{"Events", testEvents},
		{"Groups", testGroups},
		{"Storm", testStorm},
		{"GetIncidentNotFound", testGetIncidentNotFound},
		{"FullIncidentSetsEveryField", testFullIncidentSetsEveryField},
		{"LongTimeline", testLongTimeline},
		{"AppendEventsConcurrent", testAppendEventsConcurrent},
		{"CreateIncidentConcurrent", testCreateIncidentConcurrent},
		{"CommitAllOrNothing", testCommitAllOrNothing},
		{"CommitCounter", testCommitCounter},
		{"CommitUpdateMissing", testCommitUpdateMissing},
		{"Chain", testChain},
		{"ChainConcurrent", testChainConcurrent},
		{"Alerts", testAlerts},
		{"AlertsPage", testAlertsPage},
		{"TimelinePage", testTimelinePage},
		{"CountOpen", testCountOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.f(t, open(t))
		})
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// almaty is a fixed +05:00 zone: input times are given in it to check that
// they come back in UTC.
var almaty = time.FixedZone("Asia/Almaty", 5*3600)

// at returns a UTC time with millisecond precision, the least a store keeps.
func at(minute int) time.Time {
	return time.Date(2026, 3, 14, 9, minute, 7, 123_000_000, time.UTC)
}

func ptr(t time.Time) *time.Time { return &t }

// fullIncident sets every field; times are in zone.
func fullIncident(n int64, zone *time.Location) *incidents.Incident {
	return &incidents.Incident{
		Number:           n,
		Version:          0,
		Title:            "Payments API 5xx",
		Description:      "Error rate above 5% on <pay>",
		Severity:         "sev1",
		Status:           incidents.StatusResolved,
		Commander:        "U0001",
		Roles:            map[string]string{"comms": "U0002", "scribe.lead": "U0003", "$boss": "U0004", "100%": "U0005"},
		Labels:           map[string]string{"alertname": "HighErrorRate", "service.name": "payments", "k8s.pod.name": "pay-1"},
		GroupLabels:      map[string]string{"alertname": "HighErrorRate", "service.name": "payments"},
		Service:          "payments",
		EscalationPolicy: "default",
		GroupKey:         `{}/{severity="critical"}:{alertname="HighErrorRate"}`,
		Alerts: map[string]incidents.Alert{
			"a1b2c3d4e5f60718": {
				Fingerprint:  "a1b2c3d4e5f60718",
				Status:       incidents.AlertFiring,
				Labels:       map[string]string{"alertname": "HighErrorRate", "service.name": "payments"},
				Annotations:  map[string]string{"summary": "5xx > 5%", "runbook.url": "https://wiki/runbook"},
				StartsAt:     at(1).In(zone),
				EndsAt:       at(59).In(zone), // Alertmanager sends a future end for firing alerts
				GeneratorURL: "http://prometheus/graph?g0.expr=x",
				GroupKey:     "gk",
			},
			"0f0e0d0c0b0a0908": {
				Fingerprint: "0f0e0d0c0b0a0908",
				Status:      incidents.AlertResolved,
				StartsAt:    at(2).In(zone),
				EndsAt:      at(9).In(zone),
			},
		},
		AlertCount:  250, // more than the two carried inline
		FiringCount: 120,
		Storm:       true,
		StormGroups: 3,
		Previous:    n - 1,
		DeclaredBy:  "U0009",
		Summary:     "Rolled back release 42",
		Actions: []incidents.Action{
			{ID: 1, Text: "Add alert on queue depth", Owner: "U0002", Done: true, At: at(20).In(zone), Due: at(30).In(zone), DoneAt: at(25).In(zone)},
			{ID: 2, Text: "Postmortem", At: at(21).In(zone)},
		},
		DetectedAt:     at(1).In(zone),
		DeclaredAt:     at(3).In(zone),
		AcknowledgedAt: ptr(at(4).In(zone)),
		MitigatedAt:    ptr(at(10).In(zone)),
		ResolvedAt:     ptr(at(15).In(zone)),
		UpdatedAt:      at(15).In(zone),
		StatusAt:       at(15).In(zone),
		AlertsClearAt:  at(9).In(zone),
	}
}

// checkUTC fails for any time.Time reachable from v (fields, pointers, maps,
// slices) that is not in UTC.
func checkUTC(t *testing.T, v any) {
	t.Helper()
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(path, v.Elem())
			}
		case reflect.Struct:
			if tm, ok := v.Interface().(time.Time); ok {
				if tm.Location() != time.UTC {
					t.Errorf("%s = %v in %v, want UTC", path, tm, tm.Location())
				}
				return
			}
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(path+"."+v.Type().Field(i).Name, v.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(fmt.Sprintf("%s[%d]", path, i), v.Index(i))
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(fmt.Sprintf("%s[%v]", path, k), v.MapIndex(k))
			}
		}
	}
	walk("", reflect.ValueOf(v))
}

func testIncidentRoundTrip(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)

	if err := create(ctx, s, fullIncident(7, almaty)); err != nil {
		t.Fatalf("CreateIncident: %v", err)
	}
	got, err := s.GetIncident(ctx, 7)
	if err != nil {
		t.Fatalf("GetIncident: %v", err)
	}
	want := fullIncident(7, time.UTC)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip differs:\ngot  %+v\nwant %+v", got, want)
	}
	checkUTC(t, got)

	// The zero-valued optional fields come back zero (nil pointers, nil maps).
	min := &incidents.Incident{Number: 8, Title: "t", Severity: "sev4", Status: incidents.StatusTriggered, DeclaredAt: at(0)}
	if err := create(ctx, s, min); err != nil {
		t.Fatalf("CreateIncident minimal: %v", err)
	}
	got, err = s.GetIncident(ctx, 8)
	if err != nil {
		t.Fatalf("GetIncident minimal: %v", err)
	}
	if !reflect.DeepEqual(got, min) {
		t.Errorf("minimal round trip differs:\ngot  %+v\nwant %+v", got, min)
	}
}

func testCreateIncidentExists(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	if err := create(ctx, s, &incidents.Incident{Number: 1, Title: "first"}); err != nil {
		t.Fatal(err)
	}
	err := create(ctx, s, &incidents.Incident{Number: 1, Title: "second"})
	if !errors.Is(err, incidents.ErrExists) {
		t.Fatalf("CreateIncident of a taken number = %v, want ErrExists", err)
	}
	got, _ := s.GetIncident(ctx, 1)
	if got.Title != "first" {
		t.Errorf("Title = %q, want the first incident kept", got.Title)
	}
}

func testGetIncidentNotFound(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	_, err := s.GetIncident(ctx, 404)
	if !errors.Is(err, incidents.ErrNotFound) {
		t.Fatalf("GetIncident(404) = %v, want ErrNotFound", err)
	}
}

func testNextNumberSequence(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	for want := int64(1); want <= 3; want++ {
		got, err := nextNumber(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("NextNumber = %d, want %d", got, want)
		}
	}
}

func testNextNumberConcurrent(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	const workers, each = 8, 10
	var (
		mu   sync.Mutex
		seen = map[int64]int{}
		wg   sync.WaitGroup
		errs = make(chan error, workers*each)
	)
	for range workers {
		wg.Go(func() {
			for range each {
				n, err := nextNumber(ctx, s)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				seen[n]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("NextNumber: %v", err)
	}
	if len(seen) != workers*each {
		t.Errorf("got %d distinct numbers, want %d", len(seen), workers*each)
	}
	for n := int64(1); n <= workers*each; n++ {
		if seen[n] != 1 {
			t.Errorf("number %d handed out %d times, want once", n, seen[n])
		}
	}
}

func testUpdateIncident(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	if err := create(ctx, s, fullIncident(1, time.UTC)); err != nil {
		t.Fatal(err)
	}
	a, _ := s.GetIncident(ctx, 1)
	b, _ := s.GetIncident(ctx, 1)

	// a reopens: fields become empty and must disappear from the document.
	if err := a.Reopen(at(30)); err != nil {
		t.Fatal(err)
	}
	a.Roles = nil
	a.Title = "renamed"
	if err := update(ctx, s, a); err != nil {
		t.Fatalf("UpdateIncident: %v", err)
	}
	if a.Version != 1 {
		t.Errorf("Version after update = %d, want 1", a.Version)
	}
	got, err := s.GetIncident(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, a) {
		t.Errorf("stored incident differs:\ngot  %+v\nwant %+v", got, a)
	}
	if got.ResolvedAt != nil || !got.AlertsClearAt.IsZero() || got.Roles != nil {
		t.Errorf("cleared fields came back: resolved_at=%v alerts_clear_at=%v roles=%v", got.ResolvedAt, got.AlertsClearAt, got.Roles)
	}

	// b is stale.
	b.Title = "lost update"
	err = update(ctx, s, b)
	if !errors.Is(err, incidents.ErrConflict) {
		t.Fatalf("stale UpdateIncident = %v, want ErrConflict", err)
	}
	if b.Version != 0 {
		t.Errorf("Version after a conflict = %d, want unchanged 0", b.Version)
	}
	got, _ = s.GetIncident(ctx, 1)
	if got.Title != "renamed" || got.Version != 1 {
		t.Errorf("after conflict: title %q version %d, want %q 1", got.Title, got.Version, "renamed")
	}

	// Unknown incident: not found, not conflict.
	err = update(ctx, s, &incidents.Incident{Number: 99})
	if !errors.Is(err, incidents.ErrNotFound) || errors.Is(err, incidents.ErrConflict) {
		t.Errorf("UpdateIncident of a missing incident = %v, want ErrNotFound", err)
	}
}

// TestUpdateIncidentConcurrent has 10 writers each add 10 to a counter field
// with read, modify, conditional write, retry on conflict: no update is lost.
func testUpdateIncidentConcurrent(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	if err := create(ctx, s, &incidents.Incident{Number: 1}); err != nil {
		t.Fatal(err)
	}
	const writers, each = 5, 10
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range each {
				for {
					inc, err := s.GetIncident(ctx, 1)
					if err != nil {
						t.Error(err)
						return
					}
					inc.StormGroups++
					err = update(ctx, s, inc)
					if errors.Is(err, incidents.ErrConflict) {
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					break
				}
			}
		})
	}
	wg.Wait()
	got, err := s.GetIncident(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.StormGroups != writers*each || got.Version != writers*each {
		t.Errorf("StormGroups=%d Version=%d, want both %d", got.StormGroups, got.Version, writers*each)
	}
}

func testListIncidents(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	seed := []struct {
		n      int64
		status incidents.Status
		minute int
	}{
		{1, incidents.StatusResolved, 0},
		{2, incidents.StatusInvestigating, 10},
		{3, incidents.StatusResolved, 20},
		{4, incidents.StatusReopened, 30},
		{5, incidents.StatusTriggered, 40},
	}
	for _, sd := range seed {
		if err := create(ctx, s, &incidents.Incident{Number: sd.n, Status: sd.status, DeclaredAt: at(sd.minute).In(almaty)}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		opts incidents.ListOptions
		want []int64
	}{
		{"all newest first", incidents.ListOptions{}, []int64{5, 4, 3, 2, 1}},
		{"open only", incidents.ListOptions{OpenOnly: true}, []int64{5, 4, 2}},
		{"since inclusive", incidents.ListOptions{Since: at(20)}, []int64{5, 4, 3}},
		{"since in another zone", incidents.ListOptions{Since: at(20).In(almaty)}, []int64{5, 4, 3}},
		{"limit", incidents.ListOptions{Limit: 2}, []int64{5, 4}},
		{"open since limit", incidents.ListOptions{OpenOnly: true, Since: at(5), Limit: 2}, []int64{5, 4}},
		{"none", incidents.ListOptions{Since: at(50)}, []int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := s.ListIncidents(ctx, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := []int64{}
			for _, inc := range list {
				got = append(got, inc.Number)
				checkUTC(t, inc)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// listed returns the numbers ListIncidents(o) returns, checking they are
// newest first and that o.Match agrees with each.
func listed(t *testing.T, s incidents.Store, o incidents.ListOptions) []int64 {
	t.Helper()
	list, err := s.ListIncidents(testCtx(t), o)
	if err != nil {
		t.Fatalf("ListIncidents(%+v): %v", o, err)
	}
	got := []int64{}
	for _, inc := range list {
		got = append(got, inc.Number)
		if !o.Match(inc) {
			t.Errorf("ListIncidents(%+v) returned #%d, which does not match", o, inc.Number)
		}
	}
	if !slices.IsSortedFunc(got, func(a, b int64) int { return int(b - a) }) {
		t.Errorf("ListIncidents(%+v) = %v, not newest first", o, got)
	}
	return got
}

// withAlerts sets inc's alerts, one per alert name.
func withAlerts(inc *incidents.Incident, names ...string) *incidents.Incident {
	inc.Alerts = map[string]incidents.Alert{}
	for i, n := range names {
		fp := fmt.Sprintf("%016x", inc.Number*100+int64(i))
		inc.Alerts[fp] = incidents.Alert{Fingerprint: fp, Status: incidents.AlertFiring, StartsAt: at(i),
			Labels: map[string]string{"alertname": n, "instance": "host.example.com:9100"}}
	}
	return inc
}

// Every filter, alone and combined, with Before and Limit.
func testListFilters(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	open := []incidents.Action{{ID: 1, Text: "fix it", Owner: "U1", At: at(5)}, {ID: 2, Text: "done", Done: true, At: at(6), DoneAt: at(7)}}
	done := []incidents.Action{{ID: 1, Text: "done", Owner: "U1", Done: true, At: at(5), DoneAt: at(8)}}
	gk := `{}/{severity="critical"}:{alertname="HighErrorRate"}`
	seed := []*incidents.Incident{
		withAlerts(&incidents.Incident{Number: 1, Status: incidents.StatusResolved, Severity: "sev1", Service: "payments", GroupKey: gk, Actions: open}, "HighErrorRate"),
		withAlerts(&incidents.Incident{Number: 2, Status: incidents.StatusResolved, Severity: "sev2", GroupKey: "other", Actions: done,
			Labels: map[string]string{"service": "search"}}, "DiskFull", "HighErrorRate"),
		{Number: 3, Status: incidents.StatusInvestigating, Severity: "sev1", Labels: map[string]string{"alertname": "Latency", "service": "search"}},
		withAlerts(&incidents.Incident{Number: 4, Status: incidents.StatusReopened, Severity: "sev2", Service: "payments", GroupKey: gk,
			Labels: map[string]string{"alertname": "Ignored", "service": "ignored"}}, "HighErrorRate", "HighErrorRate"),
		{Number: 5, Status: incidents.StatusTriggered, Severity: "sev1", Service: "payments", Actions: open},
		withAlerts(&incidents.Incident{Number: 6, Status: incidents.StatusResolved, Severity: "sev3", Service: "checkout", Actions: done}, "DiskFull"),
	}
	for i, inc := range seed {
		inc.Title = fmt.Sprintf("incident %d", inc.Number)
		inc.DeclaredAt = at(10 * i).In(almaty)
		if err := create(ctx, s, inc); err != nil {
			t.Fatal(err)
		}
	}
	type O = incidents.ListOptions
	tests := []struct {
		name string
		opts O
		want []int64
	}{
		{"open actions", O{OpenActions: true}, []int64{5, 1}},
		{"open actions limit", O{OpenActions: true, Limit: 1}, []int64{5}},
		{"open actions before", O{OpenActions: true, Before: 5}, []int64{1}},
		{"open actions and open", O{OpenActions: true, OpenOnly: true}, []int64{5}},
		{"group key", O{GroupKey: gk}, []int64{4, 1}},
		{"group key before limit 1", O{GroupKey: gk, Before: 4, Limit: 1}, []int64{1}},
		{"group key unknown", O{GroupKey: "nope"}, []int64{}},
		{"alert name", O{AlertName: "HighErrorRate"}, []int64{4, 2, 1}},
		{"alert name before limit 1", O{AlertName: "HighErrorRate", Before: 4, Limit: 1}, []int64{2}},
		{"alert name of a manual incident's label", O{AlertName: "Latency"}, []int64{3}},
		{"label of an incident with alerts is not its alert name", O{AlertName: "Ignored"}, []int64{}},
		{"alert name and group key", O{AlertName: "HighErrorRate", GroupKey: gk}, []int64{4, 1}},
		{"alert name and open", O{AlertName: "DiskFull", OpenOnly: true}, []int64{}},
		{"alert name and resolved", O{AlertName: "DiskFull", ResolvedOnly: true}, []int64{6, 2}},
		{"severity", O{Severity: "sev1"}, []int64{5, 3, 1}},
		{"severity open", O{Severity: "sev1", OpenOnly: true}, []int64{5, 3}},
		{"severity resolved", O{Severity: "sev1", ResolvedOnly: true}, []int64{1}},
		{"severity is exact", O{Severity: "SEV1"}, []int64{}},
		{"service", O{Service: "payments"}, []int64{5, 4, 1}},
		{"service from the label", O{Service: "search"}, []int64{3, 2}},
		{"service label under a service", O{Service: "ignored"}, []int64{}},
		{"service and severity", O{Service: "payments", Severity: "sev2"}, []int64{4}},
		{"service severity open actions", O{Service: "payments", Severity: "sev1", OpenActions: true}, []int64{5, 1}},
		{"service before limit", O{Service: "payments", Before: 5, Limit: 1}, []int64{4}},
		{"before", O{Before: 4}, []int64{3, 2, 1}},
		{"before 1", O{Before: 1}, []int64{}},
		{"before beyond the newest", O{Before: 100, Limit: 2}, []int64{6, 5}},
		{"before open", O{Before: 4, OpenOnly: true}, []int64{3}},
		{"resolved", O{ResolvedOnly: true}, []int64{6, 2, 1}},
		{"resolved before limit", O{ResolvedOnly: true, Before: 6, Limit: 1}, []int64{2}},
		{"open and resolved", O{OpenOnly: true, ResolvedOnly: true}, []int64{}},
		{"since and severity", O{Since: at(20), Severity: "sev1"}, []int64{5, 3}},
		{"since service before", O{Since: at(10), Service: "payments", Before: 5}, []int64{4}},
		{"since alert name", O{Since: at(10), AlertName: "HighErrorRate"}, []int64{4, 2}},
		{"since open actions", O{Since: at(10), OpenActions: true}, []int64{5}},
		{"since group key limit", O{Since: at(0), GroupKey: gk, Limit: 1}, []int64{4}},
		{"every filter", O{OpenOnly: true, Since: at(0), Before: 6, OpenActions: true, Severity: "sev1", Service: "payments", Limit: 10}, []int64{5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listed(t, s, tt.opts); !slices.Equal(got, tt.want) {
				t.Errorf("ListIncidents(%+v) = %v, want %v", tt.opts, got, tt.want)
			}
		})
	}
}

// An incident with an open follow-up older than 600 newer incidents without
// one is listed by OpenActions (reading the newest N missed it), and so is
// the earlier incident of an alert group or alert name.
func testListOpenActionsAmongMany(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	const newer = 620
	first := withAlerts(&incidents.Incident{Number: 1, Title: "old", Status: incidents.StatusResolved, GroupKey: "old-group", Severity: "sev1",
		DeclaredAt: at(0), Actions: []incidents.Action{{ID: 1, Text: "write the postmortem", Owner: "U1", At: at(1)}}}, "OldAlert")
	if err := create(ctx, s, first); err != nil {
		t.Fatal(err)
	}
	for n := int64(2); n <= newer+1; n++ {
		inc := withAlerts(&incidents.Incident{Number: n, Title: "newer", Status: incidents.StatusResolved, GroupKey: fmt.Sprintf("g%d", n),
			Severity: "sev2", DeclaredAt: at(1)}, "Other")
		if n%3 == 0 { // done follow-ups do not count
			inc.Actions = []incidents.Action{{ID: 1, Text: "done", Done: true, At: at(2), DoneAt: at(3)}}
		}
		if err := create(ctx, s, inc); err != nil {
			t.Fatal(err)
		}
	}
	type O = incidents.ListOptions
	for _, tt := range []struct {
		name string
		opts O
		want []int64
	}{
		{"open actions", O{OpenActions: true}, []int64{1}},
		{"open actions limit", O{OpenActions: true, Limit: 1}, []int64{1}},
		{"group key", O{GroupKey: "old-group", Before: newer + 2, Limit: 1}, []int64{1}},
		{"alert name", O{AlertName: "OldAlert", Before: newer + 2, Limit: 1}, []int64{1}},
		{"severity", O{Severity: "sev1"}, []int64{1}},
		{"page", O{AlertName: "Other", Before: 5, Limit: 10}, []int64{4, 3, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := listed(t, s, tt.opts); !slices.Equal(got, tt.want) {
				t.Errorf("ListIncidents(%+v) = %v, want %v", tt.opts, got, tt.want)
			}
		})
	}
	if got := listed(t, s, O{Limit: newer}); slices.Contains(got, 1) {
		t.Errorf("the newest %d include #1: the test does not test an old incident", newer)
	}
}

// UpdateIncident keeps every filter in step: closing the last open
// follow-up takes an incident out of OpenActions, reopening one brings it
// back; changed alerts, group, severity, service and status move it.
func testListFiltersFollowUpdates(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	inc := withAlerts(&incidents.Incident{Number: 1, Title: "t", Status: incidents.StatusTriggered, Severity: "sev2", GroupKey: "g1",
		Labels: map[string]string{"service": "search"}, DeclaredAt: at(0),
		Actions: []incidents.Action{{ID: 1, Text: "a", At: at(1)}, {ID: 2, Text: "b", Owner: "U1", At: at(2)}}}, "A", "B")
	if err := create(ctx, s, inc); err != nil {
		t.Fatal(err)
	}
	other := &incidents.Incident{Number: 2, Title: "other", Status: incidents.StatusTriggered, DeclaredAt: at(1)}
	if err := create(ctx, s, other); err != nil {
		t.Fatal(err)
	}
	type O = incidents.ListOptions
	check := func(step string, want map[string]bool) {
		t.Helper()
		for name, o := range map[string]O{
			"open actions": {OpenActions: true}, "alert A": {AlertName: "A"}, "alert B": {AlertName: "B"}, "alert C": {AlertName: "C"},
			"group g1": {GroupKey: "g1"}, "group g2": {GroupKey: "g2"}, "sev2": {Severity: "sev2"}, "sev1": {Severity: "sev1"},
			"service search": {Service: "search"}, "service pay": {Service: "pay"}, "open": {OpenOnly: true}, "resolved": {ResolvedOnly: true},
		} {
			got := listed(t, s, o)
			if want := want[name]; slices.Contains(got, 1) != want {
				t.Errorf("%s: %s lists %v; want #1 listed: %v", step, name, got, want)
			}
			if slices.Contains(got, 2) != (name == "open") {
				t.Errorf("%s: %s lists %v; #2 only matches open", step, name, got)
			}
		}
	}
	save := func() {
		t.Helper()
		if err := update(ctx, s, inc); err != nil {
			t.Fatal(err)
		}
	}
	check("created", map[string]bool{"open actions": true, "alert A": true, "alert B": true, "group g1": true, "sev2": true, "service search": true, "open": true})

	inc.Actions[0].Done, inc.Actions[0].DoneAt = true, at(3)
	save()
	check("one of two done", map[string]bool{"open actions": true, "alert A": true, "alert B": true, "group g1": true, "sev2": true, "service search": true, "open": true})

	inc.Actions[1].Done, inc.Actions[1].DoneAt = true, at(4)
	save()
	check("the last done", map[string]bool{"alert A": true, "alert B": true, "group g1": true, "sev2": true, "service search": true, "open": true})

	withAlerts(inc, "B", "C")
	inc.GroupKey, inc.Severity, inc.Service = "g2", "sev1", "pay"
	if err := inc.SetStatus(incidents.StatusResolved, at(5)); err != nil {
		t.Fatal(err)
	}
	save()
	check("alerts, group, severity, service, status changed", map[string]bool{"alert B": true, "alert C": true, "group g2": true, "sev1": true, "service pay": true, "resolved": true})

	inc.Actions[1].Done, inc.Actions[1].DoneAt = false, time.Time{}
	inc.Alerts, inc.GroupKey, inc.Service = nil, "", ""
	save()
	check("an action reopened; alerts, group and service gone", map[string]bool{"open actions": true, "sev1": true, "service search": true, "resolved": true})

	inc.Actions = nil
	inc.Labels = map[string]string{"alertname": "A"}
	save()
	check("no actions, its own alertname label", map[string]bool{"alert A": true, "sev1": true, "resolved": true})

	// A stale update changes nothing.
	stale := *inc
	stale.Version--
	stale.Actions = []incidents.Action{{ID: 9, Text: "lost", At: at(9)}}
	stale.Labels = map[string]string{"alertname": "C"}
	if err := update(ctx, s, &stale); !errors.Is(err, incidents.ErrConflict) {
		t.Fatalf("stale UpdateIncident = %v, want ErrConflict", err)
	}
	check("after a conflict", map[string]bool{"alert A": true, "sev1": true, "resolved": true})
}

func testEvents(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	ev := func(id string, inc int64, minute int, text string) incidents.Event {
		return incidents.Event{ID: id, Incident: inc, Type: incidents.EventNote, At: at(minute).In(almaty), Actor: "U0001", Text: text}
	}
	e1 := ev("e1", 1, 5, "first")
	e1.Fields = map[string]string{"from": "sev2", "to": "sev1", "label.with.dots": "x"}
	// Appended out of time order, and with an event of another incident.
	if err := appendEvents(ctx, s, ev("e3", 1, 30, "third"), e1, ev("x1", 2, 1, "other")); err != nil {
		t.Fatalf("AppendEvents: %v", err)
	}
	// e1 again (different text: still skipped), and a new one with the same time as e1.
	if err := appendEvents(ctx, s, ev("e1", 1, 5, "dup"), ev("e0", 1, 5, "same time")); err != nil {
		t.Fatalf("AppendEvents with a duplicate ID: %v", err)
	}
	if err := appendEvents(ctx, s); err != nil {
		t.Fatalf("AppendEvents of nothing: %v", err)
	}
	// Everything duplicated: still no error.
	if err := appendEvents(ctx, s, ev("e3", 1, 30, "third"), ev("e3", 1, 30, "third")); err != nil {
		t.Fatalf("AppendEvents of only duplicates: %v", err)
	}

	got, err := s.Timeline(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got { // the chain has its own test
		got[i].Seq, got[i].Hash = 0, ""
	}
	want := []incidents.Event{ev("e0", 1, 5, "same time"), e1, ev("e3", 1, 30, "third")}
	for i := range want {
		want[i].At = want[i].At.UTC()
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Timeline(1):\ngot  %+v\nwant %+v", got, want)
	}

	empty, err := s.Timeline(ctx, 42)
	if err != nil || len(empty) != 0 {
		t.Errorf("Timeline(42) = %v, %v; want empty", empty, err)
	}
}

func testGroups(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	key := `{}/{severity="critical"}:{alertname="HighErrorRate", service.name="pay"}`
	long := strings.Repeat(`{}:{instance="host-1.example.com:9100"}`, 300) // ~12 KB

	if _, err := s.GetGroup(ctx, key); !errors.Is(err, incidents.ErrNotFound) {
		t.Fatalf("GetGroup of an unknown key = %v, want ErrNotFound", err)
	}
	for i, g := range []incidents.Group{{Key: key, Incident: 1}, {Key: long, Incident: 2}, {Key: key, Incident: 3}} {
		if err := putGroup(ctx, s, g); err != nil {
			t.Fatalf("PutGroup %d: %v", i, err)
		}
	}
	for _, want := range []incidents.Group{{Key: key, Incident: 3}, {Key: long, Incident: 2}} {
		got, err := s.GetGroup(ctx, want.Key)
		if err != nil {
			t.Fatalf("GetGroup: %v", err)
		}
		if got != want {
			t.Errorf("GetGroup = %+v, want %+v", got, want)
		}
	}
}

func testStorm(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	got, err := s.GetStorm(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, incidents.StormState{}) {
		t.Errorf("GetStorm before any Put = %+v, want the zero value", got)
	}
	for i, st := range []incidents.StormState{
		{Opened: []time.Time{at(1).In(almaty), at(2)}, Incident: 9},
		{Opened: []time.Time{at(3)}},
	} {
		if err := putStorm(ctx, s, st); err != nil {
			t.Fatalf("PutStorm %d: %v", i, err)
		}
		got, err := s.GetStorm(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := incidents.StormState{Incident: st.Incident}
		for _, o := range st.Opened {
			want.Opened = append(want.Opened, o.UTC())
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("GetStorm after Put %d = %+v, want %+v", i, got, want)
		}
	}
}

// TestFullIncidentSetsEveryField keeps TestIncidentRoundTrip honest: a field
// added to Incident (or Alert, Action) must be set in fullIncident.
func testFullIncidentSetsEveryField(t *testing.T, _ incidents.Store) {
	inc := fullIncident(2, time.UTC)
	var check func(path string, v reflect.Value)
	check = func(path string, v reflect.Value) {
		for i := range v.NumField() {
			f, fv := v.Type().Field(i), v.Field(i)
			p := path + "." + f.Name
			if p == "Incident.Version" { // 0 is the version a new incident is created with
				continue
			}
			if f.Tag.Get("json") == "-" { // not stored: filled in by whoever reads it (Incident.Reporting)
				continue
			}
			if fv.IsZero() {
				t.Errorf("fullIncident leaves %s zero; set it so the round trip covers it", p)
			}
			if fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeOf(time.Time{}) {
				check(p, fv)
			}
		}
	}
	check("Incident", reflect.ValueOf(*inc))
	check("Alert", reflect.ValueOf(inc.Alerts["a1b2c3d4e5f60718"]))
	check("Action", reflect.ValueOf(inc.Actions[0]))
}

// A long timeline (an alert storm's) reads back whole, in time order, with
// re-sent events skipped, and other incidents' events left out.
func testLongTimeline(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	ev := func(n int64, i int) incidents.Event {
		return incidents.Event{ID: fmt.Sprintf("%d:e%05d", n, i), Incident: n, Type: incidents.EventAlertFired,
			At: at(0).Add(time.Duration(4500-i) * time.Second), Text: "Alert firing"}
	}
	var first, second []incidents.Event
	for i := range 3000 {
		first = append(first, ev(7, i))
	}
	for i := 2500; i < 4500; i++ { // 500 already stored
		second = append(second, ev(7, i))
	}
	for _, batch := range [][]incidents.Event{first, second, {ev(8, 1)}} {
		if err := appendEvents(ctx, s, batch...); err != nil {
			t.Fatalf("AppendEvents of %d: %v", len(batch), err)
		}
	}
	got, err := s.Timeline(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4500 {
		t.Fatalf("got %d events, want 4500", len(got))
	}
	for i := range got {
		if want := ev(7, 4499-i); got[i].ID != want.ID || !got[i].At.Equal(want.At) {
			t.Fatalf("event %d = %s at %v, want %s at %v", i, got[i].ID, got[i].At, want.ID, want.At)
		}
	}
}

// Writers appending overlapping events at once store each event once.
func testAppendEventsConcurrent(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	const writers, events = 4, 30
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range events {
				// Every writer sends every event: duplicates race.
				e := incidents.Event{ID: fmt.Sprintf("1:%03d", i), Incident: 1, Type: incidents.EventNote,
					At: at(0).Add(time.Duration(i) * time.Second), Text: fmt.Sprintf("from %d", w)}
				if err := appendEvents(ctx, s, e); err != nil {
					t.Errorf("writer %d: AppendEvents: %v", w, err)
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
	if len(got) != events {
		t.Errorf("got %d events, want %d (each once)", len(got), events)
	}
}

// Of several creators of one number exactly one wins; the rest get ErrExists.
func testCreateIncidentConcurrent(t *testing.T, s incidents.Store) {
	ctx := testCtx(t)
	const creators = 8
	var (
		mu   sync.Mutex
		wins []string
		wg   sync.WaitGroup
	)
	for c := range creators {
		wg.Go(func() {
			title := fmt.Sprintf("creator %d", c)
			err := create(ctx, s, &incidents.Incident{Number: 5, Title: title, Status: incidents.StatusTriggered})
			switch {
			case err == nil:
				mu.Lock()
				wins = append(wins, title)
				mu.Unlock()
			case !errors.Is(err, incidents.ErrExists):
				t.Errorf("%s: %v", title, err)
			}
		})
	}
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("winners %v, want exactly one", wins)
	}
	got, err := s.GetIncident(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != wins[0] {
		t.Errorf("stored title %q, want the winner's %q", got.Title, wins[0])
	}
}
