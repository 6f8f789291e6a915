package twiliosim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/internal/twiliosim"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
	"github.com/incidentbot/incidentbot/paging/twilio"
)

const phone = "+77011234567"

// engine plays the paging engine behind the real webhook Handler.
type engine struct {
	mu       sync.Mutex
	statuses []string // "id status code"
	presses  []string // "id digits"
	texts    []string // "from body"
	seen     chan string
}

func (e *engine) note(list *[]string, s string) {
	e.mu.Lock()
	*list = append(*list, s)
	e.mu.Unlock()
	if e.seen != nil {
		e.seen <- s
	}
}

func (e *engine) InboundSMS(_ context.Context, from, body string) (string, error) {
	e.note(&e.texts, from+" "+body)
	if ack, code := paging.ParseReply(body); ack {
		if code == "" {
			return "Acknowledged. Thank you.", nil
		}
		return "Acknowledged #" + code + ".", nil
	}
	return "", nil
}

func (e *engine) Pressed(_ context.Context, id, digits string) (string, error) {
	e.note(&e.presses, id+" "+digits)
	if digits == "1" {
		return "Acknowledged. Goodbye.", nil
	}
	return "Escalated. Goodbye.", nil
}

func (e *engine) Status(_ context.Context, id, status, code string) error {
	e.note(&e.statuses, strings.TrimSpace(id+" "+status+" "+code))
	return nil
}

func (e *engine) got() (statuses, presses, texts []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.statuses...), append([]string(nil), e.presses...), append([]string(nil), e.texts...)
}

// env is the simulator, the bot's webhook server and the client, all over
// real HTTP on 127.0.0.1.
type env struct {
	sim    *twiliosim.Server
	simURL string
	botURL string
	eng    *engine
	client *twilio.Client
	logs   *bytes.Buffer
}

type envOptions struct {
	sim          twiliosim.Options
	handlerToken string // the token the bot verifies with; the simulator's when empty
	clientTO     time.Duration
	seen         chan string
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{eng: &engine{seen: o.seen}}

	// The bot's address is needed before its handler exists (the simulator
	// posts inbound texts to it), so its listener comes first.
	botLn := listenLocal(t)
	e.botURL = "http://" + botLn.Addr().String()
	o.sim.InboundURL = twilio.InboundSMSURL(e.botURL)
	e.sim = twiliosim.New(o.sim)
	simSrv := newLocalServer(t, e.sim.Handler())
	e.simURL = simSrv.URL
	// Cleanups run last-in first-out: Close releases held requests before
	// the server waits for them.
	t.Cleanup(e.sim.Close)

	token := o.handlerToken
	if token == "" {
		token = e.sim.AuthToken()
	}
	var logs bytes.Buffer
	l := logrus.New()
	l.SetOutput(&logs)
	l.SetLevel(logrus.DebugLevel)
	e.logs = &logs
	mux := http.NewServeMux()
	mux.Handle(twilio.PathPrefix, twilio.NewHandler(e.eng, twilio.HandlerOptions{AuthToken: token, PublicURL: e.botURL, Logger: logrus.NewEntry(l)}))
	startServer(t, botLn, mux)

	hc := &http.Client{Timeout: 5 * time.Second}
	if o.clientTO > 0 {
		hc.Timeout = o.clientTO
	}
	e.client = twilio.New(twilio.Options{
		AccountSID: e.sim.AccountSID(), AuthToken: e.sim.AuthToken(), From: e.sim.Number(),
		BaseURL: e.simURL, HTTPClient: hc, Logger: logrus.NewEntry(l),
	})
	return e
}

// listenLocal listens on 127.0.0.1 only, never another interface.
func listenLocal(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// startServer serves h on ln until the test ends.
func startServer(t *testing.T, ln net.Listener, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// newLocalServer serves h on 127.0.0.1 until the test ends.
func newLocalServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	return startServer(t, listenLocal(t), h)
}

func (e *env) page(id string, m oncall.Method) paging.Message {
	return paging.Message{
		ID: id, Incident: 42, Method: m, Person: "alice", To: phone,
		Subject: "#42 sev1: Checkout is down", Body: "Checkout returns 500 for every order",
		Spoken: "Incident 42, severity one. Checkout is down.", CallbackURL: twilio.CallbackURL(e.botURL, id),
	}
}

// apiPost posts form to the simulator's resource as account user:pass and
// returns the status and the decoded JSON answer.
func apiPost(t *testing.T, base, account, user, pass, resource string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/2010-04-01/Accounts/"+account+"/"+resource, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" || pass != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, b)
	}
	return resp.StatusCode, got
}
