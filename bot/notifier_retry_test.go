package bot_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/slackstate"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/oncall"
)

func testPage(n int64, user string) oncall.PageRecord {
	step := fmt.Sprintf("page:%d:0:1", n)
	return oncall.PageRecord{ID: oncall.PageID(step, "user:"+user), Incident: n, Step: step,
		Target: "user:" + user, User: user, Policy: "primary", Level: 1}
}

func TestFirstAttemptReadsNoHistory(t *testing.T) {
	e := newEnv(t, nil)
	start := e.clock.Now()
	inc := e.declare("Payments API down", "sev1")
	e.sync(inc.Number)
	if _, _, _, err := e.n.SendPage(e.ctx, inc.Number, testPage(inc.Number, "U0002"), ""); err != nil {
		t.Fatal(err)
	}
	if err := e.n.Nudge(e.ctx, inc.Number, start.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.n.PostOnce(e.ctx, inc.Number, "note-1", "A note"); err != nil {
		t.Fatal(err)
	}
	if got := e.sim.Calls("chat.postMessage"); got != 5 {
		t.Errorf("chat.postMessage calls = %d, want 5 (summary, announce, page, reminder, note)", got)
	}
	if got := e.sim.Calls("conversations.history"); got != 0 {
		t.Errorf("conversations.history calls = %d, want 0: first attempts have nothing to look for", got)
	}
}

// crashAfterAnnounce syncs a new incident, then forgets the announce line's ts
// (as a crash between posting and recording would), and puts 1,000 newer
// messages in the announce channel. It returns the incident, when its first
// attempt began, the announce channel and the lost ts.
func crashAfterAnnounce(t *testing.T, e *env) (inc *incidents.Incident, began time.Time, channel, ts string) {
	t.Helper()
	inc = e.declare("Payments API down", "sev1")
	began = e.clock.Now()
	e.sync(inc.Number)
	ts = e.state(inc.Number).AnnouncedOpen
	e.setState(inc.Number, func(r *slackstate.Incident) { r.AnnouncedOpen = "" })
	channel = e.channel("incidents").ID
	e.clock.Advance(time.Minute) // the lease expires; meanwhile the channel is busy
	for i := range 1000 {
		if _, err := e.sim.UserPost(e.ctx, []string{"U0001", "U0002"}[i%2], channel, fmt.Sprint("chatter ", i)); err != nil {
			t.Fatal(err)
		}
	}
	return inc, began, channel, ts
}

func TestRetryFindsItsCopyBehindAThousandNewerMessages(t *testing.T) {
	e := newEnv(t, nil)
	inc, began, channel, ts := crashAfterAnnounce(t, e)
	mine := len(e.botMessages(channel))
	if err := e.n.Sync(bot.WithEarlierAttempt(e.ctx, began), inc.Number); err != nil {
		t.Fatal(err)
	}
	if got := len(e.botMessages(channel)) - mine; got != 0 {
		t.Errorf("the retry posted %d announce lines, want the first one adopted", got)
	}
	if got := e.state(inc.Number).AnnouncedOpen; got != ts {
		t.Errorf("recorded announce ts %q, want the adopted %q", got, ts)
	}
	// 1,000 newer messages, 200 a page: the sixth page holds ours.
	if got := e.sim.Calls("conversations.history"); got != 6 {
		t.Errorf("conversations.history calls = %d, want 6", got)
	}
}

func TestRetryLooksOnlySinceItsFirstAttempt(t *testing.T) {
	e := newEnv(t, nil)
	inc, began, channel, _ := crashAfterAnnounce(t, e)
	mine := len(e.botMessages(channel))
	// A first attempt said to have begun 10 minutes later cannot have posted
	// the line, nor can anything older than 2 minutes before it be ours.
	if err := e.n.Sync(bot.WithEarlierAttempt(e.ctx, began.Add(10*time.Minute)), inc.Number); err != nil {
		t.Fatal(err)
	}
	if got := e.sim.Calls("conversations.history"); got != 1 {
		t.Errorf("conversations.history calls = %d, want 1 (an empty window)", got)
	}
	if got := len(e.botMessages(channel)) - mine; got != 1 {
		t.Errorf("posted %d announce lines, want 1", got)
	}
}

func TestUnmarkedRetryDoesNotLook(t *testing.T) {
	e := newEnv(t, nil)
	inc, _, channel, _ := crashAfterAnnounce(t, e)
	mine := len(e.botMessages(channel))
	e.sync(inc.Number) // not marked: taken for a first attempt
	if got := e.sim.Calls("conversations.history"); got != 0 {
		t.Errorf("conversations.history calls = %d, want 0 without the marker", got)
	}
	if got := len(e.botMessages(channel)) - mine; got != 1 {
		t.Errorf("posted %d announce lines, want 1: without the marker a copy is not looked for", got)
	}
}

func TestCallerThatDoesNotMarkRetriesGetsTheNewestMessagesRead(t *testing.T) {
	e := newEnv(t, func(o *bot.NotifierOptions) { o.RetriesMarked = false })
	inc, _, channel, _ := crashAfterAnnounce(t, e)
	mine := len(e.botMessages(channel))
	e.sync(inc.Number)
	// One page of the newest 20 before each post: the summary was recorded, so
	// only the announce line looks, and misses its copy behind 1,000 newer
	// messages. This is why callers should mark retries.
	if got := e.sim.Calls("conversations.history"); got != 3 {
		t.Errorf("conversations.history calls = %d, want 3 (summary and announce on the first sync, announce on the retry)", got)
	}
	if got := len(e.botMessages(channel)) - mine; got != 1 {
		t.Errorf("posted %d announce lines, want 1", got)
	}
}

func TestRetriedPageAdoptsItsDirectMessage(t *testing.T) {
	e := newEnv(t, nil)
	inc := e.declare("Payments API down", "sev1")
	e.sync(inc.Number)
	began := e.clock.Now()
	p := testPage(inc.Number, "U0002")
	dm, ts, _, err := e.n.SendPage(e.ctx, inc.Number, p, "")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	dm2, ts2, _, err := e.n.SendPage(bot.WithEarlierAttempt(e.ctx, began), inc.Number, p, "")
	if err != nil {
		t.Fatal(err)
	}
	if dm2 != dm || ts2 != ts {
		t.Errorf("retried page at %s %s, want the first one's %s %s", dm2, ts2, dm, ts)
	}
	if got := len(e.botMessages(dm)); got != 1 {
		t.Errorf("page DMs = %d, want 1", got)
	}
}

func TestOverdueReminderLooksForThisWeeksCopyOnEveryRun(t *testing.T) {
	e := newEnv(t, nil)
	inc := e.declare("Payments API down", "sev1")
	overdue := []incidents.OpenAction{{Incident: inc, Action: incidents.Action{ID: 1, Text: "add a dashboard",
		Owner: "U0003", Due: e.clock.Now().Add(-24 * time.Hour)}}}
	remind := func() {
		t.Helper()
		if err := e.n.NudgeOverdue(e.ctx, "U0003", "followup-nudge-2026-W10", overdue); err != nil {
			t.Fatal(err)
		}
	}
	remind()
	// The DM is the reminder's only record: a second scan in the same week, a
	// new job and no retry, still finds it.
	e.clock.Advance(3 * 24 * time.Hour)
	remind()
	dm, ok := e.sim.DirectMessage("U0003")
	if !ok {
		t.Fatal("no DM with U0003")
	}
	if got := len(e.botMessages(dm.ID)); got != 1 {
		t.Errorf("reminders = %d, want 1", got)
	}
	if got := e.sim.Calls("conversations.history"); got != 2 {
		t.Errorf("conversations.history calls = %d, want one a run", got)
	}
}
