package stats_test

import (
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/stats"
)

// The /incident stats 30d path: the caller reads incidents, deployments, the
// cause links and pages from the store and hands them over with the clock's now.
func ExampleCompute() {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	in := stats.Input{
		From: now.AddDate(0, 0, -30), To: now,
		Incidents: []*incidents.Incident{
			{Number: 1, Severity: "sev1", Service: "checkout", Status: incidents.StatusResolved,
				DetectedAt: now.Add(-48 * time.Hour), AcknowledgedAt: at(47*time.Hour + 55*time.Minute),
				MitigatedAt: at(47 * time.Hour), ResolvedAt: at(46 * time.Hour)},
			{Number: 2, Severity: "sev2", Service: "checkout", Status: incidents.StatusTriggered,
				DetectedAt: now.Add(-time.Hour)},
		},
		Deploys: []deploys.Deployment{
			{ID: "d1", Service: "checkout", Version: "v2", Environment: "production", Status: deploys.StatusSuccess,
				At: now.Add(-49 * time.Hour), CommitAt: now.Add(-52 * time.Hour)},
		},
		Causes: map[int64]string{1: "d1"},
	}
	r, err := stats.Compute(in, now)
	if err != nil {
		panic(err)
	}
	fmt.Println("incidents:", r.Incidents, "open:", r.Open)
	fmt.Println("MTTA median:", r.TimeToAcknowledge.Median, "never acknowledged:", r.TimeToAcknowledge.Missing)
	fmt.Println("MTTR (restore) median:", r.TimeToRestore.Median, "not yet restored:", r.TimeToRestore.Missing)
	d := r.DORA[0]
	fmt.Printf("%s/%s: %d deployment, lead time %s, change fail rate %.0f%%, recovery %s\n",
		d.Service, d.Environment, d.Deployments, d.LeadTime.Median, d.ChangeFailRate*100, d.Recovery.Median)
	// Output:
	// incidents: 2 open: 1
	// MTTA median: 5m0s never acknowledged: 1
	// MTTR (restore) median: 1h0m0s not yet restored: 1
	// checkout/production: 1 deployment, lead time 3h0m0s, change fail rate 100%, recovery 2h0m0s
}
