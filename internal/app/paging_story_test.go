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
	"github.com/incidentbot/incidentbot/internal/clocktest"
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
			Name: "weekly", Type: oncall.RotationWeekly, Start: monday, HandoffTime: 9 * 60, Members: []string{primaryUser, "U0003", "U0001"}}}},
		{Name: "secondary", Timezone: time.UTC, Channel: "#oncall", Rotations: []oncall.Rotation{{
			Name: "daily", Type: oncall.RotationDaily, Start: monday, HandoffTime: 9 * 60, Members: []string{secondaryUser}}}},
	}
	c.EscalationPolicies = []config.EscalationPolicy{{Name: "critical", Repeat: 1, Levels: []oncall.EscalationLevel{
		{Delay: 0, Targets: []oncall.Target{{Kind: oncall.TargetSchedule, Name: "primary"}}},
		{Delay: 10 * time.Minute, Targets: []oncall.Target{{Kind: oncall.TargetSchedule, Name: "secondary"}, {Kind: oncall.TargetChannel, Name: "#sre"}}},
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
	sre := botMessages(h.sim.Messages(h.channelID("sre")))
	if len(sre) != 1 || !strings.Contains(sre[0].Text, "#1") || !hasButton(sre[0], bot.ActionAcknowledge) {
		t.Fatalf("level 2's channel target #sre got %d messages, want one page with Acknowledge", len(sre))
	}

	ackAt := h.clock.Now()
	h.click(secondaryUser, second[0], bot.ActionAcknowledge, "1")
	h.settleNow()

	// Each page counted once: the primary's first page, the secondary's and #sre's escalations, all acknowledged.
	fams := h.scrape()
	for _, c := range []struct {
		family string
		labels map[string]string
		want   float64
	}{
		{"incidentbot_pages_sent_total", map[string]string{"kind": "first"}, 1},
		{"incidentbot_pages_sent_total", map[string]string{"kind": "escalation"}, 2},
		{"incidentbot_pages_closed_total", map[string]string{"state": "acknowledged"}, 3},
	} {
		if got := sum(fams[c.family], c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.family, c.labels, got, c.want)
		}
	}

	inc := h.incidents()[0]
	if inc.AcknowledgedAt == nil || !inc.AcknowledgedAt.Equal(ackAt) {
		t.Fatalf("acknowledged_at = %v, want %v (MTTA 10m)", inc.AcknowledgedAt, ackAt)
	}
	if sre := botMessages(h.sim.Messages(h.channelID("sre"))); hasButton(sre[0], bot.ActionAcknowledge) {
		t.Errorf("the page in #sre keeps its button after the ack")
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

// oncall runs /oncall as user in #general and returns the answer's body.
func (h *harness) oncall(user, text string) string {
	h.t.Helper()
	resp, err := h.sim.SlashCommand(context.Background(), user, h.channelID("general"), "/oncall", text)
	if err != nil {
		h.t.Fatalf("/oncall %s: %v", text, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		h.t.Fatalf("/oncall %s: status %d %s", text, resp.StatusCode, body)
	}
	return unescapeJSON(string(body))
}

// unescapeJSON undoes JSON's escaping of <, > and &.
func unescapeJSON(s string) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(s)
}

func TestStoryOverrideByCommandChangesOncallAndNextPage(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withPaging})
	if got := h.oncall("U0003", ""); !strings.Contains(got, "*primary*: <@"+primaryUser+"> until Mon 30 Nov 09:00 UTC") ||
		!strings.Contains(got, "*secondary*: <@"+secondaryUser+">") {
		t.Fatalf("/oncall = %s, want who is on call per schedule and until when", got)
	}
	if got := h.oncall(secondaryUser, "override primary <@U0004> now +1h"); !strings.Contains(got, "Only an admin or a member of primary") {
		t.Errorf("override by a non-member = %s, want a refusal", got)
	}
	got := h.oncall("U0003", "override primary <@U0003> now +2h")
	if !strings.Contains(got, "put <@U0003> on call for *primary* from Wed 25 Nov 03:00 UTC to Wed 25 Nov 05:00 UTC") {
		t.Fatalf("override by a member = %s", got)
	}
	if got := h.oncall("U0003", "primary"); !strings.Contains(got, "*primary*: <@U0003> until Wed 25 Nov 05:00 UTC") ||
		!strings.Contains(got, "Wed 25 Nov 05:00 UTC → Mon 30 Nov 09:00 UTC: <@"+primaryUser+">") {
		t.Errorf("/oncall primary after the override = %s", got)
	}
	list := h.oncall("U0003", "overrides")
	ovs, err := h.app.store.Overrides(context.Background(), "primary", h.clock.Now())
	if err != nil || len(ovs) != 1 || !strings.Contains(list, "`"+ovs[0].ID+"` *primary*: <@U0003>") {
		t.Fatalf("/oncall overrides = %s (stored %v, %v)", list, ovs, err)
	}

	h.openCritical()
	if got := len(h.pages("U0003")); got != 1 {
		t.Fatalf("pages to the override = %d, want 1", got)
	}
	if got := len(h.pages(primaryUser)); got != 0 {
		t.Errorf("pages to the overridden primary = %d, want 0", got)
	}

	if got := h.oncall("U0003", "override remove "+ovs[0].ID); !strings.Contains(got, "removed override") {
		t.Fatalf("override remove = %s", got)
	}
	if got := h.oncall("U0003", ""); !strings.Contains(got, "*primary*: <@"+primaryUser+">") {
		t.Errorf("/oncall after the removal = %s", got)
	}
	if got := h.oncall("U0003", "override primary <@U0003> soon +1h"); !strings.Contains(got, "Usage:") {
		t.Errorf("bad time = %s, want the usage line", got)
	}
}

func TestStoryCoverRequestTakenByFirstClicker(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withPaging})
	if got := h.oncall(primaryUser, "cover primary now +4h"); !strings.Contains(got, "I asked #oncall") {
		t.Fatalf("/oncall cover = %s", got)
	}
	h.settleNow()
	oncallCh := h.channelID("oncall")
	var req slacksim.Message
	for _, m := range botMessages(h.sim.Messages(oncallCh)) {
		if hasButton(m, bot.ActionTakeCover) {
			req = m
		}
	}
	if req.TS == "" {
		t.Fatalf("no cover request with a Take it button in #oncall: %+v", h.sim.Messages(oncallCh))
	}
	value := ""
	if i := strings.Index(string(req.Blocks), `"value":"`); i >= 0 {
		value = string(req.Blocks)[i+len(`"value":"`):]
		value = value[:strings.Index(value, `"`)]
	}
	h.click(secondaryUser, req, bot.ActionTakeCover, value) // not a member of primary: refused
	h.click("U0003", req, bot.ActionTakeCover, value)
	h.click("U0001", req, bot.ActionTakeCover, value) // second: finds it taken
	h.settleNow()
	ovs, _ := h.app.store.Overrides(context.Background(), "primary", h.clock.Now())
	if len(ovs) != 1 || ovs[0].User != "U0003" || ovs[0].Replaces != primaryUser {
		t.Fatalf("overrides after the clicks = %+v, want one: U0003 for %s", ovs, primaryUser)
	}
	taken, _ := h.sim.Message(oncallCh, req.TS)
	if hasButton(taken, bot.ActionTakeCover) || !strings.Contains(blocksText(taken), "<@U0003> covers *primary*") {
		t.Errorf("request after it was taken = %s, want who took it and no button", taken.Blocks)
	}
	var saw []string
	for _, e := range h.sim.Ephemerals() {
		saw = append(saw, e.Text)
	}
	all := strings.Join(saw, "\n")
	for _, want := range []string{"Only members of primary", "You cover primary", "<@U0003> took this shift already"} {
		if !strings.Contains(all, want) {
			t.Errorf("answers to the clicks lack %q: %q", want, all)
		}
	}
	h.openCritical()
	if got := len(h.pages("U0003")); got != 1 {
		t.Errorf("pages to the cover = %d, want 1", got)
	}
}

