package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/deploys/deploystest"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/stats"
)

func TestAckAndCauseCommands(t *testing.T) {
	store := deploystest.NewMem()
	e := newEnv(t, func(o *HandlerOptions) { o.Deployments = store })
	inc, ch := e.incident("U0001", "Checkout is down")
	// Declaring acknowledges; a second acknowledgement is refused with a sentence.
	if got := e.incidentCmd("U0002", ch, "ack"); !strings.Contains(got.Text, "already acknowledged") {
		t.Errorf("ack of an acknowledged incident = %q, want a refusal", got.Text)
	}
	d := deploys.Deployment{ID: "d-42", Service: "checkout", Version: "v1.2", Environment: "production",
		Status: deploys.StatusSuccess, At: e.clock.Now().Add(-time.Hour)}
	if _, err := store.AddDeployment(e.ctx, d); err != nil {
		t.Fatal(err)
	}
	if got := e.incidentCmd("U0002", ch, "cause deploy d-nope"); !strings.Contains(got.Text, "There is no deployment d-nope") {
		t.Errorf("cause with an unknown deployment = %q", got.Text)
	}
	got := e.incidentCmd("U0002", ch, "cause deploy d-42")
	if got.ResponseType != inChannel || !strings.Contains(got.Text, "deployment d-42 (checkout v1.2 to production)") {
		t.Errorf("cause = %+v, want an in-channel confirmation", got)
	}
	causes, _ := store.Causes(e.ctx)
	if causes[inc.Number] != "d-42" {
		t.Errorf("causes = %v, want #%d → d-42", causes, inc.Number)
	}
	tl, _ := e.svc.Timeline(e.ctx, inc.Number)
	if countType(tl, incidents.EventCauseLinked) != 1 {
		t.Errorf("timeline has %d cause events, want 1", countType(tl, incidents.EventCauseLinked))
	}
	// The same link again adds no second timeline event.
	e.incidentCmd("U0002", ch, "cause deploy d-42")
	tl, _ = e.svc.Timeline(e.ctx, inc.Number)
	if n := countType(tl, incidents.EventCauseLinked); n != 1 {
		t.Errorf("after linking twice: %d cause events, want 1", n)
	}
}

func TestCauseButton(t *testing.T) {
	store := deploystest.NewMem()
	e := newEnv(t, func(o *HandlerOptions) { o.Deployments = store })
	inc, ch := e.incident("U0001", "Checkout is down")
	d := deploys.Deployment{ID: "d-7", Service: "checkout", Version: "v2", Environment: "production",
		Status: deploys.StatusFailure, At: e.clock.Now().Add(-10 * time.Minute)}
	store.AddDeployment(e.ctx, d)
	_, blocks := causeOffer(Lang{}, inc.Number, []deploys.Deployment{d})
	checkBlockLimits(t, blocks)
	_, ts, err := e.api.PostMessageContext(e.ctx, ch, slack.MsgOptionBlocks(blocks...))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.sim.ClickButton(e.ctx, "U0003", ch, ts, ActionCause, fmt.Sprintf("%d:d-7", inc.Number))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("click: %v %v", resp, err)
	}
	resp.Body.Close()
	e.h.Shutdown(context.Background())
	if causes, _ := store.Causes(e.ctx); causes[inc.Number] != "d-7" {
		t.Errorf("causes = %v, want #%d → d-7", causes, inc.Number)
	}
}

func TestStatsCommand(t *testing.T) {
	var gotPeriod time.Duration
	var gotService string
	e := newEnv(t, func(o *HandlerOptions) {
		o.Stats = func(_ context.Context, period time.Duration, service string) (stats.Report, error) {
			gotPeriod, gotService = period, service
			return stats.Report{Service: service, Incidents: 3, Open: 1,
				BySeverity:        []stats.Count{{Name: "sev1", Count: 1}, {Name: "sev2<!channel>", Count: 2}},
				TimeToAcknowledge: stats.Durations{Count: 2, Median: stats.Duration(4 * time.Minute), P90: stats.Duration(9 * time.Minute), Missing: 1, MissingMeaning: "never acknowledged"},
				Longest:           []stats.Longest{{Number: 7, Title: "<script>x</script>", Severity: "sev1", Duration: stats.Duration(3 * time.Hour)}},
				DORA:              []stats.DORA{{Service: "checkout", Environment: "production", PerDay: 2.5, ChangeFailRate: 0.1}},
			}, nil
		}
	})
	got := e.incidentCmd("U0001", e.channel("general"), "stats 7d checkout")
	if gotPeriod != 7*24*time.Hour || gotService != "checkout" {
		t.Errorf("Stats called with %v %q, want 7d checkout", gotPeriod, gotService)
	}
	if got.ResponseType != ephemeral || len(got.Blocks.BlockSet) == 0 || !strings.Contains(got.Text, "3 incidents, 1 open") {
		t.Fatalf("stats answer = %+v, want ephemeral blocks", got)
	}
	checkBlockLimits(t, got.Blocks.BlockSet)
	checkNoLiveMarkup(t, got.Blocks.BlockSet)
	js := blocksJSON(t, got.Blocks.BlockSet)
	for _, want := range []string{"4m (p90 9m), 1 never acknowledged", "2.5 deploys/day", "change fail rate 10%"} {
		if !strings.Contains(js, want) {
			t.Errorf("stats blocks lack %q: %s", want, js)
		}
	}
}

func countType(evs []incidents.Event, typ incidents.EventType) int {
	n := 0
	for _, ev := range evs {
		if ev.Type == typ {
			n++
		}
	}
	return n
}
