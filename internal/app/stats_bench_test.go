package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
)

// BenchmarkStats90d measures /incident stats 90d's figures and GET /stats over
// 10,000 incidents and 5,000 deployments on the embedded store, reads included.
func BenchmarkStats90d(b *testing.B) {
	h := newHarness(b, harnessOptions{manual: true})
	ctx := context.Background()
	st := h.app.Store()
	now := h.clock.Now()
	services := []string{"checkout", "payments", "search", "auth", "mail"}
	for i := range 10_000 {
		detected := now.Add(-time.Duration(i) * 13 * time.Minute) // 10,000 over ~90 days
		ack := detected.Add(time.Duration(i%30) * time.Minute)
		res := detected.Add(time.Duration(30+i%300) * time.Minute)
		inc := &incidents.Incident{
			Number: int64(i + 1), Title: fmt.Sprintf("incident %d", i), Severity: fmt.Sprintf("sev%d", 1+i%4),
			Status: incidents.StatusResolved, Service: services[i%len(services)],
			DetectedAt: detected, DeclaredAt: detected, AcknowledgedAt: &ack, ResolvedAt: &res, UpdatedAt: res,
			Alerts: map[string]incidents.Alert{"fp": {Fingerprint: "fp", Status: incidents.AlertResolved,
				Labels: map[string]string{"alertname": fmt.Sprintf("Alert%d", i%20)}, StartsAt: detected}},
		}
		if err := st.Commit(ctx, &incidents.Change{Create: []*incidents.Incident{inc}}); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 5_000 {
		d := deploys.Deployment{ID: fmt.Sprintf("d%d", i), Service: services[i%len(services)], Version: fmt.Sprint(i),
			Environment: "production", Status: deploys.StatusSuccess, At: now.Add(-time.Duration(i) * 26 * time.Minute),
			CommitAt: now.Add(-time.Duration(i)*26*time.Minute - time.Hour)}
		if i%10 == 0 {
			d.Status = deploys.StatusFailure
		}
		if _, err := st.AddDeployment(ctx, d); err != nil {
			b.Fatal(err)
		}
		if i%7 == 0 {
			if err := st.SetCause(ctx, int64(i+1), d.ID); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("incident stats 90d", func(b *testing.B) {
		for b.Loop() {
			r, err := h.app.stats(ctx, 90*24*time.Hour, "")
			if err != nil || r.Incidents == 0 {
				b.Fatalf("stats: %d incidents, %v", r.Incidents, err)
			}
		}
	})
	b.Run("GET /stats?window=90d", func(b *testing.B) {
		for b.Loop() {
			resp, err := http.Get(h.app.URL() + "/stats?window=90d")
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("GET /stats = %d", resp.StatusCode)
			}
		}
	})
}
