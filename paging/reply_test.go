package paging

import (
	"strconv"
	"strings"
	"testing"
)

var replyCases = []struct {
	body string
	ack  bool
	code string
}{
	{"1", true, ""},
	{" 1 ", true, ""},
	{"1.", true, ""},
	{"ack", true, ""},
	{"ACK", true, ""},
	{"Ack!", true, ""},
	{"\tack\n", true, ""},
	{"ack 42", true, "42"},
	{"Ack #42", true, "42"},
	{"ACK#42", true, "42"},
	{"ack42", true, "42"},
	{"ack: 42.", true, "42"},
	{"ack 042", true, "42"},
	{"\u00a0ack\u00a042\u200b", true, "42"},
	{"«ack 7»", true, "7"},
	{"ack 999999999999999999", true, "999999999999999999"},

	{"", false, ""},
	{"2", false, ""},
	{"10", false, ""},
	{"11", false, ""},
	{"01", false, ""},
	{"ac", false, ""},
	{"acknowledge", false, ""},
	{"ack 0", false, ""},
	{"ack 00", false, ""},
	{"ack -1", false, ""},
	{"ack-42", false, ""},
	{"ack 42 43", false, ""},
	{"ack 4x", false, ""},
	{"ack 1234567890123456789", false, ""},
	{"don't ack", false, ""},
	{"nack", false, ""},
	{"back", false, ""},
	{"yes", false, ""},
	{"1 ack", false, ""},
	{"ack ack", false, ""},
	{"ack ٤٢", false, ""}, // Arabic-Indic digits are not incident numbers
	{"STOP", false, ""},
}

func TestParseReply(t *testing.T) {
	for _, tt := range replyCases {
		t.Run(strconv.Quote(tt.body), func(t *testing.T) {
			ack, code := ParseReply(tt.body)
			if ack != tt.ack || code != tt.code {
				t.Errorf("ParseReply(%q) = %v, %q; want %v, %q", tt.body, ack, code, tt.ack, tt.code)
			}
		})
	}
}

// FuzzParseReply checks what must hold for any text: an acknowledgement
// names either no incident or a canonical positive number, the text
// mentions "1" or "ack", and padding with spaces and punctuation changes
// nothing. `go test` runs the seeds; `go test -fuzz=FuzzParseReply` explores.
func FuzzParseReply(f *testing.F) {
	for _, tt := range replyCases {
		f.Add(tt.body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		ack, code := ParseReply(body)
		if !ack {
			if code != "" {
				t.Fatalf("ParseReply(%q) = false with code %q", body, code)
			}
		} else {
			if !strings.Contains(body, "1") && !strings.Contains(strings.ToLower(body), "ack") {
				t.Fatalf("ParseReply(%q) acknowledged a text without 1 or ack", body)
			}
			if code != "" {
				n, err := strconv.ParseInt(code, 10, 64)
				if err != nil || n <= 0 || strconv.FormatInt(n, 10) != code {
					t.Fatalf("ParseReply(%q) code %q is not a canonical positive number", body, code)
				}
				if !strings.Contains(body, code) && !strings.Contains(body, "0"+code) {
					t.Fatalf("ParseReply(%q) code %q is not in the text", body, code)
				}
			}
		}
		ack2, code2 := ParseReply(" !" + body + ". ")
		if ack2 != ack || code2 != code {
			t.Fatalf("padding changed ParseReply(%q) from %v,%q to %v,%q", body, ack, code, ack2, code2)
		}
	})
}
