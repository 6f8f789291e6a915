package twilio_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/incidentbot/incidentbot/paging/twilio"
)

const (
	hookToken  = "0123456789abcdef0123456789abcdef"
	hookPublic = "https://bot.example.com"
	phone      = "+77011234567"
)

// fakeInbound records what the handler passed on and answers as told.
type fakeInbound struct {
	mu    sync.Mutex
	calls []string
	reply string
	err   error
}

func (f *fakeInbound) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeInbound) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeInbound) InboundSMS(_ context.Context, from, body string) (string, error) {
	f.record("sms " + from + " " + body)
	return f.reply, f.err
}

func (f *fakeInbound) Pressed(_ context.Context, id, digits string) (string, error) {
	f.record("pressed " + id + " " + digits)
	return f.reply, f.err
}

func (f *fakeInbound) Status(_ context.Context, id, status, code string) error {
	f.record("status " + id + " " + status + " " + code)
	return f.err
}

// hookRequest is a webhook as Twilio would send it to path: the body is
// the form, signed for hookPublic+path unless the test says otherwise.
func hookRequest(method, path, body, sig string) *http.Request {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sig != "" {
		r.Header.Set(twilio.HeaderSignature, sig)
	}
	return r
}

func signed(path string, form url.Values) (body, sig string) {
	return form.Encode(), twilio.Sign(hookToken, hookPublic+path, form)
}

func serve(h http.Handler, r *http.Request) (int, string, http.Header) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(b), w.Result().Header
}

func TestHandlerSignatures(t *testing.T) {
	const path = "/webhooks/twilio/n/n-1/gather"
	form := url.Values{"CallSid": {"CA0123"}, "Digits": {"1"}, "From": {"+15005550006"}, "To": {phone}}
	body, sig := signed(path, form)
	changed := url.Values{"CallSid": {"CA0123"}, "Digits": {"2"}, "From": {"+15005550006"}, "To": {phone}}
	// The same parameters, written in another order: the signature is over
	// the sorted parameters, so it still verifies.
	reordered := "To=" + url.QueryEscape(phone) + "&Digits=1&From=%2B15005550006&CallSid=CA0123"

	tests := []struct {
		name, path, body, sig string
		want                  int
	}{
		{"valid", path, body, sig, http.StatusOK},
		{"parameters reordered", path, reordered, sig, http.StatusOK},
		{"missing signature", path, body, "", http.StatusForbidden},
		{"wrong signature", path, body, twilio.Sign("other-token", hookPublic+path, form), http.StatusForbidden},
		{"garbage signature", path, body, "not-a-signature", http.StatusForbidden},
		{"signed for another URL", "/webhooks/twilio/n/n-2/gather", body, sig, http.StatusForbidden},
		{"signed for another query", path + "?x=1", body, sig, http.StatusForbidden},
		{"replayed with one parameter changed", path, changed.Encode(), sig, http.StatusForbidden},
		{"replayed with a parameter added", path, body + "&Extra=1", sig, http.StatusForbidden},
		{"replayed with a parameter dropped", path, "Digits=1&From=%2B15005550006&To=" + url.QueryEscape(phone), sig, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &fakeInbound{reply: "Acknowledged."}
			h := twilio.NewHandler(in, twilio.HandlerOptions{AuthToken: hookToken, PublicURL: hookPublic})
			code, resp, _ := serve(h, hookRequest(http.MethodPost, tt.path, tt.body, tt.sig))
			if code != tt.want {
				t.Fatalf("status %d, want %d (%s)", code, tt.want, resp)
			}
			calls := in.got()
			if tt.want != http.StatusOK {
				if len(calls) != 0 {
					t.Errorf("refused request still reached the engine: %q", calls)
				}
				var e map[string]string
				if json.Unmarshal([]byte(resp), &e) != nil || e["error"] == "" {
					t.Errorf("error body %q, want JSON {\"error\": …}", resp)
				}
				return
			}
			if len(calls) != 1 || calls[0] != "pressed n-1 1" {
				t.Errorf("engine got %q, want [pressed n-1 1]", calls)
			}
		})
	}
}

