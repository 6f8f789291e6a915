package stats

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/clocktest"
)

// T is Monday 2026-11-02 00:00 UTC; the fixture's window is [T, T+14d).
var T = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

func ptr(d time.Duration) *time.Time { t := T.Add(d); return &t }

func alerts(names ...string) map[string]incidents.Alert {
	m := map[string]incidents.Alert{}
	for i, n := range names {
		labels := map[string]string{}
		if n != "" {
			labels["alertname"] = n
		}
		fp := fmt.Sprintf("fp%d", i)
		m[fp] = incidents.Alert{Fingerprint: fp, Status: incidents.AlertFiring, Labels: labels}
	}
	return m
}

// fixture is a hand-built set whose figures are worked out in the tests below.
//
//	#  sev   service   detected   ack    mitigated resolved      in window?
//	1  sev1  checkout  T+1h       +5m    +30m      +60m          yes
//	2  sev2  checkout  T+2d       +10m   —         +2h           yes
//	3  sev1  search    T+8d       never  —         +40m          yes
//	4  sev3  search    T+9d       +1m    —         open          yes
//	5  sev2  checkout  T−1h       +5m    —         +2h (T+1h)    no: detected before the window
//	6  sev2  payments  T+13d      +20m   +3h       +2d (after To) yes, measured in full
//	7  sev4  —         T+14d = To —      —         —             no: To is excluded
//	8  sev4  —         T (declared only) +2m — +3m               yes: From is included
func fixture() Input {
	resolved := incidents.StatusResolved
	incs := []*incidents.Incident{
		{Number: 1, Title: "Checkout slow", Severity: "sev1", Service: "checkout", Status: resolved,
			DetectedAt: T.Add(time.Hour), AcknowledgedAt: ptr(time.Hour + 5*time.Minute),
			MitigatedAt: ptr(time.Hour + 30*time.Minute), ResolvedAt: ptr(2 * time.Hour),
			Alerts:  alerts("HighLatency", "HighLatency"),
			Actions: []incidents.Action{{ID: 1, Text: "add a cache"}, {ID: 2, Text: "page fix", Done: true}}},
		{Number: 2, Title: "Checkout errors", Severity: "sev2", Service: "checkout", Status: resolved,
			DetectedAt: T.Add(2 * day), AcknowledgedAt: ptr(2*day + 10*time.Minute), ResolvedAt: ptr(2*day + 2*time.Hour),
			Alerts: alerts("HighLatency", "ErrorRate")},
		{Number: 3, Title: "Search down", Severity: "sev1", Service: "search", Status: resolved,
			DetectedAt: T.Add(8 * day), ResolvedAt: ptr(8*day + 40*time.Minute),
			Alerts: alerts("", "ErrorRate")},
		{Number: 4, Title: "Search stale", Severity: "sev3", Labels: map[string]string{"service": "search"}, Status: incidents.StatusInvestigating,
			DetectedAt: T.Add(9 * day), AcknowledgedAt: ptr(9*day + time.Minute),
			Actions: []incidents.Action{{ID: 1, Text: "reindex"}}},
		{Number: 5, Title: "Before the window", Severity: "sev2", Service: "checkout", Status: resolved,
			DetectedAt: T.Add(-time.Hour), AcknowledgedAt: ptr(-55 * time.Minute), ResolvedAt: ptr(time.Hour),
			Alerts: alerts("Excluded"), Actions: []incidents.Action{{ID: 1, Text: "not counted"}}},
		{Number: 6, Title: "Payments <flaky> & slow", Severity: "sev2", Service: "payments", Status: resolved,
			DetectedAt: T.Add(13 * day), AcknowledgedAt: ptr(13*day + 20*time.Minute),
			MitigatedAt: ptr(13*day + 3*time.Hour), ResolvedAt: ptr(15 * day)},
		{Number: 7, Title: "At To", Severity: "sev4", Status: incidents.StatusTriggered, DetectedAt: T.Add(14 * day)},
		{Number: 8, Title: "Declared by hand", Severity: "sev4", Status: resolved,
			DeclaredAt: T, AcknowledgedAt: ptr(2 * time.Minute), ResolvedAt: ptr(3 * time.Minute)},
		nil, // a nil entry is skipped
	}
	return Input{
		From: T, To: T.Add(14 * day), Incidents: incs,
		Deploys: deployFixture(),
		Causes:  map[int64]string{1: "c1", 5: "c0", 3: "q2", 4: "q2", 99: "nope"},
		Pages: []PageRecord{
			{User: "alice", At: T.Add(10 * time.Hour)},    // Mon 15:00 Almaty: working hours
			{User: "alice", At: T.Add(20 * time.Hour)},    // Tue 01:00: out of hours
			{User: "bob", At: T.Add(5*day + 4*time.Hour)}, // Sat 09:00: weekend
			{User: "bob", At: T.Add(day + 4*time.Hour)},   // Tue 09:00: start is working time
			{User: "bob", At: T.Add(day + 13*time.Hour)},  // Tue 18:00: end is not
			{User: "carol", At: T.Add(-time.Hour)},        // before the window
			{User: "carol", At: T.Add(14 * day)},          // at To
		},
		Options: Options{Zone: almaty(), Top: 3, Severities: []string{"sev1", "sev2", "sev3", "sev4"}},
	}
}