func TestStoryDeclineEscalatesAtOnce(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withPaging})
	h.openCritical()
	h.advance(2 * time.Minute)
	h.click(primaryUser, h.pages(primaryUser)[0], bot.ActionDecline, "1")
	h.settleNow()
	if got := len(h.pages(secondaryUser)); got != 1 {
		t.Fatalf("pages to the secondary right after the decline = %d, want 1", got)
	}
	declined := h.pages(primaryUser)[0]
	if hasButton(declined, bot.ActionDecline) || !strings.Contains(blocksText(declined), "Declined by <@"+primaryUser+">") {
		t.Errorf("declined page = %s, want its buttons replaced by the decline", declined.Blocks)
	}
	if n := countEvents(h.timeline(1), incidents.EventDeclined); n != 1 {
		t.Errorf("declined events = %d, want 1", n)
	}
	// The waits after move with it: round two begins 10 minutes after the
	// secondary was paged, not 20 minutes after the incident opened.
	h.advance(9 * time.Minute)
	if got := len(h.pages(primaryUser)); got != 1 {
		t.Fatalf("primary paged again after 9m of the secondary's wait (%d pages)", got)
	}
	h.advance(time.Minute)
	if got := len(h.pages(primaryUser)); got != 2 {
		t.Fatalf("pages to the primary 10m after the decline = %d, want 2 (round two)", got)
	}
}

