package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/slackstate"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/clocktest"
	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/slacksim"
	"github.com/incidentbot/incidentbot/internal/store/sqlite"
	"github.com/incidentbot/incidentbot/internal/store/sqlite/sqlitetest"
)

const testToken = "xoxb-test-token"

// noTasks accepts every scheduled task; the tests call Sync themselves.
type noTasks struct{}

func (noTasks) Schedule(context.Context, incidents.Task) error { return nil }
func (noTasks) Wake()                                          {}

type env struct {
	t     *testing.T
	ctx   context.Context
	clock *clocktest.Clock
	sim   *slacksim.Server
	svc   *incidents.Service
	store *sqlite.Store
	api   *slack.Client
	n     *bot.Notifier
}

func discardLogger() *logrus.Entry { return discard.Logger() }

// newEnv wires a real service over the embedded store and a notifier talking
// HTTP to the simulator.
func newEnv(t *testing.T, configure func(*bot.NotifierOptions)) *env {
	t.Helper()
	clock := clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	sim := slacksim.New(slacksim.Options{Token: testToken, Now: clock.Now, Seed: 1})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	api := slack.New(testToken, slack.OptionAPIURL(srv.URL+"/api/"), slack.OptionHTTPClient(srv.Client()))
	st := sqlitetest.New(t)
	svc := incidents.NewService(st, noTasks{}, incidents.Options{Now: clock.Now})
	o := bot.NotifierOptions{
		AnnounceChannel: "#incidents",
		Invite:          []string{"U0003"},
		PublicURL:       "https://bot.example.com",
		Now:             clock.Now,
		Logger:          discardLogger(),
		RetriesMarked:   true,
	}
	if configure != nil {
		configure(&o)
	}
	return &env{t: t, ctx: context.Background(), clock: clock, sim: sim, svc: svc, store: st, api: api,
		n: bot.NewNotifier(api, svc, st, o)}
}

func (e *env) declare(title, sev string) *incidents.Incident {
	e.t.Helper()
	inc, err := e.svc.Declare(e.ctx, incidents.DeclareRequest{Title: title, Severity: sev, Actor: "U0001"})
	if err != nil {
		e.t.Fatalf("declare: %v", err)
	}
	return inc
}

func (e *env) sync(number int64) {
	e.t.Helper()
	if err := e.n.Sync(e.ctx, number); err != nil {
		e.t.Fatalf("Sync(%d): %v", number, err)
	}
}

// state returns the Slack state recorded for incident number.
func (e *env) state(number int64) slackstate.Incident {
	e.t.Helper()
	st, err := e.store.SlackState(e.ctx, number)
	if err != nil {
		e.t.Fatalf("Slack state of #%d: %v", number, err)
	}
	return st
}

// setState changes the recorded Slack state, as a crash or a person would.
func (e *env) setState(number int64, change func(*slackstate.Incident)) {
	e.t.Helper()
	st := e.state(number)
	change(&st)
	if err := e.store.PutSlackState(e.ctx, &st); err != nil {
		e.t.Fatalf("set Slack state of #%d: %v", number, err)
	}
}

func (e *env) channel(name string) slacksim.Channel {
	e.t.Helper()
	ch, ok := e.sim.ChannelByName(name)
	if !ok {
		e.t.Fatalf("channel #%s does not exist; channels: %v", name, channelNames(e.sim))
	}
	return ch
}

// botMessages returns the bot's messages in a channel.
func (e *env) botMessages(channelID string) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range e.sim.Messages(channelID) {
		if m.User == slacksim.BotUserID {
			out = append(out, m)
		}
	}
	return out
}

func channelNames(sim *slacksim.Server) []string {
	var out []string
	for _, c := range sim.Channels() {
		out = append(out, c.Name)
	}
	return out
}

// callCounts snapshots the Web API calls that create or change something.
func (e *env) callCounts() map[string]int {
	out := map[string]int{}
	for _, m := range []string{"conversations.create", "conversations.invite", "conversations.setTopic",
		"conversations.setPurpose", "chat.postMessage", "chat.update", "pins.add"} {
		out[m] = e.sim.Calls(m)
	}
	return out
}