func almaty() *time.Location {
	// A fixed zone, as Asia/Almaty is UTC+5 all year; the tests do not need tzdata.
	return time.FixedZone("Asia/Almaty", 5*3600)
}

// deployFixture: the DORA story.
//
//	checkout/production
//	  c0 success T−1d                caused #5 (T−1h … resolved T+1h); outside the window
//	  c1 success T+30m, commit T−30m caused #1 (T+1h, restored T+1h30m, resolved T+2h); made during #5 → rework
//	  c2 success T+1h45m, no commit  made during #1 → rework
//	  c3 failure T+3d, commit T+3d−2h recovered by c4 (+20m)
//	  c4 success T+3d+20m, commit T+3d−10m
//	  c5 failure T+10d               no later success: not recovered
//	checkout/staging
//	  s1 success T+1h10m, commit T+1h during #1, but another environment: not rework
//	search/production
//	  (no id) success T+8d−1h, commit T+8d−3h
//	  q2 success T+8d−30m, no commit caused #3 (restored) and #4 (open): not recovered
//	  q3 success T+9d+1h, commit T+9d made during #4 → rework
func deployFixture() []deploys.Deployment {
	d := func(id, svc, env string, st deploys.Status, at, commit time.Duration, hasCommit bool) deploys.Deployment {
		dep := deploys.Deployment{ID: id, Service: svc, Version: "v-" + id, Environment: env, Status: st, At: T.Add(at)}
		if hasCommit {
			dep.CommitAt = T.Add(commit)
		}
		return dep
	}
	ok, fail := deploys.StatusSuccess, deploys.StatusFailure
	const prod, stg = "production", "staging"
	// Not in time order: the figures must not depend on the input's order.
	return []deploys.Deployment{
		d("c5", "checkout", prod, fail, 10*day, 0, false),
		d("c1", "checkout", prod, ok, 30*time.Minute, -30*time.Minute, true),
		d("c0", "checkout", prod, ok, -day, 0, false),
		d("c2", "checkout", prod, ok, time.Hour+45*time.Minute, 0, false),
		d("c4", "checkout", prod, ok, 3*day+20*time.Minute, 3*day-10*time.Minute, true),
		d("c3", "checkout", prod, fail, 3*day, 3*day-2*time.Hour, true),
		d("s1", "checkout", stg, ok, time.Hour+10*time.Minute, time.Hour, true),
		d("", "search", prod, ok, 8*day-time.Hour, 8*day-3*time.Hour, true),
		d("q2", "search", prod, ok, 8*day-30*time.Minute, 0, false),
		d("q3", "search", prod, ok, 9*day+time.Hour, 9*day, true),
	}
}

var now = clocktest.New(T.Add(16 * day)) // after every event of the fixture

func compute(t *testing.T, in Input) Report {
	t.Helper()
	r, err := Compute(in, now.Now())
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	return r
}

func m(n int) Duration { return Duration(time.Duration(n) * time.Minute) }

