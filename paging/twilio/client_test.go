package twilio_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
	"github.com/incidentbot/incidentbot/paging/twilio"
)

const (
	testSID     = "AC0123456789abcdef0123456789abcdef"
	testToken   = "tok3n"
	testFrom    = "+15005550006"
	testService = "MG0123456789abcdef0123456789abcdef"
)

// fakeTwilio answers every request with status and body, and keeps the
// last request for the test to look at.
type fakeTwilio struct {
	mu     sync.Mutex
	status int
	body   string
	block  bool // hold the request until the client gives up
	// arrived, when not nil, gets a value as each request comes in.
	arrived chan struct{}
	reqs    []recorded
}

type recorded struct {
	method, path, user, pass, contentType string
	authOK                                bool
	form                                  url.Values
}

func (f *fakeTwilio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	b, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(b))
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{r.Method, r.URL.Path, user, pass, r.Header.Get("Content-Type"), ok, form})
	status, body, block := f.status, f.body, f.block
	f.mu.Unlock()
	if f.arrived != nil {
		f.arrived <- struct{}{}
	}
	if block {
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (f *fakeTwilio) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

// captureLogs returns a logger writing JSON lines at debug level into buf.
func captureLogs() (*logrus.Entry, *bytes.Buffer) {
	var buf bytes.Buffer
	l := logrus.New()
	l.SetOutput(&buf)
	l.SetLevel(logrus.DebugLevel)
	l.SetFormatter(&logrus.JSONFormatter{})
	return logrus.NewEntry(l), &buf
}

func page(method oncall.Method) paging.Message {
	return paging.Message{
		ID: "n-7", Incident: 42, Method: method, Person: "alice", To: phone,
		Subject: "#42 sev1: Checkout is down", Body: "Secret customer detail in the body",
		Spoken: "Incident 42, severity one, checkout is down", CallbackURL: twilio.CallbackURL("https://bot.example.com", "n-7"),
	}
}

// assertNoPersonalData fails when s holds the phone number or the body.
func assertNoPersonalData(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{phone, strings.TrimPrefix(phone, "+"), "Secret customer detail", testToken} {
		if strings.Contains(s, secret) {
			t.Errorf("%s contains %q:\n%s", what, secret, s)
		}
	}
}

func TestClientSend(t *testing.T) {
	created := func(prefix, status string) string {
		return `{"sid": "` + prefix + `0123456789abcdef0123456789abcdef", "status": "` + status + `", "to": "` + phone + `", "date_created": "Mon, 02 Nov 2026 05:00:00 +0000"}`
	}
	tests := []struct {
		name      string
		opts      twilio.Options
		m         paging.Message
		answer    string
		wantPath  string
		wantForm  map[string][]string // exact values of these fields
		absent    []string            // fields that must not be sent
		wantID    string
		wantState string
	}{
		{
			name:   "sms from a number",
			opts:   twilio.Options{AccountSID: testSID, AuthToken: testToken, From: testFrom},
			m:      page(oncall.MethodSMS),
			answer: created("SM", "queued"), wantPath: "/2010-04-01/Accounts/" + testSID + "/Messages.json",
			wantForm: map[string][]string{
				"To": {phone}, "From": {testFrom},
				"StatusCallback": {"https://bot.example.com/webhooks/twilio/n/n-7/status"},
				"Body":           {"#42 sev1: Checkout is down\nSecret customer detail in the body\nReply 1 or ACK 42 to acknowledge"},
			},
			absent: []string{"MessagingServiceSid", "Twiml"},
			wantID: "SM0123456789abcdef0123456789abcdef", wantState: "queued",
		},
		{
			name:   "sms through a messaging service",
			opts:   twilio.Options{AccountSID: testSID, AuthToken: testToken, From: testFrom, MessagingServiceSID: testService},
			m:      page(oncall.MethodSMS),
			answer: created("SM", "accepted"), wantPath: "/2010-04-01/Accounts/" + testSID + "/Messages.json",
			wantForm: map[string][]string{"To": {phone}, "MessagingServiceSid": {testService}},
			absent:   []string{"From"},
			wantID:   "SM0123456789abcdef0123456789abcdef", wantState: "accepted",
		},
		{
			name: "sms without a callback",
			opts: twilio.Options{AccountSID: testSID, AuthToken: testToken, From: testFrom},
			m: func() paging.Message {
				m := page(oncall.MethodSMS)
				m.CallbackURL = ""
				return m
			}(),
			answer: created("SM", "queued"), wantPath: "/2010-04-01/Accounts/" + testSID + "/Messages.json",
			absent: []string{"StatusCallback"},
			wantID: "SM0123456789abcdef0123456789abcdef", wantState: "queued",
		},
		{
			name:   "call",
			opts:   twilio.Options{AccountSID: testSID, AuthToken: testToken, From: testFrom, MessagingServiceSID: testService},
			m:      page(oncall.MethodVoice),
			answer: created("CA", "queued"), wantPath: "/2010-04-01/Accounts/" + testSID + "/Calls.json",
			wantForm: map[string][]string{
				"To": {phone}, "From": {testFrom},
				"StatusCallback":       {"https://bot.example.com/webhooks/twilio/n/n-7/status"},
				"StatusCallbackMethod": {"POST"},
				"StatusCallbackEvent":  {"initiated", "ringing", "answered", "completed"},
			},
			absent: []string{"Body", "MessagingServiceSid", "Url"},
			wantID: "CA0123456789abcdef0123456789abcdef", wantState: "queued",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeTwilio{status: http.StatusCreated, body: tt.answer}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			log, logs := captureLogs()
			tt.opts.BaseURL, tt.opts.Logger = srv.URL+"/", log
			got, err := twilio.New(tt.opts).Send(context.Background(), tt.m)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if want := (paging.Receipt{Provider: "twilio", ID: tt.wantID, Status: tt.wantState}); got != want {
				t.Errorf("receipt %+v, want %+v", got, want)
			}
			reqs := fake.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.method != http.MethodPost || r.path != tt.wantPath {
				t.Errorf("%s %s, want POST %s", r.method, r.path, tt.wantPath)
			}
			if !r.authOK || r.user != testSID || r.pass != testToken {
				t.Errorf("basic auth %q:%q (%v), want the SID and token", r.user, r.pass, r.authOK)
			}
			if r.contentType != "application/x-www-form-urlencoded" {
				t.Errorf("Content-Type %q", r.contentType)
			}
			for k, want := range tt.wantForm {
				if got := r.form[k]; !slices.Equal(got, want) {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			for _, k := range tt.absent {
				if r.form.Has(k) {
					t.Errorf("%s sent: %q", k, r.form[k])
				}
			}
			if tt.m.Method == oncall.MethodVoice {
				twiml := r.form.Get("Twiml")
				parseTwiML(t, twiml)
				if !strings.Contains(twiml, tt.m.Spoken) || !strings.Contains(twiml, "/webhooks/twilio/n/n-7/gather") {
					t.Errorf("Twiml lacks the spoken text or the gather URL: %s", twiml)
				}
			}
			assertNoPersonalData(t, "logs", logs.String())
			if !strings.Contains(logs.String(), "n-7") {
				t.Errorf("logs do not name the notification: %s", logs)
			}
		})
	}
}

func TestClientErrors(t *testing.T) {
	configured := twilio.Options{AccountSID: testSID, AuthToken: testToken, From: testFrom}
	tests := []struct {
		name       string
		opts       twilio.Options
		m          paging.Message
		status     int
		answer     string
		block      bool
		down       bool
		wantReqs   int
		notConfig  bool
		wantCode   int
		wantHTTP   int
		temporary  bool
		wantInText []string
	}{
		{
			name: "invalid number refused by Twilio", opts: configured, m: page(oncall.MethodSMS), wantReqs: 1,
			status: 400, answer: `{"code": 21211, "message": "The 'To' number ` + phone + ` is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`,
			wantCode: 21211, wantHTTP: 400, wantInText: []string{"21211", "The 'To' number <number> is not a valid phone number", "alice", "sms"},
		},
		{
			name: "bad credentials", opts: configured, m: page(oncall.MethodVoice), wantReqs: 1,
			status: 401, answer: `{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}`,
			wantCode: 20003, wantHTTP: 401, wantInText: []string{"20003", "Authenticate", "voice"},
		},
		{
			name: "5xx with an HTML body", opts: configured, m: page(oncall.MethodSMS), wantReqs: 1,
			status: 503, answer: `<html>Service Unavailable</html>`,
			wantHTTP: 503, temporary: true, wantInText: []string{"503"},
		},
		{
			name: "429", opts: configured, m: page(oncall.MethodSMS), wantReqs: 1,
			status: 429, answer: `{"code": 20429, "message": "Too Many Requests", "status": 429}`,
			wantCode: 20429, wantHTTP: 429, temporary: true,
		},
		{
			name: "created without a sid", opts: configured, m: page(oncall.MethodSMS), wantReqs: 1,
			status: 201, answer: `{"status": "queued"}`, wantInText: []string{"without a sid"},
		},
		{
			name: "created with a body that is not JSON", opts: configured, m: page(oncall.MethodSMS), wantReqs: 1,
			status: 201, answer: `queued`,
		},
		{
			name: "timeout", m: page(oncall.MethodSMS), wantReqs: 1, block: true,
			opts: twilio.Options{AccountSID: testSID, AuthToken: testToken, From: testFrom, HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}},
		},
		{name: "network error", opts: configured, m: page(oncall.MethodSMS), down: true},
		{name: "not configured", opts: twilio.Options{}, m: page(oncall.MethodSMS), notConfig: true},
		{name: "no token", opts: twilio.Options{AccountSID: testSID, From: testFrom}, m: page(oncall.MethodSMS), notConfig: true},
		{name: "voice needs From", opts: twilio.Options{AccountSID: testSID, AuthToken: testToken, MessagingServiceSID: testService}, m: page(oncall.MethodVoice), notConfig: true},
		{
			name: "number not E.164", opts: configured,
			m:          func() paging.Message { m := page(oncall.MethodSMS); m.To = "87011234567"; return m }(),
			wantInText: []string{"not E.164", "alice"},
		},
		{name: "other method", opts: configured, m: page(oncall.MethodEmail), wantInText: []string{"email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeTwilio{status: tt.status, body: tt.answer, block: tt.block}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			if tt.down {
				srv.Close()
			}
			log, logs := captureLogs()
			tt.opts.BaseURL, tt.opts.Logger = srv.URL, log
			rec, err := twilio.New(tt.opts).Send(context.Background(), tt.m)
			if err == nil {
				t.Fatalf("Send succeeded with %+v, want an error", rec)
			}
			if rec != (paging.Receipt{}) {
				t.Errorf("receipt %+v with an error", rec)
			}
			if got := len(fake.requests()); got != tt.wantReqs {
				t.Errorf("%d requests to Twilio, want %d", got, tt.wantReqs)
			}
			if errors.Is(err, paging.ErrNotConfigured) != tt.notConfig {
				t.Errorf("errors.Is(ErrNotConfigured) = %v, want %v: %v", !tt.notConfig, tt.notConfig, err)
			}
			var ae *twilio.APIError
			if tt.wantHTTP != 0 {
				if !errors.As(err, &ae) {
					t.Fatalf("error %v is not an *APIError", err)
				}
				if ae.HTTPStatus != tt.wantHTTP || ae.Code != tt.wantCode || ae.Temporary() != tt.temporary {
					t.Errorf("APIError %+v temporary=%v, want HTTP %d code %d temporary=%v", ae, ae.Temporary(), tt.wantHTTP, tt.wantCode, tt.temporary)
				}
			} else if errors.As(err, &ae) {
				t.Errorf("error %v is an *APIError", err)
			}
			for _, s := range tt.wantInText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			assertNoPersonalData(t, "error", err.Error())
			assertNoPersonalData(t, "logs", logs.String())
		})
	}
}

