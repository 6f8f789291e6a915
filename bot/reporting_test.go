package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// TestSummaryPinsTheReportClocks renders an incident's regulatory reports
// in its pinned summary, in English and in Russian.
func TestSummaryPinsTheReportClocks(t *testing.T) {
	almaty := time.FixedZone("+05", 5*3600)
	now := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	inc := &incidents.Incident{Number: 4, Title: "Payments down", Severity: "sev1", Status: incidents.StatusInvestigating, DeclaredAt: now.Add(-3 * time.Hour),
		Reporting: []incidents.ReportClock{
			{Obligation: "dora-major", Report: "initial", Due: now.Add(40 * time.Minute), Capped: true, State: incidents.ReportDueSoon},
			{Obligation: "dora-major", Report: "intermediate", Waits: "initial", After: "72h", State: incidents.ReportPending},
			{Obligation: "dora-major", Report: "final", Waits: "intermediate", After: "1 month", State: incidents.ReportPending},
			{Obligation: "nis2", Report: "early-warning", Due: now.Add(-time.Hour), Submitted: now.Add(-2 * time.Hour), Reference: "CSIRT <1>", State: incidents.ReportOnTime},
			{Obligation: "nis2", Report: "notification", Due: now.Add(-10 * time.Minute), State: incidents.ReportOverdue},
		}}
	tests := []struct {
		lang    Lang
		want    []string
		english []string
	}{
		{Lang{}, []string{"*Regulatory reporting*", "_dora-major_",
			":alarm_clock: *initial* — due Wed 25 Nov 2026 11:40 +05 (the at-most cap), in 40m · *due soon*",
			"*intermediate* — due 72h after *initial* is submitted", "*final* — due 1 month after *intermediate* is submitted",
			"_nis2_", ":white_check_mark: *early-warning* — submitted Wed 25 Nov 2026 09:00 +05 (reference CSIRT &lt;1&gt;) · on time",
			":rotating_light: *notification* — due Wed 25 Nov 2026 10:50 +05, 10m ago · *overdue*"}, nil},
		{russian(t), []string{"*Регуляторная отчётность*", "*initial* — срок ср 25 ноя 2026 11:40 +05 (предельный), через 40\u00a0мин · *срок скоро*",
			"срок через 72\u00a0ч после отправки *initial*", "срок через 1 месяц после отправки *intermediate*", "· вовремя", "10\u00a0мин назад · *просрочен*"},
			[]string{"Regulatory", "due", "submitted", "on time", "overdue", "month"}},
	}
	for _, tt := range tests {
		blocks := summaryBlocks(inc, summaryOptions{Lang: tt.lang, Now: now, Location: almaty})
		checkBlockLimits(t, blocks)
		js := blocksJSON(t, blocks)
		for _, w := range tt.want {
			if !strings.Contains(js, w) {
				t.Errorf("%s summary lacks %q:\n%s", tt.lang.Locale(), w, js)
			}
		}
		noEnglish(t, "Russian report clocks", js, tt.english...)
	}
	if js := blocksJSON(t, summaryBlocks(&incidents.Incident{Number: 5, Title: "x"}, summaryOptions{Now: now})); strings.Contains(js, "Regulatory") {
		t.Error("an incident under no obligation shows a reporting section")
	}
}