func TestStoryResolveCancelsEscalation(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withPaging})
	h.openCritical()
	h.command("U0001", h.channel(1).ID, "resolve false alarm")
	h.settleNow()
	h.advance(time.Hour)
	if got := len(h.pages(secondaryUser)); got != 0 {
		t.Fatalf("secondary paged after the resolve (%d)", got)
	}
	ps := h.pages(primaryUser)
	if len(ps) != 1 || hasButton(ps[0], bot.ActionAcknowledge) || !strings.Contains(blocksText(ps[0]), "Resolved at") {
		t.Fatalf("primary's page after the resolve = %+v, want one without buttons saying resolved", ps)
	}
	jobs, _ := h.app.Jobs().List(context.Background())
	for _, j := range jobs {
		if strings.HasPrefix(j.Key, "page:") {
			t.Errorf("escalation job %s left after the resolve", j.Key)
		}
	}
}

func TestStoryRepeatThenNobodyAcknowledged(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withPaging})
	h.openCritical()
	nobody := func() int {
		n := 0
		for _, ch := range []string{h.channel(1).ID, h.channelID("incidents")} {
			for _, m := range botMessages(h.sim.Messages(ch)) {
				if strings.Contains(m.Text, "Nobody acknowledged") {
					n++
					if !strings.Contains(m.Text, "<@"+primaryUser+">") || !strings.Contains(m.Text, "<@"+secondaryUser+">") {
						t.Errorf("notice %q does not name everyone paged", m.Text)
					}
				}
			}
		}
		return n
	}
	// primary 0m, secondary 10m, primary 20m, secondary 30m, the end 40m.
	for i, want := range []struct{ primary, secondary int }{{1, 1}, {2, 1}, {2, 2}} {
		h.advance(10 * time.Minute)
		if a, b := len(h.pages(primaryUser)), len(h.pages(secondaryUser)); a != want.primary || b != want.secondary {
			t.Fatalf("after %dm: pages = %d, %d; want %d, %d", 10*(i+1), a, b, want.primary, want.secondary)
		}
	}
	if n := nobody(); n != 0 {
		t.Fatalf("nobody-acknowledged notices after 30m = %d, want 0", n)
	}
	h.advance(10 * time.Minute)
	if n := nobody(); n != 2 {
		t.Fatalf("nobody-acknowledged notices after 40m = %d, want 2 (incident and announce channels)", n)
	}
	h.advance(time.Hour)
	if n := nobody(); n != 2 {
		t.Errorf("notices after another hour = %d, want still 2", n)
	}
	if n := countEvents(h.timeline(1), incidents.EventUnacknowledged); n != 1 {
		t.Errorf("unacknowledged events = %d, want 1", n)
	}
}

