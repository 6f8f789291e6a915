package app

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/slacksim"
)

// The stories of issue 3, told against the whole app: the Slack simulator,
// the embedded store and a fake clock.

func withSlack(c *config.Config) {
	c.Slack.AnnounceChannel = "#incidents"
	c.Slack.Invite = []string{"U0001"}
	c.Admins = []string{"U0001"}
}

// settle runs due jobs until none are left, advancing the fake clock over
// retry delays (bounded).
func (h *harness) settle() {
	h.t.Helper()
	for range 200 {
		h.runJobs()
		jobs, err := h.app.Jobs().List(context.Background())
		if err != nil {
			h.t.Fatal(err)
		}
		if len(jobs) == 0 {
			return
		}
		next := jobs[0].RunAt
		if next.After(h.clock.Now()) {
			h.clock.Advance(next.Sub(h.clock.Now()))
		}
	}
	h.t.Fatal("jobs did not settle")
}

func (h *harness) channel(number int64) slacksim.Channel {
	h.t.Helper()
	st, err := h.app.Store().SlackState(context.Background(), number)
	if err != nil {
		h.t.Fatal(err)
	}
	ch, ok := h.sim.Channel(st.ChannelID)
	if !ok {
		h.t.Fatalf("incident #%d has no channel in Slack (state %+v)", number, st)
	}
	return ch
}

func (h *harness) channelID(name string) string {
	h.t.Helper()
	ch, ok := h.sim.ChannelByName(name)
	if !ok {
		h.t.Fatalf("no channel %s", name)
	}
	return ch.ID
}

func (h *harness) command(user, channel, text string) string {
	h.t.Helper()
	resp, err := h.sim.SlashCommand(context.Background(), user, channel, "/incident", text)
	if err != nil {
		h.t.Fatalf("/incident %s: %v", text, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("/incident %s: status %d %s", text, resp.StatusCode, body)
	}
	return string(body)
}

// summaries returns the bot's incident summary messages in a channel.
func (h *harness) summaries(channelID string) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range botMessages(h.sim.Messages(channelID)) {
		if strings.Contains(string(m.Blocks), bot.SummaryBlockID) {
			out = append(out, m)
		}
	}
	return out
}

func botMessages(msgs []slacksim.Message) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range msgs {
		if m.User == slacksim.BotUserID {
			out = append(out, m)
		}
	}
	return out
}

func TestStoryAlertOpensChannelWithPinnedSummaryAndAnnounce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	h.mustPost(payload("g", testAlert{fp(1), "firing", "HighErrorRate", h.clock.Now()}))
	h.applyAll()
	h.settle()

	ch := h.channel(1)
	if !strings.HasPrefix(ch.Name, "inc-1-") {
		t.Errorf("channel name = %q, want inc-1-…", ch.Name)
	}
	msgs := botMessages(h.sim.Messages(ch.ID))
	if len(msgs) != 1 || !msgs[0].Pinned {
		t.Fatalf("bot messages in the incident channel = %d (pinned %v), want one pinned summary", len(msgs), len(msgs) == 1 && msgs[0].Pinned)
	}
	if !strings.Contains(string(msgs[0].Blocks), bot.ActionAcknowledge) || !strings.Contains(string(msgs[0].Blocks), "http://incidentbot.test/incidents/1") {
		t.Errorf("summary lacks the Acknowledge button or the incident link: %s", msgs[0].Blocks)
	}
	announce := botMessages(h.sim.Messages(h.channelID("incidents")))
	if len(announce) != 1 || !strings.Contains(string(announce[0].Blocks), bot.ActionJoin) {
		t.Fatalf("announce lines = %d, want one with a Join button", len(announce))
	}
	// Nothing is posted twice when the sync runs again.
	h.app.Service().AddNote(context.Background(), 1, "a note changes nothing visible", "U0001")
	h.settle()
	if got := len(botMessages(h.sim.Messages(ch.ID))); got != 1 {
		t.Errorf("after another sync: %d bot messages, want 1", got)
	}
	if got := h.sim.OKCalls("conversations.create"); got != 1 {
		t.Errorf("conversations.create succeeded %d times, want 1", got)
	}
}