func decodeBlocks(t *testing.T, raw json.RawMessage) []map[string]any {
	t.Helper()
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatalf("decode blocks %s: %v", raw, err)
	}
	return blocks
}

// mrkdwnTexts returns the text Slack parses for mentions and links: the
// message's top-level text and every mrkdwn text object in its blocks.
func mrkdwnTexts(t *testing.T, m slacksim.Message) []string {
	t.Helper()
	out := []string{m.Text}
	if m.Blocks == nil {
		return out
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "mrkdwn" {
				if s, ok := v["text"].(string); ok {
					out = append(out, s)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var blocks any
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatalf("decode blocks %s: %v", m.Blocks, err)
	}
	walk(blocks)
	return out
}

func firstBlockID(t *testing.T, m slacksim.Message) string {
	t.Helper()
	blocks := decodeBlocks(t, m.Blocks)
	if len(blocks) == 0 {
		return ""
	}
	id, _ := blocks[0]["block_id"].(string)
	return id
}

func TestSyncNewIncident(t *testing.T) {
	e := newEnv(t, nil)
	inc := e.declare("Payments API down", "sev1")
	if _, err := e.svc.AssignRole(e.ctx, inc.Number, "scribe", "U0002", "U0001"); err != nil {
		t.Fatal(err)
	}
	e.sync(inc.Number)

	ch := e.channel("inc-1-payments-api-down")
	if want := "#1 Payments API down · sev1 · Investigating"; ch.Topic != want {
		t.Errorf("topic = %q, want %q", ch.Topic, want)
	}
	if !strings.Contains(ch.Purpose, "Incident #1: Payments API down") {
		t.Errorf("purpose = %q, want it to name the incident", ch.Purpose)
	}
	for _, u := range []string{slacksim.BotUserID, "U0001", "U0002", "U0003"} {
		if !slices.Contains(ch.Members, u) {
			t.Errorf("members = %v, want %s among them", ch.Members, u)
		}
	}
	if slices.Contains(ch.Members, "U0004") {
		t.Errorf("members = %v, U0004 was never asked for", ch.Members)
	}

	msgs := e.botMessages(ch.ID)
	if len(msgs) != 1 {
		t.Fatalf("bot messages in the channel = %d, want 1 summary", len(msgs))
	}
	if !msgs[0].Pinned {
		t.Error("summary is not pinned")
	}
	if got := firstBlockID(t, msgs[0]); got != bot.SummaryBlockID {
		t.Errorf("summary first block_id = %q, want %q", got, bot.SummaryBlockID)
	}

	announce := e.channel("incidents")
	lines := e.botMessages(announce.ID)
	if len(lines) != 1 {
		t.Fatalf("announce lines = %d, want 1", len(lines))
	}
	if !strings.Contains(string(lines[0].Blocks), `"action_id":"`+bot.ActionJoin+`"`) {
		t.Errorf("announce line has no Join button: %s", lines[0].Blocks)
	}
	if !strings.Contains(strings.Join(mrkdwnTexts(t, lines[0]), "\n"), "<#"+ch.ID+">") {
		t.Errorf("announce line does not link the channel: %s", lines[0].Blocks)
	}

	got := e.state(inc.Number)
	if got.ChannelID != ch.ID || got.ChannelName != ch.Name || got.SummaryTS != msgs[0].TS ||
		!got.SummaryPinned || got.AnnouncedOpen != lines[0].TS || got.Topic != ch.Topic {
		t.Errorf("recorded %+v, want the channel %s, summary %s and announce line %s", got, ch.ID, msgs[0].TS, lines[0].TS)
	}
	if ev, err := e.svc.Timeline(e.ctx, inc.Number); err != nil {
		t.Fatal(err)
	} else if !slices.ContainsFunc(ev, func(ev incidents.Event) bool {
		return ev.ID == "1:slack:channel" && ev.Type == incidents.EventSlack && strings.Contains(ev.Text, "#inc-1-payments-api-down")
	}) {
		t.Errorf("timeline has no channel-created event: %+v", ev)
	}

	// A second Sync with nothing changed creates and posts nothing.
	before := e.callCounts()
	e.sync(inc.Number)
	after := e.callCounts()
	for _, m := range []string{"conversations.create", "conversations.invite", "conversations.setTopic",
		"conversations.setPurpose", "chat.postMessage", "pins.add"} {
		if after[m] != before[m] {
			t.Errorf("second Sync called %s %d more times, want 0", m, after[m]-before[m])
		}
	}
	if n := len(e.botMessages(ch.ID)); n != 1 {
		t.Errorf("bot messages after a second Sync = %d, want 1", n)
	}
	if n := len(e.botMessages(announce.ID)); n != 1 {
		t.Errorf("announce lines after a second Sync = %d, want 1", n)
	}
	if n := len(e.sim.Channels()); n != 5 { // the 4 seeded + ours
		t.Errorf("channels = %v, want one incident channel", channelNames(e.sim))
	}
}

func TestSyncStatusChangeUpdatesSummary(t *testing.T) {
	e := newEnv(t, nil)
	inc := e.declare("Payments API down", "sev1")
	e.sync(inc.Number)
	ts := e.state(inc.Number).SummaryTS
	ch := e.channel("inc-1-payments-api-down")

	e.clock.Advance(5 * time.Minute)
	if _, err := e.svc.SetStatus(e.ctx, inc.Number, incidents.StatusIdentified, "U0001"); err != nil {
		t.Fatal(err)
	}
	posts, updates := e.sim.Calls("chat.postMessage"), e.sim.Calls("chat.update")
	e.sync(inc.Number)
	if got := e.sim.Calls("chat.postMessage") - posts; got != 0 {
		t.Errorf("status change posted %d messages, want 0", got)
	}
	if got := e.sim.Calls("chat.update") - updates; got != 1 {
		t.Errorf("status change made %d chat.update calls, want 1", got)
	}
	m, ok := e.sim.Message(ch.ID, ts)
	if !ok {
		t.Fatalf("summary %s is gone", ts)
	}
	if m.Edited == nil || !strings.Contains(string(m.Blocks), "Identified") {
		t.Errorf("summary not updated to Identified: edited=%v blocks=%s", m.Edited, m.Blocks)
	}
	if got := e.state(inc.Number).SummaryTS; got != ts {
		t.Errorf("summary ts = %s, want the same %s", got, ts)
	}
	if got := e.channel(ch.Name).Topic; !strings.HasSuffix(got, "· Identified") {
		t.Errorf("topic = %q, want the new status", got)
	}
}

func TestSyncResolveAnnouncesOncePerResolution(t *testing.T) {
	e := newEnv(t, nil)
	inc := e.declare("Payments API down", "sev1")
	e.sync(inc.Number)
	announce := e.channel("incidents")

	e.clock.Advance(42 * time.Minute)
	if _, err := e.svc.Resolve(e.ctx, inc.Number, "rolled back", "U0001"); err != nil {
		t.Fatal(err)
	}
	e.sync(inc.Number)
	e.sync(inc.Number)
	lines := e.botMessages(announce.ID)
	if len(lines) != 2 {
		t.Fatalf("announce lines = %d, want opened + resolved", len(lines))
	}
	if !strings.Contains(lines[1].Text, "resolved") {
		t.Errorf("second line = %q, want the resolution", lines[1].Text)
	}

	// Reopened and resolved again: one more line.
	e.clock.Advance(time.Minute)
	if _, err := e.svc.Reopen(e.ctx, inc.Number, "U0001"); err != nil {
		t.Fatal(err)
	}
	e.sync(inc.Number)
	e.clock.Advance(time.Minute)
	if _, err := e.svc.Resolve(e.ctx, inc.Number, "", "U0001"); err != nil {
		t.Fatal(err)
	}
	e.sync(inc.Number)
	e.sync(inc.Number)
	if n := len(e.botMessages(announce.ID)); n != 3 {
		t.Errorf("announce lines after reopen and resolve = %d, want 3", n)
	}
}

func TestSyncNameTakenBySomeoneElse(t *testing.T) {
	e := newEnv(t, nil)
	if _, err := e.sim.AddChannel("inc-1-payments-api-down", "U0002"); err != nil {
		t.Fatal(err)
	}
	inc := e.declare("Payments API down", "sev1")
	e.sync(inc.Number)
	got := e.state(inc.Number)
	if got.ChannelName != "inc-1-payments-api-down-2" {
		t.Errorf("channel = %q, want the suffixed inc-1-payments-api-down-2", got.ChannelName)
	}
	if msgs := e.sim.Messages(e.channel("inc-1-payments-api-down").ID); len(msgs) != 0 {
		t.Errorf("the other channel got %d messages, want none", len(msgs))
	}
}

func TestSyncAdoptsChannelCreatedBeforeCrash(t *testing.T) {
	e := newEnv(t, nil)
	inc := e.declare("Payments API down", "sev1")
	// The bot created the channel, then stopped before recording it.
	pre, err := e.api.CreateConversationContext(e.ctx, slack.CreateConversationParams{ChannelName: "inc-1-payments-api-down"})
	if err != nil {
		t.Fatal(err)
	}
	e.sync(inc.Number)
	if got := e.state(inc.Number).ChannelID; got != pre.ID {
		t.Errorf("recorded channel %s, want the adopted %s", got, pre.ID)
	}
	var ours []string
	for _, name := range channelNames(e.sim) {
		if strings.HasPrefix(name, "inc-1-") {
			ours = append(ours, name)
		}
	}
	if len(ours) != 1 {
		t.Errorf("incident channels = %v, want exactly one", ours)
	}
	if n := len(e.botMessages(pre.ID)); n != 1 {
		t.Errorf("summaries in the adopted channel = %d, want 1", n)
	}
}

func TestSyncAdoptsMessagesPostedBeforeCrash(t *testing.T) {
	e := newEnv(t, nil)
	inc := e.declare("Payments API down", "sev1")
	began := e.clock.Now()
	e.sync(inc.Number)
	first := e.state(inc.Number)

	// Posted, then stopped before the ts was recorded; the job is retried.
	e.setState(inc.Number, func(r *slackstate.Incident) {
		r.SummaryTS, r.SummaryPinned, r.AnnouncedOpen = "", false, ""
	})
	e.clock.Advance(time.Minute)
	posts := e.sim.Calls("chat.postMessage")
	if err := e.n.Sync(bot.WithEarlierAttempt(e.ctx, began), inc.Number); err != nil {
		t.Fatal(err)
	}
	if got := e.sim.Calls("chat.postMessage") - posts; got != 0 {
		t.Errorf("Sync posted %d messages, want the existing ones adopted", got)
	}
	got := e.state(inc.Number)
	if got.SummaryTS != first.SummaryTS || got.AnnouncedOpen != first.AnnouncedOpen || !got.SummaryPinned {
		t.Errorf("recorded %+v, want summary %s and announce %s adopted", got, first.SummaryTS, first.AnnouncedOpen)
	}
}

func TestSyncReplacesDeletedSummary(t *testing.T) {
	e := newEnv(t, nil)
	inc := e.declare("Payments API down", "sev1")
	e.sync(inc.Number)
	// A summary ts that Slack no longer knows (deleted by someone).
	e.setState(inc.Number, func(r *slackstate.Incident) { r.SummaryTS = "1700000000.000001" })
	e.sync(inc.Number)
	got := e.state(inc.Number)
	if got.SummaryTS == "1700000000.000001" || got.SummaryTS == "" {
		t.Errorf("summary ts = %q, want a newly posted one", got.SummaryTS)
	}
}

func TestSyncRateLimitedRetriesToExactlyOnce(t *testing.T) {
	for name, when := range map[string]slacksim.When{
		"every third call": slacksim.Every(3),
		"a third of calls": slacksim.Fraction(1.0 / 3),
		"first ten calls":  slacksim.Next(10),
	} {
		t.Run(name, func(t *testing.T) { testSyncRateLimited(t, when) })
	}
}

func testSyncRateLimited(t *testing.T, when slacksim.When) {
	e := newEnv(t, nil)
	inc := e.declare("Payments API down", "sev1")
	if _, err := e.svc.AssignRole(e.ctx, inc.Number, "scribe", "U0002", "U0001"); err != nil {
		t.Fatal(err)
	}
	e.sim.SetRateLimit(slacksim.AllMethods, when, 7*time.Second)

	start := e.clock.Now()
	limited := 0
	var err error
	for attempt := 0; attempt < 100; attempt++ {
		if err = e.n.Sync(e.ctx, inc.Number); err == nil {
			break
		}
		d, ok := bot.RetryDelay(err)
		if !ok {
			t.Fatalf("attempt %d: %v, want only rate limits", attempt, err)
		}
		if d != 7*time.Second {
			t.Fatalf("RetryDelay = %s, want Slack's Retry-After of 7s", d)
		}
		if bot.IsPermanent(err) {
			t.Fatalf("a rate limit is reported permanent: %v", err)
		}
		limited++
		e.clock.Advance(d) // the job runner would wait this long
	}
	if err != nil {
		t.Fatalf("Sync never succeeded: %v", err)
	}
	if limited == 0 {
		t.Fatal("no call was rate-limited; the test proves nothing")
	}
	t.Logf("succeeded after %d rate limits, %s of fake time", limited, e.clock.Now().Sub(start))
	e.sim.ClearFaults()

	var ours []slacksim.Channel
	for _, c := range e.sim.Channels() {
		if strings.HasPrefix(c.Name, "inc-1-") {
			ours = append(ours, c)
		}
	}
	if len(ours) != 1 {
		t.Fatalf("incident channels = %v, want exactly one", channelNames(e.sim))
	}
	if n := len(e.botMessages(ours[0].ID)); n != 1 {
		t.Errorf("summaries = %d, want 1", n)
	}
	if n := len(e.sim.Pins(ours[0].ID)); n != 1 {
		t.Errorf("pins = %d, want 1", n)
	}
	if n := len(e.botMessages(e.channel("incidents").ID)); n != 1 {
		t.Errorf("announce lines = %d, want 1", n)
	}
	for _, u := range []string{"U0001", "U0002", "U0003"} {
		if !slices.Contains(ours[0].Members, u) {
			t.Errorf("members = %v, want %s", ours[0].Members, u)
		}
	}
}

func TestSyncServerErrorIsTemporary(t *testing.T) {
	e := newEnv(t, nil)
	inc := e.declare("Payments API down", "sev1")
	e.sim.SetServerError("conversations.create", slacksim.Next(1), 503)
	err := e.n.Sync(e.ctx, inc.Number)
	if err == nil {
		t.Fatal("Sync succeeded through a 503")
	}
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 503 {
		t.Errorf("error %v does not carry the 503", err)
	}
	if bot.IsPermanent(err) {
		t.Errorf("Permanent(%v) = true, want a 5xx to be temporary", err)
	}
	if _, ok := bot.RetryDelay(err); ok {
		t.Errorf("RetryDelay(%v) reports a rate limit", err)
	}
	e.sync(inc.Number)
	if got := e.state(inc.Number).ChannelName; got != "inc-1-payments-api-down" {
		t.Errorf("channel after retry = %q", got)
	}
}

func TestSyncEscapesAlertText(t *testing.T) {
	e := newEnv(t, nil)
	now := e.clock.Now()
	number, err := e.svc.IngestAlerts(e.ctx, incidents.Notification{
		GroupKey: "{}:{alertname=\"DBDown\"}",
		Status:   incidents.AlertFiring,
		Alerts: []incidents.Alert{{
			Fingerprint: "abc123", Status: incidents.AlertFiring,
			Labels:      map[string]string{"alertname": "DBDown", "team": "<!here>"},
			Annotations: map[string]string{"summary": "<!channel> wake up <https://evil.example|click>"},
			StartsAt:    now,
		}},
		ReceivedAt: now,
		Title:      "DB down <!channel>",
		Severity:   "sev1",
	})
	if err != nil {
		t.Fatal(err)
	}
	e.sync(number)
	inc := e.state(number)
	for _, ch := range []string{inc.ChannelID, e.channel("incidents").ID} {
		for _, m := range e.sim.Messages(ch) {
			for _, s := range mrkdwnTexts(t, m) {
				for _, bad := range []string{"<!channel>", "<!here>", "<https://evil"} {
					if strings.Contains(s, bad) {
						t.Errorf("message in %s contains %q unescaped: %s", ch, bad, s)
					}
				}
			}
		}
	}
	summary, _ := e.sim.Message(inc.ChannelID, inc.SummaryTS)
	if !strings.Contains(strings.Join(mrkdwnTexts(t, summary), "\n"), "&lt;!channel&gt; wake up") {
		t.Errorf("summary does not show the annotation escaped: %s", summary.Blocks)
	}
	if topic := e.channel(inc.ChannelName).Topic; strings.Contains(topic, "<!channel>") {
		t.Errorf("topic %q contains a live mention", topic)
	}
}

func TestSyncInviteSkipsUnknownUsers(t *testing.T) {
	e := newEnv(t, func(o *bot.NotifierOptions) { o.Invite = []string{"U0003", "U9NOSUCH", slacksim.BotUserID} })
	inc := e.declare("Payments API down", "sev1")
	e.sync(inc.Number)
	ch := e.channel("inc-1-payments-api-down")
	for _, u := range []string{"U0001", "U0003"} {
		if !slices.Contains(ch.Members, u) {
			t.Errorf("members = %v, want %s despite the unknown user", ch.Members, u)
		}
	}
	// Someone who leaves is not pulled back on the next update.
	invites := e.sim.Calls("conversations.invite")
	if _, err := e.svc.SetStatus(e.ctx, inc.Number, incidents.StatusIdentified, "U0001"); err != nil {
		t.Fatal(err)
	}
	e.sync(inc.Number)
	if got := e.sim.Calls("conversations.invite") - invites; got != 0 {
		t.Errorf("an update made %d invite calls, want 0", got)
	}
	// A new commander is invited.
	if _, err := e.svc.AssignRole(e.ctx, inc.Number, incidents.RoleCommander, "U0004", "U0001"); err != nil {
		t.Fatal(err)
	}
	e.sync(inc.Number)
	if !slices.Contains(e.channel(ch.Name).Members, "U0004") {
		t.Error("the new commander was not invited")
	}
}

func TestSyncAnnounceChannelByID(t *testing.T) {
	var id string
	e := newEnv(t, nil)
	id = e.channel("sre").ID
	n := bot.NewNotifier(e.api, e.svc, e.store, bot.NotifierOptions{AnnounceChannel: id, Now: e.clock.Now, Logger: discardLogger()})
	inc := e.declare("Payments API down", "sev2")
	if err := n.Sync(e.ctx, inc.Number); err != nil {
		t.Fatal(err)
	}
	if got := len(e.botMessages(id)); got != 1 {
		t.Errorf("announce lines in #sre = %d, want 1", got)
	}
}

func TestSyncUnknownIncidentIsPermanent(t *testing.T) {
	e := newEnv(t, nil)
	err := e.n.Sync(e.ctx, 99)
	if !errors.Is(err, incidents.ErrNotFound) || !bot.IsPermanent(err) {
		t.Errorf("Sync(99) = %v, want a permanent ErrNotFound", err)
	}
}
