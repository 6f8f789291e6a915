package bot_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/slackstate"
	"github.com/incidentbot/incidentbot/incidents"
)

func TestNudges(t *testing.T) {
	e := newEnv(t, nil)
	start := e.clock.Now()
	sev1 := e.declare("Payments API down", "sev1")   // update_every 30m
	sev3 := e.declare("Typo on status page", "sev3") // no nudges
	e.sync(sev1.Number)
	e.sync(sev3.Number)
	channel := e.state(sev1.Number).ChannelID

	due := func(at time.Duration) []bot.Nudge {
		t.Helper()
		got, err := e.n.DueNudges(e.ctx, start.Add(at))
		if err != nil {
			t.Fatalf("DueNudges: %v", err)
		}
		return got
	}
	nudge := func(g bot.Nudge) {
		t.Helper()
		if err := e.n.Nudge(e.ctx, g.Incident, g.Due); err != nil {
			t.Fatalf("Nudge(%+v): %v", g, err)
		}
	}
	reminders := func() int {
		n := 0
		for _, m := range e.botMessages(channel) {
			if strings.Contains(m.Text, "No status update") {
				n++
			}
		}
		return n
	}

	if got := due(29 * time.Minute); len(got) != 0 {
		t.Fatalf("due at 29m = %+v, want none", got)
	}
	got := due(30 * time.Minute)
	if len(got) != 1 || got[0].Incident != sev1.Number || !got[0].Due.Equal(start.Add(30*time.Minute)) {
		t.Fatalf("due at 30m = %+v, want #%d due at %s", got, sev1.Number, start.Add(30*time.Minute))
	}
	if key := got[0].Key(); key != "nudge:1:"+strconv.FormatInt(start.Add(30*time.Minute).Unix(), 10) {
		t.Errorf("Key = %q", key)
	}
	nudge(got[0])
	nudge(got[0]) // a retried job posts nothing more
	if n := reminders(); n != 1 {
		t.Fatalf("reminders = %d, want 1", n)
	}
	msgs := e.botMessages(channel)
	if text := msgs[len(msgs)-1].Text; !strings.Contains(text, "No status update for 30m") || !strings.Contains(text, "/incident status") {
		t.Errorf("reminder = %q", text)
	}

	// Once per interval.
	if got := due(45 * time.Minute); len(got) != 0 {
		t.Errorf("due at 45m = %+v, want none: this interval was reminded", got)
	}
	got = due(61 * time.Minute)
	if len(got) != 1 || !got[0].Due.Equal(start.Add(60*time.Minute)) {
		t.Fatalf("due at 61m = %+v, want one due at 60m", got)
	}
	nudge(got[0])
	if n := reminders(); n != 2 {
		t.Errorf("reminders = %d, want 2", n)
	}
	stale := bot.Nudge{Incident: sev1.Number, Due: start.Add(90 * time.Minute)}

	// A status update resets the count.
	e.clock.Advance(70 * time.Minute)
	if _, err := e.svc.SetStatus(e.ctx, sev1.Number, incidents.StatusIdentified, "U0001"); err != nil {
		t.Fatal(err)
	}
	if got := due(95 * time.Minute); len(got) != 0 {
		t.Errorf("due at 95m after a status update at 70m = %+v, want none", got)
	}
	nudge(stale) // planned before the update: dropped
	if n := reminders(); n != 2 {
		t.Errorf("a stale nudge posted: reminders = %d, want 2", n)
	}
	got = due(100 * time.Minute)
	if len(got) != 1 || !got[0].Due.Equal(start.Add(100*time.Minute)) {
		t.Fatalf("due at 100m = %+v, want one due at 100m", got)
	}

	// Resolved incidents are not reminded.
	if _, err := e.svc.Resolve(e.ctx, sev1.Number, "", "U0001"); err != nil {
		t.Fatal(err)
	}
	nudge(got[0])
	if n := reminders(); n != 2 {
		t.Errorf("a resolved incident was reminded: reminders = %d", n)
	}
	if got := due(300 * time.Minute); len(got) != 0 {
		t.Errorf("due after resolve = %+v, want none", got)
	}
}

func TestNudgeAdoptsReminderPostedBeforeCrash(t *testing.T) {
	e := newEnv(t, nil)
	start := e.clock.Now()
	inc := e.declare("Payments API down", "sev1")
	e.sync(inc.Number)
	g := bot.Nudge{Incident: inc.Number, Due: start.Add(30 * time.Minute)}
	if err := e.n.Nudge(e.ctx, g.Incident, g.Due); err != nil {
		t.Fatal(err)
	}
	// Posted, then stopped before NudgedAt was recorded; the job is retried.
	e.setState(inc.Number, func(r *slackstate.Incident) { r.NudgedAt = time.Time{} })
	posts := e.sim.Calls("chat.postMessage")
	if err := e.n.Nudge(bot.WithEarlierAttempt(e.ctx, start), g.Incident, g.Due); err != nil {
		t.Fatal(err)
	}
	if got := e.sim.Calls("chat.postMessage") - posts; got != 0 {
		t.Errorf("retried nudge posted %d messages, want the first adopted", got)
	}
	if got := e.state(inc.Number).NudgedAt; !got.Equal(g.Due) {
		t.Errorf("NudgedAt = %s, want %s", got, g.Due)
	}
}
