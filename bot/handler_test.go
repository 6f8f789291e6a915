package bot

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/slackstate"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/clocktest"
	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/slacksim"
	"github.com/incidentbot/incidentbot/internal/store/sqlite/sqlitetest"
)

const (
	testToken  = "xoxb-test-token"
	testSecret = "test-signing-secret"
	testAdmin  = "U0004" // dave
)

// fakeTasks accepts every task.
type fakeTasks struct {
	mu    sync.Mutex
	tasks []incidents.Task
}

func (f *fakeTasks) Schedule(_ context.Context, t incidents.Task) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tasks = append(f.tasks, t)
	return nil
}

func (f *fakeTasks) Wake() {}

// fakeQueue is a durable job queue in memory: keys collapse like the real one.
type fakeQueue struct {
	mu    sync.Mutex
	calls int
	keys  []string
	jobs  map[string]map[string]string
	fail  error
}

func (q *fakeQueue) Enqueue(_ context.Context, key string, payload map[string]string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls++
	if q.fail != nil {
		return q.fail
	}
	if q.jobs == nil {
		q.jobs = map[string]map[string]string{}
	}
	if _, ok := q.jobs[key]; !ok {
		q.jobs[key] = payload
		q.keys = append(q.keys, key)
	}
	return nil
}

// drain returns the stored jobs in order and forgets them.
func (q *fakeQueue) drain() []map[string]string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []map[string]string
	for _, k := range q.keys {
		out = append(out, q.jobs[k])
	}
	q.keys, q.jobs = nil, nil
	return out
}

// env is a bot Handler served over HTTP, the Slack simulator, an embedded
// store and a fake clock.
type env struct {
	t        testing.TB
	ctx      context.Context
	clock    *clocktest.Clock
	sim      *slacksim.Server
	simURL   string
	apiCalls atomic.Int64
	api      *slack.Client
	svc      *incidents.Service
	state    slackstate.Store
	queue    *fakeQueue
	h        *Handler
	botURL   string
}

func discardLogger() *logrus.Entry { return discard.Logger() }

func newEnv(t testing.TB, tweak ...func(*HandlerOptions)) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), queue: &fakeQueue{},
		clock: clocktest.New(time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC))}
	e.sim = slacksim.New(slacksim.Options{Token: testToken, SigningSecret: testSecret, Now: e.clock.Now})
	simHandler := e.sim.Handler()
	simSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			e.apiCalls.Add(1)
		}
		simHandler.ServeHTTP(w, r)
	}))
	t.Cleanup(simSrv.Close)
	e.simURL = simSrv.URL
	e.sim.SetSelfURL(simSrv.URL)
	e.api = slack.New(testToken, slack.OptionAPIURL(simSrv.URL+"/api/"))

	st := sqlitetest.New(t)
	e.svc = incidents.NewService(st, &fakeTasks{}, incidents.Options{Now: e.clock.Now, Admins: []string{testAdmin}})
	e.state = st
	almaty, err := time.LoadLocation("Asia/Almaty")
	if err != nil {
		t.Fatal(err)
	}
	o := HandlerOptions{
		SigningSecret: testSecret,
		SlackAPIURL:   simSrv.URL + "/api/", // the simulator's response_urls are on its host
		Location:      almaty,
		Now:           e.clock.Now,
		Logger:        discardLogger(),
		EnqueueEvent:  e.queue.Enqueue,
	}
	for _, f := range tweak {
		f(&o)
	}
	e.h = NewHandler(e.api, e.svc, e.state, o)
	mux := http.NewServeMux()
	e.h.Register(mux)
	botSrv := httptest.NewServer(mux)
	e.botURL = botSrv.URL
	e.sim.SetBotURL(botSrv.URL)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.h.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		botSrv.Close()
	})
	return e
}

