package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/incidents"
)

// testAppToken is the app-level token Socket Mode connects with.
const testAppToken = "xapp-1-test"

// e2eWait bounds every wait of the end-to-end tests.
const e2eWait = 5 * time.Second

// slackLink plays Slack's side of Socket Mode on one httptest server:
// POST /api/apps.connections.open hands out ws://…/link, /link is the
// websocket, and every other path goes to the Slack simulator, so a single
// API URL serves the whole bot.
type slackLink struct {
	srv      *httptest.Server
	opens    atomic.Int32 // apps.connections.open calls with the app token
	badAuths atomic.Int32 // apps.connections.open calls without it
	conns    chan *linkConn

	// unreachable makes apps.connections.open fail (a retryable error), as
	// when Slack cannot be reached; every refusal is signalled on refused.
	unreachable atomic.Bool
	refused     chan struct{}

	mu  sync.Mutex
	all []*linkConn
}

// linkConn is Slack's end of one Socket Mode websocket.
type linkConn struct {
	ws     *websocket.Conn
	frames chan []byte   // what the client sent, in order
	quit   chan struct{} // closed by close
	done   chan struct{} // closed when the reader stopped
	once   sync.Once
}

func newSlackLink(t *testing.T, api http.Handler) *slackLink {
	t.Helper()
	l := &slackLink{conns: make(chan *linkConn, 8), refused: make(chan struct{}, 64)}
	upgrader := websocket.Upgrader{
		// slack-go dials with Origin: https://api.slack.com.
		CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "https://api.slack.com" },
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer "+testAppToken {
			l.badAuths.Add(1)
			_, _ = w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
			return
		}
		if l.unreachable.Load() {
			select {
			case l.refused <- struct{}{}:
			default:
			}
			_, _ = w.Write([]byte(`{"ok":false,"error":"internal_error"}`))
			return
		}
		l.opens.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": "ws://" + r.Host + "/link"})
	})
	mux.HandleFunc("/link", func(w http.ResponseWriter, r *http.Request) {
		ws, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return // Upgrade has answered with an error
		}
		c := &linkConn{ws: ws, frames: make(chan []byte, 64), quit: make(chan struct{}), done: make(chan struct{})}
		go c.read()
		hello := `{"type":"hello","num_connections":1,"debug_info":{"host":"applink-test","build_number":1,` +
			`"approximate_connection_time":18060},"connection_info":{"app_id":"A0TEST"}}`
		if err := c.write([]byte(hello)); err != nil {
			c.close()
			return
		}
		l.mu.Lock()
		l.all = append(l.all, c)
		l.mu.Unlock()
		select {
		case l.conns <- c:
		default: // nobody is waiting for that many connections; it is still closed at the end
		}
	})
	mux.Handle("/", api)
	l.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		l.mu.Lock()
		all := l.all
		l.mu.Unlock()
		for _, c := range all {
			c.close()
			select {
			case <-c.done:
			case <-time.After(e2eWait):
				t.Error("the link's reader did not stop")
			}
		}
		l.srv.Close()
	})
	return l
}

// accept waits for the bot to open the websocket (hello already sent).
func (l *slackLink) accept(t *testing.T) *linkConn {
	t.Helper()
	select {
	case c := <-l.conns:
		return c
	case <-time.After(e2eWait):
		t.Fatalf("the bot did not connect over Socket Mode (apps.connections.open: %d ok, %d refused)",
			l.opens.Load(), l.badAuths.Load())
		return nil
	}
}

// read forwards every frame the client sends until the connection ends.
func (c *linkConn) read() {
	defer close(c.done)
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		select {
		case c.frames <- msg:
		case <-c.quit:
			return
		}
	}
}

