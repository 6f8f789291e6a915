package stats

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

func TestRegulatoryReportsCountTheWindowsIncidents(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	clock := func(state string) incidents.ReportClock {
		return incidents.ReportClock{Obligation: "dora-major", State: state}
	}
	in := Input{From: from, To: from.AddDate(0, 1, 0), Incidents: []*incidents.Incident{
		{Number: 1, DetectedAt: from.Add(time.Hour), Reporting: []incidents.ReportClock{
			clock(incidents.ReportOnTime), clock(incidents.ReportLate), clock(incidents.ReportPending)}},
		{Number: 2, DetectedAt: from.Add(48 * time.Hour), Reporting: []incidents.ReportClock{
			clock(incidents.ReportOnTime), clock(incidents.ReportOverdue), clock(incidents.ReportDueSoon)}},
		{Number: 3, DetectedAt: from.Add(-time.Hour), Reporting: []incidents.ReportClock{clock(incidents.ReportLate)}}, // before the window
		{Number: 4, DetectedAt: from.Add(time.Hour)},
	}}
	r, err := Compute(in, in.To)
	if err != nil {
		t.Fatal(err)
	}
	want := RegulatoryReports{Reports: 6, OnTime: 2, Late: 1, Overdue: 1, Pending: 2}
	if r.Regulatory != want {
		t.Errorf("Regulatory = %+v, want %+v", r.Regulatory, want)
	}
	if r.Definitions["regulatory_reporting"] == "" {
		t.Error("no definition of the regulatory figures")
	}
}
