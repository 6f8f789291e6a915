package bot

import (
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/templates"
)

// hostile carries a terminal colour sequence, a NUL, a window-title escape
// and a bidi override, as an alert's summary could.
const hostile = "Disk \x1b[31mfull\x1b[0m\x00 on \x1b]0;pwned\x07db-1 \u202eexe.tset <!channel> & co"

// unsafeRune reports a control character (but line feed and tab), DEL, a C1
// control or a bidi override.
func unsafeRune(r rune) bool {
	return r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

func TestSlackTextHasNoControlCharacters(t *testing.T) {
	const want = "Disk full on db-1 exe.tset &lt;!channel&gt; &amp; co"
	outputs := map[string]string{
		"EscapeMrkdwn":          slacktext.Escape(hostile),
		"escapeTruncate":        slacktext.EscapeTruncate(hostile, 200),
		"plain":                 plain(hostile).Text,
		"templates.EscapeSlack": templates.EscapeSlack(hostile),
		"LinkText":              slacktext.LinkText(hostile),
	}
	for name, got := range outputs {
		if strings.IndexFunc(got, unsafeRune) >= 0 || strings.Contains(got, "31m") || strings.Contains(got, "pwned") {
			t.Errorf("%s(hostile) = %q keeps a control character or an escape's remains", name, got)
		}
	}
	if got := slacktext.Escape(hostile); got != want {
		t.Errorf("slacktext.Escape(hostile) = %q, want %q", got, want)
	}
	// Cut short, the escape never leaves a piece behind either.
	for max := 1; max < 60; max++ {
		if got := slacktext.EscapeTruncate(hostile, max); strings.IndexFunc(got, unsafeRune) >= 0 || strings.Contains(got, "[3") {
			t.Errorf("slacktext.EscapeTruncate(hostile, %d) = %q", max, got)
		}
	}
	if got := slacktext.Escape("line one\n\tline two"); got != "line one\n\tline two" {
		t.Errorf("EscapeMrkdwn keeps line feeds and tabs: got %q", got)
	}
}

// The reply to a slash command that declares an incident shows its title
// without the escapes.
func TestDeclareReplyHasNoControlCharacters(t *testing.T) {
	e := newEnv(t)
	r := e.incidentCmd("U0001", e.channel("general"), "declare "+hostile+" sev2")
	if !strings.Contains(r.Text, "Disk full on db-1 exe.tset") {
		t.Fatalf("declare reply = %q, want the cleaned title in it", r.Text)
	}
	if strings.IndexFunc(r.Text, unsafeRune) >= 0 || strings.Contains(r.Text, "31m") {
		t.Errorf("declare reply = %q keeps a control character", r.Text)
	}
}

// FuzzEscapeMrkdwn: whatever comes in, what goes to Slack has no control
// character but line feeds and tabs, no bidi override, and no raw < or >.
func FuzzEscapeMrkdwn(f *testing.F) {
	for _, s := range []string{"", "plain", hostile, "<@U123>", "&amp;", "\x1b", "\u009b31m", "a\r\nb"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		for name, got := range map[string]string{"EscapeMrkdwn": slacktext.Escape(s), "escapeTruncate": slacktext.EscapeTruncate(s, max%300),
			"plain": plain(s).Text, "templates.EscapeSlack": templates.EscapeSlack(s), "LinkText": slacktext.LinkText(s)} {
			if i := strings.IndexFunc(got, unsafeRune); i >= 0 {
				t.Fatalf("%s(%q) = %q keeps a control character at %d", name, s, got, i)
			}
			if name != "plain" && strings.ContainsAny(got, "<>") {
				t.Fatalf("%s(%q) = %q keeps a raw < or >", name, s, got)
			}
		}
	})
}