// write sends one frame; only the test goroutine (or the /link handler
// before the connection is handed over) writes, so writes never overlap.
func (c *linkConn) write(frame []byte) error {
	if err := c.ws.SetWriteDeadline(time.Now().Add(e2eWait)); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

func (c *linkConn) close() {
	c.once.Do(func() {
		close(c.quit)
		_ = c.ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = c.ws.Close()
	})
}

// send writes a Socket Mode envelope built from v (or v itself when it is a string).
func (c *linkConn) send(t *testing.T, v any) {
	t.Helper()
	var frame []byte
	if s, ok := v.(string); ok {
		frame = []byte(s)
	} else {
		var err error
		if frame, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.write(frame); err != nil {
		t.Fatalf("write to the socket: %v", err)
	}
}

// socketAck is an acknowledgement as it travels over the websocket.
type socketAck struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

// acks collects acknowledgements in arrival order; envelopes are handled
// concurrently, so one may overtake another.
type acks struct {
	c    *linkConn
	seen map[string]socketAck
}

// wait returns the acknowledgement of envelope id, failing after e2eWait.
func (a *acks) wait(t *testing.T, id string) socketAck {
	t.Helper()
	timeout := time.NewTimer(e2eWait)
	defer timeout.Stop()
	for {
		if ack, ok := a.seen[id]; ok {
			return ack
		}
		select {
		case frame := <-a.c.frames:
			var ack socketAck
			if err := json.Unmarshal(frame, &ack); err != nil || ack.EnvelopeID == "" {
				t.Fatalf("the bot sent %q, not an acknowledgement (%v)", frame, err)
			}
			if _, dup := a.seen[ack.EnvelopeID]; dup {
				t.Errorf("envelope %s acknowledged twice", ack.EnvelopeID)
			}
			a.seen[ack.EnvelopeID] = ack
		case <-a.c.done:
			t.Fatalf("the websocket closed before envelope %s was acknowledged", id)
		case <-timeout.C:
			t.Fatalf("envelope %s was not acknowledged within %s", id, e2eWait)
		}
	}
}

// envelope is a Socket Mode request as Slack sends it.
func envelope(id, typ string, payload any) map[string]any {
	return map[string]any{"envelope_id": id, "type": typ, "payload": payload, "accepts_response_payload": typ != "events_api"}
}

// slashPayload is a slash command as Socket Mode carries it (form fields as JSON).
func slashPayload(user, channel, command, text string) map[string]any {
	return map[string]any{
		"token": "vtoken", "team_id": "T0001", "team_domain": "acme", "channel_id": channel, "channel_name": "general",
		"user_id": user, "user_name": "alice", "command": command, "text": text, "api_app_id": "A0TEST",
		"is_enterprise_install": "false", "response_url": "http://127.0.0.1:1/commands/T0001/1/x", "trigger_id": "1.2.abc",
	}
}

func TestSocketModeEndToEnd(t *testing.T) {
	e := newEnv(t)
	link := newSlackLink(t, e.sim.Handler())
	general := e.channel("general")

	// Wired as internal/app does it: one client for the Web API and Socket Mode.
	client := slack.New(testToken, slack.OptionAPIURL(link.srv.URL+"/api/"), slack.OptionAppLevelToken(testAppToken))
	h := NewHandler(client, e.svc, e.state, HandlerOptions{
		Location: time.UTC, Now: e.clock.Now, Logger: discardLogger(), EnqueueEvent: e.queue.Enqueue,
	})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- h.RunSocketMode(ctx, socketmode.New(client)) }()
	t.Cleanup(func() { // runs before the link closes (cleanups run last-in first-out)
		cancel()
		select {
		case err := <-stopped:
			if err != nil {
				t.Errorf("RunSocketMode = %v, want nil after cancel", err)
			}
		case <-time.After(e2eWait):
			t.Error("RunSocketMode did not return after its context ended")
		}
	})

	conn := link.accept(t)
	got := &acks{c: conn, seen: map[string]socketAck{}}

	t.Run("slash command", func(t *testing.T) {
		conn.send(t, envelope("env-cmd-1", "slash_commands",
			slashPayload("U0001", general, commandIncident, "declare Disk full sev2")))
		ack := got.wait(t, "env-cmd-1")
		var r reply
		if err := json.Unmarshal(ack.Payload, &r); err != nil {
			t.Fatalf("ack payload %s: %v", ack.Payload, err)
		}
		if r.ResponseType != inChannel || !strings.Contains(r.Text, "<@U0001> declared incident #1 (sev2): Disk full") {
			t.Fatalf("ack payload = %s", ack.Payload)
		}
		inc := e.get(1)
		if inc.Title != "Disk full" || inc.Severity != "sev2" || inc.DeclaredBy != "U0001" {
			t.Fatalf("incident #1 = %+v", inc)
		}
	})

	t.Run("events api pin_added", func(t *testing.T) {
		e.queue.drain()
		event := map[string]any{
			"token": "vtoken", "team_id": "T0001", "api_app_id": "A0TEST", "type": "event_callback",
			"event_id": "Ev0PIN", "event_time": 1772424000, "authorizations": []any{},
			"event": map[string]any{
				"type": "pin_added", "user": "U0002", "channel_id": general, "event_ts": "1772424000.000100",
				"item": map[string]any{
					"type": "message", "channel": general, "created": 1772424000, "created_by": "U0002",
					"message": map[string]any{"type": "message", "user": "U0001", "text": "disk at 100%", "ts": "1772423990.000200"},
				},
			},
		}
		conn.send(t, envelope("env-evt-1", "events_api", event))
		ack := got.wait(t, "env-evt-1")
		if len(ack.Payload) != 0 {
			t.Fatalf("ack payload = %s, want none", ack.Payload)
		}
		jobs := e.queue.drain()
		if len(jobs) != 1 || jobs[0]["event_id"] != "Ev0PIN" || !strings.Contains(jobs[0]["event"], `"pin_added"`) {
			t.Fatalf("jobs = %v", jobs)
		}
	})

	t.Run("view submission with errors", func(t *testing.T) {
		var cb map[string]any
		raw := `{"type":"view_submission","team":{"id":"T0001"},"user":{"id":"U0002","name":"bob"},"api_app_id":"A0TEST",` +
			`"trigger_id":"1.2.def","view":{"id":"V1","type":"modal","callback_id":"` + CallbackDeclare + `","private_metadata":"{}",` +
			`"state":{"values":{"title":{"title":{"type":"plain_text_input","value":""}}}}}}`
		if err := json.Unmarshal([]byte(raw), &cb); err != nil {
			t.Fatal(err)
		}
		conn.send(t, envelope("env-int-1", "interactive", cb))
		ack := got.wait(t, "env-int-1")
		var resp struct {
			ResponseAction string            `json:"response_action"`
			Errors         map[string]string `json:"errors"`
		}
		if err := json.Unmarshal(ack.Payload, &resp); err != nil {
			t.Fatalf("ack payload %s: %v", ack.Payload, err)
		}
		if resp.ResponseAction != string(slack.RAErrors) || resp.Errors[BlockTitle] == "" {
			t.Fatalf("ack payload = %s", ack.Payload)
		}
		if list, err := e.svc.List(e.ctx, incidents.ListOptions{}); err != nil || len(list) != 1 {
			t.Fatalf("incidents = %d, %v; the rejected modal must declare nothing", len(list), err)
		}
	})

	t.Run("malformed envelopes do not stop the loop", func(t *testing.T) {
		bad := []string{
			`{not json`, // not even JSON
			`{"envelope_id":"env-bad-1","type":"slash_commands","payload":"oops","accepts_response_payload":true}`,
			`{"envelope_id":"env-bad-2","type":"interactive","payload":[1,2],"accepts_response_payload":true}`,
			`{"envelope_id":"env-bad-3","type":"events_api","payload":{"type":"event_callback","event_id":"Ev0BAD"},"accepts_response_payload":false}`,
			`{"envelope_id":"env-bad-4","type":"no_such_type","payload":{}}`,
		}
		for _, frame := range bad {
			conn.send(t, frame)
		}
		conn.send(t, envelope("env-cmd-2", "slash_commands",
			slashPayload("U0002", general, commandIncident, "declare Cache cold sev3")))
		ack := got.wait(t, "env-cmd-2")
		var r reply
		if err := json.Unmarshal(ack.Payload, &r); err != nil || !strings.Contains(r.Text, "declared incident #2") {
			t.Fatalf("ack payload = %s (%v)", ack.Payload, err)
		}
		for id := range got.seen {
			if strings.HasPrefix(id, "env-bad-") {
				t.Errorf("malformed envelope %s was acknowledged", id)
			}
		}
	})

	if n := link.opens.Load(); n != 1 || link.badAuths.Load() != 0 {
		t.Errorf("apps.connections.open: %d with the app token, %d without; want one connection", n, link.badAuths.Load())
	}
}

// TestSocketModeShutdownWhileSlackUnreachable: work that finishes after the
// websocket dropped, while Slack cannot be reached, must not keep
// RunSocketMode from returning when its context ends. The client buffers only
// a few acknowledgements while disconnected; acking without a context would
// block the rest for good, and RunSocketMode waits for them.
func TestSocketModeShutdownWhileSlackUnreachable(t *testing.T) {
	e := newEnv(t)
	general := e.channel("general")
	const envelopes = 30 // more than socketmode buffers while no connection drains it

	// views.open is held until released, so every envelope is answered after the drop.
	gate := make(chan struct{})
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(gate) }) }
	inViewsOpen := make(chan struct{}, envelopes)
	api := http.NewServeMux()
	api.Handle("/", e.sim.Handler())
	api.HandleFunc("/api/views.open", func(w http.ResponseWriter, r *http.Request) {
		inViewsOpen <- struct{}{}
		select {
		case <-gate:
		case <-r.Context().Done():
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write([]byte(`{"ok":false,"error":"expired_trigger_id"}`))
	})
	link := newSlackLink(t, api)
	t.Cleanup(release) // before the link closes, so no views.open is left hanging

	client := slack.New(testToken, slack.OptionAPIURL(link.srv.URL+"/api/"), slack.OptionAppLevelToken(testAppToken))
	h := NewHandler(client, e.svc, e.state, HandlerOptions{
		Now: e.clock.Now, Logger: discardLogger(), EnqueueEvent: e.queue.Enqueue,
		AckBudget: time.Minute, MaxInFlight: 2 * envelopes, // nothing is answered early or refused as busy
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- h.RunSocketMode(ctx, socketmode.New(client)) }()

	conn := link.accept(t)
	for i := range envelopes {
		// declare without a title opens the declare form: a views.open call.
		conn.send(t, envelope(fmt.Sprintf("env-form-%d", i), "slash_commands",
			slashPayload("U0001", general, commandIncident, "declare")))
	}
	for i := range envelopes {
		select {
		case <-inViewsOpen:
		case <-time.After(e2eWait):
			t.Fatalf("only %d of %d commands reached views.open", i, envelopes)
		}
	}

	// Slack becomes unreachable and the websocket drops.
	link.unreachable.Store(true)
	conn.close()
	select {
	case <-link.refused: // the client is reconnecting: its old connection is gone
	case <-time.After(e2eWait):
		t.Fatal("the client did not try to reconnect after the websocket closed")
	}

	release() // every command now finishes and acknowledges into the void
	cancel()
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("RunSocketMode = %v, want nil after cancel", err)
		}
	case <-time.After(e2eWait):
		t.Fatal("RunSocketMode did not return after its context ended: acknowledgements with no connection block it")
	}
}
