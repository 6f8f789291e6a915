package pace_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/pace"
	"github.com/incidentbot/incidentbot/internal/slacksim"
)

// TestPacedClientMeetsTheSimulatorsTiers runs slack-go over HTTP through the
// pacer against the simulator, both on one fake clock, with Slack's limits on:
// 30 conversations.create calls from 4 goroutines are never refused and end at
// Tier 2's pace: 20 at once, then one every 3 s.
func TestPacedClientMeetsTheSimulatorsTiers(t *testing.T) {
	clock := newFakeClock()
	start := clock.Now()
	sim := slacksim.New(slacksim.Options{Token: "xoxb-pace", Now: clock.Now, NoSeed: true})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	tr := pace.New(srv.Client().Transport, pace.Options{MaxWait: longWait, Now: clock.Now, NewTimer: clock.NewTimer})
	api := slack.New("xoxb-pace", slack.OptionAPIURL(srv.URL+"/api/"), slack.OptionHTTPClient(&http.Client{Transport: tr}))

	const total, workers = 30, 4
	var next atomic.Int64
	r := &rig{clock: clock}
	active, wait := r.callers(workers, func(int) {
		for {
			i := next.Add(1)
			if i > total {
				return
			}
			name := fmt.Sprintf("inc-%d-storm", i)
			if _, err := api.CreateConversationContext(context.Background(), slack.CreateConversationParams{ChannelName: name}); err != nil {
				t.Errorf("conversations.create %s: %v", name, err)
			}
		}
	})
	r.drive(t, active)
	wait()

	if got := sim.Calls("conversations.create"); got != total {
		t.Errorf("conversations.create calls = %d, want %d", got, total)
	}
	if got := sim.RateLimited("conversations.create"); got != 0 {
		t.Errorf("conversations.create answered 429 %d times, want 0", got)
	}
	if got := sim.OKCalls("conversations.create"); got != total {
		t.Errorf("channels created = %d, want %d", got, total)
	}
	if took := clock.Now().Sub(start); took != 30*time.Second {
		t.Errorf("the calls took %s of the clock, want 30s: 20 at once, then 10 at 3 s each", took)
	}
}