func TestStoryRestartMidEscalationNeitherLosesNorRepeats(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, harnessOptions{dir: dir, manual: true, config: withPaging})
	// The invite after the first page fails: the DM is posted but its page
	// is not recorded as sent when the process dies.
	h.sim.SetServerError("conversations.invite", slacksim.Always(), 500)
	h.openCritical()
	if got := len(h.pages(primaryUser)); got != 1 {
		t.Fatalf("pages to the primary before the crash = %d, want 1", got)
	}
	h.kill()
	h.sim.ClearFaults()

	h2 := newHarness(t, harnessOptions{dir: dir, manual: true, config: withPaging, clock: h.clock, slackOf: h})
	h2.settleNow()
	if got := len(h2.pages(primaryUser)); got != 1 {
		t.Fatalf("pages to the primary after the restart = %d, want still 1", got)
	}
	h2.advance(10 * time.Minute)
	if got := len(h2.pages(secondaryUser)); got != 1 {
		t.Fatalf("pages to the secondary after the restart and 10m = %d, want 1", got)
	}
	if got := len(pagedEvents(h2.timeline(1))); got != 2 {
		t.Errorf("paged events = %d, want 2", got)
	}
}

func TestStoryTwoInstancesPageOnce(t *testing.T) {
	first := newHarness(t, harnessOptions{manual: true, config: withPaging})
	second := newHarness(t, harnessOptions{manual: true, config: withPaging, store: first.app.Store(), clock: first.clock, slackOf: first})
	first.openCritical()
	// Both replicas race for the escalation timers as they come due, then
	// each settles what is left (settling both at once would spin on the
	// jobs the other one holds).
	for range 2 {
		first.clock.Advance(5 * time.Minute)
		done := make(chan struct{})
		go func() { defer close(done); second.runJobs() }()
		first.runJobs()
		<-done
		first.settleNow()
		second.settleNow()
	}
	if a, b := len(first.pages(primaryUser)), len(first.pages(secondaryUser)); a != 1 || b != 1 {
		t.Fatalf("pages with two replicas = %d, %d; want 1, 1", a, b)
	}
	if got := first.sim.OKCalls("conversations.open"); got != 2 {
		t.Errorf("conversations.open calls = %d, want 2", got)
	}
}

