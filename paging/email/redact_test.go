package email

import (
	"errors"
	"strings"
	"testing"
)

// SMTP servers often repeat the recipient in a refusal; the error must not.
func TestRedactTakesTheAddressOut(t *testing.T) {
	tests := []struct{ in, want string }{
		{"RCPT TO: 550 5.1.1 <Alice.Pager@Example.com>: Recipient address rejected", "RCPT TO: 550 5.1.1 <<recipient>>: Recipient address rejected"},
		{"RCPT TO: 550 5.1.1 alice.pager: user unknown", "RCPT TO: 550 5.1.1 <recipient>: user unknown"},
		{"AUTH: 535 5.7.8 Authentication failed", "AUTH: 535 5.7.8 Authentication failed"},
	}
	for _, tt := range tests {
		got := redact(errors.New(tt.in), "alice.pager@example.com").Error()
		if got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if strings.Contains(strings.ToLower(got), "alice.pager") {
			t.Errorf("the address survived: %q", got)
		}
	}
	orig := errors.New("AUTH: 535")
	if redact(orig, "al@example.com") != orig {
		t.Error("an error without the address was not returned as it is")
	}
}
