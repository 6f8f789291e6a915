package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/web"
	"github.com/incidentbot/incidentbot/reporting"
	"github.com/incidentbot/incidentbot/stats"
)

// The stories of issue 19's reporting clocks, on the fake clock.

// withDORA configures the DORA major-incident obligation of the example
// config (with the 4h/24h/72h/1 month deadlines) besides Slack.
func withDORA(auto ...string) func(*config.Config) {
	return func(c *config.Config) {
		withSlack(c)
		c.Timezone = time.UTC
		dl := func(s string) reporting.Deadline {
			d, err := reporting.ParseDeadline(s)
			if err != nil {
				panic(err)
			}
			return d
		}
		cap := dl("24h after detected")
		c.Reporting = []reporting.Obligation{{
			Name: "dora-major", Title: "EU DORA", Reference: "Regulation (EU) 2022/2554 art. 19", Template: "dora", Severities: auto,
			Reports: []reporting.Report{
				{Name: "initial", Due: dl("4h after classified"), AtMost: &cap, Remind: []time.Duration{time.Hour, 15 * time.Minute}},
				{Name: "intermediate", Due: dl("72h after initial submitted"), Remind: []time.Duration{time.Hour}},
				{Name: "final", Due: dl("1 month after intermediate submitted"), Remind: []time.Duration{24 * time.Hour}},
			},
		}}
	}
}

// botTexts are the texts of the bot's messages in a channel that contain sub.
func (h *harness) botTexts(channelID, sub string) []string {
	var out []string
	for _, m := range botMessages(h.sim.Messages(channelID)) {
		if strings.Contains(m.Text, sub) {
			out = append(out, m.Text)
		}
	}
	return out
}

// dmTexts are the bot's direct messages to user that contain sub.
func (h *harness) dmTexts(user, sub string) []string {
	dm, ok := h.sim.DirectMessage(user)
	if !ok {
		return nil
	}
	return h.botTexts(dm.ID, sub)
}

// at moves the clock to t and runs what became due.
func (h *harness) at(t time.Time) {
	h.t.Helper()
	h.clock.Advance(t.Sub(h.clock.Now()))
	h.settleNow()
}

