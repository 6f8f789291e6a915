package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/slacksim"
)

// Slack answers an error after the side effect happened (fatal_error and
// internal_error "may have succeeded"; a 502, a dropped connection or no
// answer at all leave the bot as unsure), or a 5xx before it: whatever
// the bot retries, the incident ends with one channel, one pinned summary,
// one announce line and one page, in the simulator's own count.
func TestStorySlackFailsAfterTheEffectNothingTwice(t *testing.T) {
	type fault struct {
		method string
		when   slacksim.When
	}
	faults := []fault{
		{"conversations.create", slacksim.Next(1)},
		{"chat.postMessage", slacksim.Next(3)}, // the page, the summary, the announce line
		{"conversations.open", slacksim.Next(1)},
		{"conversations.invite", slacksim.Next(2)},
		{"pins.add", slacksim.Next(1)},
		{"chat.update", slacksim.Next(1)},
		{slacksim.AllMethods, slacksim.When{Fraction: 0.3, Limit: 12}},
	}
	failures := []slacksim.Failure{slacksim.FatalError, slacksim.InternalError, slacksim.BadGateway, slacksim.DroppedAnswer, slacksim.NoAnswer}
	for _, f := range faults {
		for _, failure := range failures {
			t.Run(f.method+"/"+failure.String(), func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, harnessOptions{manual: true, config: withPaging, slackTimeout: 250 * time.Millisecond})
				h.sim.SetFailAfter(f.method, f.when, failure)
				h.openCritical()
				h.settleWithin(9 * time.Minute)
				h.assertOnce(1)
			})
		}
	}
	// 5xx before the effect: retried until Slack answers.
	t.Run("5xx before", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, harnessOptions{manual: true, config: withPaging})
		h.sim.SetServerError(slacksim.AllMethods, slacksim.When{Fraction: 0.4, Limit: 20}, http.StatusServiceUnavailable)
		h.openCritical()
		h.settleWithin(9 * time.Minute)
		h.assertOnce(1)
	})
}

// settleWithin runs due jobs and their retries, advancing the clock to each
// next one, for at most d: retries back off, escalations further out wait.
func (h *harness) settleWithin(d time.Duration) {
	h.t.Helper()
	end := h.clock.Now().Add(d)
	for range 500 {
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
		if next.IsZero() || next.After(end) {
			return
		}
		if now := h.clock.Now(); next.After(now) {
			h.clock.Advance(next.Sub(now))
		}
	}
	h.t.Fatal("jobs did not settle")
}

// assertOnce fails unless incident n has exactly one channel, one summary
// (pinned once), one "opened" announce line and one page to the primary.
func (h *harness) assertOnce(n int64) {
	h.t.Helper()
	prefix := fmt.Sprintf("inc-%d-", n)
	var channels []string
	for _, c := range h.sim.Channels() {
		if strings.HasPrefix(c.Name, prefix) {
			channels = append(channels, c.Name)
		}
	}
	if len(channels) != 1 {
		h.t.Fatalf("channels of #%d: %v, want one", n, channels)
	}
	ch := h.channel(n).ID
	if got := len(h.summaries(ch)); got != 1 {
		h.t.Errorf("summaries of #%d: %d, want 1", n, got)
	}
	if got := len(h.sim.Pins(ch)); got != 1 {
		h.t.Errorf("pins in the channel of #%d: %d, want 1", n, got)
	}
	announced := 0
	for _, m := range botMessages(h.sim.Messages(h.channelID("incidents"))) {
		if strings.Contains(string(m.Blocks), fmt.Sprintf(`"announce-opened-%d"`, n)) {
			announced++
		}
	}
	if announced != 1 {
		h.t.Errorf("announce lines of #%d: %d, want 1", n, announced)
	}
	if got := len(h.pages(primaryUser)); got != 1 {
		h.t.Errorf("pages to the primary: %d, want 1", got)
	}
	if !containsMember(h.sim.Members(ch), primaryUser) {
		h.t.Errorf("the paged primary is not in the channel")
	}
}

func containsMember(members []string, user string) bool {
	for _, m := range members {
		if m == user {
			return true
		}
	}
	return false
}
