package twiliosim_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/clocktest"
	"github.com/incidentbot/incidentbot/internal/twiliosim"
	"github.com/incidentbot/incidentbot/paging/twilio"
)

const (
	sid   = twiliosim.DefaultAccountSID
	token = twiliosim.DefaultAuthToken
	from  = twiliosim.DefaultNumber
)

func newSim(t *testing.T, o twiliosim.Options) (*twiliosim.Server, string) {
	t.Helper()
	sim := twiliosim.New(o)
	srv := newLocalServer(t, sim.Handler())
	t.Cleanup(sim.Close)
	return sim, srv.URL
}

func TestAPIAuth(t *testing.T) {
	_, base := newSim(t, twiliosim.Options{})
	form := url.Values{"To": {phone}, "From": {from}, "Body": {"hi"}}
	other := "AC" + strings.Repeat("f", 32)
	tests := []struct {
		name, account, user, pass, resource string
		status, code                        int
	}{
		{"valid", sid, sid, token, "Messages.json", 201, 0},
		{"no credentials", sid, "", "", "Messages.json", 401, 20003},
		{"wrong token", sid, sid, "wrong", "Messages.json", 401, 20003},
		{"wrong SID", sid, other, token, "Messages.json", 401, 20003},
		{"URL account is not the authenticated one", other, sid, token, "Messages.json", 401, 20003},
		{"unknown resource", sid, sid, token, "Faxes.json", 404, 20404},
		{"unknown resource, no credentials", sid, "", "", "Faxes.json", 401, 20003},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got := apiPost(t, base, tt.account, tt.user, tt.pass, tt.resource, form)
			if status != tt.status {
				t.Fatalf("HTTP %d, want %d: %v", status, tt.status, got)
			}
			if tt.code == 0 {
				return
			}
			assertTwilioError(t, got, tt.status, tt.code)
		})
	}

	t.Run("GET is not simulated", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, base+"/2010-04-01/Accounts/"+sid+"/Messages.json", nil)
		req.SetBasicAuth(sid, token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Errorf("GET: %d Allow=%q", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})
	t.Run("401 asks for basic auth", func(t *testing.T) {
		resp, err := http.Post(base+"/2010-04-01/Accounts/"+sid+"/Calls.json", "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic") {
			t.Errorf("WWW-Authenticate %q", got)
		}
	})
}

// assertTwilioError checks Twilio's error shape.
func assertTwilioError(t *testing.T, got map[string]any, status, code int) {
	t.Helper()
	if got["code"] != float64(code) || got["status"] != float64(status) {
		t.Errorf("error %v, want code %d status %d", got, code, status)
	}
	if msg, _ := got["message"].(string); msg == "" {
		t.Errorf("error without a message: %v", got)
	}
	if more, _ := got["more_info"].(string); more != fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code) {
		t.Errorf("more_info %q", more)
	}
}

