package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/stats"
)

// A 📌 reaction (or a pin by a person) on the bot's own summary puts
// nothing on the timeline: the summary says what the timeline holds.
func TestPushpinOnTheBotsOwnMessageRecordsNothing(t *testing.T) {
	e := newEnv(t)
	inc, ch := e.incident("U0001", "Checkout down")
	_, ts, err := e.api.PostMessageContext(e.ctx, ch, slack.MsgOptionText("Incident #1: Checkout down — sev2, triggered", false))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.UserReact(e.ctx, "U0002", ch, ts, "pushpin"); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.UserPin(e.ctx, "U0003", ch, ts); err != nil {
		t.Fatal(err)
	}
	if got := e.runJobs(); got != 2 {
		t.Fatalf("%d event jobs, want 2 (the reaction and the pin)", got)
	}
	if evs := pinned(e.timeline(inc.Number)); len(evs) != 0 {
		t.Errorf("the bot's own message reached the timeline: %+v", evs)
	}
	// A person's message still does.
	mine, _ := e.sim.UserPost(e.ctx, "U0002", ch, "rolled back")
	if err := e.sim.UserReact(e.ctx, "U0002", ch, mine, "pushpin"); err != nil {
		t.Fatal(err)
	}
	e.runJobs()
	if evs := pinned(e.timeline(inc.Number)); len(evs) != 1 || evs[0].Text != "rolled back" {
		t.Errorf("pinned events = %+v, want the person's message", evs)
	}
}

// One is singular in English too: "1 incident", "1 in 1 incident".
func TestStatsSingular(t *testing.T) {
	r := stats.Report{Incidents: 1, Open: 1,
		NoisiestAlerts: []stats.AlertCount{{Name: "HighErrorRate", Alerts: 1, Incidents: 1}}}
	text, blocks := statsBlocks(Lang{}, r, 24*time.Hour)
	if want := "Incident figures, last day, all services: 1 incident, 1 open"; text != want {
		t.Errorf("text = %q, want %q", text, want)
	}
	if js := blocksJSON(t, blocks); !strings.Contains(js, "HighErrorRate (1 in 1 incident)") {
		t.Errorf("noisiest alerts lack the singular:\n%s", js)
	}
}
