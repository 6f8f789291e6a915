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

// TestInvariants checks, over the benchmark's 10,000 incidents, that nothing
// is dropped: every incident is either measured or counted apart, and the
// partial counts add up to the totals.
func TestInvariants(t *testing.T) {
	in := benchInput()
	r, err := Compute(in, in.To)
	if err != nil {
		t.Fatal(err)
	}
	if r.Incidents != 10000 {
		t.Fatalf("incidents got %d, want all 10000 (all detected in the window)", r.Incidents)
	}
	for name, d := range map[string]Durations{"ack": r.TimeToAcknowledge, "restore": r.TimeToRestore, "resolve": r.TimeToResolve} {
		if d.Count+d.Missing != r.Incidents {
			t.Errorf("%s: measured %d + apart %d, want %d", name, d.Count, d.Missing, r.Incidents)
		}
		if !(d.Median <= d.P90 && d.P90 <= d.Max) {
			t.Errorf("%s: median %s, p90 %s, max %s out of order", name, d.Median, d.P90, d.Max)
		}
	}
	// 1 in 10 never acknowledged, 1 in 50 open.
	if r.TimeToAcknowledge.Missing != 1000 || r.TimeToRestore.Missing != 200 || r.Open != 200 {
		t.Errorf("apart got ack %d, restore %d, open %d; want 1000, 200, 200", r.TimeToAcknowledge.Missing, r.TimeToRestore.Missing, r.Open)
	}
	sum := func(cs []Count) (n int) {
		for _, c := range cs {
			n += c.Count
		}
		return n
	}
	weekly := 0
	for _, w := range r.Weeks {
		weekly += w.Incidents
		if sum(w.BySeverity) != w.Incidents {
			t.Errorf("week %s: severities add to %d, want %d", w.Start, sum(w.BySeverity), w.Incidents)
		}
	}
	if sum(r.BySeverity) != r.Incidents || sum(r.ByService) != r.Incidents || weekly != r.Incidents {
		t.Errorf("by severity %d, by service %d, weekly %d; want %d each", sum(r.BySeverity), sum(r.ByService), weekly, r.Incidents)
	}
	if r.FollowUps != (FollowUps{Open: 10000, Done: 10000}) {
		t.Errorf("follow-ups got %+v, want 10000 open and done", r.FollowUps)
	}
	deploysN := 0
	for _, d := range r.DORA {
		deploysN += d.Deployments
		if d.LeadTime.Count+d.LeadTime.Missing != d.Deployments-d.Failed {
			t.Errorf("%s/%s: lead time %d + %d, want %d successful", d.Service, d.Environment, d.LeadTime.Count, d.LeadTime.Missing, d.Deployments-d.Failed)
		}
		if d.Recovery.Count+d.Recovery.Missing != d.ChangeFailures || d.ChangeFailures < d.Failed || d.Rework > d.Deployments {
			t.Errorf("%s/%s: inconsistent %+v", d.Service, d.Environment, d)
		}
	}
	if deploysN != 5000 {
		t.Errorf("deployments got %d, want 5000", deploysN)
	}
	if r.OnCall.Pages != 20000 || len(r.OnCall.People) != 30 {
		t.Errorf("pages got %d over %d people, want 20000 over 30", r.OnCall.Pages, len(r.OnCall.People))
	}
}
