package app

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/slacksim"
	"github.com/incidentbot/incidentbot/oncall"
)

// Paging stories. The harness clock starts on Wednesday 2026-11-25 03:00
// UTC: U0002 is on call for primary (weekly from Monday 09:00), U0004 for
// secondary.
const (
	primaryUser   = "U0002"
	secondaryUser = "U0004"
)

// withPaging adds two schedules and a policy that pages primary at once and
// secondary 10 minutes later, once more in a second round; every alert routes to it.
func withPaging(c *config.Config) {
	withSlack(c)
	monday := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	c.Schedules = []config.Schedule{
		{Name: "primary", Timezone: time.UTC, Channel: "#oncall", Rotations: []oncall.Rotation{{
			Name: "weekly", Type: oncall.RotationWeekly, Start: monday, HandoffTime: 9 * 60, Members: []string{primaryUser, "U0003"}}}},
		{Name: "secondary", Timezone: time.UTC, Channel: "#oncall", Rotations: []oncall.Rotation{{
			Name: "daily", Type: oncall.RotationDaily, Start: monday, HandoffTime: 9 * 60, Members: []string{secondaryUser}}}},
	}
	c.EscalationPolicies = []config.EscalationPolicy{{Name: "critical", Repeat: 1, Levels: []oncall.EscalationLevel{
		{Delay: 0, Targets: []oncall.Target{{Kind: oncall.TargetSchedule, Name: "primary"}}},
		{Delay: 10 * time.Minute, Targets: []oncall.Target{{Kind: oncall.TargetSchedule, Name: "secondary"}}},
	}}}
	for i := range c.Routes {
		c.Routes[i].EscalationPolicy = "critical"
		c.Routes[i].Severity = "sev1"
	}
}

// settleNow runs the jobs due now, and their retries a few seconds out, but
// no escalation timer: the clock moves only by retry delays.
func (h *harness) settleNow() {
	h.t.Helper()
	for range 200 {
		h.runJobs()
		jobs, err := h.app.Jobs().List(context.Background())
		if err != nil {
			h.t.Fatal(err)
		}
		var next time.Time
		for _, j := range jobs {
			if next.IsZero() || j.RunAt.Before(next) {
				next = j.RunAt
			}
		}
		now := h.clock.Now()
		if next.IsZero() || next.After(now.Add(5*time.Second)) {
			return
		}
		if next.After(now) {
			h.clock.Advance(next.Sub(now))
		}
	}
	h.t.Fatal("jobs did not settle")
}

// advance moves the clock and runs what became due.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	h.clock.Advance(d)
	h.settleNow()
}

// pages returns the bot's page messages in user's DM (nil when there is no DM).
func (h *harness) pages(user string) []slacksim.Message {
	h.t.Helper()
	dm, ok := h.sim.DirectMessage(user)
	if !ok {
		return nil
	}
	return botMessages(h.sim.Messages(dm.ID))
}

// blocksText is a message's blocks as JSON with <, > and & unescaped.
func blocksText(m slacksim.Message) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(m.Blocks))
}

func hasButton(m slacksim.Message, action string) bool {
	return strings.Contains(string(m.Blocks), `"action_id":"`+action+`"`)
}

