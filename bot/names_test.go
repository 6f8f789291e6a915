package bot

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/slacksim"
)

// The directory the postmortem and the web view share asks Slack once per
// person (names and unknown IDs alike), and after a failure asks nothing
// for a minute, so page views never queue behind a Slack that is away.
func TestDirectoryRemembersAndPausesAfterAFailure(t *testing.T) {
	e := newEnv(t)
	d := NewDirectory(e.api)
	d.Now = e.clock.Now
	check := func(what string, ids []string, want map[string]string, calls int) {
		t.Helper()
		got := d.Names(e.ctx, ids)
		if len(got) != len(want) {
			t.Errorf("%s: names = %v, want %v", what, got, want)
		}
		for id, n := range want {
			if got[id] != n {
				t.Errorf("%s: name of %s = %q, want %q", what, id, got[id], n)
			}
		}
		if c := e.sim.Calls("users.info"); c != calls {
			t.Errorf("%s: users.info calls = %d, want %d", what, c, calls)
		}
	}
	alice := map[string]string{"U0001": "Alice Archer"}
	check("first", []string{"U0001", "U0NOBODY"}, alice, 2)
	check("again", []string{"U0001", "U0NOBODY"}, alice, 2) // both remembered

	e.sim.SetRateLimit("users.info", slacksim.Always(), 30*time.Second)
	check("rate-limited", []string{"U0001", "U0002", "U0003"}, alice, 3) // stops at the first failure
	check("paused", []string{"U0002", "U0003"}, nil, 3)

	e.sim.SetRateLimit("users.info", slacksim.When{}, 0)
	e.clock.Advance(lookupPause - time.Second)
	check("still paused", []string{"U0002"}, nil, 3)
	e.clock.Advance(2 * time.Second)
	check("after the pause", []string{"U0001", "U0002", "U0003"},
		map[string]string{"U0001": "Alice Archer", "U0002": "Bob Baker", "U0003": "Carol Chen"}, 5)
}
