package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// benchIncident is a realistic incident of about 1 KB, as an alert opens it.
func benchIncident(n int64) *incidents.Incident {
	at := time.Date(2026, 3, 14, 9, 1, 7, 123_000_000, time.UTC)
	return &incidents.Incident{
		Number: n, Title: "Payments API 5xx", Severity: "sev1", Status: incidents.StatusInvestigating,
		Labels:  map[string]string{"alertname": "HighErrorRate", "service": "payments", "severity": "critical"},
		Service: "payments", EscalationPolicy: "default", GroupKey: `{}/{severity="critical"}:{alertname="HighErrorRate"}`,
		Alerts: map[string]incidents.Alert{"a1b2c3d4e5f60718": {
			Fingerprint: "a1b2c3d4e5f60718", Status: incidents.AlertFiring,
			Labels:      map[string]string{"alertname": "HighErrorRate", "instance": "pay-1:9100", "service": "payments"},
			Annotations: map[string]string{"summary": "5xx above 5%", "runbook_url": "https://wiki/runbooks/5xx"},
			StartsAt:    at, GeneratorURL: "http://prometheus:9090/graph?g0.expr=x",
		}},
		DetectedAt: at, DeclaredAt: at, UpdatedAt: at, StatusAt: at,
	}
}
