package app

import (
	"context"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/internal/slacksim"
	"github.com/incidentbot/incidentbot/postmortem"
)

// The postmortem stories of issue 9.

// postmortemLinks returns the bot's messages in a channel that link the postmortem of n.
func (h *harness) postmortemLinks(channelID string, n int64) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range botMessages(h.sim.Messages(channelID)) {
		if strings.Contains(m.Text, "http://incidentbot.test/postmortems/") && strings.Contains(string(m.Blocks), "postmortem-") {
			out = append(out, m)
		}
	}
	return out
}

func (h *harness) postmortem(n int64) postmortem.Record {
	h.t.Helper()
	rec, err := h.app.pm.store.Postmortem(context.Background(), n)
	if err != nil {
		h.t.Fatalf("postmortem of #%d: %v", n, err)
	}
	return rec
}

func TestStoryResolveWritesDraftAndPostsItsLinkOnce(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	ctx := context.Background()
	h.command("U0002", h.channelID("general"), "declare Payments API <b>down</b> sev1")
	h.settle()
	ch := h.channel(1)
	h.command("U0002", ch.ID, "note rolled back release 1.2")
	h.settle()
	if _, err := h.app.pm.store.Postmortem(ctx, 1); err == nil {
		t.Fatal("a draft was written while the incident is open and nobody asked for one")
	}

	h.command("U0002", ch.ID, "resolve the rollback fixed it")
	h.settle()
	rec := h.postmortem(1)
	md := string(rec.Markdown)
	if rec.Status != postmortem.StatusDraft || !strings.Contains(md, "# Incident #1: ") || !strings.Contains(md, "the rollback fixed it") ||
		!strings.Contains(md, "rolled back release 1.2") {
		t.Fatalf("draft (status %s) lacks the incident, its summary or its note:\n%s", rec.Status, md)
	}
	if strings.Contains(md, "@U0002") || !strings.Contains(md, "| Commander | Bob Baker |") {
		t.Errorf("the draft names people by Slack ID, not by name:\n%s", md)
	}
	links := h.postmortemLinks(ch.ID, 1)
	if len(links) != 1 || rec.MessageTS != links[0].TS {
		t.Fatalf("postmortem links in the channel = %d (recorded ts %q), want one, recorded", len(links), rec.MessageTS)
	}
	if strings.Contains(links[0].Text, "<b>") {
		t.Errorf("the link's title is not escaped: %s", links[0].Text)
	}
	if got := countEvents(h.timeline(1), incidents.EventPostmortemWritten); got != 1 {
		t.Errorf("postmortem_written events = %d, want 1", got)
	}

	// A rerun (another sync, the command, the button) posts nothing new and records nothing twice.
	written := rec.WrittenAt
	if reply := h.command("U0002", ch.ID, "postmortem"); !strings.Contains(reply, "The postmortem draft of incident #1 is on \\u003chttp://incidentbot.test/postmortems/1|the postmortem page\\u003e") {
		t.Errorf("/incident postmortem with the draft written answered %s, want where the draft is", reply)
	}
	h.settle()
	if err := h.app.queuePostmortem(ctx, 1); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if got := len(h.postmortemLinks(ch.ID, 1)); got != 1 {
		t.Errorf("after reruns: %d postmortem links, want 1", got)
	}
	if got := countEvents(h.timeline(1), incidents.EventPostmortemWritten); got != 1 {
		t.Errorf("after reruns: postmortem_written events = %d, want 1", got)
	}
	if again := h.postmortem(1); !again.WrittenAt.Equal(written) {
		t.Errorf("an unchanged incident was written again (at %v, first at %v)", again.WrittenAt, written)
	}

	// A link posted before a crash, but not recorded, is adopted: the job's
	// first attempt died (its worker claimed it, then nothing), so the next
	// attempt looks for what that one may have posted.
	rec = h.postmortem(1)
	rec.MessageTS = ""
	if err := h.app.pm.store.PutPostmortem(ctx, &rec); err != nil {
		t.Fatal(err)
	}
	h.app.queuePostmortem(ctx, 1)
	if j, err := h.app.Jobs().Claim(ctx, "a-worker-that-died", h.clock.Now(), 0, jobs.AnyPriority); err != nil || j == nil {
		t.Fatalf("claim the postmortem job as the dead worker: %v, %v", j, err)
	}
	h.settle()
	if got := len(h.postmortemLinks(ch.ID, 1)); got != 1 {
		t.Errorf("after a lost ts: %d postmortem links, want 1 (adopted)", got)
	}
	if h.postmortem(1).MessageTS == "" {
		t.Error("the adopted link's ts was not recorded")
	}
}