func TestCounts(t *testing.T) {
	r := compute(t, fixture())
	if r.Incidents != 6 || r.Open != 1 {
		t.Errorf("incidents got %d (open %d), want 6 (open 1): #1 2 3 4 6 8", r.Incidents, r.Open)
	}
	wantSev := []Count{{"sev1", 2}, {"sev2", 2}, {"sev3", 1}, {"sev4", 1}}
	if !reflect.DeepEqual(r.BySeverity, wantSev) {
		t.Errorf("by severity got %v, want %v", r.BySeverity, wantSev)
	}
	// Ties by name; "(none)" sorts before letters. #4's service comes from its label.
	wantSvc := []Count{{"checkout", 2}, {"search", 2}, {none, 1}, {"payments", 1}}
	if !reflect.DeepEqual(r.ByService, wantSvc) {
		t.Errorf("by service got %v, want %v", r.ByService, wantSvc)
	}
	// #1 has an open and a done action, #4 an open one; #5 is outside the window.
	if want := (FollowUps{Open: 2, Done: 1}); r.FollowUps != want {
		t.Errorf("follow-ups got %+v, want %+v", r.FollowUps, want)
	}
	// HighLatency: 2 alerts on #1 and 1 on #2; ErrorRate: #2 and #3. #3's
	// nameless alert and #5's are not counted.
	wantAlerts := []AlertCount{{"HighLatency", 3, 2}, {"ErrorRate", 2, 2}}
	if !reflect.DeepEqual(r.NoisiestAlerts, wantAlerts) {
		t.Errorf("noisiest alerts got %v, want %v", r.NoisiestAlerts, wantAlerts)
	}
}

func TestSeverityOrder(t *testing.T) {
	in := fixture()
	in.Severities = []string{"sev4", "sev9"} // sev9 listed at zero; the rest by name
	r := compute(t, in)
	want := []Count{{"sev4", 1}, {"sev9", 0}, {"sev1", 2}, {"sev2", 2}, {"sev3", 1}}
	if !reflect.DeepEqual(r.BySeverity, want) {
		t.Errorf("by severity got %v, want %v", r.BySeverity, want)
	}
}

func TestResponseTimes(t *testing.T) {
	r := compute(t, fixture())
	tests := []struct {
		name string
		got  Durations
		want Durations
	}{
		{
			// 1m(#4) 2m(#8) 5m(#1) 10m(#2) 20m(#6); #3 never acknowledged.
			// n=5: median = 3rd = 5m, p90 = ⌈4.5⌉ = 5th = 20m, mean 38m/5 = 7m36s.
			"MTTA", r.TimeToAcknowledge,
			Durations{Definition: defTimeToAcknowledge, Count: 5, Median: m(5), P90: m(20), Mean: m(7) + 36*Duration(time.Second), Max: m(20),
				Missing: 1, MissingMeaning: "never acknowledged"},
		},
		{
			// 3m(#8 resolved) 30m(#1 mitigated) 40m(#3 resolved) 120m(#2 resolved) 180m(#6 mitigated); #4 open.
			// median 40m, p90 180m, mean 373m/5 = 74m36s.
			"MTTR restore", r.TimeToRestore,
			Durations{Definition: defTimeToRestore, Count: 5, Median: m(40), P90: m(180), Mean: m(74) + 36*Duration(time.Second), Max: m(180),
				Missing: 1, MissingMeaning: "not yet restored"},
		},
		{
			// 3m 40m 60m 120m 2880m (#6 resolved after To, measured in full); #4 open.
			// median 60m, p90 2880m, mean 3103m/5 = 620m36s.
			"time to resolve", r.TimeToResolve,
			Durations{Definition: defTimeToResolve, Count: 5, Median: m(60), P90: m(2880), Mean: m(620) + 36*Duration(time.Second), Max: m(2880),
				Missing: 1, MissingMeaning: "not yet resolved"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got  %+v\nwant %+v", tt.got, tt.want)
			}
		})
	}
}

