package stats

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
)

// benchInput is 10,000 incidents and 5,000 deployments over 90 days, 20
// services in 2 environments, a tenth of the incidents linked to a
// deployment, 3 alerts and 2 actions per incident, and 20,000 pages.
func benchInput() Input {
	rng := rand.New(rand.NewPCG(1, 2))
	from := T
	span := 90 * day
	sevs := []string{"sev1", "sev2", "sev3", "sev4"}
	in := Input{From: from, To: from.Add(span), Causes: map[int64]string{},
		Options: Options{Severities: sevs, Zone: time.FixedZone("Asia/Almaty", 5*3600)}}
	for i := range 5000 {
		at := from.Add(time.Duration(rng.Int64N(int64(span))))
		d := deploys.Deployment{ID: fmt.Sprintf("d%d", i), Service: fmt.Sprintf("svc%d", i%20), Version: "v1",
			Environment: []string{"production", "staging"}[i%2], Status: deploys.StatusSuccess, At: at}
		if i%7 == 0 {
			d.Status = deploys.StatusFailure
		}
		if i%3 != 0 {
			d.CommitAt = at.Add(-time.Duration(rng.Int64N(int64(48 * time.Hour))))
		}
		in.Deploys = append(in.Deploys, d)
	}
	for i := range 10000 {
		det := from.Add(time.Duration(rng.Int64N(int64(span))))
		inc := &incidents.Incident{Number: int64(i + 1), Title: "incident", Severity: sevs[i%4],
			Service: fmt.Sprintf("svc%d", i%20), Status: incidents.StatusResolved, DetectedAt: det, Alerts: map[string]incidents.Alert{},
			Actions: []incidents.Action{{ID: 1}, {ID: 2, Done: true}}}
		if i%10 != 0 {
			t := det.Add(time.Duration(rng.Int64N(int64(30 * time.Minute))))
			inc.AcknowledgedAt = &t
		}
		if i%50 != 0 {
			t := det.Add(time.Duration(rng.Int64N(int64(6 * time.Hour))))
			inc.MitigatedAt = &t
			r := t.Add(time.Hour)
			inc.ResolvedAt = &r
		} else {
			inc.Status = incidents.StatusInvestigating
		}
		for a := range 3 {
			fp := fmt.Sprintf("%d-%d", i, a)
			inc.Alerts[fp] = incidents.Alert{Fingerprint: fp, Labels: map[string]string{"alertname": fmt.Sprintf("Alert%d", (i+a)%40)}}
		}
		in.Incidents = append(in.Incidents, inc)
		if i%10 == 0 {
			in.Causes[inc.Number] = fmt.Sprintf("d%d", rng.IntN(5000))
		}
	}
	for i := range 20000 {
		in.Pages = append(in.Pages, PageRecord{User: fmt.Sprintf("U%03d", i%30), At: from.Add(time.Duration(rng.Int64N(int64(span))))})
	}
	return in
}

// BenchmarkCompute is every figure for /incident stats 90d over 10,000
// incidents and 5,000 deployments; BenchmarkCharts adds both SVGs.
func BenchmarkCompute(b *testing.B) {
	in := benchInput()
	now := in.To
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compute(in, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkComputeAndCharts(b *testing.B) {
	in := benchInput()
	now := in.To
	b.ReportAllocs()
	for b.Loop() {
		r, err := Compute(in, now)
		if err != nil {
			b.Fatal(err)
		}
		_ = IncidentsPerWeekSVG(r.Weeks)
		_ = ResponseTrendSVG(r.Weeks)
	}
}
