package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/internal/clocktest"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
	"github.com/incidentbot/incidentbot/paging/webhook"
)

var t0 = time.Date(2026, 1, 5, 4, 0, 0, 0, time.UTC)

// secretPath is in every test URL: it must never reach an error or a log.
const secretPath = "/hooks/p-7f3a9c-secret"

type received struct {
	method string
	header http.Header
	body   []byte
}

// receiver is an httptest server that records requests and answers status.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	status int
}

func newReceiver(t *testing.T, status int) *receiver {
	t.Helper()
	r := &receiver{status: status}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.Method + " " + req.URL.Path, req.Header.Clone(), b})
		r.mu.Unlock()
		w.WriteHeader(r.status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func page(url string) paging.Message {
	return paging.Message{
		ID: "01JNX6Q8Z3K4M5N6P7Q8R9S0TV", Incident: 42, Method: oncall.MethodWebhook,
		Person: "Alice", To: url, Secret: "whsec-1234",
		Subject: "#42 sev1: Checkout is down", Body: "Checkout answers 503.\nSee the dashboard.",
		IncidentURL: "https://bot.example/incidents/42", AckURL: "https://bot.example/ack/tok",
		Severity: "sev1", Title: "Checkout is down",
	}
}

func newSender(clock *clocktest.Clock, log *logrus.Entry, timeout time.Duration) *webhook.Sender {
	return webhook.New(webhook.Options{Timeout: timeout, Now: clock.Now, Logger: log})
}

func TestSendSignedPage(t *testing.T) {
	rcv := newReceiver(t, http.StatusNoContent)
	clock := clocktest.New(t0.Add(1500 * time.Millisecond))
	s := newSender(clock, nil, 0)
	rc, err := s.Send(context.Background(), page(rcv.srv.URL+secretPath))
	if err != nil {
		t.Fatal(err)
	}
	if rc.Provider != "webhook" || rc.Status != paging.StatusSent {
		t.Errorf("receipt = %+v", rc)
	}
	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.method != "POST "+secretPath {
		t.Errorf("request = %s", r.method)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	ts := r.header.Get(webhook.HeaderTimestamp)
	if ts != fmt.Sprint(t0.Add(time.Second).Unix()) {
		t.Errorf("timestamp = %q, want %d", ts, t0.Add(time.Second).Unix())
	}
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"event": "page", "id": "01JNX6Q8Z3K4M5N6P7Q8R9S0TV", "incident": float64(42), "severity": "sev1",
		"title": "Checkout is down", "subject": "#42 sev1: Checkout is down",
		"body": "Checkout answers 503.\nSee the dashboard.", "incident_url": "https://bot.example/incidents/42",
		"ack_url": "https://bot.example/ack/tok", "person": "Alice", "sent_at": "2026-01-05T04:00:01Z",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("body =\n%v\nwant\n%v", got, want)
	}

	sig := r.header.Get(webhook.HeaderSignature)
	now := clock.Now()
	if !webhook.Verify("whsec-1234", ts, string(r.body), sig, now, 5*time.Minute) {
		t.Fatalf("the signature %q does not verify", sig)
	}
	changed := bytes.Replace(r.body, []byte(`"incident":42`), []byte(`"incident":43`), 1)
	bad := []struct {
		name, secret, ts, body, sig string
		now                         time.Time
	}{
		{"changed body", "whsec-1234", ts, string(changed), sig, now},
		{"one more byte", "whsec-1234", ts, string(r.body) + " ", sig, now},
		{"changed timestamp", "whsec-1234", fmt.Sprint(t0.Unix() + 2), string(r.body), sig, now},
		{"other secret", "whsec-9999", ts, string(r.body), sig, now},
		{"empty secret", "", ts, string(r.body), sig, now},
		{"too late", "whsec-1234", ts, string(r.body), sig, now.Add(5*time.Minute + 2*time.Second)},
		{"too early", "whsec-1234", ts, string(r.body), sig, now.Add(-5*time.Minute - time.Second)},
		{"not a number", "whsec-1234", "yesterday", string(r.body), sig, now},
		{"uppercase hex", "whsec-1234", ts, string(r.body), strings.ToUpper(sig), now},
		{"no prefix", "whsec-1234", ts, string(r.body), strings.TrimPrefix(sig, "sha256="), now},
	}
	for _, b := range bad {
		if webhook.Verify(b.secret, b.ts, b.body, b.sig, b.now, 5*time.Minute) {
			t.Errorf("%s: Verify accepted it", b.name)
		}
	}
	if !webhook.Verify("whsec-1234", ts, string(r.body), sig, t0.Add(time.Second+5*time.Minute), 5*time.Minute) {
		t.Errorf("Verify refused a request exactly at the tolerance")
	}
}

func TestTestPageAndNoSecret(t *testing.T) {
	rcv := newReceiver(t, http.StatusOK)
	s := newSender(clocktest.New(t0), nil, 0)
	m := page(rcv.srv.URL + secretPath)
	m.Test, m.Secret = true, ""
	if _, err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	r := rcv.requests()[0]
	if sig := r.header.Get(webhook.HeaderSignature); sig != "" {
		t.Errorf("unsigned webhook sent a signature %q", sig)
	}
	if r.header.Get(webhook.HeaderTimestamp) == "" {
		t.Errorf("no timestamp")
	}
	var p webhook.Payload
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Event != webhook.EventTest || p.AckURL != "" {
		t.Errorf("test page: event %q, ack_url %q; want test and none", p.Event, p.AckURL)
	}
}

func TestRefusals(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusNotFound, http.StatusInternalServerError, http.StatusServiceUnavailable} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			rcv := newReceiver(t, status)
			_, err := newSender(clocktest.New(t0), nil, 0).Send(context.Background(), page(rcv.srv.URL+secretPath))
			if err == nil {
				t.Fatalf("a %d answer was taken as sent", status)
			}
			if !strings.Contains(err.Error(), fmt.Sprint(status)) {
				t.Errorf("error %q does not name the status", err)
			}
			checkNoAddress(t, err.Error(), rcv.srv.URL)
		})
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	target := newReceiver(t, http.StatusOK)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.srv.URL+"/elsewhere", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirector.Close)
	_, err := newSender(clocktest.New(t0), nil, 0).Send(context.Background(), page(redirector.URL+secretPath))
	if err == nil || !strings.Contains(err.Error(), "redirect") {
		t.Errorf("err = %v, want a redirect error", err)
	}
	if n := len(target.requests()); n != 0 {
		t.Errorf("the redirect was followed (%d requests at its target)", n)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	start := time.Now()
	_, err := newSender(clocktest.New(t0), nil, 200*time.Millisecond).Send(context.Background(), page(srv.URL+secretPath))
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("a receiver that never answers was taken as sent")
	}
	if elapsed > 5*time.Second {
		t.Errorf("Send took %v with a 200ms timeout", elapsed)
	}
	if !strings.Contains(err.Error(), "timed out") {
		t.Errorf("err = %v, want it to say it timed out", err)
	}
	checkNoAddress(t, err.Error(), srv.URL)
	if hits.Load() != 1 {
		t.Errorf("%d requests, want 1", hits.Load())
	}
}

