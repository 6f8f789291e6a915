package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/pace"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/labels"
	"github.com/incidentbot/incidentbot/routing"
)

// Against a Slack that enforces its rate tiers (the simulator's, on the
// fake clock), 60 minor alert groups and then one critical: the critical
// group's page goes out within seconds, its channel within half a minute,
// every channel at the pace conversations.create allows, and almost no call
// bounces off a 429.
func TestStorySev1PageFirstBehindSixtyMinorGroups(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{manual: true, config: func(c *config.Config) {
		withPaging(c)
		c.Storm.MaxNew = 100
		critical, err := labels.ParseMatchers([]string{`alertname="CheckoutDown"`})
		if err != nil {
			t.Fatal(err)
		}
		c.Routes = []routing.Route{
			{Matchers: critical, Severity: "sev1", EscalationPolicy: "critical"},
			{Matchers: labels.Matchers{}, Severity: "sev3"}, // minor: no page
		}
	}})
	t0 := h.clock.Now()
	for i := range 60 {
		h.mustPost(withCommonLabels(payload(fmt.Sprintf("minor-%d", i), testAlert{fp(i), "firing", "DiskAlmostFull", t0}), "DiskAlmostFull"))
	}
	h.applyAll()
	h.runFor(2 * time.Second) // the minor groups' work is under way
	h.clock.Advance(t0.Add(2 * time.Second).Sub(h.clock.Now()))
	alertAt := h.clock.Now()
	h.mustPost(withCommonLabels(payload("critical", testAlert{fp(100), "firing", "CheckoutDown", alertAt}), "CheckoutDown"))
	h.applyAll()
	h.runFor(10 * time.Minute)

	dms := h.pages(primaryUser)
	if len(dms) != 1 {
		t.Fatalf("pages to the on-call person = %d, want 1", len(dms))
	}
	pageAt := slackTime(t, dms[0].TS)
	var sev1Channel time.Time
	var lastChannel time.Time
	created := 0
	for _, ch := range h.sim.Channels() {
		if !strings.HasPrefix(ch.Name, "inc-") {
			continue
		}
		created++
		if strings.Contains(ch.Name, "checkoutdown") {
			sev1Channel = ch.Created
		}
		if ch.Created.After(lastChannel) {
			lastChannel = ch.Created
		}
	}
	if created != 61 || sev1Channel.IsZero() {
		t.Fatalf("incident channels = %d (sev1's at %v), want 61", created, sev1Channel)
	}
	// Tier 2: a minute's quota at once, then one every 3 s.
	tier := pace.MethodLimit("conversations.create")
	allowed := time.Duration(max(0, created-tier.Burst)) * tier.Interval()
	calls, limited := h.sim.Totals()
	t.Logf("sev1 page %s after its alert, its channel %s; last of %d channels at %s (the tier allows %s); %d Slack calls, %d answered 429",
		pageAt.Sub(alertAt), sev1Channel.Sub(alertAt), created, lastChannel.Sub(t0), allowed, calls, limited)
	if d := pageAt.Sub(alertAt); d > 5*time.Second {
		t.Errorf("the sev1 page went out %s after its alert, want within 5s", d)
	}
	if d := sev1Channel.Sub(alertAt); d > 30*time.Second {
		t.Errorf("the sev1 channel came %s after its alert, want within 30s", d)
	}
	if d := lastChannel.Sub(t0); float64(d) > 1.2*float64(allowed)+float64(5*time.Second) {
		t.Errorf("the last channel came %s after the first alert; the tier allows %s (want within 1.2×)", d, allowed)
	}
	if float64(limited) > 0.01*float64(calls) {
		t.Errorf("%d of %d Slack calls were answered 429, want at most 1%%", limited, calls)
	}
}

// runFor runs due jobs and moves the fake clock from one due time to the
// next, until d has passed or nothing is left before then.
func (h *harness) runFor(d time.Duration) {
	h.t.Helper()
	end := h.clock.Now().Add(d)
	for range 5000 {
		h.runJobs()
		list, err := h.app.Jobs().List(context.Background())
		if err != nil {
			h.t.Fatal(err)
		}
		var next time.Time
		for _, j := range list {
			if next.IsZero() || j.RunAt.Before(next) {
				next = j.RunAt
			}
		}
		now := h.clock.Now()
		if next.IsZero() || next.After(end) {
			return
		}
		if next.After(now) {
			h.clock.Advance(next.Sub(now))
		}
	}
	h.t.Fatal("jobs did not settle")
}

// withCommonLabels gives a payload the alertname the router matches on.
func withCommonLabels(body []byte, alertname string) []byte {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		panic(err)
	}
	m["commonLabels"] = map[string]string{"alertname": alertname}
	m["groupLabels"] = map[string]string{"alertname": alertname}
	out, _ := json.Marshal(m)
	return out
}

// slackTime reads a message ts ("1795575600.000001") as a time.
func slackTime(t *testing.T, ts string) time.Time {
	t.Helper()
	sec, _, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		t.Fatalf("ts %q: %v", ts, err)
	}
	return time.Unix(s, 0).UTC()
}
