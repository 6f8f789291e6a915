package twilio_test

import (
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
	"github.com/incidentbot/incidentbot/paging/twilio"
)

func TestSMSBody(t *testing.T) {
	long := strings.Repeat("Checkout latency is above the SLO ", 10)
	tests := []struct {
		name    string
		m       paging.Message
		want    []string // lines, in order, exactly
		contain []string
		absent  []string
	}{
		{
			name: "page",
			m:    paging.Message{Incident: 42, Subject: "#42 sev1: Checkout is down", Body: "#42 sev1: Checkout is down\nAlert CheckoutDown firing in prod\nhttps://bot.example/incidents/42"},
			want: []string{"#42 sev1: Checkout is down", "Alert CheckoutDown firing in prod", "Reply 1 or ACK 42 to acknowledge"},
		},
		{
			name: "no incident number",
			m:    paging.Message{Subject: "Heartbeat watchdog stopped"},
			want: []string{"Heartbeat watchdog stopped", "Reply 1 to acknowledge"},
		},
		{
			name:    "long subject and body are cut to one segment, the ask kept",
			m:       paging.Message{Incident: 7, Subject: long, Body: long + "x"},
			contain: []string{"...", "Reply 1 or ACK 7 to acknowledge"},
		},
		{
			name:   "control and format characters are stripped",
			m:      paging.Message{Incident: 3, Subject: "a\x00b\x1bc\u202ed\u200be\r\nf", Body: "\x07\n  \n line\ttwo "},
			want:   []string{"abcde f", "line two", "Reply 1 or ACK 3 to acknowledge"},
			absent: []string{"\x00", "\x1b", "\u202e", "\u200b", "\r", "\t"},
		},
		{
			name: "cyrillic is kept",
			m:    paging.Message{Incident: 5, Subject: "#5 sev2: Оплата недоступна"},
			want: []string{"#5 sev2: Оплата недоступна", "Reply 1 or ACK 5 to acknowledge"},
		},
		{
			name:    "test page asks for nothing",
			m:       paging.Message{Test: true, Incident: 9, Subject: "Test page for alice"},
			contain: []string{"TEST", "test", "Test page for alice"},
			absent:  []string{"Reply 1", "ACK"},
		},
		{
			name:    "test page without a subject",
			m:       paging.Message{Test: true},
			contain: []string{"TEST", "no reply needed"},
			absent:  []string{"Reply 1", "ACK"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := twilio.SMSBody(tt.m)
			if n := utf8.RuneCountInString(got); n > 160 {
				t.Errorf("%d characters, want at most 160:\n%s", n, got)
			}
			if tt.want != nil {
				if lines := strings.Split(got, "\n"); strings.Join(lines, "|") != strings.Join(tt.want, "|") {
					t.Errorf("got lines %q, want %q", lines, tt.want)
				}
			}
			for _, s := range tt.contain {
				if !strings.Contains(got, s) {
					t.Errorf("body %q lacks %q", got, s)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(got, s) {
					t.Errorf("body %q contains %q", got, s)
				}
			}
		})
	}
}

// twiml is the subset of TwiML the pages use.
type twiml struct {
	XMLName xml.Name `xml:"Response"`
	Verbs   []verb   `xml:",any"`
}

type verb struct {
	XMLName   xml.Name
	NumDigits string `xml:"numDigits,attr"`
	Action    string `xml:"action,attr"`
	Method    string `xml:"method,attr"`
	Timeout   string `xml:"timeout,attr"`
	Text      string `xml:",chardata"`
	Says      []verb `xml:"Say"`
}

func parseTwiML(t *testing.T, s string) twiml {
	t.Helper()
	if !strings.HasPrefix(s, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("TwiML lacks the XML declaration: %.60s", s)
	}
	var doc twiml
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	if err := d.Decode(&doc); err != nil {
		t.Fatalf("TwiML is not valid XML: %v\n%s", err, s)
	}
	return doc
}

func TestCallTwiML(t *testing.T) {
	cb := twilio.CallbackURL("https://bot.example.com/", "n-1")
	m := paging.Message{ID: "n-1", Method: oncall.MethodVoice, Incident: 42, Subject: "#42 sev1",
		Spoken: `Incident 42, severity one: "Checkout" <down> & out`, CallbackURL: cb}

	doc := parseTwiML(t, twilio.CallTwiML(m))
	var names []string
	for _, v := range doc.Verbs {
		names = append(names, v.XMLName.Local)
	}
	if got := strings.Join(names, ","); got != "Gather,Gather,Say" {
		t.Fatalf("verbs %s, want Gather,Gather,Say", got)
	}
	for i, g := range doc.Verbs[:2] {
		if g.NumDigits != "1" || g.Method != "POST" || g.Timeout != "10" {
			t.Errorf("gather %d: numDigits=%q method=%q timeout=%q", i, g.NumDigits, g.Method, g.Timeout)
		}
		if want := "https://bot.example.com/webhooks/twilio/n/n-1/gather"; g.Action != want {
			t.Errorf("gather %d action %q, want %q", i, g.Action, want)
		}
		if len(g.Says) != 2 || g.Says[0].Text != m.Spoken || !strings.Contains(g.Says[1].Text, "Press 1 to acknowledge, 2 to escalate") {
			t.Errorf("gather %d says %+v", i, g.Says)
		}
	}
	if !strings.Contains(doc.Verbs[2].Text, "Goodbye") {
		t.Errorf("last verb says %q, want goodbye", doc.Verbs[2].Text)
	}

	t.Run("test call asks for nothing", func(t *testing.T) {
		m := m
		m.Test, m.Spoken = true, "This is a test call for alice."
		s := twilio.CallTwiML(m)
		doc := parseTwiML(t, s)
		if strings.Contains(s, "Gather") || strings.Contains(s, "Press") {
			t.Errorf("test call gathers keys: %s", s)
		}
		if len(doc.Verbs) == 0 || doc.Verbs[0].Text != m.Spoken {
			t.Errorf("test call does not read its text: %s", s)
		}
	})
	t.Run("no callback, no gather", func(t *testing.T) {
		m := m
		m.CallbackURL = ""
		s := twilio.CallTwiML(m)
		parseTwiML(t, s)
		if strings.Contains(s, "Gather") {
			t.Errorf("gathers without a callback: %s", s)
		}
	})
	t.Run("long text stays under Twilio's limit", func(t *testing.T) {
		m := m
		m.Spoken = strings.Repeat(`&"<`, 3000)
		s := twilio.CallTwiML(m)
		parseTwiML(t, s)
		if n := utf8.RuneCountInString(s); n > twilio.MaxTwiML {
			t.Errorf("%d characters, want at most %d", n, twilio.MaxTwiML)
		}
	})
	t.Run("empty spoken falls back to the subject", func(t *testing.T) {
		m := m
		m.Spoken = "\x00"
		doc := parseTwiML(t, twilio.CallTwiML(m))
		if got := doc.Verbs[0].Says[0].Text; got != "#42 sev1" {
			t.Errorf("reads %q, want the subject", got)
		}
	})
}

func TestCallbackURLs(t *testing.T) {
	tests := []struct{ got, want string }{
		{twilio.CallbackURL("https://bot.example.com", "abc"), "https://bot.example.com/webhooks/twilio/n/abc"},
		{twilio.CallbackURL("https://bot.example.com/ib/", "a b/c"), "https://bot.example.com/ib/webhooks/twilio/n/a%20b%2Fc"},
		{twilio.StatusURL("https://b.example/webhooks/twilio/n/1"), "https://b.example/webhooks/twilio/n/1/status"},
		{twilio.GatherURL("https://b.example/webhooks/twilio/n/1?k=v"), "https://b.example/webhooks/twilio/n/1/gather?k=v"},
		{twilio.InboundSMSURL("https://bot.example.com/"), "https://bot.example.com/webhooks/twilio/sms"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// A page in the team's language asks in it, and says nothing in English.
func TestComposeInTheTeamsLanguage(t *testing.T) {
	m := paging.Message{ID: "n1", Incident: 42, Method: oncall.MethodVoice, Subject: "#42 sev1: Оплата не проходит",
		Body: "Вас вызывают по инциденту #42", Spoken: "Инцидент 42", CallbackURL: "https://bot.example/webhooks/twilio/n/n1",
		Reply: "Ответьте 1 или ACK 42, чтобы подтвердить", Keys: "Нажмите 1, чтобы подтвердить, 2 — чтобы передать дальше.", Language: "ru-RU"}
	twiml := twilio.CallTwiML(m)
	for _, want := range []string{`<Say language="ru-RU">Инцидент 42</Say>`, `Нажмите 1`} {
		if !strings.Contains(twiml, want) {
			t.Errorf("TwiML lacks %q: %s", want, twiml)
		}
	}
	for _, english := range []string{"Press 1", "Goodbye"} {
		if strings.Contains(twiml, english) {
			t.Errorf("TwiML still says %q: %s", english, twiml)
		}
	}
	if sms := twilio.SMSBody(m); !strings.Contains(sms, "Ответьте 1 или ACK 42") || strings.Contains(sms, "Reply") {
		t.Errorf("SMS = %q, want the Russian reply hint", sms)
	}
}