func TestAPIMessageValidation(t *testing.T) {
	_, base := newSim(t, twiliosim.Options{})
	ok := func(edit func(url.Values)) url.Values {
		f := url.Values{"To": {phone}, "From": {from}, "Body": {"hello"}, "StatusCallback": {"https://bot.example.com/webhooks/twilio/n/1/status"}}
		edit(f)
		return f
	}
	tests := []struct {
		name string
		form url.Values
		code int
	}{
		{"no To", ok(func(f url.Values) { f.Del("To") }), 21604},
		{"no From nor service", ok(func(f url.Values) { f.Del("From") }), 21603},
		{"To not E.164", ok(func(f url.Values) { f.Set("To", "87011234567") }), 21211},
		{"To with spaces", ok(func(f url.Values) { f.Set("To", "+7 701 123 4567") }), 21211},
		{"To too short", ok(func(f url.Values) { f.Set("To", "+12345") }), 21211},
		{"From not E.164", ok(func(f url.Values) { f.Set("From", "15005550006") }), 21212},
		{"From not the account's", ok(func(f url.Values) { f.Set("From", "+15551234567") }), 21606},
		{"To is From", ok(func(f url.Values) { f.Set("To", from) }), 21266},
		{"bad service SID", ok(func(f url.Values) { f.Del("From"); f.Set("MessagingServiceSid", "MG123") }), 21705},
		{"other service", ok(func(f url.Values) { f.Del("From"); f.Set("MessagingServiceSid", "MG"+strings.Repeat("a", 32)) }), 21701},
		{"no Body", ok(func(f url.Values) { f.Del("Body") }), 21602},
		{"Body over 1600", ok(func(f url.Values) { f.Set("Body", strings.Repeat("ж", 1601)) }), 21617},
		{"relative StatusCallback", ok(func(f url.Values) { f.Set("StatusCallback", "/status") }), 21609},
		{"StatusCallback host with underscore", ok(func(f url.Values) { f.Set("StatusCallback", "https://my_bot.example.com/s") }), 21609},
		{"StatusCallback not http", ok(func(f url.Values) { f.Set("StatusCallback", "ftp://bot.example.com/s") }), 21609},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got := apiPost(t, base, sid, sid, token, "Messages.json", tt.form)
			if status != 400 {
				t.Fatalf("HTTP %d, want 400: %v", status, got)
			}
			assertTwilioError(t, got, 400, tt.code)
		})
	}
	t.Run("1600 characters are fine", func(t *testing.T) {
		status, got := apiPost(t, base, sid, sid, token, "Messages.json", ok(func(f url.Values) { f.Set("Body", strings.Repeat("ж", 1600)) }))
		if status != 201 {
			t.Errorf("HTTP %d: %v", status, got)
		}
	})
	t.Run("JSON body has no parameters", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, base+"/2010-04-01/Accounts/"+sid+"/Messages.json", strings.NewReader(`{"To":"`+phone+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(sid, token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 400 || !strings.Contains(string(b), "21604") {
			t.Errorf("HTTP %d %s, want 21604", resp.StatusCode, b)
		}
	})
}

func TestAPICallValidation(t *testing.T) {
	_, base := newSim(t, twiliosim.Options{})
	const twiml = `<?xml version="1.0" encoding="UTF-8"?><Response><Say>hi</Say></Response>`
	ok := func(edit func(url.Values)) url.Values {
		f := url.Values{"To": {phone}, "From": {from}, "Twiml": {twiml}}
		edit(f)
		return f
	}
	tests := []struct {
		name string
		form url.Values
		code int
	}{
		{"no To", ok(func(f url.Values) { f.Del("To") }), 21201},
		{"no From", ok(func(f url.Values) { f.Del("From") }), 21213},
		{"To not E.164", ok(func(f url.Values) { f.Set("To", "7011234567") }), 21211},
		{"From not E.164", ok(func(f url.Values) { f.Set("From", "abc") }), 21212},
		{"From not the account's", ok(func(f url.Values) { f.Set("From", "+15551234567") }), 21210},
		{"no Twiml nor Url", ok(func(f url.Values) { f.Del("Twiml") }), 21205},
		{"Twiml over 4000", ok(func(f url.Values) {
			f.Set("Twiml", "<Response><Say>"+strings.Repeat("a", 4000)+"</Say></Response>")
		}), 32018},
		{"Twiml not XML", ok(func(f url.Values) { f.Set("Twiml", "<Response><Say>hi</Response>") }), 12100},
		{"Twiml not a Response", ok(func(f url.Values) { f.Set("Twiml", "<Say>hi</Say>") }), 12100},
		{"bad StatusCallback", ok(func(f url.Values) { f.Set("StatusCallback", "not a url") }), 21609},
		{"bad StatusCallbackEvent", ok(func(f url.Values) {
			f.Set("StatusCallback", "https://bot.example.com/s")
			f["StatusCallbackEvent"] = []string{"ringing", "picked-up"}
		}), 21626},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got := apiPost(t, base, sid, sid, token, "Calls.json", tt.form)
			if status != 400 {
				t.Fatalf("HTTP %d, want 400: %v", status, got)
			}
			assertTwilioError(t, got, 400, tt.code)
		})
	}
}

