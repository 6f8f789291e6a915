package templates

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse feeds the override loader arbitrary templates: it must never
// panic, and every failure must be a *Error whose line lies in the text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"# {{md .Title}}\n",
		"{{range .Timeline.Days}}{{date .Date}}{{end}}",
		"{{if .Summary}}\n{{else}}\n",
		"{{define \"x\"}}{{template \"x\"}}{{end}}{{template \"x\"}}",
		"{{.Nope}}",
		"{{dur .Duration}} {{count .Open \"a\" \"b\"}}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		_, err := Parse("fuzz.tmpl", text)
		if err == nil {
			return
		}
		var te *Error
		if !errors.As(err, &te) {
			t.Fatalf("error %v (%T) is not a *Error", err, err)
		}
		if lines := strings.Count(text, "\n") + 1; te.Line < 0 || te.Line > lines {
			t.Fatalf("line %d outside the %d lines of the template (%v)", te.Line, lines, err)
		}
	})
}

// FuzzMarkdown checks the escaping property: the escaped text stays on one
// line and every Markdown-active character in it is escaped.
func FuzzMarkdown(f *testing.F) {
	for _, s := range []string{"<script>alert(1)</script>", "[x](javascript:alert(1))", "# h\n- l\n1. o", "a\\*b", "``", "\x1b[31mred\x00\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := markdown(s)
		if strings.ContainsAny(got, "\n\r") {
			t.Fatalf("Markdown(%q) = %q spans lines", s, got)
		}
		if i := strings.IndexFunc(got, func(r rune) bool {
			return r < 0x20 || r >= 0x7f && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
		}); i >= 0 {
			t.Fatalf("Markdown(%q) = %q keeps a control character at %d", s, got, i)
		}
		for i := 0; i < len(got); i++ {
			switch got[i] {
			case '\\':
				i++ // the escaped character
				if i >= len(got) {
					t.Fatalf("Markdown(%q) = %q ends in a lone backslash", s, got)
				}
			case '<', '>':
				t.Fatalf("Markdown(%q) = %q has a raw %q at %d", s, got, got[i], i)
			case '`', '*', '[', ']', '|', '~', '{', '}':
				t.Fatalf("Markdown(%q) = %q has an unescaped %q at %d", s, got, got[i], i)
			case '_':
				if i == 0 || i+1 >= len(got) || !isAlnum(got[i-1]) || !isAlnum(got[i+1]) {
					t.Fatalf("Markdown(%q) = %q has an unescaped _ that can emphasise, at %d", s, got, i)
				}
			case '&':
				rest := got[i:]
				if entityAhead(got[i+1:]) && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") && !strings.HasPrefix(rest, "&amp;") {
					t.Fatalf("Markdown(%q) = %q has an entity of its own at %d", s, got, i)
				}
			}
		}
	})
}