func TestHandlerWebhooks(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		form      url.Values
		reply     string
		err       error
		wantCode  int
		wantCalls []string
		wantBody  string // exact TwiML, or a substring of the error
	}{
		{
			name:      "inbound sms with a reply",
			path:      "/webhooks/twilio/sms",
			form:      url.Values{"MessageSid": {"SM1"}, "AccountSid": {"AC1"}, "From": {phone}, "To": {"+15005550006"}, "Body": {"ack 42"}},
			reply:     "Acknowledged #42 <Checkout> & co.",
			wantCode:  200,
			wantCalls: []string{"sms " + phone + " ack 42"},
			wantBody:  `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Message>Acknowledged #42 &lt;Checkout&gt; &amp; co.</Message></Response>`,
		},
		{
			name:      "inbound sms without a reply",
			path:      "/webhooks/twilio/sms",
			form:      url.Values{"From": {phone}, "Body": {"thanks"}},
			wantCode:  200,
			wantCalls: []string{"sms " + phone + " thanks"},
			wantBody:  `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response/>`,
		},
		{
			name:     "inbound sms without From",
			path:     "/webhooks/twilio/sms",
			form:     url.Values{"Body": {"1"}},
			wantCode: 400,
			wantBody: "no From",
		},
		{
			name:      "key press",
			path:      "/webhooks/twilio/n/01HZX/gather",
			form:      url.Values{"CallSid": {"CA1"}, "Digits": {"2"}, "CallStatus": {"in-progress"}},
			reply:     "Escalated.",
			wantCode:  200,
			wantCalls: []string{"pressed 01HZX 2"},
			wantBody:  `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Say>Escalated.</Say></Response>`,
		},
		{
			name:     "key press with no digits reaches nobody",
			path:     "/webhooks/twilio/n/01HZX/gather",
			form:     url.Values{"CallSid": {"CA1"}, "Digits": {""}},
			wantCode: 200,
			wantBody: `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response/>`,
		},
		{
			name:     "key press with bad digits",
			path:     "/webhooks/twilio/n/01HZX/gather",
			form:     url.Values{"Digits": {"1<x>"}},
			wantCode: 400,
			wantBody: "Digits",
		},
		{
			name:      "message status with an error code",
			path:      "/webhooks/twilio/n/01HZX/status",
			form:      url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"undelivered"}, "SmsStatus": {"undelivered"}, "ErrorCode": {"30003"}},
			wantCode:  200,
			wantCalls: []string{"status 01HZX undelivered 30003"},
			wantBody:  `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response/>`,
		},
		{
			name:      "call status",
			path:      "/webhooks/twilio/n/01HZX/status",
			form:      url.Values{"CallSid": {"CA1"}, "CallStatus": {"no-answer"}, "CallbackSource": {"call-progress-events"}},
			wantCode:  200,
			wantCalls: []string{"status 01HZX no-answer "},
		},
		{
			name:     "status without a status",
			path:     "/webhooks/twilio/n/01HZX/status",
			form:     url.Values{"CallSid": {"CA1"}},
			wantCode: 400,
		},
		{
			name:      "escaped notification ID",
			path:      "/webhooks/twilio/n/a%20b/status",
			form:      url.Values{"MessageStatus": {"sent"}},
			wantCode:  200,
			wantCalls: []string{"status a b sent "},
		},
		{
			name:      "engine failure is a 500",
			path:      "/webhooks/twilio/n/01HZX/status",
			form:      url.Values{"MessageStatus": {"delivered"}},
			err:       errors.New("store down"),
			wantCode:  500,
			wantCalls: []string{"status 01HZX delivered "},
			wantBody:  "could not record",
		},
		{
			name:      "engine failure on a key press is a 500",
			path:      "/webhooks/twilio/n/01HZX/gather",
			form:      url.Values{"Digits": {"1"}},
			err:       errors.New("store down"),
			wantCode:  500,
			wantCalls: []string{"pressed 01HZX 1"},
		},
		{
			name:     "unknown path",
			path:     "/webhooks/twilio/voice",
			form:     url.Values{"CallSid": {"CA1"}},
			wantCode: 404,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &fakeInbound{reply: tt.reply, err: tt.err}
			h := twilio.NewHandler(in, twilio.HandlerOptions{AuthToken: hookToken, PublicURL: hookPublic + "/"})
			body, sig := signed(tt.path, tt.form)
			code, resp, hdr := serve(h, hookRequest(http.MethodPost, tt.path, body, sig))
			if code != tt.wantCode {
				t.Fatalf("status %d, want %d (%s)", code, tt.wantCode, resp)
			}
			if got := in.got(); strings.Join(got, "|") != strings.Join(tt.wantCalls, "|") {
				t.Errorf("engine got %q, want %q", got, tt.wantCalls)
			}
			if code == 200 {
				if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
					t.Errorf("Content-Type %q, want text/xml", ct)
				}
				if tt.wantBody != "" && resp != tt.wantBody {
					t.Errorf("body\n%s\nwant\n%s", resp, tt.wantBody)
				}
			} else if !strings.Contains(resp, tt.wantBody) {
				t.Errorf("body %q lacks %q", resp, tt.wantBody)
			}
		})
	}
}

