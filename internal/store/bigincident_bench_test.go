package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/store"
)

// The paged reads of a storm incident (issue 17): what an incident's page
// and API answer read, whatever the incident's size.

// benchTimelinePage reads 200 events from the middle of a 10,000-event
// timeline, as a page's "newer" link does.
func benchTimelinePage(b *testing.B, s store.Store) {
	ctx := testCtx(b)
	now := time.Now().UTC().Truncate(time.Millisecond)
	var mid incidents.Event
	for batch := range 10 {
		evs := make([]incidents.Event, 1000)
		for i := range evs {
			n := batch*1000 + i
			evs[i] = incidents.Event{ID: fmt.Sprintf("1:e%05d", n), Incident: 1, Type: incidents.EventStormGroup,
				At: now.Add(time.Duration(n) * time.Millisecond), Text: "1000 alert groups joined the storm (1000 alerts)",
				Fields: map[string]string{"groups": "1000", "alerts": "1000", "group_key": fmt.Sprintf("{}:{alertname=\"A%d\"}", n)}}
		}
		if batch == 5 {
			mid = evs[0]
		}
		if err := s.Commit(ctx, &incidents.Change{Events: evs}); err != nil {
			b.Fatal(err)
		}
	}
	from := incidents.Cursor{At: mid.At, ID: mid.ID}
	b.ReportAllocs()
	for b.Loop() {
		evs, next, err := s.TimelinePage(ctx, 1, from, 200)
		if err != nil || len(evs) != 200 || next.IsZero() {
			b.Fatalf("TimelinePage = %d events, next %v, %v", len(evs), next, err)
		}
	}
}

// benchAlertsPage reads 100 alerts from the middle of a storm incident's
// 60,000.
func benchAlertsPage(b *testing.B, s store.Store) {
	ctx := testCtx(b)
	at := time.Now().UTC().Truncate(time.Millisecond)
	for batch := range 60 {
		put := make([]incidents.IncidentAlert, 1000)
		for i := range put {
			g := batch*1000 + i
			put[i] = incidents.IncidentAlert{Incident: 11, Alert: incidents.Alert{Fingerprint: fmt.Sprintf("%016x", g), Status: incidents.AlertFiring,
				Labels:      map[string]string{"alertname": fmt.Sprintf("Flood%d", g), "instance": fmt.Sprintf("host-%d:9100", g), "severity": "warning"},
				Annotations: map[string]string{"summary": "flood"}, StartsAt: at, GeneratorURL: "http://prometheus.local/graph?g0.expr=up",
				GroupKey: fmt.Sprintf("{}:{alertname=\"Flood%d\"}", g)}}
		}
		if err := s.Commit(ctx, &incidents.Change{Alerts: put}); err != nil {
			b.Fatal(err)
		}
	}
	after := fmt.Sprintf("%016x", 30_000)
	b.ReportAllocs()
	for b.Loop() {
		alerts, next, err := s.AlertsPage(ctx, 11, after, 100)
		if err != nil || len(alerts) != 100 || next == "" {
			b.Fatalf("AlertsPage = %d alerts, next %q, %v", len(alerts), next, err)
		}
	}
}

// benchCountOpen counts the open incidents when all 10,000 are open: the
// /metrics gauge's read at its worst.
func benchCountOpen(b *testing.B, s store.Store) {
	seedIncidents(b, s, benchIncidents)
	ctx := testCtx(b)
	b.ReportAllocs()
	for b.Loop() {
		n, err := s.CountOpen(ctx)
		if err != nil || n["sev1"] != benchIncidents {
			b.Fatalf("CountOpen = %v, %v", n, err)
		}
	}
}

func BenchmarkTimelinePage(b *testing.B) { forEachBackend(b, benchTimelinePage) }

func BenchmarkAlertsPage(b *testing.B) { forEachBackend(b, benchAlertsPage) }

func BenchmarkCountOpen(b *testing.B) { forEachBackend(b, benchCountOpen) }
