package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/amapi/amapitest"
	"github.com/incidentbot/incidentbot/internal/clocktest"
	"github.com/incidentbot/incidentbot/internal/config"
)

// Silence stories: Alertmanager is the strict double of its API
// (amapitest), on the harness's clock.

// startOfStories is the harness's usual start: Wednesday 2026-11-25 03:00 UTC.
var startOfStories = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

// newAMDouble starts the API double on clock.
func newAMDouble(t *testing.T, clock *clocktest.Clock) (*amapitest.Server, string) {
	t.Helper()
	am := amapitest.New(clock.Now, "")
	srv := httptest.NewServer(am)
	t.Cleanup(srv.Close)
	return am, srv.URL
}

// withAlertmanager adds alertmanager.urls to a config.
func withAlertmanager(url string, more func(*config.Config)) func(*config.Config) {
	return func(c *config.Config) {
		more(c)
		c.Alertmanager = config.Alertmanager{URLs: []string{url}, Auth: config.AlertmanagerAuthNone, Timeout: 5 * time.Second}
	}
}

// eventsOf returns the events of one type.
func eventsOf(evs []incidents.Event, typ incidents.EventType) []incidents.Event {
	var out []incidents.Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// summaryText is the pinned summary of incident n, unescaped.
func (h *harness) summaryText(n int64) string {
	h.t.Helper()
	s := h.summaries(h.channel(n).ID)
	if len(s) == 0 {
		h.t.Fatalf("incident #%d has no summary", n)
	}
	return blocksText(s[len(s)-1])
}

func TestStorySilenceUntilResolvedExpiresOnResolve(t *testing.T) {
	clock := clocktest.New(startOfStories)
	am, url := newAMDouble(t, clock)
	h := newHarness(t, harnessOptions{manual: true, clock: clock, config: withAlertmanager(url, withPaging)})
	h.openCritical()
	ch := h.channel(1)

	answer := unescapeJSON(h.command(primaryUser, ch.ID, "silence until resolved"))
	if !strings.Contains(answer, `"response_type":"in_channel"`) ||
		!strings.Contains(answer, "<@U0002> silenced `{alertname=\\\"HighLatency\\\"}` in Alertmanager until incident #1 resolves") {
		t.Fatalf("silence answered %s", answer)
	}
	sils := am.Silences()
	if len(sils) != 1 {
		t.Fatalf("Alertmanager holds %d silences, want 1", len(sils))
	}
	s := sils[0]
	if len(s.Matchers) != 1 || s.Matchers[0] != (amapitest.Matcher{Name: "alertname", Value: "HighLatency", IsEqual: true}) ||
		s.CreatedBy != "Bob Baker" || s.Comment != "http://incidentbot.test/incidents/1" || am.State(s) != "active" {
		t.Errorf("the silence made: %+v (state %s); want the group's labels, by Bob Baker, linking the incident", s, am.State(s))
	}
	ev := eventsOf(h.timeline(1), incidents.EventSilenced)
	if len(ev) != 1 || ev[0].Fields["silence"] != s.ID || ev[0].Fields["until_resolved"] != "true" || ev[0].Actor != primaryUser ||
		ev[0].Fields["matchers"] != `{alertname="HighLatency"}` {
		t.Fatalf("silenced events = %+v", ev)
	}
	h.settleNow()
	if sum := h.summaryText(1); !strings.Contains(sum, "*Silenced in Alertmanager* (1)") || !strings.Contains(sum, "until resolved — silence "+s.ID) ||
		!strings.Contains(sum, `"action_id":"incident_unsilence"`) {
		t.Errorf("the summary does not show the silence:\n%s", sum)
	}

	// The incident resolves: the silence is expired by the job scheduled with the resolution.
	h.advance(20 * time.Minute)
	h.command("U0001", ch.ID, "resolve rolled back")
	calls := len(am.Calls())
	h.settleNow()
	var deletes []amapitest.Call
	for _, c := range am.Calls()[calls:] {
		if c.Method == http.MethodDelete {
			deletes = append(deletes, c)
		}
	}
	if len(deletes) != 1 || deletes[0].Path != "/api/v2/silence/"+s.ID || deletes[0].Status != 200 {
		t.Fatalf("after the resolve Alertmanager got %+v, want one DELETE of the silence", deletes)
	}
	if got := am.Silences()[0]; am.State(got) != "expired" {
		t.Errorf("the silence is %s after the resolve, want expired", am.State(got))
	}
	un := eventsOf(h.timeline(1), incidents.EventUnsilenced)
	if len(un) != 1 || un[0].Fields["why"] != incidents.UnsilenceResolved || un[0].Fields["silence"] != s.ID || un[0].Actor != incidents.ActorBot {
		t.Errorf("unsilenced events = %+v", un)
	}
	if sum := h.summaryText(1); strings.Contains(sum, "Silenced in Alertmanager") || strings.Contains(sum, "incident_silence") {
		t.Errorf("the resolved incident's summary still shows the silence or its buttons:\n%s", sum)
	}
	// Nothing more: a second settle, an hour on, sends nothing.
	calls = len(am.Calls())
	h.advance(time.Hour)
	if extra := am.Calls()[calls:]; len(extra) != 0 {
		t.Errorf("Alertmanager got %d more calls after the expiry: %+v", len(extra), extra)
	}
}

func TestStoryAlertmanager500GetsAClearAnswerAndNoSilence(t *testing.T) {
	clock := clocktest.New(startOfStories)
	am, url := newAMDouble(t, clock)
	h := newHarness(t, harnessOptions{manual: true, clock: clock, config: withAlertmanager(url, withPaging)})
	h.openCritical()
	ch := h.channel(1)
	am.Fail(http.StatusInternalServerError)

	answer := replyText(t, h.command(primaryUser, ch.ID, "silence 1h"))
	want := "Alertmanager did not answer (HTTP 500: internal error), so nothing was silenced, and nothing is on the timeline."
	if !strings.HasPrefix(answer, want) {
		t.Errorf("silence with Alertmanager failing answered %q, want it to start with %q", answer, want)
	}
	if n := countEvents(h.timeline(1), incidents.EventSilenced); n != 0 {
		t.Errorf("%d silenced events on the timeline, want none", n)
	}
	if len(am.Silences()) != 0 {
		t.Errorf("the failing double stored a silence")
	}
	// The summary's button fails the same way, on its response_url.
	h.settleNow()
	sum := h.summaries(ch.ID)
	h.click(primaryUser, sum[len(sum)-1], bot.ActionSilence+"_4h", "1:4h")
	resps := h.sim.Responses()
	if last := resps[len(resps)-1]; !strings.HasPrefix(last.Text, want) || last.ResponseType != "ephemeral" {
		t.Errorf("the Silence 4h button answered %+v, want %q", last, want)
	}
	// A refusal (a matcher Alertmanager will not take) says what it said.
	am.Fail(0)
	answer = replyText(t, h.command(primaryUser, ch.ID, `silence 1h service=~".*"`))
	if !strings.Contains(answer, "refused: HTTP 400: invalid silence: at least one matcher must not match the empty string") {
		t.Errorf("a refused silence answered %q", answer)
	}
	if n := countEvents(h.timeline(1), incidents.EventSilenced); n != 0 {
		t.Errorf("%d silenced events after failures, want none", n)
	}
	// And once it answers, a button makes one.
	h.click(primaryUser, sum[len(sum)-1], bot.ActionSilence+"_4h", "1:4h")
	if n := countEvents(h.timeline(1), incidents.EventSilenced); n != 1 || len(am.Silences()) != 1 ||
		!am.Silences()[0].EndsAt.Equal(clock.Now().Add(4*time.Hour)) {
		t.Errorf("after the button: %d events, silences %+v; want one of 4h", n, am.Silences())
	}
	// Unsilence by command, then nothing is left to expire.
	answer = replyText(t, h.command(primaryUser, ch.ID, "unsilence"))
	if !strings.Contains(answer, "expired 1 silence of incident #1") || am.State(am.Silences()[0]) != "expired" {
		t.Errorf("unsilence answered %q; silence %s", answer, am.State(am.Silences()[0]))
	}
	if answer := replyText(t, h.command(primaryUser, ch.ID, "unsilence")); !strings.Contains(answer, "no silence in force") {
		t.Errorf("a second unsilence answered %q", answer)
	}
}

func TestStorySilenceWithoutAlertmanagerOrLabels(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	h.command("U0001", h.channelID("general"), "declare Payments down sev1")
	h.settleNow()
	if got := replyText(t, h.command("U0001", h.channel(1).ID, "silence 1h")); !strings.Contains(got, "No Alertmanager is configured") {
		t.Errorf("silence without alertmanager: %q", got)
	}
	clock := clocktest.New(startOfStories)
	am, url := newAMDouble(t, clock)
	h2 := newHarness(t, harnessOptions{manual: true, clock: clock, config: withAlertmanager(url, withSlack)})
	h2.command("U0001", h2.channelID("general"), "declare Payments down sev1")
	h2.settleNow()
	if got := replyText(t, h2.command("U0001", h2.channel(1).ID, "silence 1h")); !strings.Contains(got, "has no alert labels to silence by") {
		t.Errorf("silence of a declared incident: %q", got)
	}
	got := unescapeJSON(h2.command("U0001", h2.channel(1).ID, `silence 2h {service="payments", env=~"prod|dr"}`))
	if !strings.Contains(got, "silenced `{service=\\\"payments\\\", env=~\\\"prod|dr\\\"}`") || len(am.Silences()) != 1 ||
		am.Silences()[0].Matchers[1] != (amapitest.Matcher{Name: "env", Value: "prod|dr", IsRegex: true, IsEqual: true}) {
		t.Errorf("silence with matchers: %s; silences %+v", got, am.Silences())
	}
	var posted map[string]any
	if err := json.Unmarshal([]byte(am.Calls()[0].Body), &posted); err != nil || posted["createdBy"] != "Alice Archer" {
		t.Errorf("createdBy = %v, want the person's name", posted["createdBy"])
	}
}
