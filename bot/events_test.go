package bot

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/slacksim"
)

// runJobs runs every enqueued event job, as the jobs worker would.
func (e *env) runJobs() int {
	e.t.Helper()
	jobs := e.queue.drain()
	for _, p := range jobs {
		if err := e.h.HandleEvent(e.ctx, p); err != nil {
			e.t.Fatalf("HandleEvent: %v", err)
		}
	}
	return len(jobs)
}

func pinned(evs []incidents.Event) []incidents.Event {
	var out []incidents.Event
	for _, ev := range evs {
		if ev.Type == incidents.EventMessagePinned {
			out = append(out, ev)
		}
	}
	return out
}

func TestURLVerification(t *testing.T) {
	e := newEnv(t)
	if err := e.sim.VerifyURL(e.ctx); err != nil {
		t.Fatal(err)
	}
}

func TestPinAndPushpinRecordOnce(t *testing.T) {
	e := newEnv(t)
	inc, ch := e.incident("U0001", "Checkout down")
	posted := e.clock.Now()
	ts, err := e.sim.UserPost(e.ctx, "U0002", ch, "rolled back <https://x.example|deploy> & waiting")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(10 * time.Minute)
	if err := e.sim.UserPin(e.ctx, "U0003", ch, ts); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.UserReact(e.ctx, "U0001", ch, ts, "pushpin"); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.UserReact(e.ctx, "U0001", ch, ts, "tada"); err != nil {
		t.Fatal(err)
	}
	for _, d := range e.sim.Events() {
		if d.Status != http.StatusOK {
			t.Fatalf("delivery %+v not acknowledged", d)
		}
	}
	if got := e.runJobs(); got != 2 {
		t.Fatalf("%d jobs, want 2 (pin and pushpin; the message and tada events are not stored)", got)
	}
	evs := pinned(e.timeline(inc.Number))
	if len(evs) != 1 {
		t.Fatalf("%d pinned events, want 1: %+v", len(evs), evs)
	}
	ev := evs[0]
	if ev.Actor != "U0002" || !ev.At.Equal(posted) || ev.Text != "rolled back <https://x.example|deploy> & waiting" {
		t.Fatalf("event = %+v, want actor U0002 at %v", ev, posted)
	}
	if ev.Fields["pinned_by"] != "U0003" || !strings.Contains(ev.Fields["permalink"], "/archives/"+ch+"/p") {
		t.Fatalf("fields = %v", ev.Fields)
	}

	// The timeline shows it escaped with a link to the message.
	got := e.incidentCmd("U0001", ch, "timeline")
	if !strings.Contains(got.Text, ":pushpin: rolled back &lt;https://x.example|deploy&gt; &amp; waiting") {
		t.Fatalf("timeline:\n%s", got.Text)
	}

	// 📌 alone, on another message, records it too.
	ts2, _ := e.sim.UserPost(e.ctx, "U0001", ch, "second")
	if err := e.sim.UserReact(e.ctx, "U0002", ch, ts2, "pushpin"); err != nil {
		t.Fatal(err)
	}
	e.runJobs()
	if evs := pinned(e.timeline(inc.Number)); len(evs) != 2 || evs[1].Actor != "U0001" || evs[1].Fields["pinned_by"] != "U0002" {
		t.Fatalf("pinned events = %+v", evs)
	}
}

func TestEventRetryIsOneJob(t *testing.T) {
	e := newEnv(t)
	inc, ch := e.incident("U0001", "Checkout down")
	ts, _ := e.sim.UserPost(e.ctx, "U0002", ch, "the fix")
	if err := e.sim.UserPin(e.ctx, "U0002", ch, ts); err != nil {
		t.Fatal(err)
	}
	var id string
	for _, d := range e.sim.Events() {
		if d.Type == "pin_added" {
			id = d.EventID
		}
	}
	for retry := 1; retry <= 3; retry++ {
		resp, err := e.sim.ResendEvent(e.ctx, id, retry, "http_timeout")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("retry %d: %v", retry, err)
		}
	}
	if e.queue.calls != 4 {
		t.Fatalf("enqueue called %d times, want 4", e.queue.calls)
	}
	if got := e.runJobs(); got != 1 {
		t.Fatalf("%d jobs, want 1", got)
	}
	// Even a job run twice (a retry after the job finished) records once.
	if _, err := e.sim.ResendEvent(e.ctx, id, 1, "http_timeout"); err != nil {
		t.Fatal(err)
	}
	e.runJobs()
	if evs := pinned(e.timeline(inc.Number)); len(evs) != 1 {
		t.Fatalf("%d pinned events, want 1", len(evs))
	}
}

func TestEventsIgnored(t *testing.T) {
	e := newEnv(t)
	inc, ch := e.incident("U0001", "Checkout down")
	sre := e.channel("sre")
	if err := e.sim.AddMember(sre, slacksim.BotUserID); err != nil {
		t.Fatal(err)
	}
	ts, _ := e.sim.UserPost(e.ctx, "U0001", sre, "not an incident channel")
	if err := e.sim.UserPin(e.ctx, "U0001", sre, ts); err != nil {
		t.Fatal(err)
	}
	// The bot pinning its own summary.
	_, sts, err := e.api.PostMessageContext(e.ctx, ch, slack.MsgOptionText("summary", false))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.api.AddPinContext(e.ctx, ch, slack.NewRefToMessage(ch, sts)); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.sim.SendEvent(e.ctx, map[string]any{
		"type": "pin_added", "user": slacksim.BotUserID, "channel_id": ch,
		"item": map[string]any{"type": "message", "channel": ch, "message": map[string]any{"ts": sts, "user": slacksim.BotUserID, "text": "summary"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.runJobs()
	if evs := pinned(e.timeline(inc.Number)); len(evs) != 0 {
		t.Fatalf("pinned events = %+v, want none", evs)
	}
}

func TestEventNotStoredIsNotAcknowledged(t *testing.T) {
	e := newEnv(t)
	_, ch := e.incident("U0001", "Checkout down")
	e.queue.fail = errors.New("store down")
	ts, _ := e.sim.UserPost(e.ctx, "U0002", ch, "x")
	if err := e.sim.UserPin(e.ctx, "U0002", ch, ts); err != nil {
		t.Fatal(err)
	}
	evs := e.sim.Events()
	last := evs[len(evs)-1]
	if last.Type != "pin_added" || last.Status != http.StatusServiceUnavailable {
		t.Fatalf("delivery = %+v, want 503 so Slack retries", last)
	}
}

func TestMalformedEvent(t *testing.T) {
	e := newEnv(t)
	resp := e.signedPost("/slack/events", "application/json", []byte("{nope"), e.clock.Now(), testSecret)
	body, _ := io.ReadAll(resp.Body)
	var v struct{ Error string }
	if resp.StatusCode != http.StatusBadRequest || json.Unmarshal(body, &v) != nil || v.Error == "" {
		t.Fatalf("status %d body %s", resp.StatusCode, body)
	}
}
