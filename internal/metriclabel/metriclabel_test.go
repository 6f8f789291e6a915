package metriclabel

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"checkout", "checkout"},
		{"", ""},
		{"pay\x00ments", "payments"},
		{"\x1b[31mred", "red"},
		{"a\nb\tc", "a b c"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"rtl\u202eevil", "rtlevil"},
		{strings.Repeat("s", 300_000), strings.Repeat("s", MaxLen)},
		{strings.Repeat("я", 40), strings.Repeat("я", MaxLen/2)}, // 2 bytes each: cut at a character
		{"x" + strings.Repeat("я", 40), "x" + strings.Repeat("я", (MaxLen-1)/2)},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("Clean(%.40q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSetCapsDistinctValues(t *testing.T) {
	s := NewSet(0)
	for i := range defaultMaxValues {
		if got, want := s.Value(fmt.Sprintf("svc-%d", i)), fmt.Sprintf("svc-%d", i); got != want {
			t.Fatalf("value %d = %q, want %q", i+1, got, want)
		}
	}
	if got := s.Value("svc-new"); got != other {
		t.Errorf("the %dth distinct value = %q, want %q", defaultMaxValues+1, got, other)
	}
	if got := s.Value("svc-7"); got != "svc-7" {
		t.Errorf("a value seen before = %q, want it kept", got)
	}
	if got := s.Value("svc-7\x00"); got != "svc-7" {
		t.Errorf("a value that cleans to one seen before = %q, want svc-7", got)
	}
}

// FuzzClean: any input gives a short, valid, single-line value without
// control characters, and cleaning it again changes nothing.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"checkout", "\x00", "\x1b[1m", strings.Repeat("я", 70), "a\u202eb", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := clean(in)
		if len(got) > MaxLen || !utf8.ValidString(got) {
			t.Fatalf("Clean(%q) = %q: %d bytes, valid %v", in, got, len(got), utf8.ValidString(got))
		}
		for _, r := range got {
			if r < 0x20 || r >= 0x7f && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
				t.Fatalf("Clean(%q) = %q keeps %U", in, got, r)
			}
		}
		if again := clean(got); again != got {
			t.Fatalf("Clean is not idempotent: %q then %q", got, again)
		}
	})
}
