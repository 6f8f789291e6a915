package templates

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanTextControls(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text is untouched", "Payments slow — 5xx on checkout", "Payments slow — 5xx on checkout"},
		{"Cyrillic is untouched", "Платежи тормозят", "Платежи тормозят"},
		{"line feed and tab stay", "one\n\ttwo", "one\n\ttwo"},
		{"colour sequence", "\x1b[31mred\x1b[0m alert", "red alert"},
		{"cursor movement with parameters", "a\x1b[2;5Hb\x1b[?25lc", "abc"},
		{"window title (OSC, BEL)", "\x1b]0;owned\x07title", "title"},
		{"window title (OSC, ST)", "\x1b]2;owned\x1b\\title", "title"},
		{"hyperlink (OSC 8)", "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"unterminated OSC keeps the text", "\x1b]0;still here", "0;still here"},
		{"two-character escape", "a\x1bcb", "ab"},
		{"lone ESC at the end", "abc\x1b", "abc"},
		{"C1 CSI", "a\u009b31mb", "ab"},
		{"C1 control", "a\u0085b", "ab"},
		{"NUL, CR, BEL, DEL", "a\x00b\rc\x07d\x7fe", "abcde"},
		{"bidi override", "invoice\u202egpj.exe", "invoicegpj.exe"},
		{"bidi embeddings and isolates", "\u202aa\u202bb\u202cc\u202dd\u2066e\u2067f\u2068g\u2069", "abcdefg"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
		{"zero-width joiner and emoji stay", "👩\u200d💻", "👩\u200d💻"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CleanText(tt.in); got != tt.want {
				t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := string(CleanBytes([]byte(tt.in))); got != tt.want {
				t.Errorf("CleanBytes(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCleanLine(t *testing.T) {
	if got, want := CleanLine("a\nb\tc\x1b[1md\u202e"), "a b cd"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
}

// A long run of parameter bytes after ESC [ is cut at maxSequence, so a
// stray ESC cannot swallow a whole file.
func TestLongSequenceIsBounded(t *testing.T) {
	in := "\x1b[" + strings.Repeat("1", 10_000) + "m"
	got := CleanText(in)
	if len(got) < 9_000 {
		t.Errorf("CleanText(ESC [ + 10,000 digits) kept %d bytes, want most of them", len(got))
	}
}

func TestCleanTextIsReturnedAsIs(t *testing.T) {
	s := strings.Repeat("clean text ", 100)
	if n := testing.AllocsPerRun(100, func() { _ = CleanText(s); _ = CleanBytes([]byte(s)) }); n > 1 {
		t.Errorf("Text and Bytes of clean text allocate %v times, want at most the []byte conversion", n)
	}
}

// FuzzText checks what Text promises for any input: valid UTF-8, no control
// character but \n and \t, no bidi control, and nothing left to remove.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[31mred", "\x1b]0;t\x07", "\u202eabc", "a\x00b", "\xff\xfe", "\u009b1m", "\x1b", "\x1b]", "\x1b[", "x\r\ny"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, got := range []string{CleanText(s), CleanLine(s)} {
			if !utf8.ValidString(got) {
				t.Fatalf("CleanText(%q) = %q is not valid UTF-8", s, got)
			}
			for _, r := range got {
				if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f || unsafeRune(r) {
					t.Fatalf("CleanText(%q) = %q keeps %U", s, got, r)
				}
			}
			if again := CleanText(got); again != got {
				t.Fatalf("Text is not idempotent on %q: %q then %q", s, got, again)
			}
			if len(got) > len(s)+2*len(s) { // U+FFFD is 3 bytes for 1
				t.Fatalf("CleanText(%q) grew to %d bytes", s, len(got))
			}
		}
		if strings.ContainsAny(CleanLine(s), "\n\t") {
			t.Fatalf("CleanLine(%q) = %q keeps a line break or tab", s, CleanLine(s))
		}
	})
}