// incident declares an incident as user and gives it a channel with the
// bot, alice, bob and carol in it.
func (e *env) incident(user, title string) (*incidents.Incident, string) {
	e.t.Helper()
	inc, err := e.svc.Declare(e.ctx, incidents.DeclareRequest{Title: title, Actor: user})
	if err != nil {
		e.t.Fatalf("declare: %v", err)
	}
	ch, err := e.sim.AddChannel(ChannelName("inc", inc.Number, title), "U0001", "U0002", "U0003", slacksim.BotUserID)
	if err != nil {
		e.t.Fatalf("add channel: %v", err)
	}
	e.setChannel(inc.Number, ch)
	return inc, ch
}

// setChannel records ch as the channel of incident number.
func (e *env) setChannel(number int64, ch string) {
	e.t.Helper()
	st, err := e.state.SlackState(e.ctx, number)
	if err == nil {
		st.ChannelID = ch
		err = e.state.PutSlackState(e.ctx, &st)
	}
	if err != nil {
		e.t.Fatalf("set the channel of #%d: %v", number, err)
	}
}

// channel returns the ID of a seeded channel.
func (e *env) channel(name string) string {
	e.t.Helper()
	c, ok := e.sim.ChannelByName(name)
	if !ok {
		e.t.Fatalf("no channel %s", name)
	}
	return c.ID
}

// command types a slash command and returns the bot's immediate answer.
func (e *env) command(user, channel, command, text string) reply {
	e.t.Helper()
	resp, err := e.sim.SlashCommand(e.ctx, user, channel, command, text)
	if err != nil {
		e.t.Fatalf("%s %s: %v", command, text, err)
	}
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("%s %s: HTTP %d", command, text, resp.StatusCode)
	}
	body, _ := io.ReadAll(resp.Body)
	var r reply
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &r); err != nil {
			e.t.Fatalf("%s %s: answer %q: %v", command, text, body, err)
		}
		if r.ResponseType != ephemeral && r.ResponseType != inChannel {
			e.t.Fatalf("%s %s: response_type %q", command, text, r.ResponseType)
		}
	}
	return r
}

func (e *env) incidentCmd(user, channel, text string) reply {
	e.t.Helper()
	return e.command(user, channel, commandIncident, text)
}

func (e *env) get(n int64) *incidents.Incident {
	e.t.Helper()
	inc, err := e.svc.Get(e.ctx, n)
	if err != nil {
		e.t.Fatalf("get #%d: %v", n, err)
	}
	return inc
}

func (e *env) timeline(n int64) []incidents.Event {
	e.t.Helper()
	evs, err := e.svc.Timeline(e.ctx, n)
	if err != nil {
		e.t.Fatalf("timeline #%d: %v", n, err)
	}
	return evs
}

// responses returns what the bot posted to response_urls.
func (e *env) responses() []slacksim.Response {
	var out []slacksim.Response
	for _, r := range e.sim.Responses() {
		if r.Source == "response_url" {
			out = append(out, r)
		}
	}
	return out
}

// lastResponse returns the last response_url post, failing when there is none.
func (e *env) lastResponse() slacksim.Response {
	e.t.Helper()
	rs := e.responses()
	if len(rs) == 0 {
		e.t.Fatal("the bot posted nothing to a response_url")
	}
	return rs[len(rs)-1]
}

// lastView returns the last view opened.
func (e *env) lastView() slacksim.View {
	e.t.Helper()
	vs := e.sim.Views()
	if len(vs) == 0 {
		e.t.Fatal("no view was opened")
	}
	return vs[len(vs)-1]
}

