package acklink

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/internal/clocktest"
)

type fakeAcker struct {
	mu    sync.Mutex
	calls []Claims
	msg   string
	err   error
}

func (f *fakeAcker) AckByLink(_ context.Context, c Claims) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	return f.msg, f.err
}

func (f *fakeAcker) Calls() []Claims {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Claims(nil), f.calls...)
}

type ackEnv struct {
	srv   *httptest.Server
	s     *Signer
	clock *clocktest.Clock
	acker *fakeAcker
	logs  *bytes.Buffer
}

func newAckEnv(t *testing.T) *ackEnv {
	t.Helper()
	clock := clocktest.New(t0)
	s := newSigner(t, clock)
	acker := &fakeAcker{msg: "Incident #4242 acknowledged by <b>Alice</b>."}
	var logs bytes.Buffer
	l := logrus.New()
	l.SetOutput(&logs)
	h := NewHandler(s, acker, logrus.NewEntry(l))
	mux := http.NewServeMux()
	// As the app mounts it.
	mux.Handle("GET /ack/{token}", h)
	mux.Handle("POST /ack/{token}", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &ackEnv{srv: srv, s: s, clock: clock, acker: acker, logs: &logs}
}

type answer struct {
	code   int
	header http.Header
	body   string
}

func (e *ackEnv) do(t *testing.T, method, token string, hdr map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+"/ack/"+token, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

var browser = map[string]string{
	"Accept":       "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
	"Content-Type": "application/x-www-form-urlencoded",
}

// ntfyApp is what ntfy's Android app sends for an http action: a POST with
// an empty body, its User-Agent and no Accept header.
var ntfyApp = map[string]string{"User-Agent": "ntfy/1.16.0 (fdroid; Android 14; SDK 34)"}

func TestGetShowsConfirmationAndDoesNotAck(t *testing.T) {
	e := newAckEnv(t)
	tok := e.s.Sign(typical)
	a := e.do(t, http.MethodGet, tok, browser)
	if a.code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", a.code, a.body)
	}
	for _, want := range []string{`<form method="post">`, `<button type="submit">Acknowledge</button>`, "Incident #4242", "2026-03-01 10:00 UTC"} {
		if !strings.Contains(a.body, want) {
			t.Errorf("page lacks %q:\n%s", want, a.body)
		}
	}
	if strings.Contains(a.body, "<script") {
		t.Errorf("page has a script; it must work without JavaScript")
	}
	if n := len(e.acker.Calls()); n != 0 {
		t.Errorf("GET acknowledged (%d calls); only the POST may", n)
	}
	checkHTMLHeaders(t, a)
}

func TestHeadDoesNotAck(t *testing.T) {
	e := newAckEnv(t)
	a := e.do(t, http.MethodHead, e.s.Sign(typical), nil)
	if a.code != http.StatusOK {
		t.Errorf("HEAD status = %d, want 200", a.code)
	}
	if n := len(e.acker.Calls()); n != 0 {
		t.Errorf("HEAD acknowledged (%d calls)", n)
	}
}

// checkHTMLHeaders checks the strict policy and that the inline style is
// the one the policy's hash allows.
func checkHTMLHeaders(t *testing.T, a answer) {
	t.Helper()
	if ct := a.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	policy := a.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "form-action 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(policy, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", policy, want)
		}
	}
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(a.body)
	if m == nil {
		t.Fatal("no <style> in the page")
	}
	sum := sha256.Sum256([]byte(m[1]))
	if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(policy, "style-src "+h) {
		t.Errorf("the page's style hashes to %s, which the policy %q does not allow", h, policy)
	}
	if rp := a.header.Get("Referrer-Policy"); rp != "no-referrer" {
		t.Errorf("Referrer-Policy = %q, want no-referrer (the token is in the URL)", rp)
	}
	if cc := a.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
}

func TestPostFromBrowserAcksAndEscapes(t *testing.T) {
	e := newAckEnv(t)
	a := e.do(t, http.MethodPost, e.s.Sign(typical), browser)
	if a.code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", a.code, a.body)
	}
	if !strings.Contains(a.body, "acknowledged by &lt;b&gt;Alice&lt;/b&gt;.") {
		t.Errorf("the message is not shown escaped:\n%s", a.body)
	}
	if strings.Contains(a.body, "<b>Alice") {
		t.Errorf("the message reached the page unescaped")
	}
	calls := e.acker.Calls()
	want := typical
	want.Expires = want.Expires.UTC()
	if len(calls) != 1 || calls[0] != want {
		t.Errorf("AckByLink calls = %+v, want one with %+v", calls, want)
	}
	checkHTMLHeaders(t, a)
}