// click presses a button of a message as user, failing on a bad answer.
func (h *harness) click(user string, m slacksim.Message, action, value string) {
	h.t.Helper()
	resp, err := h.sim.ClickButton(context.Background(), user, m.Channel, m.TS, action, value)
	if err != nil {
		h.t.Fatalf("click %s: %v", action, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		h.t.Fatalf("click %s: status %d %s", action, resp.StatusCode, body)
	}
}

func pagedEvents(evs []incidents.Event) []incidents.Event {
	var out []incidents.Event
	for _, e := range evs {
		if e.Type == incidents.EventPaged && e.Fields["user"] != "" {
			out = append(out, e)
		}
	}
	return out
}

// openCritical posts a firing alert and runs what follows at once.
func (h *harness) openCritical() {
	h.t.Helper()
	h.mustPost(payload("g", testAlert{fp(1), "firing", "HighErrorRate", h.clock.Now()}))
	h.applyAll()
	h.settleNow()
}

func TestStoryPageEscalateAcknowledgeInDM(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withPaging})
	h.openCritical()

	first := h.pages(primaryUser)
	if len(first) != 1 {
		t.Fatalf("pages to the primary = %d, want 1", len(first))
	}
	m := first[0]
	for _, want := range []string{"#1", "HighErrorRate", "sev1", "<#" + h.channel(1).ID + ">"} {
		if !strings.Contains(blocksText(m), want) {
			t.Errorf("page lacks %q: %s", want, m.Blocks)
		}
	}
	if !hasButton(m, bot.ActionAcknowledge) || !hasButton(m, bot.ActionDecline) {
		t.Errorf("page lacks its buttons: %s", m.Blocks)
	}
	if !contains(h.sim.Members(h.channel(1).ID), primaryUser) {
		t.Errorf("the paged primary was not invited to the incident channel")
	}
	if got := h.pages(secondaryUser); len(got) != 0 {
		t.Fatalf("secondary paged at once (%d), want after 10 minutes", len(got))
	}

	h.advance(9 * time.Minute)
	if got := h.pages(secondaryUser); len(got) != 0 {
		t.Fatalf("secondary paged after 9m, want after 10m")
	}
	h.advance(time.Minute)
	second := h.pages(secondaryUser)
	if len(second) != 1 {
		t.Fatalf("pages to the secondary after 10m = %d, want 1", len(second))
	}

	ackAt := h.clock.Now()
	h.click(secondaryUser, second[0], bot.ActionAcknowledge, "1")
	h.settleNow()

	inc := h.incidents()[0]
	if inc.AcknowledgedAt == nil || !inc.AcknowledgedAt.Equal(ackAt) {
		t.Fatalf("acknowledged_at = %v, want %v (MTTA 10m)", inc.AcknowledgedAt, ackAt)
	}
	for _, u := range []string{primaryUser, secondaryUser} {
		ps := h.pages(u)
		if len(ps) != 1 {
			t.Fatalf("pages to %s = %d, want 1", u, len(ps))
		}
		if hasButton(ps[0], bot.ActionAcknowledge) || hasButton(ps[0], bot.ActionDecline) {
			t.Errorf("page to %s keeps its buttons after the ack: %s", u, ps[0].Blocks)
		}
		if !strings.Contains(blocksText(ps[0]), "Acknowledged by <@"+secondaryUser+">") {
			t.Errorf("page to %s does not say who acknowledged: %s", u, ps[0].Blocks)
		}
	}
	sum := h.summaries(h.channel(1).ID)
	if len(sum) != 1 || hasButton(sum[0], bot.ActionAcknowledge) {
		t.Errorf("summary still offers Acknowledge after the ack")
	}

	// The rest of the escalation is gone: a whole hour pages nobody more.
	h.advance(time.Hour)
	if a, b := len(h.pages(primaryUser)), len(h.pages(secondaryUser)); a != 1 || b != 1 {
		t.Errorf("pages after the ack and an hour = %d, %d; want 1, 1", a, b)
	}
	evs := pagedEvents(h.timeline(1))
	if len(evs) != 2 {
		t.Fatalf("paged events = %d, want 2: %+v", len(evs), evs)
	}
	if e := evs[0]; e.Fields["user"] != primaryUser || e.Fields["schedule"] != "primary" || e.Fields["level"] != "1" || e.Fields["escalation"] != "" {
		t.Errorf("first page event = %+v", e.Fields)
	}
	if e := evs[1]; e.Fields["user"] != secondaryUser || e.Fields["schedule"] != "secondary" || e.Fields["level"] != "2" || e.Fields["escalation"] != "true" {
		t.Errorf("escalation page event = %+v", e.Fields)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var _ = strconv.Itoa