func TestStoryFinalStopsRegeneration(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	h.command("U0002", h.channelID("general"), "declare Checkout errors sev2")
	h.settle()
	ch := h.channel(1)
	h.command("U0002", ch.ID, "resolve bad config")
	h.settle()

	// Regenerated while a draft: a change after resolve is in the draft.
	h.command("U0002", ch.ID, "action add a config linter")
	h.settle()
	if md := string(h.postmortem(1).Markdown); !strings.Contains(md, "add a config linter") {
		t.Fatalf("the draft was not regenerated with the new action:\n%s", md)
	}

	answer := h.command("U0002", ch.ID, "postmortem status in review")
	if !strings.Contains(answer, "in_channel") || !strings.Contains(strings.ToLower(answer), "review") {
		t.Errorf("status in review answered %s, want an in-channel line naming the status", answer)
	}
	h.settle()
	if rec := h.postmortem(1); rec.Status != postmortem.StatusInReview || !strings.Contains(string(rec.Markdown), "in-review") {
		t.Fatalf("after in review: status %s; front matter:\n%.300s", rec.Status, rec.Markdown)
	}

	h.command("U0002", ch.ID, "postmortem status final")
	h.settle()
	final := h.postmortem(1)
	if final.Status != postmortem.StatusFinal || !strings.Contains(string(final.Markdown), `status: "final"`) {
		t.Fatalf("after final: status %s, front matter:\n%.300s", final.Status, final.Markdown)
	}
	h.command("U0002", ch.ID, "action this one comes too late")
	h.command("U0002", ch.ID, "severity sev1")
	h.settle()
	after := h.postmortem(1)
	if strings.Contains(string(after.Markdown), "comes too late") || !after.WrittenAt.Equal(final.WrittenAt) {
		t.Errorf("a final postmortem was rewritten (written %v, final at %v)", after.WrittenAt, final.WrittenAt)
	}
	if got := countEvents(h.timeline(1), incidents.EventPostmortemStatus); got != 2 {
		t.Errorf("postmortem_status events = %d, want 2 (in review, final)", got)
	}
	if answer := h.command("U0002", ch.ID, "postmortem status final"); !strings.Contains(answer, "already final") {
		t.Errorf("final again answered %s, want already final", answer)
	}
	if answer := h.command("U0002", ch.ID, "postmortem status done"); !strings.Contains(answer, "draft, in-review, final") {
		t.Errorf("an unknown status answered %s, want the statuses", answer)
	}
}

func TestStoryPostmortemBeforeResolveWritesDraft(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	h.command("U0002", h.channelID("general"), "declare Search slow sev3")
	h.settle()
	ch := h.channel(1)
	answer := h.command("U0003", ch.ID, "postmortem")
	if !strings.Contains(answer, "http://incidentbot.test/postmortems/1") {
		t.Errorf("/incident postmortem answered %s, want the draft's address", answer)
	}
	h.settle()
	rec := h.postmortem(1)
	if !strings.Contains(string(rec.Markdown), "Search slow") || !rec.Ongoing {
		t.Fatalf("draft of an open incident: ongoing %v\n%s", rec.Ongoing, rec.Markdown)
	}
	if got := len(h.postmortemLinks(ch.ID, 1)); got != 1 {
		t.Errorf("postmortem links = %d, want 1", got)
	}
	// It keeps up with the incident while open: a status change is in the next draft.
	h.command("U0002", ch.ID, "status identified")
	h.settle()
	if md := string(h.postmortem(1).Markdown); !strings.Contains(strings.ToLower(md), "identified") {
		t.Errorf("the draft of an open incident did not follow its status change:\n%s", md)
	}

	// The summary's Postmortem button does the same for another incident.
	h.command("U0002", h.channelID("general"), "declare Queue backlog sev3")
	h.settle()
	ch2 := h.channel(2)
	sum := h.summaries(ch2.ID)
	if len(sum) != 1 {
		t.Fatalf("summaries of #2 = %d", len(sum))
	}
	resp, err := h.sim.ClickButton(context.Background(), "U0002", ch2.ID, sum[0].TS, "incident_postmortem", "2")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h.settle()
	if rec := h.postmortem(2); !strings.Contains(string(rec.Markdown), "Queue backlog") {
		t.Errorf("the Postmortem button wrote no draft of #2")
	}
}

func TestStoryThisHappenedBefore(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	ctx := context.Background()
	h.mustPost(payload("group-a", testAlert{fp(1), "firing", "DiskFull", h.clock.Now()}))
	h.applyAll()
	h.settle()
	if _, err := h.app.Service().Resolve(ctx, 1, "freed space", "U0001"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	// Another group, the same alert name.
	h.mustPost(payload("group-b", testAlert{fp(2), "firing", "DiskFull", h.clock.Now()}))
	h.applyAll()
	h.settle()
	inc, err := h.app.Service().Get(ctx, 2)
	if err != nil || inc.Previous != 1 {
		t.Fatalf("incident #2: previous %d, %v; want #1", inc.Previous, err)
	}
	sum := h.summaries(h.channel(2).ID)
	if len(sum) != 1 || !strings.Contains(string(sum[0].Blocks), "http://incidentbot.test/incidents/1|#1") ||
		!strings.Contains(string(sum[0].Blocks), "http://incidentbot.test/postmortems/1|its postmortem") {
		t.Fatalf("the summary of #2 does not link #1 and its postmortem: %s", sum[0].Blocks)
	}
	h.command("U0001", h.channel(2).ID, "postmortem")
	h.settle()
	if md := string(h.postmortem(2).Markdown); !strings.Contains(md, "http://incidentbot.test/postmortems/1") {
		t.Errorf("the draft of #2 does not link the postmortem of #1:\n%s", md)
	}
	// A different alert links nothing.
	h.mustPost(payload("group-c", testAlert{fp(3), "firing", "CPUHigh", h.clock.Now()}))
	h.applyAll()
	h.settle()
	if inc, _ := h.app.Service().Get(ctx, 3); inc.Previous != 0 {
		t.Errorf("an unrelated incident was linked to #%d", inc.Previous)
	}
}

// With locale: ru the draft is written in Russian.
func TestStoryRussianDraft(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: func(c *config.Config) { withSlack(c); c.Locale = "ru" }})
	h.command("U0002", h.channelID("general"), "declare Платежи недоступны sev2")
	h.settle()
	h.command("U0002", h.channel(1).ID, "resolve откатили релиз")
	h.settle()
	md := string(h.postmortem(1).Markdown)
	for _, want := range []string{"## Кратко", "## Хронология", "Платежи недоступны", "откатили релиз"} {
		if !strings.Contains(md, want) {
			t.Errorf("Russian draft lacks %q:\n%.600s", want, md)
		}
	}
}
