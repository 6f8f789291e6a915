package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

func TestSummaryShowsSilencesMaintenanceAndButtons(t *testing.T) {
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	inc := &incidents.Incident{
		Number: 4, Title: "Checkout slow", Severity: "sev2", Status: incidents.StatusTriggered, DeclaredAt: at,
		GroupLabels: map[string]string{"alertname": "HighLatency"},
		Silences: []incidents.SilenceFact{
			{ID: "11111111-aaaa", Matchers: `{alertname="HighLatency", path=~"<a>&b"}`, Ends: at.Add(time.Hour)},
			{ID: "22222222-bbbb", Matchers: `{alertname="HighLatency"}`, Ends: at.Add(7 * 24 * time.Hour), UntilResolved: true},
		},
		Maintenance: &incidents.HoldFact{Window: "a1b2c3", Reason: "DB <upgrade>", Until: at.Add(2 * time.Hour)},
	}
	almaty := time.FixedZone("+05", 5*3600)
	blocks := summaryBlocks(inc, summaryOptions{Now: at, Location: almaty, Silences: true})
	checkBlockLimits(t, blocks)
	js := strings.ReplaceAll(blocksJSON(t, blocks), `\u0026`, "&")
	for _, want := range []string{
		":mute: *Silenced in Alertmanager* (2)",
		"• `{alertname=\\\"HighLatency\\\", path=~\\\"&lt;a&gt;&amp;b\\\"}` until Wed 25 Nov 2026 09:00 +05 — silence 11111111-aaaa",
		"until resolved — silence 22222222-bbbb",
		":construction: Opened during maintenance (window a1b2c3: DB &lt;upgrade&gt;) until Wed 25 Nov 2026 10:00 +05: nobody was paged.",
		`"text":"Silence 1h","emoji":true},"action_id":"incident_silence","value":"4:1h"`,
		`"value":"4:4h"`, `"value":"4:resolved"`, `"action_id":"incident_unsilence"`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("summary lacks %s\n%s", want, js)
		}
	}

	// Without an Alertmanager, or once resolved, no buttons; a declared
	// incident without labels has none either.
	if js := blocksJSON(t, summaryBlocks(inc, summaryOptions{Now: at})); strings.Contains(js, ActionSilence) {
		t.Errorf("silence buttons without an Alertmanager configured")
	}
	resolved := *inc
	resolved.Status = incidents.StatusResolved
	if js := blocksJSON(t, summaryBlocks(&resolved, summaryOptions{Now: at, Silences: true})); strings.Contains(js, ActionSilence) {
		t.Errorf("silence buttons on a resolved incident")
	}
	declared := &incidents.Incident{Number: 5, Title: "x", Status: incidents.StatusInvestigating, DeclaredAt: at}
	if js := blocksJSON(t, summaryBlocks(declared, summaryOptions{Now: at, Silences: true})); strings.Contains(js, ActionSilence) {
		t.Errorf("silence buttons on an incident without alert labels")
	}
}

func TestSummaryInRussianSilences(t *testing.T) {
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	inc := &incidents.Incident{Number: 4, Title: "x", Status: incidents.StatusTriggered, DeclaredAt: at, Labels: map[string]string{"a": "b"},
		Silences:    []incidents.SilenceFact{{ID: "s1", Matchers: `{a="b"}`, Ends: at.Add(time.Hour)}},
		Maintenance: &incidents.HoldFact{Window: "w1", Until: at.Add(time.Hour)}}
	js := blocksJSON(t, summaryBlocks(inc, summaryOptions{Now: at, Silences: true, Lang: russian(t)}))
	for _, want := range []string{"*Тишина в Alertmanager* (1)", "— № s1", "Открыт во время обслуживания (окно w1)", "Тишина 1h", "Тишина до решения", "Снять тишину"} {
		if !strings.Contains(js, want) {
			t.Errorf("Russian summary lacks %q\n%s", want, js)
		}
	}
}