// waitFor polls cond until it holds (background work is real concurrency).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// signedPost sends body to the bot as Slack would, with ts and a signature by secret.
func (e *env) signedPost(path, contentType string, body []byte, ts time.Time, secret string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.botURL+path, strings.NewReader(string(body)))
	if err != nil {
		e.t.Fatal(err)
	}
	sec := strconv.FormatInt(ts.Unix(), 10)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set(HeaderTimestamp, sec)
	req.Header.Set(HeaderSignature, Sign(secret, sec, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestUnverifiedRequestsAreRefusedBeforeParsing(t *testing.T) {
	e := newEnv(t)
	_, ch := e.incident("U0001", "Checkout down")
	form := url.Values{"command": {"/incident"}, "text": {"note should not land"}, "user_id": {"U0001"}, "channel_id": {ch}}
	good := []byte(form.Encode())
	malformed := []byte("%%%not a form{")
	for _, path := range []string{"/slack/commands", "/slack/interactions", "/slack/events"} {
		tests := []struct {
			name string
			send func() *http.Response
		}{
			{"no headers", func() *http.Response {
				resp, err := http.Post(e.botURL+path, "application/x-www-form-urlencoded", strings.NewReader(string(good)))
				if err != nil {
					t.Fatal(err)
				}
				return resp
			}},
			{"stale timestamp", func() *http.Response {
				return e.signedPost(path, "application/x-www-form-urlencoded", good, e.clock.Now().Add(-6*time.Minute), testSecret)
			}},
			{"future timestamp", func() *http.Response {
				return e.signedPost(path, "application/x-www-form-urlencoded", good, e.clock.Now().Add(6*time.Minute), testSecret)
			}},
			{"wrong secret", func() *http.Response {
				return e.signedPost(path, "application/x-www-form-urlencoded", good, e.clock.Now(), "other-secret")
			}},
			{"malformed body, wrong secret", func() *http.Response {
				return e.signedPost(path, "application/json", malformed, e.clock.Now(), "other-secret")
			}},
			{"tampered body", func() *http.Response {
				sec := strconv.FormatInt(e.clock.Now().Unix(), 10)
				req, _ := http.NewRequest(http.MethodPost, e.botURL+path, strings.NewReader(string(good)+"x"))
				req.Header.Set(HeaderTimestamp, sec)
				req.Header.Set(HeaderSignature, Sign(testSecret, sec, good))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				return resp
			}},
		}
		for _, tt := range tests {
			t.Run(path+"/"+tt.name, func(t *testing.T) {
				resp := tt.send()
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status = %d, want 401", resp.StatusCode)
				}
				var body struct{ Error string }
				if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Error == "" {
					t.Fatalf("body is not {\"error\": …}: %v", err)
				}
			})
		}
	}
	for _, ev := range e.timeline(1) {
		if ev.Type == incidents.EventNote {
			t.Fatalf("an unverified command reached the service: %+v", ev)
		}
	}
	if e.queue.calls != 0 {
		t.Fatalf("an unverified event was enqueued")
	}

	// The same form, correctly signed, is accepted.
	resp := e.signedPost("/slack/commands", "application/x-www-form-urlencoded", good, e.clock.Now(), testSecret)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signed request: status %d, want 200", resp.StatusCode)
	}
}

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t, func(o *HandlerOptions) { o.MaxBody = 64 })
	resp := e.signedPost("/slack/commands", "application/x-www-form-urlencoded", []byte(strings.Repeat("a", 100)), e.clock.Now(), testSecret)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413", resp.StatusCode)
	}
}

func TestEscapeKeepMentions(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<@U0001> is already commander", "<@U0001> is already commander"},
		{"a <b> & <@u1>", "a &lt;b&gt; &amp; &lt;@u1&gt;"},
		{"<!channel> <@U1|x>", "&lt;!channel&gt; &lt;@U1|x&gt;"},
		{"<@", "&lt;@"},
	}
	for _, tt := range tests {
		if got := escapeKeepMentions(tt.in); got != tt.want {
			t.Errorf("escapeKeepMentions(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTSTime(t *testing.T) {
	got, err := tsTime("1700000000.000123")
	if err != nil || !got.Equal(time.Unix(1700000000, 123000)) {
		t.Fatalf("tsTime = %v, %v", got, err)
	}
	for _, bad := range []string{"", "x.1", "-5.0", "1.abc"} {
		if _, err := tsTime(bad); err == nil {
			t.Errorf("tsTime(%q): no error", bad)
		}
	}
}