func TestLongest(t *testing.T) {
	r := compute(t, fixture())
	// #4 is open since T+9d, so 7 days at now = T+16d; #6 took 2 days; #2 2h.
	want := []Longest{
		{Number: 4, Title: "Search stale", Severity: "sev3", Service: "search", Duration: Duration(7 * day), Open: true},
		{Number: 6, Title: "Payments <flaky> & slow", Severity: "sev2", Service: "payments", Duration: Duration(2 * day)},
		{Number: 2, Title: "Checkout errors", Severity: "sev2", Service: "checkout", Duration: Duration(2 * time.Hour)},
	}
	if !reflect.DeepEqual(r.Longest, want) {
		t.Errorf("longest got %+v\nwant %+v", r.Longest, want)
	}
}

func TestOnCallLoad(t *testing.T) {
	r := compute(t, fixture())
	want := OnCallLoad{Pages: 5, OutOfHours: 3, People: []PersonLoad{
		{User: "bob", Pages: 3, OutOfHours: 2},
		{User: "alice", Pages: 2, OutOfHours: 1},
	}}
	if !reflect.DeepEqual(r.OnCall, want) {
		t.Errorf("on-call got %+v, want %+v", r.OnCall, want)
	}
}

func TestWeeks(t *testing.T) {
	r := compute(t, fixture())
	// Weeks start Monday 00:00 Almaty = Sunday 19:00 UTC, so the window
	// [T, T+14d) touches three: from T−5h, T+7d−5h and T+14d−5h.
	wantStarts := []time.Time{T.Add(-5 * time.Hour), T.Add(7*day - 5*time.Hour), T.Add(14*day - 5*time.Hour)}
	if len(r.Weeks) != len(wantStarts) {
		t.Fatalf("weeks got %d, want %d", len(r.Weeks), len(wantStarts))
	}
	wantIncidents := []int{3, 3, 0} // #8 #1 #2 | #3 #4 #6 | none
	wantSev := [][]int{{1, 1, 0, 1}, {1, 1, 1, 0}, {0, 0, 0, 0}}
	wantAckMedian := []Duration{m(5), m(1), 0} // {2m 5m 10m} | {1m 20m}: lower middle
	wantAckMissing := []int{0, 1, 0}
	for i, w := range r.Weeks {
		if !w.Start.Equal(wantStarts[i]) || w.Start.Weekday() != time.Monday || w.Start.Hour() != 0 {
			t.Errorf("week %d starts %s, want %s (Monday 00:00 local)", i, w.Start, wantStarts[i].In(almaty()))
		}
		if w.Incidents != wantIncidents[i] {
			t.Errorf("week %d incidents got %d, want %d", i, w.Incidents, wantIncidents[i])
		}
		var sev []int
		for j, c := range w.BySeverity {
			if c.Name != r.BySeverity[j].Name {
				t.Errorf("week %d severity %d is %q, want %q", i, j, c.Name, r.BySeverity[j].Name)
			}
			sev = append(sev, c.Count)
		}
		if !reflect.DeepEqual(sev, wantSev[i]) {
			t.Errorf("week %d by severity got %v, want %v", i, sev, wantSev[i])
		}
		if w.TimeToAcknowledge.Median != wantAckMedian[i] || w.TimeToAcknowledge.Missing != wantAckMissing[i] {
			t.Errorf("week %d MTTA got median %s missing %d, want %s and %d", i,
				w.TimeToAcknowledge.Median, w.TimeToAcknowledge.Missing, wantAckMedian[i], wantAckMissing[i])
		}
	}
}

func TestWindowCutsIncidents(t *testing.T) {
	in := fixture()
	// A window of the one day [T+1h, T+2d+1h): #1 at its start is in, #8 (T) is
	// out, #2 (T+2d) in; #2's figures do not depend on the window's end.
	in.From, in.To = T.Add(time.Hour), T.Add(2*day+time.Hour)
	r := compute(t, in)
	if r.Incidents != 2 {
		t.Fatalf("incidents got %d, want 2 (#1, #2)", r.Incidents)
	}
	if got := r.TimeToResolve; got.Count != 2 || got.Median != m(60) || got.P90 != m(120) {
		t.Errorf("time to resolve got %+v, want count 2, median 60m, p90 120m", got)
	}
	// The window ends the minute #2 resolves: still measured in full.
	in.From, in.To = T.Add(2*day), T.Add(2*day+time.Minute)
	r = compute(t, in)
	if got := r.TimeToResolve; got.Count != 1 || got.Median != m(120) || got.Missing != 0 {
		t.Errorf("cut at the end: time to resolve got %+v, want one of 120m", got)
	}
}

