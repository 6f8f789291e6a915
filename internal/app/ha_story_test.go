package app

import (
	"bytes"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// fromPeer is body as the other Alertmanager of an HA pair sends it: the
// same group and alerts, its own external URL.
func fromPeer(body []byte) []byte {
	return bytes.Replace(body, []byte(`"http://alertmanager.example"`), []byte(`"http://alertmanager-1.example"`), 1)
}

// An HA pair of Alertmanagers sends every group twice within a second and
// in any order; the slower one may send a firing after the other sent its
// resolution. One incident per group, whose state follows the alerts'
// startsAt and endsAt, not the order they arrived in.
func TestStoryHAPairOfAlertmanagers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	t0 := h.clock.Now().Add(-time.Minute)

	// g1 from both within a second: one incident, one channel.
	firing1 := payload("g1", testAlert{fp(1), "firing", "HighLatency", t0})
	h.mustPost(firing1)
	h.clock.Advance(400 * time.Millisecond)
	h.mustPost(fromPeer(firing1))
	// g2: the resolution comes first (both firings were slow), then the firings.
	resolved2 := payload("g2", testAlert{fp(2), "resolved", "DiskFull", t0})
	firing2 := payload("g2", testAlert{fp(2), "firing", "DiskFull", t0})
	h.mustPost(resolved2)
	h.mustPost(fromPeer(resolved2))
	h.applyAll()
	h.clock.Advance(300 * time.Millisecond)
	h.mustPost(fromPeer(firing2))
	h.mustPost(firing2)
	h.applyAll()
	h.settleNow()

	incs := h.incidents()
	if len(incs) != 2 {
		t.Fatalf("incidents = %d, want one per group (2)", len(incs))
	}
	byGroup := map[string]*incidents.Incident{}
	for _, inc := range incs {
		byGroup[inc.GroupKey] = inc
		h.channel(inc.Number)
	}
	if channels := len(h.sim.Channels()); channels < 2 {
		t.Fatalf("Slack channels = %d", channels)
	}
	if g1 := byGroup["g1"]; g1 == nil || g1.FiringCount != 1 {
		t.Fatalf("g1 = %+v, want its alert firing", g1)
	}
	g2 := byGroup["g2"]
	if g2 == nil || g2.FiringCount != 0 || g2.AlertsClearAt.IsZero() {
		t.Fatalf("g2 = %+v, want its alert resolved (the resolution came first) and auto-resolve counting", g2)
	}

	// g1 resolves at one peer; the other's late firing does not undo it.
	h.clock.Advance(time.Minute)
	h.mustPost(payload("g1", testAlert{fp(1), "resolved", "HighLatency", t0}))
	h.mustPost(fromPeer(firing1))
	h.applyAll()
	// Both auto-resolve; the stale firings re-sent after that open nothing.
	h.clock.Advance(16 * time.Minute)
	h.settleNow()
	h.mustPost(fromPeer(firing1))
	h.mustPost(firing2)
	h.applyAll()
	h.settleNow()
	incs = h.incidents()
	if len(incs) != 2 {
		t.Fatalf("incidents after the stale firings = %d, want still 2", len(incs))
	}
	for _, inc := range incs {
		if inc.Status != incidents.StatusResolved {
			t.Errorf("#%d (%s) is %s, want resolved: its alerts ended", inc.Number, inc.GroupKey, inc.Status)
		}
		fired := 0
		for _, e := range h.timeline(inc.Number) {
			if e.Type == incidents.EventAlertFired {
				fired++
			}
		}
		if fired != 1 {
			t.Errorf("#%d: %d alert_fired events, want 1", inc.Number, fired)
		}
	}
}
