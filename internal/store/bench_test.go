package store_test

import (
	"fmt"
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
		if err := s.CreateIncident(ctx, benchIncident(int64(i))); err != nil {
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
		if err := s.UpdateIncident(ctx, inc); err != nil {
			b.Fatal(err)
		}
	}
}

// benchNextNumber takes incident numbers from the counter.
func benchNextNumber(b *testing.B, s store.Store) {
	ctx := testCtx(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.NextNumber(ctx); err != nil {
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
		if err := s.AppendEvents(ctx, ev); err != nil {
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
		if err := s.AppendEvents(ctx, evs...); err != nil {
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
		if err := s.AppendEvents(ctx, evs...); err != nil {
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
