package bot

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// fakeAcker records Socket Mode acknowledgements.
type fakeAcker struct {
	mu   sync.Mutex
	acks map[string][]any // envelope ID → payloads
}

func (a *fakeAcker) Ack(req socketmode.Request, payload ...any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.acks == nil {
		a.acks = map[string][]any{}
	}
	a.acks[req.EnvelopeID] = payload
	return nil
}

func (a *fakeAcker) get(id string) ([]any, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.acks[id]
	return p, ok
}

func TestSocketModeDispatch(t *testing.T) {
	e := newEnv(t)
	inc, ch := e.incident("U0001", "Checkout down")
	ack := &fakeAcker{}

	t.Run("slash command", func(t *testing.T) {
		evt := socketmode.Event{
			Type:    socketmode.EventTypeSlashCommand,
			Data:    slack.SlashCommand{Command: commandIncident, Text: "status identified", UserID: "U0002", ChannelID: ch},
			Request: &socketmode.Request{Type: "slash_commands", EnvelopeID: "env-1"},
		}
		e.h.dispatchSocketEvent(e.ctx, ack, evt)
		p, ok := ack.get("env-1")
		if !ok || len(p) != 1 {
			t.Fatalf("ack = %v, %v", p, ok)
		}
		r, _ := p[0].(reply)
		if r.ResponseType != inChannel || !strings.Contains(r.Text, "*identified*") {
			t.Fatalf("payload = %+v", p[0])
		}
		if st := e.get(inc.Number).Status; st != "identified" {
			t.Fatalf("status = %s", st)
		}
	})

	t.Run("view submission with errors", func(t *testing.T) {
		var cb slack.InteractionCallback
		raw := `{"type":"view_submission","user":{"id":"U0002"},"view":{"id":"V1","callback_id":"` + CallbackDeclare +
			`","private_metadata":"{}","state":{"values":{"title":{"title":{"type":"plain_text_input","value":""}}}}}}`
		if err := json.Unmarshal([]byte(raw), &cb); err != nil {
			t.Fatal(err)
		}
		e.h.dispatchSocketEvent(e.ctx, ack, socketmode.Event{
			Type: socketmode.EventTypeInteractive, Data: cb,
			Request: &socketmode.Request{Type: "interactive", EnvelopeID: "env-2"},
		})
		p, ok := ack.get("env-2")
		if !ok || len(p) != 1 {
			t.Fatalf("ack = %v, %v", p, ok)
		}
		resp, _ := p[0].(*slack.ViewSubmissionResponse)
		if resp == nil || resp.ResponseAction != slack.RAErrors || resp.Errors[BlockTitle] == "" {
			t.Fatalf("payload = %+v", p[0])
		}
	})

	envelope := `{"type":"event_callback","event_id":"Ev42","event_time":1,"event":{"type":"reaction_added","user":"U0002","reaction":"pushpin","item":{"type":"message","channel":"` + ch + `","ts":"1.000001"}}}`
	t.Run("events api", func(t *testing.T) {
		e.h.dispatchSocketEvent(e.ctx, ack, socketmode.Event{
			Type:    socketmode.EventTypeEventsAPI,
			Request: &socketmode.Request{Type: "events_api", EnvelopeID: "env-3", Payload: json.RawMessage(envelope)},
		})
		if p, ok := ack.get("env-3"); !ok || len(p) != 0 {
			t.Fatalf("ack = %v, %v; want an empty ack", p, ok)
		}
		if jobs := e.queue.drain(); len(jobs) != 1 || !strings.Contains(jobs[0]["event"], "pushpin") {
			t.Fatalf("jobs = %v", jobs)
		}
	})

	t.Run("events api not stored is not acked", func(t *testing.T) {
		e.queue.fail = errors.New("store down")
		defer func() { e.queue.fail = nil }()
		e.h.dispatchSocketEvent(e.ctx, ack, socketmode.Event{
			Type:    socketmode.EventTypeEventsAPI,
			Request: &socketmode.Request{Type: "events_api", EnvelopeID: "env-4", Payload: json.RawMessage(envelope), RetryAttempt: 1},
		})
		if _, ok := ack.get("env-4"); ok {
			t.Fatal("an event that was not stored was acknowledged")
		}
	})

	t.Run("connection events are not acked", func(t *testing.T) {
		e.h.dispatchSocketEvent(e.ctx, ack, socketmode.Event{Type: socketmode.EventTypeConnected})
		e.h.dispatchSocketEvent(e.ctx, ack, socketmode.Event{Type: socketmode.EventTypeHello, Request: &socketmode.Request{Type: "hello"}})
		if len(ack.acks) != 3 {
			t.Fatalf("acks = %v", ack.acks)
		}
	})
}