func TestStoryDeclareByCommandAndModalThenStatusAndResolve(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	ctx := context.Background()
	general := h.channelID("general")

	answer := h.command("U0002", general, "declare Payments API down sev1")
	if !strings.Contains(answer, "#1") {
		t.Fatalf("declare answered %q, want it to name #1", answer)
	}
	h.settle()
	inc, _ := h.app.Service().Get(ctx, 1)
	if inc.Severity != "sev1" || inc.Commander != "U0002" {
		t.Fatalf("declared incident: severity %s commander %s", inc.Severity, inc.Commander)
	}
	ch := h.channel(1)
	if ch.Name != "inc-1-payments-api-down" {
		t.Errorf("channel = %q, want inc-1-payments-api-down", ch.Name)
	}
	members := strings.Join(h.sim.Members(ch.ID), ",")
	if !strings.Contains(members, "U0002") || !strings.Contains(members, "U0001") {
		t.Errorf("members = %s, want the commander U0002 and the always-invited U0001", members)
	}

	// Status change in the incident channel updates the pinned summary in place.
	h.command("U0002", ch.ID, "status identified")
	h.settle()
	summaries := h.summaries(ch.ID)
	if len(summaries) != 1 || summaries[0].Edited == nil || !strings.Contains(strings.ToLower(string(summaries[0].Blocks)), "identified") {
		t.Fatalf("summary after status change: %d summaries, want one edited in place showing identified", len(summaries))
	}

	// Someone who is neither declarer, commander nor admin may not resolve.
	if answer := h.command("U0004", ch.ID, "resolve nope"); !strings.Contains(strings.ToLower(answer), "admin") {
		t.Errorf("resolve by a bystander answered %q, want a refusal that mentions admins", answer)
	}
	if inc, _ := h.app.Service().Get(ctx, 1); inc.Status == incidents.StatusResolved {
		t.Fatal("a bystander resolved the incident")
	}
	h.command("U0002", ch.ID, "resolve rolled back the deploy")
	h.settle()
	if inc, _ := h.app.Service().Get(ctx, 1); inc.Status != incidents.StatusResolved || inc.Summary != "rolled back the deploy" {
		t.Fatalf("after resolve: status %s summary %q", inc.Status, inc.Summary)
	}
	if got := len(botMessages(h.sim.Messages(h.channelID("incidents")))); got != 2 {
		t.Errorf("announce lines = %d, want 2 (opened, resolved)", got)
	}

	// The declare modal: a validation error keeps it open, a good submission declares.
	h.command("U0003", general, "declare")
	var view slacksim.View
	for _, v := range h.sim.Views() {
		if v.CallbackID == bot.CallbackDeclare && v.Open {
			view = v
		}
	}
	if view.ID == "" {
		t.Fatal("declare without text did not open the modal")
	}
	values := func(title string) map[string]map[string]slacksim.StateValue {
		return map[string]map[string]slacksim.StateValue{
			bot.BlockTitle:       {bot.BlockTitle: slacksim.TextValue(title)},
			bot.BlockSeverity:    {bot.BlockSeverity: slacksim.SelectValue("sev2", "sev2")},
			bot.BlockDescription: {bot.BlockDescription: slacksim.TextValue("")},
		}
	}
	resp, err := h.sim.SubmitView(ctx, "U0003", view.ID, values("   "))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, v := range h.sim.Views() {
		if v.ID == view.ID && (v.Errors[bot.BlockTitle] == "" || !v.Open) {
			t.Fatalf("empty title: view open %v errors %v, want it open with a title error", v.Open, v.Errors)
		}
	}
	resp, err = h.sim.SubmitView(ctx, "U0003", view.ID, values("Checkout latency"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	inc2, err := h.app.Service().Get(ctx, 2)
	if err != nil || inc2.Title != "Checkout latency" || inc2.Severity != "sev2" || inc2.DeclaredBy != "U0003" {
		t.Fatalf("modal declaration: %+v, %v", inc2, err)
	}
}

func TestStoryPinAndPushpinReachTheTimelineOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	ctx := context.Background()
	h.command("U0002", h.channelID("general"), "declare Queue backlog")
	h.settle()
	ch := h.channel(1)
	h.sim.AddMember(ch.ID, "U0003")
	h.sim.AddMember(ch.ID, "U0004")
	ts, err := h.sim.UserPost(ctx, "U0003", ch.ID, "root cause: the consumer deploy at 02:40")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.sim.UserPin(ctx, "U0003", ch.ID, ts); err != nil {
		t.Fatal(err)
	}
	if err := h.sim.UserReact(ctx, "U0004", ch.ID, ts, "pushpin"); err != nil {
		t.Fatal(err)
	}
	// Slack retries the pin event: still one.
	for _, ev := range h.sim.Events() {
		if ev.Type == "pin_added" {
			resp, err := h.sim.ResendEvent(ctx, ev.EventID, 1, "http_timeout")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	h.settle()
	var pins []incidents.Event
	for _, e := range h.timeline(1) {
		if e.Type == incidents.EventMessagePinned {
			pins = append(pins, e)
		}
	}
	if len(pins) != 1 {
		t.Fatalf("message_pinned events = %d, want 1", len(pins))
	}
	if pins[0].Actor != "U0003" || !strings.Contains(pins[0].Text, "root cause") || pins[0].Fields["permalink"] == "" {
		t.Errorf("pinned event = %+v, want author U0003, the text and a permalink", pins[0])
	}
}

func TestStoryRateLimitedSlackStillGetsEverythingOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{manual: true, config: func(c *config.Config) { withSlack(c); c.Storm.MaxNew = 100 }})
	h.sim.SetRateLimit(slacksim.AllMethods, slacksim.Every(3), 2*time.Second)
	for i := range 5 {
		h.mustPost(payload("g"+string(rune('a'+i)), testAlert{fp(i), "firing", "Down", h.clock.Now()}))
	}
	h.applyAll()
	h.settle()
	h.sim.ClearFaults()
	for n := int64(1); n <= 5; n++ {
		ch := h.channel(n)
		msgs := botMessages(h.sim.Messages(ch.ID))
		if len(msgs) != 1 || !msgs[0].Pinned {
			t.Errorf("incident #%d: %d bot messages in its channel, want one pinned summary", n, len(msgs))
		}
	}
	if got := len(h.sim.Channels()); got != 5+4 { // 4 seeded channels
		t.Errorf("channels = %d, want 9", got)
	}
	if got := len(botMessages(h.sim.Messages(h.channelID("incidents")))); got != 5 {
		t.Errorf("announce lines = %d, want 5", got)
	}
	if h.sim.Calls("chat.postMessage") <= h.sim.OKCalls("chat.postMessage") {
		t.Errorf("no postMessage was rate limited; the test did not exercise 429s")
	}
}

func TestStoryStatusUpdateNudges(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	ctx := context.Background()
	h.command("U0002", h.channelID("general"), "declare Checkout down sev1")
	h.settle()
	ch := h.channel(1)
	reminders := func() int {
		n := 0
		for _, m := range botMessages(h.sim.Messages(ch.ID)) {
			if strings.Contains(m.Text, "No status update") {
				n++
			}
		}
		return n
	}
	tick := func(d time.Duration) {
		h.clock.Advance(d)
		if _, err := h.app.cron.TickDue(ctx, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		h.settle()
	}
	tick(29 * time.Minute)
	if got := reminders(); got != 0 {
		t.Fatalf("reminders after 29m = %d, want 0", got)
	}
	tick(2 * time.Minute)
	if got := reminders(); got != 1 {
		t.Fatalf("reminders after 31m = %d, want 1 (sev1 updates every 30m)", got)
	}
	tick(5 * time.Minute)
	if got := reminders(); got != 1 {
		t.Fatalf("reminders after 36m = %d, want still 1", got)
	}
	// A status update resets the clock.
	h.command("U0002", ch.ID, "status identified")
	tick(29 * time.Minute)
	if got := reminders(); got != 1 {
		t.Fatalf("reminders 29m after a status update = %d, want 1", got)
	}
	tick(2 * time.Minute)
	if got := reminders(); got != 2 {
		t.Fatalf("reminders 31m after a status update = %d, want 2", got)
	}
}
