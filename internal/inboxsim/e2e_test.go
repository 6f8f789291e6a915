package inboxsim_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/clocktest"
	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/inboxsim"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
	"github.com/incidentbot/incidentbot/paging/acklink"
	"github.com/incidentbot/incidentbot/paging/email"
	"github.com/incidentbot/incidentbot/paging/ntfy"
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

const (
	alice     = "alice.pager@example.com"
	ntfyToken = "tk_inboxsim"
)

// acker stands in for the bot's acknowledgement.
type acker struct {
	mu    sync.Mutex
	calls []acklink.Claims
}

func (a *acker) AckByLink(_ context.Context, c acklink.Claims) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, c)
	return "Incident #42 acknowledged.", nil
}

func (a *acker) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.calls)
}

// world is the simulator mounted as `incidentbot dev` mounts it, and a bot
// that serves acknowledge links.
type world struct {
	sim    *inboxsim.Sim
	srv    *httptest.Server // the simulator's ntfy endpoint under /ntfy/, its view under /inbox/
	bot    *httptest.Server // GET and POST /ack/{token}
	signer *acklink.Signer
	clock  *clocktest.Clock
	acks   *acker
}

func newWorld(t *testing.T) *world {
	t.Helper()
	clock := clocktest.New(t0)
	sim, err := inboxsim.Start(inboxsim.Options{
		TLS: inboxsim.TLSStartTLS, Username: "bot", Password: "pw", NtfyToken: ntfyToken, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	w := &world{sim: sim, clock: clock, acks: &acker{}}
	mux := http.NewServeMux()
	mux.Handle("/ntfy/", http.StripPrefix("/ntfy", sim.NtfyHandler()))
	mux.Handle("/inbox/", http.StripPrefix("/inbox", sim.WebHandler()))
	w.srv = httptest.NewServer(mux)
	t.Cleanup(w.srv.Close)

	w.signer, err = acklink.New([]byte("a key of thirty-two bytes or more!"), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	h := acklink.NewHandler(w.signer, w.acks, discard.Logger())
	botMux := http.NewServeMux()
	botMux.Handle("GET /ack/{token}", h)
	botMux.Handle("POST /ack/{token}", h)
	w.bot = httptest.NewServer(botMux)
	t.Cleanup(w.bot.Close)
	return w
}

func (w *world) message(method oncall.Method, to string, expires time.Time) paging.Message {
	tok := w.signer.Sign(acklink.Claims{Incident: 42, Notification: "n-1", Person: "alice", Expires: expires})
	return paging.Message{
		ID: "n-1", Incident: 42, Method: method, Person: "Alice", To: to,
		Subject: "#42 sev1: Checkout <b>down</b>", Body: "Checkout answers 503 <script>alert(1)</script>",
		IncidentURL: w.bot.URL + "/incidents/42", AckURL: w.bot.URL + "/ack/" + tok,
		Severity: "sev1", Title: "Checkout <b>down</b>",
	}
}

func (w *world) sendEmail(t *testing.T, m paging.Message) {
	t.Helper()
	s, err := email.New(email.Options{
		Host: "127.0.0.1", Port: w.sim.SMTPPort(), Username: "bot", Password: "pw",
		From: "Incidentbot <bot@bot.example>", TLSConfig: &tls.Config{RootCAs: w.sim.RootCAs()},
		Timeout: 5 * time.Second, Now: w.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

func (w *world) sendPush(t *testing.T, m paging.Message) paging.Receipt {
	t.Helper()
	rc, err := ntfy.New(ntfy.Options{Timeout: 5 * time.Second}).Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// noRedirects is a browser that shows us each answer.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, u string) (int, http.Header, string) {
	t.Helper()
	resp, err := noRedirects.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func postForm(t *testing.T, u string, v url.Values, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	for k, val := range hdr {
		req.Header.Set(k, val)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestEmailAcknowledgeLink: paging/email → the simulator's SMTP → the
// Acknowledge link opened and confirmed, as a person would.
func TestEmailAcknowledgeLink(t *testing.T) {
	w := newWorld(t)
	m := w.message(oncall.MethodEmail, alice, t0.Add(time.Hour))
	w.sendEmail(t, m)
	inbox := w.sim.Inbox(alice)
	if len(inbox) != 1 {
		t.Fatalf("inbox has %d emails", len(inbox))
	}
	link := inbox[0].AckURL
	if link != m.AckURL {
		t.Fatalf("the email's Acknowledge link is %q, want %q", link, m.AckURL)
	}
	code, _, body := get(t, link)
	if code != 200 || !strings.Contains(body, `<form method="post">`) {
		t.Fatalf("opening the link: %d\n%s", code, body)
	}
	if w.acks.count() != 0 {
		t.Fatal("opening the link acknowledged")
	}
	code, _, body = postForm(t, link, nil, nil)
	if code != 200 || !strings.Contains(body, "Incident #42 acknowledged.") {
		t.Errorf("confirming: %d\n%s", code, body)
	}
	if w.acks.count() != 1 {
		t.Errorf("%d acknowledgements, want 1", w.acks.count())
	}
}

var (
	hiddenPush   = regexp.MustCompile(`name="push" value="([^"]+)"`)
	hiddenAction = regexp.MustCompile(`name="action" value="([^"]+)"`)
)

// TestPushAcknowledgeButton: paging/ntfy → the simulator's publish → the
// Acknowledge button pressed in the web view → the bot gets the POST.
func TestPushAcknowledgeButton(t *testing.T) {
	w := newWorld(t)
	rc := w.sendPush(t, withToken(w.message(oncall.MethodPush, w.srv.URL+"/ntfy/alice-pager", t0.Add(time.Hour))))
	pushes := w.sim.Topic("alice-pager")
	if len(pushes) != 1 || pushes[0].ID != rc.ID {
		t.Fatalf("pushes %+v, receipt %+v", pushes, rc)
	}
	p := pushes[0]
	if p.Priority != 5 || p.Title != "#42 sev1: Checkout <b>down</b>" || len(p.Actions) != 1 || p.Actions[0].Label != "Acknowledge" {
		t.Fatalf("push %+v", p)
	}

	code, _, page := get(t, w.srv.URL+"/inbox/push?topic=alice-pager")
	if code != 200 {
		t.Fatalf("the phone view: %d", code)
	}
	pm, am := hiddenPush.FindStringSubmatch(page), hiddenAction.FindStringSubmatch(page)
	if pm == nil || am == nil || !strings.Contains(page, `<form method="post" action="press">`) {
		t.Fatalf("no Acknowledge form on the phone view:\n%s", page)
	}
	code, hdr, _ := postForm(t, w.srv.URL+"/inbox/press", url.Values{"push": {pm[1]}, "action": {am[1]}}, nil)
	if code != http.StatusSeeOther || hdr.Get("Location") != "push?flash=Done&topic=alice-pager" {
		t.Errorf("pressing: %d, Location %q; want 303 back to the topic", code, hdr.Get("Location"))
	}
	if w.acks.count() != 1 {
		t.Fatalf("the bot got %d acknowledgements, want 1", w.acks.count())
	}
	p = w.sim.Topic("alice-pager")[0]
	if !p.Cleared || p.Actions[0].Result == nil || !p.Actions[0].Result.OK() || p.Actions[0].Result.Status != 200 {
		t.Errorf("after a 2xx with clear=true: cleared %v, result %+v", p.Cleared, p.Actions[0].Result)
	}
	_, _, page = get(t, w.srv.URL+"/inbox/push?topic=alice-pager&flash=Done")
	if !strings.Contains(page, "✓ 200") || !strings.Contains(page, "cleared") {
		t.Errorf("the phone view does not show the press:\n%s", page)
	}
}

func withToken(m paging.Message) paging.Message {
	m.Token = ntfyToken
	return m
}

func TestPushWithExpiredLink(t *testing.T) {
	w := newWorld(t)
	rc := w.sendPush(t, withToken(w.message(oncall.MethodPush, w.srv.URL+"/ntfy/alice-pager", t0.Add(time.Minute))))
	w.clock.Advance(2 * time.Minute)
	p := w.sim.Topic("alice-pager")[0]
	res, err := w.sim.Press(context.Background(), rc.ID, p.Actions[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || res.Status != http.StatusGone || res.Err != "HTTP 410" {
		t.Errorf("pressing an expired link: %+v, want HTTP 410", res)
	}
	if w.sim.Topic("alice-pager")[0].Cleared {
		t.Error("a failed action cleared the notification")
	}
	if w.acks.count() != 0 {
		t.Error("an expired link acknowledged")
	}
	if _, err := w.sim.Press(context.Background(), rc.ID, "nope"); err == nil {
		t.Error("pressed an action that does not exist")
	}
	if _, err := w.sim.Press(context.Background(), "nope", p.Actions[0].ID); err == nil {
		t.Error("pressed a push that does not exist")
	}
}

func TestPushNeedsTheToken(t *testing.T) {
	w := newWorld(t)
	m := w.message(oncall.MethodPush, w.srv.URL+"/ntfy/alice-pager", t0.Add(time.Hour))
	_, err := ntfy.New(ntfy.Options{}).Send(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "403 forbidden (code 40301)") {
		t.Errorf("without the token: %v", err)
	}
	m.Token = "tk_wrong"
	_, err = ntfy.New(ntfy.Options{}).Send(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "401 unauthorized (code 40101)") {
		t.Errorf("with a wrong token: %v", err)
	}
	if n := len(w.sim.Pushes()); n != 0 {
		t.Errorf("kept %d pushes", n)
	}
}

// TestTestPagesArrive: test pages go through both, marked as tests.
func TestTestPagesArrive(t *testing.T) {
	w := newWorld(t)
	m := w.message(oncall.MethodEmail, alice, t0.Add(time.Hour))
	m.Test, m.AckURL = true, ""
	w.sendEmail(t, m)
	m.Method, m.To, m.Token = oncall.MethodPush, w.srv.URL+"/ntfy/alice-pager", ntfyToken
	w.sendPush(t, m)
	e := w.sim.Inbox(alice)[0]
	p := w.sim.Topic("alice-pager")[0]
	if !strings.HasPrefix(e.Subject, "[TEST]") || e.AckURL != "" {
		t.Errorf("test email: %q, ack %q", e.Subject, e.AckURL)
	}
	if !strings.HasPrefix(p.Title, "[TEST]") || p.Priority != 3 || len(p.Actions) != 0 {
		t.Errorf("test push: %+v", p)
	}
}