func TestContextCanceled(t *testing.T) {
	rcv := newReceiver(t, http.StatusOK)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newSender(clocktest.New(t0), nil, 0).Send(ctx, page(rcv.srv.URL+secretPath)); err == nil {
		t.Error("a canceled context sent anyway")
	}
}

func TestWrongMethodOrNoURL(t *testing.T) {
	s := newSender(clocktest.New(t0), nil, 0)
	m := page("http://127.0.0.1:1" + secretPath)
	m.Method = oncall.MethodEmail
	if _, err := s.Send(context.Background(), m); err == nil {
		t.Error("sent an email message as a webhook")
	}
	m = page("")
	if _, err := s.Send(context.Background(), m); err == nil {
		t.Error("sent without a URL")
	}
}

func TestLogsNeverHoldTheURL(t *testing.T) {
	var buf bytes.Buffer
	l := logrus.New()
	l.SetOutput(&buf)
	l.SetLevel(logrus.DebugLevel)
	log := logrus.NewEntry(l)
	ok := newReceiver(t, http.StatusOK)
	refusing := newReceiver(t, http.StatusForbidden)
	for _, u := range []string{ok.srv.URL, refusing.srv.URL, "http://127.0.0.1:1"} {
		_, _ = newSender(clocktest.New(t0), log, time.Second).Send(context.Background(), page(u+secretPath))
	}
	if !strings.Contains(buf.String(), "incident=42") {
		t.Fatalf("nothing was logged: %q", buf.String())
	}
	checkNoAddress(t, buf.String(), ok.srv.URL)
	checkNoAddress(t, buf.String(), refusing.srv.URL)
	if strings.Contains(buf.String(), "whsec") {
		t.Errorf("the secret was logged: %s", buf.String())
	}
}

func checkNoAddress(t *testing.T, s, base string) {
	t.Helper()
	if strings.Contains(s, secretPath) || strings.Contains(s, base) {
		t.Errorf("the URL leaked into %q", s)
	}
}

// ExampleSign is a worked example for receivers in other languages.
func ExampleSign() {
	body := `{"event":"test","id":"n1","incident":42}`
	fmt.Println(webhook.Sign("s3cret", "1767589200", []byte(body)))
	// Output: sha256=2dfa0a8f12fea24f80a91350fe4c53a53096500df5a1cec24f97eaf205d739f9
}