func TestAPIResources(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC))
	sim, base := newSim(t, twiliosim.Options{Now: clock.Now})
	sidRe := regexp.MustCompile(`^(SM|CA)[0-9a-f]{32}$`)
	tests := []struct {
		name, resource string
		form           url.Values
		prefix, status string
		fields         map[string]any
	}{
		{"message", "Messages.json", url.Values{"To": {phone}, "From": {from}, "Body": {"hello"}}, "SM", "queued",
			map[string]any{"to": phone, "from": from, "body": "hello", "direction": "outbound-api", "num_segments": "1", "messaging_service_sid": nil, "api_version": "2010-04-01", "error_code": nil}},
		{"message through a service", "Messages.json", url.Values{"To": {phone}, "MessagingServiceSid": {sim.MessagingServiceSID()}, "Body": {"hello"}}, "SM", "accepted",
			map[string]any{"messaging_service_sid": sim.MessagingServiceSID()}},
		{"long message", "Messages.json", url.Values{"To": {phone}, "From": {from}, "Body": {strings.Repeat("a", 400)}}, "SM", "queued",
			map[string]any{"num_segments": "3"}},
		{"call", "Calls.json", url.Values{"To": {phone}, "From": {from}, "Twiml": {"<Response><Say>hi</Say></Response>"}}, "CA", "queued",
			map[string]any{"to": phone, "from": from, "direction": "outbound-api", "duration": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got := apiPost(t, base, sid, sid, token, tt.resource, tt.form)
			if status != 201 {
				t.Fatalf("HTTP %d: %v", status, got)
			}
			s, _ := got["sid"].(string)
			if !sidRe.MatchString(s) || !strings.HasPrefix(s, tt.prefix) {
				t.Errorf("sid %q, want %s and 32 hex digits", s, tt.prefix)
			}
			if got["status"] != tt.status || got["account_sid"] != sid {
				t.Errorf("status %v account %v", got["status"], got["account_sid"])
			}
			if got["date_created"] != "Mon, 30 Nov 2026 05:00:00 +0000" {
				t.Errorf("date_created %v, want RFC 2822 of the clock", got["date_created"])
			}
			if want := "/2010-04-01/Accounts/" + sid + "/" + strings.TrimSuffix(tt.resource, ".json") + "/" + s + ".json"; got["uri"] != want {
				t.Errorf("uri %v, want %s", got["uri"], want)
			}
			for k, v := range tt.fields {
				if got[k] != v {
					t.Errorf("%s = %#v, want %#v", k, got[k], v)
				}
			}
		})
	}
}

func TestBounds(t *testing.T) {
	sim, base := newSim(t, twiliosim.Options{MaxMessages: 3, MaxCalls: 2})
	for i := range 5 {
		f := url.Values{"To": {phone}, "From": {from}, "Body": {fmt.Sprint("m", i)}}
		if status, got := apiPost(t, base, sid, sid, token, "Messages.json", f); status != 201 {
			t.Fatalf("HTTP %d: %v", status, got)
		}
		f = url.Values{"To": {phone}, "From": {from}, "Twiml": {"<Response/>"}}
		if status, got := apiPost(t, base, sid, sid, token, "Calls.json", f); status != 201 {
			t.Fatalf("HTTP %d: %v", status, got)
		}
	}
	var bodies []string
	for _, m := range sim.Messages() {
		bodies = append(bodies, m.Body)
	}
	if got := strings.Join(bodies, ","); got != "m2,m3,m4" {
		t.Errorf("kept %s, want the latest three", got)
	}
	if n := len(sim.Calls()); n != 2 {
		t.Errorf("kept %d calls, want 2", n)
	}

	t.Run("request body", func(t *testing.T) {
		f := url.Values{"To": {phone}, "From": {from}, "Body": {strings.Repeat("a", 70<<10)}}
		status, got := apiPost(t, base, sid, sid, token, "Messages.json", f)
		if status != http.StatusRequestEntityTooLarge {
			t.Errorf("HTTP %d: %v", status, got)
		}
	})
}

// The defaults are what the real client accepts as configuration.
func TestDefaultsAreValidOptions(t *testing.T) {
	o := twilio.Options{AccountSID: sid, AuthToken: token, From: from, MessagingServiceSID: twiliosim.DefaultMessagingServiceSID}
	if err := o.Validate(); err != nil {
		t.Errorf("the simulator's defaults are not valid client options: %v", err)
	}
}