func TestStoryHandoffOnceAtShiftChange(t *testing.T) {
	dir := t.TempDir()
	config := func(c *config.Config) {
		withPaging(c)
		c.Schedules[0].Usergroup = "oncall-primary"
	}
	h := newHarness(t, harnessOptions{dir: dir, manual: true, config: config})
	ctx := context.Background()
	tick := func(h *harness) {
		if _, err := h.app.cron.TickDue(ctx, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		h.settleNow()
	}
	handoffs := func(h *harness, channel string) []slacksim.Message {
		var out []slacksim.Message
		for _, m := range botMessages(h.sim.Messages(channel)) {
			if strings.Contains(m.Text, "Handoff for primary") {
				out = append(out, m)
			}
		}
		return out
	}
	oncallCh := h.channelID("oncall")
	// Monday 30 Nov 09:00 UTC: primary goes from U0002 to U0003.
	change := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	h.clock.Advance(change.Add(-time.Minute).Sub(h.clock.Now()))
	tick(h)
	if got := len(handoffs(h, oncallCh)); got != 0 {
		t.Fatalf("handoffs before the change = %d, want 0", got)
	}
	for range 3 {
		h.clock.Advance(time.Minute)
		tick(h)
	}
	msgs := handoffs(h, oncallCh)
	if len(msgs) != 1 {
		t.Fatalf("handoffs in #oncall after the change = %d, want 1", len(msgs))
	}
	if !strings.Contains(msgs[0].Text, "<@"+primaryUser+"> → <@U0003>") || strings.Contains(msgs[0].Text, "late") {
		t.Errorf("handoff = %q, want who hands over to whom, on time", msgs[0].Text)
	}
	for _, u := range []string{primaryUser, "U0003"} {
		dm, _ := h.sim.DirectMessage(u)
		if got := len(handoffs(h, dm.ID)); got != 1 {
			t.Errorf("handoffs in %s's DM = %d, want 1", u, got)
		}
	}
	if got := h.sim.UsergroupUsers("oncall-primary"); len(got) != 1 || got[0] != "U0003" {
		t.Errorf("@oncall-primary = %v, want [U0003]", got)
	}

	// Down across the next change (Monday 7 Dec 09:00, U0003 → U0001):
	// sent when the bot is back, marked late, once.
	h.kill()
	h.clock.Advance(change.Add(7*24*time.Hour + 20*time.Minute).Sub(h.clock.Now()))
	h2 := newHarness(t, harnessOptions{dir: dir, manual: true, config: config, clock: h.clock, slackOf: h})
	tick(h2)
	h2.clock.Advance(time.Minute)
	tick(h2)
	msgs = handoffs(h2, oncallCh)
	if len(msgs) != 2 {
		t.Fatalf("handoffs after the restart = %d, want 2", len(msgs))
	}
	if !strings.Contains(msgs[1].Text, "<@U0003> → <@U0001>") || !strings.Contains(msgs[1].Text, "late") {
		t.Errorf("late handoff = %q, want U0003 → U0001 marked late", msgs[1].Text)
	}
}

func TestStoryAckTimeoutPagesTheAcknowledgerAgain(t *testing.T) {
	config := func(c *config.Config) {
		withPaging(c)
		c.EscalationPolicies[0].AckTimeout = 30 * time.Minute
	}
	h := newHarness(t, harnessOptions{manual: true, config: config})
	h.openCritical()
	h.click(primaryUser, h.pages(primaryUser)[0], bot.ActionAcknowledge, "1")
	h.settleNow()
	h.advance(29 * time.Minute)
	if got := len(h.pages(primaryUser)); got != 1 {
		t.Fatalf("pages after the ack and 29m = %d, want 1", got)
	}
	h.advance(time.Minute)
	if got := len(h.pages(primaryUser)); got != 2 {
		t.Fatalf("pages 30m after the ack with no status update = %d, want 2", got)
	}
	if re := h.pages(primaryUser)[1]; hasButton(re, bot.ActionAcknowledge) || !strings.Contains(blocksText(re), "no status update") {
		t.Errorf("repage = %s, want a reminder to post a status, without buttons", re.Blocks)
	}
	// A status update restarts the clock.
	h.advance(10 * time.Minute)
	h.command(primaryUser, h.channel(1).ID, "status identified")
	h.settleNow()
	h.advance(25 * time.Minute)
	if got := len(h.pages(primaryUser)); got != 2 {
		t.Fatalf("pages 25m after a status update = %d, want still 2", got)
	}
	h.advance(5 * time.Minute)
	if got := len(h.pages(primaryUser)); got != 3 {
		t.Fatalf("pages 30m after the status update = %d, want 3", got)
	}
	if got := len(h.pages(secondaryUser)); got != 0 {
		t.Errorf("secondary paged (%d) though the incident was acknowledged", got)
	}
}

func TestStoryPageByHand(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	// A declared incident has no policy: nobody is paged until someone asks.
	h.command("U0001", h.channelID("general"), "declare Payments down sev2")
	h.settleNow()
	ch := h.channel(1).ID
	if got := unescapeJSON(h.command("U0001", ch, "page <@U0003> please look at the db")); !strings.Contains(got, "Paging <@U0003> for incident #1") {
		t.Fatalf("/incident page = %s", got)
	}
	h.settleNow()
	ps := h.pages("U0003")
	if len(ps) != 1 || !strings.Contains(blocksText(ps[0]), "please look at the db") || !hasButton(ps[0], bot.ActionDecline) {
		t.Fatalf("manual page = %+v, want one DM with the message and the buttons", ps)
	}
	evs := pagedEvents(h.timeline(1))
	if len(evs) != 1 || evs[0].Fields["user"] != "U0003" || evs[0].Fields["manual"] != "true" {
		t.Errorf("paged events = %+v", evs)
	}
	if got := h.command("U0001", ch, "page nosuch"); !strings.Contains(got, "no schedule nosuch") {
		t.Errorf("/incident page nosuch = %s", got)
	}
}

func TestStoryHandoffDigestOnRequest(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withPaging})
	h.openCritical()
	ch := h.channel(1).ID
	h.command("U0001", ch, "action rotate the keys <@U0003> due 2026-11-24")
	h.command("U0001", ch, "action write the runbook")
	if got := h.oncall("U0003", "handoff primary"); !strings.Contains(got, "Posting the handoff digest") {
		t.Fatalf("/oncall handoff primary = %s", got)
	}
	h.settleNow()
	var digest []string
	for _, m := range botMessages(h.sim.Messages(h.channelID("oncall"))) {
		if strings.Contains(m.Text, "On call for primary") {
			digest = append(digest, m.Text)
		}
	}
	if len(digest) != 1 || !strings.Contains(digest[0], "<@"+primaryUser+"> until Mon 30 Nov 09:00 UTC") ||
		!strings.Contains(digest[0], "#1 HighErrorRate") || !strings.Contains(digest[0], "*Unacknowledged*: #1 (1 open pages)") {
		t.Fatalf("digest in #oncall = %q", digest)
	}
	if want := "*Open follow-ups*: 2, 1 overdue: #1/1 rotate the keys <@U0003> (due 2026-11-24)"; !strings.Contains(digest[0], want) {
		t.Errorf("digest lacks %q: %q", want, digest[0])
	}
}

