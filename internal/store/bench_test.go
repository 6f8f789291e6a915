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

// BenchmarkAppendInbox stores 100 webhook bodies with one insertMany per op.
func BenchmarkAppendInbox(b *testing.B) {
	s := storetest.New(b)
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

// seedIncidents stores n full incidents, numbered 1..n, so reads and writes
// by _id run against a collection of realistic size.
func seedIncidents(b *testing.B, s *store.Store, n int) {
	b.Helper()
	ctx := testCtx(b)
	for i := 1; i <= n; i++ {
		if err := s.CreateIncident(ctx, fullIncident(int64(i), time.UTC)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetIncident reads one full incident by number among 1,000.
func BenchmarkGetIncident(b *testing.B) {
	s := storetest.New(b)
	seedIncidents(b, s, 1000)
	ctx := testCtx(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetIncident(ctx, 500); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateIncident writes one full incident (conditional on its
// version) among 1,000.
func BenchmarkUpdateIncident(b *testing.B) {
	s := storetest.New(b)
	seedIncidents(b, s, 1000)
	ctx := testCtx(b)
	inc, err := s.GetIncident(ctx, 500)
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

// BenchmarkNextNumber takes incident numbers from the counter.
func BenchmarkNextNumber(b *testing.B) {
	s := storetest.New(b)
	ctx := testCtx(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.NextNumber(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendEvents appends one event, as the service does per fact,
// spread over 100 incidents.
func BenchmarkAppendEvents(b *testing.B) {
	s := storetest.New(b)
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

// BenchmarkTimeline reads one incident's 100 events among 10,000 (100 incidents).
func BenchmarkTimeline(b *testing.B) {
	s := storetest.New(b)
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