func TestServiceFilter(t *testing.T) {
	in := fixture()
	in.Service = "search"
	r := compute(t, in)
	if r.Incidents != 2 || r.Service != "search" {
		t.Errorf("incidents got %d for %q, want 2 (#3, #4)", r.Incidents, r.Service)
	}
	if len(r.DORA) != 1 || r.DORA[0].Service != "search" {
		t.Errorf("DORA got %+v, want search/production only", r.DORA)
	}
	if r.OnCall.Pages != 5 {
		t.Errorf("pages got %d, want all 5: pages have no service", r.OnCall.Pages)
	}
}

func TestComputeWindowErrors(t *testing.T) {
	for _, tt := range []struct {
		name     string
		from, to time.Time
	}{
		{"empty", T, T},
		{"reversed", T, T.Add(-time.Hour)},
		{"too long", T, T.Add(maxWindow + time.Hour)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compute(Input{From: tt.from, To: tt.to}, now.Now())
			if !errors.Is(err, ErrWindow) {
				t.Errorf("Compute got %v, want ErrWindow", err)
			}
		})
	}
}

func TestEmptyInput(t *testing.T) {
	r := compute(t, Input{From: T, To: T.Add(7 * day)})
	if r.Incidents != 0 || r.TimeToAcknowledge.Count != 0 || r.TimeToAcknowledge.Missing != 0 || len(r.DORA) != 0 || len(r.Longest) != 0 {
		t.Errorf("empty input got %+v, want zero figures", r)
	}
	if len(r.Weeks) != 1 {
		t.Errorf("weeks got %d, want 1 (T is a Monday)", len(r.Weeks))
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"zone":"UTC"`, `"longest":[]`, `"noisiest_alerts":[]`, `"people":[]`, `"dora":[]`, `"by_service":[]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: lists are [] for scripts, never null", want)
		}
	}
}

func TestReportJSON(t *testing.T) {
	r := compute(t, fixture())
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		`"time_to_acknowledge":{"definition":"MTTA: first acknowledgement − detection","count":5,"median_seconds":300,"p90_seconds":1200,"mean_seconds":456,"max_seconds":1200,"missing":1,"missing_meaning":"never acknowledged"}`,
		`"change_fail_rate":0.6`,
		`"percentiles":"median and p90 by nearest rank`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.TimeToRestore != r.TimeToRestore || !reflect.DeepEqual(back.DORA, r.DORA) {
		t.Errorf("JSON round trip changed the figures:\n got %+v\nwant %+v", back.TimeToRestore, r.TimeToRestore)
	}
}

func TestReopenedIncident(t *testing.T) {
	// Mitigated at +10m, resolved, then reopened: ResolvedAt is cleared but the
	// restore stands; it is open, not yet resolved, and the longest runs to now.
	inc := &incidents.Incident{Number: 1, Severity: "sev2", Status: incidents.StatusReopened,
		DetectedAt: T, AcknowledgedAt: ptr(time.Minute), MitigatedAt: ptr(10 * time.Minute)}
	r, err := Compute(Input{From: T, To: T.Add(day), Incidents: []*incidents.Incident{inc}}, T.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if r.Open != 1 || r.TimeToRestore.Count != 1 || r.TimeToRestore.Median != m(10) ||
		r.TimeToResolve.Count != 0 || r.TimeToResolve.Missing != 1 {
		t.Errorf("got open %d, restore %+v, resolve %+v; want open 1, restore 10m, resolve missing 1", r.Open, r.TimeToRestore, r.TimeToResolve)
	}
	if len(r.Longest) != 1 || r.Longest[0].Duration != Duration(3*time.Hour) || !r.Longest[0].Open {
		t.Errorf("longest got %+v, want #1 open for 3h", r.Longest)
	}
}