func TestStoryOncallLoad(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withPaging})
	h.openCritical() // Wed 03:00 UTC: a page at night
	h.advance(time.Hour)
	got := h.oncall("U0003", "load 7d")
	// primary: U0002 on call since Mon 23 Nov 09:00 — all 7 days back from
	// Wed 04:00 reach before the rotation started, so 43h; one page, at night.
	if !strings.Contains(got, "*primary*") || !strings.Contains(got, "<@"+primaryUser+">: 43h · ") || !strings.Contains(got, " · 1 · 1") {
		t.Errorf("/oncall load 7d = %s", got)
	}
	if got := h.oncall("U0003", "load 5d"); !strings.Contains(got, "Usage:") {
		t.Errorf("/oncall load 5d = %s, want the usage line", got)
	}
}

// A bot started for the first time hours after a shift change sends no late
// handoff for it (it was never down), and sends the next one on time.
func TestStoryFirstStartSendsNoStaleHandoff(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)) // 6h after Monday's change
	h := newHarness(t, harnessOptions{manual: true, config: withPaging, clock: clock})
	ctx := context.Background()
	tick := func() {
		if _, err := h.app.cron.TickDue(ctx, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		h.settleNow()
	}
	count := func() int {
		n := 0
		for _, m := range botMessages(h.sim.Messages(h.channelID("oncall"))) {
			if strings.Contains(m.Text, "Handoff for primary") {
				n++
			}
		}
		return n
	}
	tick()
	if n := count(); n != 0 {
		t.Fatalf("handoffs at the first start = %d, want none for a change before the bot ran", n)
	}
	h.clock.Advance(7*24*time.Hour - 6*time.Hour) // Monday 7 Dec 09:00
	tick()
	if n := count(); n != 1 {
		t.Errorf("handoffs at the next change = %d, want 1", n)
	}
}
