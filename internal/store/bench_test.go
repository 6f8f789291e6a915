package store_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/alertmanager"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/store"
	"github.com/incidentbot/incidentbot/internal/store/storetest"
)

// webhookBody is a realistic Alertmanager v4 notification of one alert (~1 KB).
var webhookBody = []byte(`{"receiver":"incidentbot","status":"firing","alerts":[{"status":"firing",` +
	`"labels":{"alertname":"HighErrorRate","instance":"pay-1:9100","job":"payments","service":"payments","severity":"critical"},` +
	`"annotations":{"summary":"5xx above 5%","description":"` + strings.Repeat("x", 400) + `","runbook_url":"https://wiki/runbooks/5xx"},` +
	`"startsAt":"2026-03-14T09:01:07.123Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph?g0.expr=x","fingerprint":"a1b2c3d4e5f60718"}],` +
	`"groupLabels":{"alertname":"HighErrorRate"},"commonLabels":{"alertname":"HighErrorRate","severity":"critical"},` +
	`"commonAnnotations":{},"externalURL":"http://alertmanager:9093","version":"4",` +
	`"groupKey":"{}/{severity=\"critical\"}:{alertname=\"HighErrorRate\"}","truncatedAlerts":0}`)

// benchAppendInbox stores 100 webhook bodies in one call per op.
func benchAppendInbox(b *testing.B, s store.Store) {
	ctx := testCtx(b)
	now := time.Now().UTC()
	batch := make([]alertmanager.InboxItem, 100)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		for i := range batch {
			n++
			batch[i] = alertmanager.InboxItem{ID: fmt.Sprintf("%020d", n), ReceivedAt: now, Body: webhookBody}
		}
		if err := s.AppendInbox(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/item")
}

// benchIncidents is how many incidents the read and update benchmarks run among.
const benchIncidents = 10_000

// seedIncidents stores n full incidents, numbered 1..n, so reads and writes
// by _id run against a collection of realistic size.
func seedIncidents(b *testing.B, s store.Store, n int) {
	b.Helper()
	ctx := testCtx(b)
	for i := 1; i <= n; i++ {
		if err := s.Commit(ctx, &incidents.Change{Create: []*incidents.Incident{benchIncident(int64(i))}}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchGetIncident reads one full incident by number among benchIncidents.
func benchGetIncident(b *testing.B, s store.Store) {
	seedIncidents(b, s, benchIncidents)
	ctx := testCtx(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetIncident(ctx, benchIncidents/2); err != nil {
			b.Fatal(err)
		}
	}
}

// benchUpdateIncident writes one full incident (conditional on its
// version) among benchIncidents.
func benchUpdateIncident(b *testing.B, s store.Store) {
	seedIncidents(b, s, benchIncidents)
	ctx := testCtx(b)
	inc, err := s.GetIncident(ctx, benchIncidents/2)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		inc.StormGroups++
		if err := s.Commit(ctx, &incidents.Change{Update: []*incidents.Incident{inc}}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchNextNumber takes incident numbers from the counter.
func benchNextNumber(b *testing.B, s store.Store) {
	ctx := testCtx(b)
	b.ReportAllocs()
	for b.Loop() {
		last, err := s.LastNumber(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Commit(ctx, &incidents.Change{Counter: incidents.Counter{From: last, To: last + 1}}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchAppendEvents appends one event, as the service does per fact,
// spread over 100 incidents.
func benchAppendEvents(b *testing.B, s store.Store) {
	ctx := testCtx(b)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		n++
		ev := incidents.Event{ID: fmt.Sprintf("e%d", n), Incident: int64(n%100 + 1), Type: incidents.EventNote, At: time.Now(), Text: "note"}
		if err := s.Commit(ctx, &incidents.Change{Events: []incidents.Event{ev}}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchTimeline reads one incident's 100 events among 10,000 (100 incidents).
func benchTimeline(b *testing.B, s store.Store) {
	ctx := testCtx(b)
	now := time.Now().UTC()
	for inc := int64(1); inc <= 100; inc++ {
		evs := make([]incidents.Event, 100)
		for i := range evs {
			evs[i] = incidents.Event{ID: fmt.Sprintf("%d:e%d", inc, i), Incident: inc, Type: incidents.EventAlertFired,
				At: now.Add(time.Duration(i) * time.Second), Text: "Alert firing: HighErrorRate — 5xx above 5%",
				Fields: map[string]string{"fingerprint": "a1b2c3d4e5f60718", "labels": "alertname=HighErrorRate, instance=pay-1"}}
		}
		if err := s.Commit(ctx, &incidents.Change{Events: evs}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		evs, err := s.Timeline(ctx, 50)
		if err != nil || len(evs) != 100 {
			b.Fatalf("Timeline = %d events, %v", len(evs), err)
		}
	}
}

// benchLongTimeline reads the timeline of one incident with 10,000 events.
func benchLongTimeline(b *testing.B, s store.Store) {
	ctx := testCtx(b)
	now := time.Now().UTC()
	for batch := range 10 {
		evs := make([]incidents.Event, 1000)
		for i := range evs {
			n := batch*1000 + i
			evs[i] = incidents.Event{ID: fmt.Sprintf("1:e%05d", n), Incident: 1, Type: incidents.EventStormGroup,
				At: now.Add(time.Duration(n) * time.Millisecond), Text: "Alert group joined the storm",
				Fields: map[string]string{"group": fmt.Sprintf("{}:{alertname=\"A%d\"}", n)}}
		}
		if err := s.Commit(ctx, &incidents.Change{Events: evs}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		evs, err := s.Timeline(ctx, 1)
		if err != nil || len(evs) != 10_000 {
			b.Fatalf("Timeline = %d events, %v", len(evs), err)
		}
	}
}

// forEachBackend runs f as a sub-benchmark per store, each on a fresh one.
func forEachBackend(b *testing.B, f func(b *testing.B, s store.Store)) {
	for _, be := range storetest.Backends {
		b.Run(be.Name, func(b *testing.B) { f(b, be.Open(b)) })
	}
}

// BenchmarkAppendInbox runs benchAppendInbox on every store.
func BenchmarkAppendInbox(b *testing.B) { forEachBackend(b, benchAppendInbox) }

// BenchmarkGetIncident runs benchGetIncident on every store.
func BenchmarkGetIncident(b *testing.B) { forEachBackend(b, benchGetIncident) }

// BenchmarkUpdateIncident runs benchUpdateIncident on every store.
func BenchmarkUpdateIncident(b *testing.B) { forEachBackend(b, benchUpdateIncident) }

// BenchmarkNextNumber runs benchNextNumber on every store.
func BenchmarkNextNumber(b *testing.B) { forEachBackend(b, benchNextNumber) }

// BenchmarkAppendEvents runs benchAppendEvents on every store.
func BenchmarkAppendEvents(b *testing.B) { forEachBackend(b, benchAppendEvents) }

// BenchmarkLongTimeline runs benchLongTimeline on every store.
func BenchmarkLongTimeline(b *testing.B) { forEachBackend(b, benchLongTimeline) }

// BenchmarkTimeline runs benchTimeline on every store.
func BenchmarkTimeline(b *testing.B) { forEachBackend(b, benchTimeline) }

// seedFilterIncidents stores n incidents numbered 1..n as alerts open them
// over a long history: 300 alert groups and names, one incident in 200 with
// a follow-up still open (the oldest, #1, among them), most of the others
// with follow-ups done. #1 alone is of the group "rare" and alert name Rare.
func seedFilterIncidents(b *testing.B, s store.Store, n int) {
	b.Helper()
	ctx := testCtx(b)
	at := time.Date(2026, 3, 14, 9, 1, 7, 123_000_000, time.UTC)
	for i := 1; i <= n; i++ {
		inc := benchIncident(int64(i))
		name := fmt.Sprintf("Alert%03d", i%300)
		if i == 1 {
			name = "Rare"
		}
		inc.GroupKey = fmt.Sprintf(`{}/{severity="critical"}:{alertname=%q}`, name)
		if i == 1 {
			inc.GroupKey = "rare"
		}
		a := inc.Alerts["a1b2c3d4e5f60718"]
		a.Labels = map[string]string{"alertname": name, "instance": "pay-1:9100", "service": "payments"}
		inc.Alerts["a1b2c3d4e5f60718"] = a
		inc.Status = incidents.StatusResolved
		inc.Actions = []incidents.Action{{ID: 1, Text: "Add an alert on queue depth", Owner: "U0002", Done: true, At: at, DoneAt: at}}
		if i%200 == 1 {
			inc.Actions = append(inc.Actions, incidents.Action{ID: 2, Text: "Write the postmortem", Owner: "U0003", At: at, Due: at})
		}
		if err := s.Commit(ctx, &incidents.Change{Create: []*incidents.Incident{inc}}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchFindPrevious looks for the earlier incident of a new one among
// benchIncidents: its only match is the oldest. "indexed" is
// Service.FindPrevious (a query per group key and alert name, Limit 1);
// "newest-1000" is what it did before, a read of the newest 1000 compared in
// Go (which misses the match).
func benchFindPrevious(b *testing.B, s store.Store) {
	seedFilterIncidents(b, s, benchIncidents)
	ctx := testCtx(b)
	svc := incidents.NewService(s, nil, incidents.Options{})
	inc := benchIncident(benchIncidents + 1)
	inc.GroupKey = "rare"
	inc.Alerts["a1b2c3d4e5f60718"] = incidents.Alert{Fingerprint: "a1b2c3d4e5f60718", Labels: map[string]string{"alertname": "Rare"}}
	b.Run("indexed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if prev, err := svc.FindPrevious(ctx, inc, 0); err != nil || prev != 1 {
				b.Fatalf("FindPrevious = %d, %v; want 1", prev, err)
			}
		}
	})
	b.Run("newest-1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			list, err := s.ListIncidents(ctx, incidents.ListOptions{Limit: 1000})
			if err != nil {
				b.Fatal(err)
			}
			for _, other := range list {
				if other.GroupKey == inc.GroupKey || slices.Equal(other.AlertNames(), inc.AlertNames()) {
					b.Fatalf("found #%d", other.Number)
				}
			}
		}
	})
}

// benchOpenActions lists the open follow-ups among benchIncidents (50
// incidents have one, the oldest among them), as /incident list actions
// does. "indexed" reads ListOptions{OpenActions: true}; "newest-500" is what
// it did before (and misses the older ones).
func benchOpenActions(b *testing.B, s store.Store) {
	seedFilterIncidents(b, s, benchIncidents)
	ctx := testCtx(b)
	b.Run("indexed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			list, err := s.ListIncidents(ctx, incidents.ListOptions{OpenActions: true})
			if err != nil {
				b.Fatal(err)
			}
			if open := incidents.OpenActions(list, "", 0); len(open) != benchIncidents/200 {
				b.Fatalf("%d open follow-ups, want %d", len(open), benchIncidents/200)
			}
		}
	})
	b.Run("newest-500", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			list, err := s.ListIncidents(ctx, incidents.ListOptions{Limit: 500})
			if err != nil {
				b.Fatal(err)
			}
			if open := incidents.OpenActions(list, "", 0); len(open) != 500/200 {
				b.Fatalf("%d open follow-ups, want %d", len(open), 500/200)
			}
		}
	})
}

// benchOverdueScan is the weekly overdue follow-up scan among
// benchIncidents: "indexed" reads the incidents with open follow-ups,
// "all" every incident, as it did before.
func benchOverdueScan(b *testing.B, s store.Store) {
	seedFilterIncidents(b, s, benchIncidents)
	ctx := testCtx(b)
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		opts incidents.ListOptions
	}{{"indexed", incidents.ListOptions{OpenActions: true}}, {"all", incidents.ListOptions{}}} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				list, err := s.ListIncidents(ctx, tt.opts)
				if err != nil {
					b.Fatal(err)
				}
				if overdue := incidents.OverdueActions(list, now); len(overdue["U0003"]) != benchIncidents/200 {
					b.Fatalf("%d overdue, want %d", len(overdue["U0003"]), benchIncidents/200)
				}
			}
		})
	}
}

// BenchmarkOverdueScan runs benchOverdueScan on every store.
func BenchmarkOverdueScan(b *testing.B) { forEachBackend(b, benchOverdueScan) }

// BenchmarkFindPrevious runs benchFindPrevious on every store.
func BenchmarkFindPrevious(b *testing.B) { forEachBackend(b, benchFindPrevious) }

// BenchmarkOpenActions runs benchOpenActions on every store.
func BenchmarkOpenActions(b *testing.B) { forEachBackend(b, benchOpenActions) }
