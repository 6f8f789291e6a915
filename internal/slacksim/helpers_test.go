package slacksim_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/internal/clocktest"
	"github.com/incidentbot/incidentbot/internal/slacksim"
)

const (
	testToken  = "xoxb-test-token"
	testSecret = "test-signing-secret"
)

// clock is the shared fake clock.
type clock = clocktest.Clock

func newClock() *clock { return clocktest.New(time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)) }

// env is a simulator on a loopback test server, with a slack-go client and a clock.
type env struct {
	sim   *slacksim.Server
	srv   *httptest.Server
	api   *slack.Client
	clock *clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, slacksim.Options{})
}

// newUnlimitedEnv is newEnv without Slack's rate limits, for a test that posts
// faster than Slack allows on a clock that stands still.
func newUnlimitedEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, slacksim.Options{Unlimited: true})
}

// newEnvWith is newEnv with o's Unlimited.
func newEnvWith(t *testing.T, o slacksim.Options) *env {
	t.Helper()
	c := newClock()
	sim := slacksim.New(slacksim.Options{
		Token:         testToken,
		SigningSecret: testSecret,
		Now:           c.Now,
		Seed:          42,
		Logf:          t.Logf,
		Unlimited:     o.Unlimited,
	})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	sim.SetSelfURL(srv.URL)
	return &env{
		sim:   sim,
		srv:   srv,
		api:   slack.New(testToken, slack.OptionAPIURL(srv.URL+"/api/")),
		clock: c,
	}
}

func (e *env) channel(t *testing.T, name string) string {
	t.Helper()
	ch, ok := e.sim.ChannelByName(name)
	if !ok {
		t.Fatalf("no channel #%s", name)
	}
	return ch.ID
}

// createChannel creates a channel as the bot (so the bot is a member).
func (e *env) createChannel(t *testing.T, name string) string {
	t.Helper()
	ch, err := e.api.CreateConversationContext(context.Background(), slack.CreateConversationParams{ChannelName: name})
	if err != nil {
		t.Fatalf("conversations.create %s: %v", name, err)
	}
	return ch.ID
}

// post calls a Web API method with form arguments over plain HTTP and decodes the
// answer, for the cases slack-go cannot express.
func (e *env) post(t *testing.T, method string, args url.Values) (int, map[string]any, http.Header) {
	t.Helper()
	if args.Get("token") == "" {
		args.Set("token", testToken)
	}
	resp, err := http.PostForm(e.srv.URL+"/api/"+method, args)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, decode(t, resp.Body), resp.Header
}

func decode(t *testing.T, r io.Reader) map[string]any {
	t.Helper()
	var out map[string]any
	if err := jsonDecode(r, &out); err != nil {
		t.Fatalf("decoding answer: %v", err)
	}
	return out
}

// slackErr returns the Slack error code of err ("" if err is nil or not a Slack error).
func slackErr(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

// bot is a fake bot: it verifies every request's signature as Slack's docs say, keeps
// what it got, and answers with answer (200 and an empty body when nil).
type bot struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	requests []botRequest
	answer   func(path string, body []byte) (int, string, string) // status, content type, body
}

type botRequest struct {
	Path   string
	Header http.Header
	Body   []byte
}

func newBot(t *testing.T, sim *slacksim.Server) *bot {
	b := &bot{t: t}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	sim.SetBotURL(b.srv.URL)
	return b
}

func (b *bot) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ts := r.Header.Get("X-Slack-Request-Timestamp")
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	want := "v0=" + hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Slack-Signature"))) {
		b.t.Errorf("bad signature on %s", r.URL.Path)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	b.mu.Lock()
	b.requests = append(b.requests, botRequest{Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	answer := b.answer
	b.mu.Unlock()
	if answer == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	status, ct, out := answer(r.URL.Path, body)
	if ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, out)
}

func (b *bot) setAnswer(f func(path string, body []byte) (int, string, string)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.answer = f
}

func (b *bot) last(t *testing.T) botRequest {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.requests) == 0 {
		t.Fatal("the bot got no request")
	}
	return b.requests[len(b.requests)-1]
}

func (b *bot) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.requests)
}

// payload extracts the interaction payload of a form body.
func payload(t *testing.T, body []byte) string {
	t.Helper()
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	p := vals.Get("payload")
	if p == "" {
		t.Fatalf("no payload in %q", body)
	}
	return p
}

func repeat(s string, n int) string { return strings.Repeat(s, n) }