func TestClientContextCancel(t *testing.T) {
	fake := &fakeTwilio{block: true, arrived: make(chan struct{}, 1)}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	c := twilio.New(twilio.Options{AccountSID: testSID, AuthToken: testToken, From: testFrom, BaseURL: srv.URL})
	done := make(chan error, 1)
	go func() {
		_, err := c.Send(ctx, page(oncall.MethodSMS))
		done <- err
	}()
	// Cancel once the request is in: the send must return at once, not at
	// the client's 15-second timeout.
	<-fake.arrived
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Send after cancel: %v, want context.Canceled", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		o    twilio.Options
		want []string // substrings of the error; none: valid
	}{
		{"zero is valid (not configured)", twilio.Options{}, nil},
		{"complete", twilio.Options{AccountSID: testSID, AuthToken: "t", From: testFrom}, nil},
		{"service only", twilio.Options{AccountSID: testSID, AuthToken: "t", MessagingServiceSID: testService}, nil},
		{"bad SID", twilio.Options{AccountSID: "AC1", AuthToken: "t", From: testFrom}, []string{"account SID"}},
		{"no token", twilio.Options{AccountSID: testSID, From: testFrom}, []string{"auth token"}},
		{"no sender", twilio.Options{AccountSID: testSID, AuthToken: "t"}, []string{"From number or a messaging service"}},
		{"bad From", twilio.Options{AccountSID: testSID, AuthToken: "t", From: "5551234567"}, []string{"E.164"}},
		{"bad service", twilio.Options{AccountSID: testSID, AuthToken: "t", MessagingServiceSID: "MGx"}, []string{"messaging service SID"}},
		{"bad base URL", twilio.Options{AccountSID: testSID, AuthToken: "t", From: testFrom, BaseURL: "api.twilio.com"}, []string{"base URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.Validate()
			if (err != nil) != (len(tt.want) > 0) {
				t.Fatalf("Validate = %v, want error %v", err, tt.want)
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if err != nil && strings.Contains(err.Error(), "5551234567") {
				t.Errorf("error repeats the number: %v", err)
			}
		})
	}
}