func TestHandlerRefusals(t *testing.T) {
	const path = "/webhooks/twilio/sms"
	form := url.Values{"From": {phone}, "Body": {"1"}}
	body, sig := signed(path, form)
	big := url.Values{"From": {phone}, "Body": {strings.Repeat("x", 70<<10)}}
	bigBody, bigSig := signed(path, big)

	tests := []struct {
		name    string
		opts    twilio.HandlerOptions
		r       func() *http.Request
		want    int
		allowed string
	}{
		{"GET", twilio.HandlerOptions{AuthToken: hookToken, PublicURL: hookPublic},
			func() *http.Request { return hookRequest(http.MethodGet, path, "", sig) }, http.StatusMethodNotAllowed, "POST"},
		{"PUT", twilio.HandlerOptions{AuthToken: hookToken, PublicURL: hookPublic},
			func() *http.Request { return hookRequest(http.MethodPut, path, body, sig) }, http.StatusMethodNotAllowed, "POST"},
		{"oversized body", twilio.HandlerOptions{AuthToken: hookToken, PublicURL: hookPublic},
			func() *http.Request { return hookRequest(http.MethodPost, path, bigBody, bigSig) }, http.StatusRequestEntityTooLarge, ""},
		{"smaller limit", twilio.HandlerOptions{AuthToken: hookToken, PublicURL: hookPublic, MaxBody: 10},
			func() *http.Request { return hookRequest(http.MethodPost, path, body, sig) }, http.StatusRequestEntityTooLarge, ""},
		{"JSON body", twilio.HandlerOptions{AuthToken: hookToken, PublicURL: hookPublic},
			func() *http.Request {
				r := hookRequest(http.MethodPost, path, `{"From":"x"}`, sig)
				r.Header.Set("Content-Type", "application/json")
				return r
			}, http.StatusUnsupportedMediaType, ""},
		{"no auth token configured", twilio.HandlerOptions{PublicURL: hookPublic},
			func() *http.Request {
				return hookRequest(http.MethodPost, path, body, twilio.Sign("", hookPublic+path, form))
			}, http.StatusForbidden, ""},
		{"no public URL configured", twilio.HandlerOptions{AuthToken: hookToken},
			func() *http.Request {
				return hookRequest(http.MethodPost, path, body, twilio.Sign(hookToken, path, form))
			}, http.StatusForbidden, ""},
		{"other public URL", twilio.HandlerOptions{AuthToken: hookToken, PublicURL: "https://elsewhere.example.com"},
			func() *http.Request { return hookRequest(http.MethodPost, path, body, sig) }, http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &fakeInbound{}
			code, resp, hdr := serve(twilio.NewHandler(in, tt.opts), tt.r())
			if code != tt.want {
				t.Fatalf("status %d, want %d (%s)", code, tt.want, resp)
			}
			if got := hdr.Get("Allow"); got != tt.allowed {
				t.Errorf("Allow %q, want %q", got, tt.allowed)
			}
			if calls := in.got(); len(calls) != 0 {
				t.Errorf("refused request reached the engine: %q", calls)
			}
		})
	}
}

func TestHandlerBehindProxy(t *testing.T) {
	// The proxy serves the bot under /ib and strips the prefix: Twilio
	// signed the public URL, the bot sees the stripped path.
	const public = "https://example.com/ib"
	form := url.Values{"MessageStatus": {"delivered"}}
	sig := twilio.Sign(hookToken, public+"/webhooks/twilio/n/x/status", form)
	in := &fakeInbound{}
	h := twilio.NewHandler(in, twilio.HandlerOptions{AuthToken: hookToken, PublicURL: public})
	code, resp, _ := serve(h, hookRequest(http.MethodPost, "/webhooks/twilio/n/x/status", form.Encode(), sig))
	if code != http.StatusOK {
		t.Fatalf("status %d (%s)", code, resp)
	}
	if got := in.got(); len(got) != 1 || got[0] != "status x delivered " {
		t.Errorf("engine got %q", got)
	}
}