func TestPostFromNtfyAnswersPlainText(t *testing.T) {
	e := newAckEnv(t)
	a := e.do(t, http.MethodPost, e.s.Sign(typical), ntfyApp)
	if a.code != http.StatusOK {
		t.Fatalf("status = %d, want 200 (ntfy clears the notification on any 2xx)", a.code)
	}
	if ct := a.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type = %q, want text/plain", ct)
	}
	if want := "Acknowledged. Incident #4242 acknowledged by <b>Alice</b>.\n"; a.body != want {
		t.Errorf("body = %q, want %q", a.body, want)
	}
	if n := len(e.acker.Calls()); n != 1 {
		t.Errorf("AckByLink called %d times, want 1", n)
	}
}

func TestPostAskingForJSON(t *testing.T) {
	e := newAckEnv(t)
	a := e.do(t, http.MethodPost, e.s.Sign(typical), map[string]string{"Accept": "application/json"})
	if a.code != http.StatusOK {
		t.Fatalf("status = %d", a.code)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(a.body), &got); err != nil {
		t.Fatalf("not JSON: %v: %s", err, a.body)
	}
	if got["incident"] != float64(4242) || !strings.Contains(got["message"].(string), "acknowledged") {
		t.Errorf("JSON = %v", got)
	}
}

func TestBadAndExpiredLinks(t *testing.T) {
	e := newAckEnv(t)
	good := e.s.Sign(typical)
	forged := good[:len(good)-2] + map[bool]string{true: "AA", false: "BB"}[good[len(good)-2:] != "AA"]
	expired := e.s.Sign(Claims{Incident: 9, Notification: "n", Person: "alice", Expires: t0.Add(-time.Minute)})
	tests := []struct {
		name, method, token string
		hdr                 map[string]string
		code                int
		want                string
	}{
		{"GET forged", http.MethodGet, forged, browser, http.StatusForbidden, "This link is not valid"},
		{"GET garbage", http.MethodGet, "not-a-token!", browser, http.StatusForbidden, "This link is not valid"},
		{"GET expired", http.MethodGet, expired, browser, http.StatusGone, "This link has expired"},
		{"POST forged from browser", http.MethodPost, forged, browser, http.StatusForbidden, "This link is not valid"},
		{"POST expired from ntfy", http.MethodPost, expired, ntfyApp, http.StatusGone, "This link has expired. Acknowledge links work"},
		{"POST forged from ntfy", http.MethodPost, forged, ntfyApp, http.StatusForbidden, "This link is not valid."},
		{"POST expired asking JSON", http.MethodPost, expired, map[string]string{"Accept": "application/json"}, http.StatusGone, `"error":"This link has expired`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.do(t, tt.method, tt.token, tt.hdr)
			if a.code != tt.code {
				t.Errorf("status = %d, want %d", a.code, tt.code)
			}
			if !strings.Contains(a.body, tt.want) {
				t.Errorf("body lacks %q:\n%s", tt.want, a.body)
			}
		})
	}
	if n := len(e.acker.Calls()); n != 0 {
		t.Errorf("a bad or expired link acknowledged (%d calls)", n)
	}
}

func TestAckFailureIs500AndLogged(t *testing.T) {
	e := newAckEnv(t)
	e.acker.err = errors.New("store down")
	a := e.do(t, http.MethodPost, e.s.Sign(typical), ntfyApp)
	if a.code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500 (so ntfy keeps the notification)", a.code)
	}
	if strings.Contains(a.body, "store down") {
		t.Errorf("the internal error reached the answer: %q", a.body)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "store down") || !strings.Contains(logs, "incident=4242") {
		t.Errorf("the failure is not logged with the incident: %q", logs)
	}
}

func TestOtherMethods(t *testing.T) {
	e := newAckEnv(t)
	h := NewHandler(e.s, e.acker, logrus.NewEntry(logrus.New()))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/ack/"+e.s.Sign(typical), nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("PUT: status %d, Allow %q; want 405 and GET, HEAD, POST", rec.Code, rec.Header().Get("Allow"))
	}
	if n := len(e.acker.Calls()); n != 0 {
		t.Errorf("PUT acknowledged")
	}
}
