package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

func TestSummaryShowsFollowUpsAndThePreviousIncident(t *testing.T) {
	inc := triggeredIncident()
	inc.Previous = 7
	due := declared.Add(24 * time.Hour)
	inc.Actions = []incidents.Action{
		{ID: 1, Text: "rotate <keys>", Owner: "U0002", Done: true, At: declared, DoneAt: declared.Add(time.Hour)},
		{ID: 2, Text: "add a replica", Owner: "U0003", At: declared, Due: due},
		{ID: 3, Text: "write a runbook", At: declared},
	}
	js := blocksJSON(t, summaryBlocks(inc, summaryOptions{PublicURL: "https://bot.example", Now: due.Add(time.Minute)}))
	for _, want := range []string{
		"*Follow-ups* (2 open of 3)",
		":white_check_mark: ~1. rotate &lt;keys&gt;~ — <@U0002>",
		":black_square_button: 2. add a replica — <@U0003> — due ",
		"*(overdue)*",
		":black_square_button: 3. write a runbook",
		`Happened before: \u003chttps://bot.example/incidents/7|#7\u003e`,
		`\u003chttps://bot.example/postmortems/7|its postmortem\u003e`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("summary lacks %q:\n%s", want, js)
		}
	}
	if strings.Index(js, "2. add a replica") > strings.Index(js, "1. rotate") {
		t.Error("done follow-ups are listed before open ones")
	}
	many := triggeredIncident()
	for i := range 30 {
		many.Actions = append(many.Actions, incidents.Action{ID: i + 1, Text: strings.Repeat("x", 500), At: declared})
	}
	if js := blocksJSON(t, summaryBlocks(many, summaryOptions{})); !strings.Contains(js, "…and 20 more: /incident list actions") {
		t.Errorf("30 follow-ups are not cut at 10")
	}
}
