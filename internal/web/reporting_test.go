package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// fakeReporting classifies incident 3 (open, sev1) under dora-major: the
// initial report submitted on time, the intermediate due soon, the final
// waiting; and incident 1 under a hostile obligation name, submitted late.
type fakeReporting struct{}

func (fakeReporting) Clocks(inc *incidents.Incident, _ []incidents.Event, now time.Time) []incidents.ReportClock {
	switch inc.Number {
	case 3:
		return []incidents.ReportClock{
			{Obligation: "dora-major", Report: "initial", Due: ago(20 * time.Minute), Capped: true, State: incidents.ReportOnTime, Submitted: ago(30 * time.Minute), Reference: "FIN-<7>"},
			{Obligation: "dora-major", Report: "intermediate", Due: now.Add(40 * time.Minute), State: incidents.ReportDueSoon},
			{Obligation: "dora-major", Report: "final", Waits: "intermediate", After: "1 month", State: incidents.ReportPending},
		}
	case 1:
		return []incidents.ReportClock{{Obligation: xssScript, Report: "early", Due: ago(20 * 24 * time.Hour), State: incidents.ReportLate, Submitted: ago(19 * 24 * time.Hour)}}
	}
	return nil
}

func (fakeReporting) Draft(_ context.Context, n int64, obligation, report string) ([]byte, error) {
	if n != 3 || obligation != "dora-major" || report != "initial" {
		return nil, fmt.Errorf("incident #%d is not classified under %s: %w", n, obligation, incidents.ErrNotFound)
	}
	return []byte("# Initial notification: INC-3\n"), nil
}

func TestIncidentPageListsTheRegulatoryReports(t *testing.T) {
	srv := serve(t, testOptions())
	page := do(t, "GET", srv.URL+"/incidents/3", nil)
	if page.code != http.StatusOK {
		t.Fatalf("GET /incidents/3: %d", page.code)
	}
	for _, want := range []string{
		`<h2 id="reporting-h">Regulatory reporting</h2>`,
		`<td data-label="Report">initial</td>`, `submitted on time`, `(at-most cap)`, `FIN-&lt;7&gt;`,
		`<td data-label="Report">intermediate</td>`, `report-due_soon">due soon`,
		`1 month after intermediate is submitted`, `<a href="/incidents/3/reports/dora-major/final.md">Markdown</a>`,
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the page of incident 3 lacks %s", want)
		}
	}
	if one := do(t, "GET", srv.URL+"/incidents/1", nil); !strings.Contains(one.body, "submitted late") || strings.Contains(one.body, xssScript) {
		t.Errorf("incident 1: a late report, escaped: %v", strings.Contains(one.body, "submitted late"))
	}
	if four := do(t, "GET", srv.URL+"/incidents/4", nil); strings.Contains(four.body, "Regulatory reporting") {
		t.Error("an incident under no obligation shows a reporting section")
	}
}

func TestAPIIncidentCarriesItsReports(t *testing.T) {
	srv := serve(t, testOptions())
	var got APIIncidentDetail
	a := do(t, "GET", srv.URL+"/api/v1/incidents/3", nil)
	if err := json.Unmarshal([]byte(a.body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Reporting) != 3 {
		t.Fatalf("reporting = %+v", got.Reporting)
	}
	r := got.Reporting
	if r[0].State != "on_time" || r[0].Submitted == nil || !r[0].Capped || r[0].Reference != "FIN-<7>" || r[0].Draft != "/incidents/3/reports/dora-major/initial.md" {
		t.Errorf("initial = %+v", r[0])
	}
	if r[2].Due != nil || r[2].WaitsFor != "intermediate" || r[2].Submitted != nil {
		t.Errorf("final = %+v", r[2])
	}
	if !strings.Contains(do(t, "GET", srv.URL+"/api/v1/incidents/4", nil).body, `"reporting":[]`) {
		t.Error("an incident without reports does not answer reporting: []")
	}
}

func TestStatsCountRegulatoryReports(t *testing.T) {
	srv := serve(t, testOptions())
	var got apiStats
	if err := json.Unmarshal([]byte(do(t, "GET", srv.URL+"/api/v1/stats?window=30d", nil).body), &got); err != nil {
		t.Fatal(err)
	}
	if g := got.Regulatory; g.Reports != 4 || g.OnTime != 1 || g.Late != 1 || g.Pending != 2 {
		t.Errorf("regulatory = %+v, want 1 on time, 1 late, 2 pending of 4", g)
	}
	if page := do(t, "GET", srv.URL+"/stats?window=30d", nil).body; !strings.Contains(page, "regulatory reports on time (1 late, 2 pending)") {
		t.Error("the stats page does not count the regulatory reports")
	}
}

func TestReportDraft(t *testing.T) {
	srv := serve(t, testOptions())
	got := do(t, "GET", srv.URL+"/incidents/3/reports/dora-major/initial.md", nil)
	if got.code != http.StatusOK || got.body != "# Initial notification: INC-3\n" || !strings.HasPrefix(got.header.Get("Content-Type"), "text/markdown") ||
		!strings.Contains(got.header.Get("Content-Disposition"), `filename="inc-3-dora-major-initial.md"`) {
		t.Errorf("draft: %d %q %v", got.code, got.body, got.header)
	}
	for _, path := range []string{"/incidents/3/reports/dora-major/final.md", "/incidents/3/reports/dora-major/initial", "/incidents/9/reports/x/y.md"} {
		if got := do(t, "GET", srv.URL+path, nil); got.code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, got.code)
		}
	}
	o := testOptions()
	o.Reporting = nil
	if got := do(t, "GET", serve(t, o).URL+"/incidents/3/reports/dora-major/initial.md", nil); got.code != http.StatusNotFound || !strings.Contains(got.body, "not configured") {
		t.Errorf("without reporting: %d %s", got.code, got.body)
	}
}
