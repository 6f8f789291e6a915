package stats

import (
	"reflect"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/deploys"
)

func TestDORA(t *testing.T) {
	r := compute(t, fixture())
	h := func(n int) Duration { return Duration(time.Duration(n) * time.Hour) }
	want := []DORA{
		{
			// In the window: c1 c2 c3 c4 c5 (c0 is a day before it).
			Service: "checkout", Environment: "production", Deployments: 5, Failed: 2,
			PerDay: 5.0 / 14, // now is after To, so the whole 14 days
			// Successful: c1 60m, c4 30m; c2 has no commit_at. n=2: median = 1st, p90 = ⌈1.8⌉ = 2nd.
			LeadTime: Durations{Definition: defLeadTime, Count: 2, Median: m(30), P90: m(60), Mean: m(45), Max: m(60),
				Missing: 1, MissingMeaning: "successful deployments without commit_at"},
			// c1 caused #1; c3 and c5 failed.
			ChangeFailures: 3, ChangeFailRate: 0.6,
			// c1 → #1 restored (mitigated) at T+1h30m: 60m. c3 → c4: 20m. c5: nothing after it.
			Recovery: Durations{Definition: defRecovery, Count: 2, Median: m(20), P90: m(60), Mean: m(40), Max: m(60),
				Missing: 1, MissingMeaning: "not recovered yet"},
			// c1 during #5 (caused by c0, before the window), c2 during #1 (caused by c1).
			Rework: 2, ReworkRate: 0.4,
		},
		{
			Service: "checkout", Environment: "staging", Deployments: 1, PerDay: 1.0 / 14,
			LeadTime: Durations{Definition: defLeadTime, Count: 1, Median: m(10), P90: m(10), Mean: m(10), Max: m(10),
				MissingMeaning: "successful deployments without commit_at"},
			Recovery: Durations{Definition: defRecovery, MissingMeaning: "not recovered yet"},
		},
		{
			Service: "search", Environment: "production", Deployments: 3, PerDay: 3.0 / 14,
			// The nameless one 2h, q3 1h; q2 has no commit_at.
			LeadTime: Durations{Definition: defLeadTime, Count: 2, Median: h(1), P90: h(2), Mean: m(90), Max: h(2),
				Missing: 1, MissingMeaning: "successful deployments without commit_at"},
			// q2 caused #3 (restored) and #4 (open): not recovered while #4 is open.
			ChangeFailures: 1, ChangeFailRate: 1.0 / 3,
			Recovery: Durations{Definition: defRecovery, Missing: 1, MissingMeaning: "not recovered yet"},
			// q3 was made while #4 was open.
			Rework: 1, ReworkRate: 1.0 / 3,
		},
	}
	if len(r.DORA) != len(want) {
		t.Fatalf("DORA got %d rows %+v, want %d", len(r.DORA), r.DORA, len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(r.DORA[i], want[i]) {
			t.Errorf("DORA %s/%s\n got %+v\nwant %+v", want[i].Service, want[i].Environment, r.DORA[i], want[i])
		}
	}
}

func TestDORARecovery(t *testing.T) {
	in := fixture()
	// Once #4 is restored the last of q2's incidents is: recovery runs from q2
	// (T+8d−30m) to #4's mitigation at T+9d+2h.
	inc4 := *in.Incidents[3]
	inc4.MitigatedAt = ptr(9*day + 2*time.Hour)
	in.Incidents[3] = &inc4
	in.Service = "search"
	r := compute(t, in)
	want := Duration(day + 2*time.Hour + 30*time.Minute)
	if got := r.DORA[0].Recovery; got.Count != 1 || got.Median != want || got.Missing != 0 {
		t.Errorf("recovery got %+v, want one of %s", got, want)
	}
	// Rework stops at resolution, not at mitigation: q3 is still rework.
	if r.DORA[0].Rework != 1 {
		t.Errorf("rework got %d, want 1", r.DORA[0].Rework)
	}
}

func TestDORAUnsuppliedIncident(t *testing.T) {
	// A deployment linked to an incident the caller did not supply is still a
	// change failure, but its recovery is unknown.
	in := Input{From: T, To: T.Add(day),
		Deploys: []deploys.Deployment{{ID: "x", Service: "s", Environment: "p", Status: deploys.StatusSuccess, At: T.Add(time.Hour)},
			{ID: "y", Service: "s", Environment: "p", Status: deploys.StatusSuccess, At: T.Add(2 * time.Hour)}},
		Causes: map[int64]string{42: "x"}}
	r, err := Compute(in, T.Add(12*time.Hour)) // half the window has passed
	if err != nil {
		t.Fatal(err)
	}
	d := r.DORA[0]
	if d.ChangeFailures != 1 || d.Recovery.Missing != 1 || d.Recovery.Count != 0 || d.Rework != 0 {
		t.Errorf("got %+v, want 1 change failure, not recovered, no rework", d)
	}
	if d.PerDay != 4 {
		t.Errorf("per day got %v, want 4 (2 deployments in the 12 hours up to now)", d.PerDay)
	}
}