// get answers a GET of the app's web view.
func (h *harness) get(path string) string {
	h.t.Helper()
	resp, err := http.Get(h.app.URL() + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

func (h *harness) apiReports(n int64) []web.APIReport {
	h.t.Helper()
	var d web.APIIncidentDetail
	if err := json.Unmarshal([]byte(h.get(fmt.Sprintf("/api/v1/incidents/%d", n))), &d); err != nil {
		h.t.Fatal(err)
	}
	return d.Reporting
}

func TestStoryDORAMajorIncidentReportedAgainstItsClocks(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withDORA()})
	start := h.clock.Now() // Wed 25 Nov 2026 03:00 UTC
	h.command("U0002", h.channelID("general"), "declare Payments down sev1")
	h.settleNow()
	ch := h.channel(1)

	// Classified as DORA-major at once: the initial notification is due in 4h.
	answer := h.command("U0002", ch.ID, "classify dora-major")
	for _, want := range []string{"classified incident #1 under *dora-major*", "*initial* — due Wed 25 Nov 2026 07:00 UTC, in 4h",
		"*intermediate* — due 72h after *initial* is submitted", "*final* — due 1 month after *intermediate* is submitted"} {
		if !strings.Contains(answer, want) {
			t.Errorf("classify answered %s\nwant %q", answer, want)
		}
	}
	if again := h.command("U0002", ch.ID, "classify dora-major"); !strings.Contains(again, "already classified under dora-major") {
		t.Errorf("classify twice answered %s", again)
	}
	h.settleNow()
	if sum := string(h.summaries(ch.ID)[0].Blocks); !strings.Contains(sum, "Regulatory reporting") || !strings.Contains(sum, "*initial* — due Wed 25 Nov 2026 07:00 UTC") {
		t.Errorf("the pinned summary does not show the deadlines: %s", sum)
	}

	// Reminders 1h and 15m before, in the channel and to the commander; once each.
	h.at(start.Add(3*time.Hour - time.Minute))
	if got := h.botTexts(ch.ID, "is due"); len(got) != 0 {
		t.Fatalf("reminded early: %v", got)
	}
	h.at(start.Add(3 * time.Hour))
	if got := h.botTexts(ch.ID, "report of *dora-major* for incident #1 is due"); len(got) != 1 || !strings.Contains(got[0], "in 1h") {
		t.Fatalf("reminders in the channel at 1h before = %v", got)
	}
	if got := h.dmTexts("U0002", "is due"); len(got) != 1 {
		t.Errorf("reminders to the commander = %v", got)
	}
	if sum := string(h.summaries(ch.ID)[0].Blocks); !strings.Contains(sum, "*due soon*") {
		t.Errorf("the summary does not say the initial report is due soon: %s", sum)
	}
	h.at(start.Add(3*time.Hour + 45*time.Minute))
	if got := h.botTexts(ch.ID, "is due"); len(got) != 2 || !strings.Contains(got[1], "in 15m") {
		t.Fatalf("reminders after 15m before = %v", got)
	}

	// The draft of the next report (the initial one), from the DORA
	// template, with the incident's facts.
	answer = h.command("U0002", ch.ID, "report dora-major draft")
	if !strings.Contains(answer, "drafted the *initial* report") || !strings.Contains(answer, "http://incidentbot.test/incidents/1/reports/dora-major/initial.md") {
		t.Fatalf("draft answered %s", answer)
	}
	md := h.get("/incidents/1/reports/dora-major/initial.md")
	for _, want := range []string{"# Initial notification: major ICT-related incident INC-1", "| Date and time of classification as major | 2026-11-25 03:00 UTC",
		"| Incident reference code assigned by the financial entity | INC-1 |", "Regulation (EU) 2022/2554 art. 19", "| Deadline | 2026-11-25 07:00 UTC"} {
		if !strings.Contains(md, want) {
			t.Errorf("the draft lacks %q:\n%s", want, md)
		}
	}

	// Submitted on time: the intermediate report is due 72h after it.
	h.at(start.Add(3*time.Hour + 50*time.Minute))
	answer = h.command("U0003", ch.ID, "report dora-major submitted FIN-2026-001")
	if !strings.Contains(answer, "recorded the *initial* report of *dora-major* for incident #1 as submitted (reference FIN-2026-001): on time") || !strings.Contains(answer, "*intermediate* — due Sat 28 Nov 2026 06:50 UTC, in 3d") {
		t.Errorf("submitted answered %s", answer)
	}
	reps := h.apiReports(1)
	if len(reps) != 3 || reps[0].State != "on_time" || reps[1].Due == nil || !reps[1].Due.Equal(start.Add(3*time.Hour+50*time.Minute+72*time.Hour)) || reps[2].WaitsFor != "intermediate" {
		t.Fatalf("API reports after the initial submission = %+v", reps)
	}
	h.at(start.Add(5 * time.Hour)) // past the initial deadline: submitted, so no overdue notice
	if got := h.botTexts(ch.ID, "overdue"); len(got) != 0 {
		t.Errorf("an overdue notice for a report submitted on time: %v", got)
	}

	// Intermediate on time two days later; the final report is due a month after it.
	intermediate := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	h.at(intermediate)
	h.command("U0003", ch.ID, "report dora-major intermediate submitted FIN-2026-001")
	h.command("U0002", ch.ID, "resolve fixed the payment gateway")
	h.settleNow()
	finalDue := time.Date(2026, 12, 27, 10, 0, 0, 0, time.UTC)
	if reps := h.apiReports(1); reps[2].Due == nil || !reps[2].Due.Equal(finalDue) {
		t.Fatalf("final report due %v, want %s", reps[2].Due, finalDue)
	}

	// Reminded a day before, then, not submitted in time, announced overdue once.
	h.at(finalDue.Add(-24 * time.Hour))
	if got := h.botTexts(ch.ID, "*final* report of *dora-major* for incident #1 is due"); len(got) != 1 {
		t.Errorf("reminders of the final report = %v", got)
	}
	h.at(finalDue.Add(2 * time.Second))
	h.at(finalDue.Add(6 * time.Hour))
	overdue := h.botTexts(ch.ID, "is overdue")
	if len(overdue) != 1 || !strings.Contains(overdue[0], "*final* report of *dora-major*") {
		t.Fatalf("overdue notices = %v", overdue)
	}
	if got := h.dmTexts("U0002", "is overdue"); len(got) != 1 {
		t.Errorf("overdue notices to the commander = %v", got)
	}
	answer = h.command("U0003", ch.ID, "report dora-major final submitted")
	if !strings.Contains(answer, ": *late*") {
		t.Errorf("a late final report answered %s", answer)
	}

	// The stats count it: two on time, one late.
	if reply := h.command("U0001", h.channelID("general"), "stats 90d"); !strings.Contains(reply, "*Regulatory reports*\\n2 on time, 1 late") {
		t.Errorf("stats = %s", reply)
	}
	var api struct {
		Regulatory stats.RegulatoryReports `json:"regulatory_reporting"`
	}
	if err := json.Unmarshal([]byte(h.get("/api/v1/stats?window=90d")), &api); err != nil || api.Regulatory.OnTime != 2 || api.Regulatory.Late != 1 || api.Regulatory.Reports != 3 {
		t.Errorf("GET /api/v1/stats regulatory = %+v, %v", api.Regulatory, err)
	}

	// Every step is on the timeline (and so in its hash chain).
	evs := h.timeline(1)
	for typ, want := range map[incidents.EventType]int{incidents.EventClassified: 1, incidents.EventReportReminder: 2 + 1, // the intermediate report was in before its reminder
		incidents.EventReportDrafted: 1, incidents.EventReportSubmitted: 3, incidents.EventReportOverdue: 1} {
		if got := countEvents(evs, typ); got != want {
			t.Errorf("%s events = %d, want %d", typ, got, want)
		}
	}
	if page := h.get("/incidents/1"); !strings.Contains(page, "submitted late") || !strings.Contains(page, "FIN-2026-001") {
		t.Error("the incident page does not list the reports")
	}
}

