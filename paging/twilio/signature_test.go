package twilio_test

import (
	"net/url"
	"testing"

	"github.com/incidentbot/incidentbot/paging/twilio"
)

// The example of Twilio's "Webhooks security" page and of its Go helper
// library's tests: the same URL and token, two sets of parameters.
const (
	vectorToken = "12345"
	vectorURL   = "https://mycompany.com/myapp.php?foo=1&bar=2"
)

func vectorForm(caller string) url.Values {
	return url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {caller},
		"Digits":  {"1234"},
		"From":    {caller},
		"To":      {"+18005551212"},
	}
}

func TestSignKnownVectors(t *testing.T) {
	tests := []struct {
		name, url, caller, want string
	}{
		{"twilio docs", vectorURL, "+12349013030", "0/KCTR6DLpKmkAf8muzZqo1nDgQ="},
		{"twilio-go", vectorURL, "+14158675309", "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
		{"twilio-go, port 443", "https://mycompany.com:443/myapp.php?foo=1&bar=2", "+14158675309", "kvajT1Ptam85bY51eRf/AJRuM3w="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := twilio.Sign(vectorToken, tt.url, vectorForm(tt.caller)); got != tt.want {
				t.Errorf("Sign = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	form := vectorForm("+12349013030")
	sig := "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
	changed := vectorForm("+12349013030")
	changed.Set("Digits", "1")
	extra := vectorForm("+12349013030")
	extra.Set("Extra", "")
	tests := []struct {
		name, token, url string
		form             url.Values
		sig              string
		want             bool
	}{
		{"valid", vectorToken, vectorURL, form, sig, true},
		{"default port added", vectorToken, "https://mycompany.com:443/myapp.php?foo=1&bar=2", form, sig, true},
		{"missing signature", vectorToken, vectorURL, form, "", false},
		{"wrong signature", vectorToken, vectorURL, form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ", false},
		{"not base64", vectorToken, vectorURL, form, "!!!!", false},
		{"other token", "54321", vectorURL, form, sig, false},
		{"empty token", "", vectorURL, form, twilio.Sign("", vectorURL, form), false},
		{"other path", vectorToken, "https://mycompany.com/other.php?foo=1&bar=2", form, sig, false},
		{"other query", vectorToken, "https://mycompany.com/myapp.php?foo=1&bar=3", form, sig, false},
		{"http instead of https", vectorToken, "http://mycompany.com/myapp.php?foo=1&bar=2", form, sig, false},
		{"other port", vectorToken, "https://mycompany.com:8443/myapp.php?foo=1&bar=2", form, sig, false},
		{"one parameter changed", vectorToken, vectorURL, changed, sig, false},
		{"a parameter added", vectorToken, vectorURL, extra, sig, false},
		{"no parameters", vectorToken, vectorURL, url.Values{}, sig, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := twilio.Verify(tt.token, tt.url, tt.form, tt.sig); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSignMultiValue(t *testing.T) {
	// Values of one name are signed in sorted order, whatever order they came in.
	a := url.Values{"StatusCallbackEvent": {"ringing", "answered"}}
	b := url.Values{"StatusCallbackEvent": {"answered", "ringing"}}
	if twilio.Sign("t", "https://x.example/", a) != twilio.Sign("t", "https://x.example/", b) {
		t.Error("the order of a name's values changed the signature")
	}
	// …but which name a value belongs to matters.
	c := url.Values{"A": {"1"}, "B": {"2"}}
	d := url.Values{"A": {"2"}, "B": {"1"}}
	if twilio.Sign("t", "https://x.example/", c) == twilio.Sign("t", "https://x.example/", d) {
		t.Error("swapping values between names kept the signature")
	}
}
