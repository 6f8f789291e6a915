package twiliosim

import (
	"net/url"
	"slices"
	"testing"
)

func TestParseTwiML(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
		says    []string
		msgs    []string
		action  string
		digits  int
	}{
		{name: "page", in: `<?xml version="1.0" encoding="UTF-8"?><Response><Gather numDigits="1" action="https://b.example/g?a=1&amp;b=2" method="POST"><Say>Incident &lt;42&gt;</Say><Say>Press 1</Say></Gather><Gather action="https://b.example/other"><Say>again</Say></Gather><Say>Goodbye.</Say></Response>`,
			says: []string{"Incident <42>", "Press 1", "again", "Goodbye."}, action: "https://b.example/g?a=1&b=2", digits: 1},
		{name: "empty response", in: `<Response/>`},
		{name: "sms reply", in: "<Response>\n <Message>Acknowledged #42.</Message>\n</Response>", msgs: []string{"Acknowledged #42."}},
		{name: "sms reply with a Body", in: `<Response><Message><Body>ok</Body></Message></Response>`, msgs: []string{"ok"}},
		{name: "not closed", in: `<Response><Say>hi</Response>`, wantErr: true},
		{name: "wrong root", in: `<Say>hi</Say>`, wantErr: true},
		{name: "two roots", in: `<Response/><Response/>`, wantErr: true},
		{name: "text outside", in: `<Response/>hello`, wantErr: true},
		{name: "empty", in: ``, wantErr: true},
		{name: "not XML", in: `{"say": "hi"}`, wantErr: true},
		{name: "bad numDigits", in: `<Response><Gather numDigits="one"/></Response>`, wantErr: true},
		{name: "undefined entity", in: `<Response><Say>&nbsp;</Say></Response>`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := parseTwiML(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if !slices.Equal(doc.says, tt.says) || !slices.Equal(doc.messages, tt.msgs) || doc.gatherAction != tt.action || doc.gatherDigits != tt.digits {
				t.Errorf("got says %q messages %q action %q digits %d", doc.says, doc.messages, doc.gatherAction, doc.gatherDigits)
			}
		})
	}
}

// The simulator signs on its own, from Twilio's documentation; it must
// agree with the example on Twilio's "Webhooks security" page.
func TestSignatureVector(t *testing.T) {
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"},
	}
	if got := signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params); got != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" {
		t.Errorf("signature %q", got)
	}
}