// TestStoryLateClassificationIsCappedAtDetectionPlus24h: classified 22h
// after detection, the initial notification is due at detection + 24h, not
// 4h after the classification.
func TestStoryLateClassificationIsCappedAtDetectionPlus24h(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withDORA()})
	start := h.clock.Now()
	h.command("U0002", h.channelID("general"), "declare Card payments failing sev1")
	h.settleNow()
	h.at(start.Add(22 * time.Hour))
	answer := h.command("U0002", h.channel(1).ID, "classify dora-major")
	if !strings.Contains(answer, "*initial* — due Thu 26 Nov 2026 03:00 UTC (the at-most cap), in 2h") {
		t.Fatalf("classify 22h late answered %s", answer)
	}
	h.at(start.Add(24*time.Hour + 2*time.Second))
	if got := h.botTexts(h.channel(1).ID, "is overdue"); len(got) != 1 {
		t.Errorf("overdue notices at detection + 24h = %v", got)
	}
}

// TestStoryAutoClassifiedBySeverity: an obligation with auto_classify
// starts by itself when an incident reaches one of its severities.
func TestStoryAutoClassifiedBySeverity(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withDORA("sev1")})
	h.command("U0002", h.channelID("general"), "declare Slow refunds sev2")
	h.settleNow()
	if incidents.Classified(h.timeline(1), "dora-major") {
		t.Fatal("a sev2 incident was classified")
	}
	h.command("U0002", h.channel(1).ID, "severity sev1")
	h.settleNow()
	var by string
	for _, e := range h.timeline(1) {
		if e.Type == incidents.EventClassified {
			by = e.Actor
		}
	}
	if by != incidents.ActorBot {
		t.Fatalf("classified by %q, want the bot", by)
	}
	if sum := string(h.summaries(h.channel(1).ID)[0].Blocks); !strings.Contains(sum, "_dora-major_") {
		t.Errorf("the summary does not show the obligation: %s", sum)
	}
	if answer := h.command("U0002", h.channel(1).ID, "report nis2 early draft"); !strings.Contains(answer, `no regulatory reporting obligation \"nis2\" (configured: dora-major)`) {
		t.Errorf("an unknown obligation answered %s", answer)
	}
	if answer := h.command("U0002", h.channel(1).ID, "report dora-major interim draft"); !strings.Contains(answer, `has no report \"interim\"`) {
		t.Errorf("an unknown report answered %s", answer)
	}
}

// TestStoryRemindersSurviveARestart: the reminder jobs are stored, so a
// restart neither loses them nor sends one twice.
func TestStoryRemindersSurviveARestart(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withDORA()})
	start := h.clock.Now()
	h.command("U0002", h.channelID("general"), "declare Ledger stuck sev1")
	h.settleNow()
	h.command("U0002", h.channel(1).ID, "classify dora-major")
	h.settleNow()
	ch := h.channel(1).ID
	h.kill()

	h2 := newHarness(t, harnessOptions{manual: true, config: withDORA(), dir: h.dir, clock: h.clock, slackOf: h})
	h2.at(start.Add(3 * time.Hour))
	if got := h2.botTexts(ch, "is due"); len(got) != 1 {
		t.Fatalf("reminders after a restart = %d, want 1", len(got))
	}
	// A reminder enqueued again after it ran (as a second submission would)
	// finds its event on the timeline and sends nothing.
	p := reportPoint{Incident: 1, Obligation: "dora-major", Report: "initial", Due: start.Add(4 * time.Hour), Before: time.Hour}
	if err := h2.app.runner.Enqueue(context.Background(), jobReportRemind.Job(p.key("report-remind"), p, time.Time{})); err != nil {
		t.Fatal(err)
	}
	h2.stop()
	h3 := newHarness(t, harnessOptions{manual: true, config: withDORA(), dir: h.dir, clock: h.clock, slackOf: h})
	h3.settleNow()
	if got := h3.botTexts(ch, "is due"); len(got) != 1 {
		t.Errorf("reminders after a second restart = %d, want still 1", len(got))
	}
	if n := countEvents(h3.timeline(1), incidents.EventReportReminder); n != 1 {
		t.Errorf("reminder events = %d, want 1", n)
	}
}
