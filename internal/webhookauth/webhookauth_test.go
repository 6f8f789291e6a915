package webhookauth

import (
	"net/http/httptest"
	"testing"
)

func TestCheck(t *testing.T) {
	c, err := New("s3cret", false)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, header string
		basic        []string
		ok           bool
	}{
		{"bearer", "Bearer s3cret", nil, true},
		{"bearer with spaces", "Bearer  s3cret ", nil, true},
		{"wrong bearer", "Bearer s3cre", nil, false},
		{"basic with the token as password", "", []string{"alertmanager", "s3cret"}, true},
		{"basic with a wrong password", "", []string{"s3cret", "nope"}, false},
		{"no credentials", "", nil, false},
		{"other scheme", "Token s3cret", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			if tt.basic != nil {
				r.SetBasicAuth(tt.basic[0], tt.basic[1])
			}
			reason, ok := c.Check(r)
			if ok != tt.ok {
				t.Errorf("Check = %v (%q), want %v", ok, reason, tt.ok)
			}
			if !ok && (reason == "" || contains(reason, "s3cret")) {
				t.Errorf("reason %q: want a reason that does not repeat the token", reason)
			}
		})
	}
	if _, err := New("", false); err == nil {
		t.Error("New with an empty token and no opt-out succeeded")
	}
	open, _ := New("", true)
	if _, ok := open.Check(httptest.NewRequest("POST", "/", nil)); !ok {
		t.Error("opted-out checker refused a request")
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
