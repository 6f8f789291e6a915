package app

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestStoryFollowUpsWithOwnersDueDatesAndState(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	h.command("U0002", h.channelID("general"), "declare Orders stuck sev2")
	h.settle()
	ch := h.channel(1)
	if answer := h.command("U0002", ch.ID, "action add a queue alert <@U0003|carol> due tomorrow"); !strings.Contains(answer, `owned by \u003c@U0003\u003e, due Thu 26 Nov 2026`) {
		t.Errorf("action answered %s", answer)
	}
	h.command("U0002", ch.ID, "action write the runbook & co due 2026-12-24")
	h.settle()
	sum := h.summaries(ch.ID)
	if len(sum) != 1 || !strings.Contains(string(sum[0].Blocks), "Follow-ups* (2 open of 2)") ||
		!strings.Contains(string(sum[0].Blocks), "add a queue alert") || !strings.Contains(string(sum[0].Blocks), `runbook \u0026amp; co`) {
		t.Fatalf("the pinned summary does not list the follow-ups, escaped: %s", sum[0].Blocks)
	}

	if answer := h.command("U0003", ch.ID, "action done 1"); !strings.Contains(answer, "marked done action 1 of incident #1") {
		t.Errorf("action done answered %s", answer)
	}
	h.settle()
	if answer := h.command("U0003", ch.ID, "action done 1"); !strings.Contains(answer, "already done") {
		t.Errorf("done twice answered %s", answer)
	}
	if answer := h.command("U0003", ch.ID, "action done 9"); !strings.Contains(answer, "no action 9") {
		t.Errorf("unknown action answered %s", answer)
	}
	if js := string(h.summaries(ch.ID)[0].Blocks); !strings.Contains(js, "Follow-ups* (1 open of 2)") || !strings.Contains(js, "~1. add a queue alert~") {
		t.Errorf("the summary does not show action 1 done: %s", js)
	}

	// Across incidents: /incident list actions [@owner], newest first.
	h.command("U0002", h.channelID("general"), "declare Search down sev3")
	h.settle()
	h.command("U0002", h.channel(2).ID, "action reindex nightly <@U0003>")
	list := h.command("U0004", h.channelID("general"), "list actions")
	if !strings.Contains(list, "*#2* action 1: reindex nightly") || !strings.Contains(list, `*#1* action 2: write the runbook \u0026amp; co`) ||
		strings.Index(list, "#2*") > strings.Index(list, "#1*") || strings.Contains(list, "add a queue alert") {
		t.Errorf("list actions = %s; want the open ones, newest first", list)
	}
	if mine := h.command("U0004", h.channelID("general"), "list actions <@U0003|carol>"); !strings.Contains(mine, "reindex nightly") || strings.Contains(mine, "runbook") {
		t.Errorf("list actions @carol = %s", mine)
	}
	h.command("U0003", ch.ID, "action reopen 1")
	h.command("U0002", ch.ID, "resolve fixed")
	h.settle()
	md := string(h.postmortem(1).Markdown)
	if !strings.Contains(md, "add a queue alert") || !strings.Contains(md, "2026-11-26") {
		t.Errorf("the draft lacks the follow-up with its due date:\n%s", md)
	}
}

func TestStoryOverdueFollowUpNudgedOnceAWeek(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	ctx := context.Background()
	h.command("U0002", h.channelID("general"), "declare Payments slow sev2") // Wed 25 Nov 2026
	h.settle()
	ch := h.channel(1)
	h.command("U0002", ch.ID, "action add a payments dashboard <@U0003|carol> due tomorrow")
	h.command("U0002", ch.ID, "action nobody owns this due tomorrow")
	h.command("U0002", ch.ID, "action not due yet <@U0004> due 2026-12-24")
	h.settle()
	nudges := func(user string) int {
		dm, ok := h.sim.DirectMessage(user)
		if !ok {
			return 0
		}
		n := 0
		for _, m := range botMessages(h.sim.Messages(dm.ID)) {
			if strings.Contains(m.Text, "overdue") {
				n++
			}
		}
		return n
	}
	tickTo := func(at time.Time) {
		t.Helper()
		h.clock.Advance(at.Sub(h.clock.Now()))
		if _, err := h.app.cron.TickDue(ctx, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		h.settle()
	}
	tickTo(time.Date(2026, 11, 30, 9, 1, 0, 0, time.UTC)) // Monday: overdue since Thursday night
	if got := nudges("U0003"); got != 1 {
		t.Fatalf("reminders to the owner after the first Monday = %d, want 1", got)
	}
	dm, _ := h.sim.DirectMessage("U0003")
	if msg := botMessages(h.sim.Messages(dm.ID))[0].Text; !strings.Contains(msg, "add a payments dashboard") || !strings.Contains(msg, "/incident #1 action done 1") {
		t.Errorf("reminder = %q", msg)
	}
	if got := nudges("U0004"); got != 0 {
		t.Errorf("the owner of an action not due yet was reminded %d times", got)
	}

	// The same week again (a second scan, a rerun): nothing new.
	if err := h.app.runner.Enqueue(ctx, jobFollowUpScan.Job("followup-scan:again", struct{}{}, time.Time{})); err != nil {
		t.Fatal(err)
	}
	tickTo(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	if got := nudges("U0003"); got != 1 {
		t.Fatalf("reminders within the same week = %d, want still 1", got)
	}

	tickTo(time.Date(2026, 12, 7, 9, 1, 0, 0, time.UTC)) // the next Monday
	if got := nudges("U0003"); got != 2 {
		t.Fatalf("reminders after the second Monday = %d, want 2", got)
	}

	// Done: no more reminders.
	h.command("U0003", ch.ID, "action done 1")
	h.settle()
	tickTo(time.Date(2026, 12, 14, 9, 1, 0, 0, time.UTC))
	if got := nudges("U0003"); got != 2 {
		t.Errorf("reminders after the action was done = %d, want still 2", got)
	}
}
