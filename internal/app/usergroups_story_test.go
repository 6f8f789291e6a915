package app

import (
	"context"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/config"
)

// A schedule's usergroup holds who is on call from the bot's first minute,
// not only from the next shift change (the simulator's @oncall-primary
// showed "no members" for a week), and is set once per shift.
func TestStoryUsergroupHoldsWhoIsOnCallFromStart(t *testing.T) {
	config := func(c *config.Config) {
		withPaging(c)
		c.Schedules[0].Usergroup = "oncall-primary"
	}
	h := newHarness(t, harnessOptions{manual: true, config: config})
	ctx := context.Background()
	tick := func() {
		if _, err := h.app.cron.TickDue(ctx, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		h.settleNow()
	}
	if got := h.sim.UsergroupUsers("oncall-primary"); len(got) != 0 {
		t.Fatalf("@oncall-primary before the bot's first minute = %v, want empty", got)
	}
	tick()
	if got := h.sim.UsergroupUsers("oncall-primary"); len(got) != 1 || got[0] != primaryUser {
		t.Fatalf("@oncall-primary after the first minute = %v, want [%s] (on call this week)", got, primaryUser)
	}
	for range 3 {
		h.clock.Advance(time.Minute)
		tick()
	}
	if got := h.sim.OKCalls("usergroups.users.update"); got != 1 {
		t.Errorf("usergroups.users.update calls within one shift = %d, want 1", got)
	}
	// Monday 30 Nov 09:00 UTC the week's shift changes to U0003.
	h.clock.Advance(time.Date(2026, 11, 30, 9, 0, 30, 0, time.UTC).Sub(h.clock.Now()))
	tick()
	if got := h.sim.UsergroupUsers("oncall-primary"); len(got) != 1 || got[0] != "U0003" {
		t.Errorf("@oncall-primary after the change = %v, want [U0003]", got)
	}
	if got := h.sim.OKCalls("usergroups.users.update"); got != 2 {
		t.Errorf("usergroups.users.update calls = %d, want 2 (one per shift)", got)
	}
}
