package templates

import (
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"text/template/parse"
	"time"
)

func TestMessages(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := Notice{Number: 42, Title: "<!channel> & <https://evil.example|x>", URL: "https://bot.example/postmortems/42", Status: "final",
		File: "2026-11-28-inc-42-x.incidentbot.md", Edited: "2026-11-28-inc-42-x.md"}
	tests := []struct {
		loc  Locale
		name string
		want string
	}{
		{EN, MsgPostmortemDraft, ":memo: The postmortem draft of *#42 &lt;!channel&gt; &amp; &lt;https://evil.example|x&gt;* is ready: <https://bot.example/postmortems/42|open it>. The bot rewrites it as the incident changes until it is final (`/incident postmortem status final`)."},
		{RU, MsgPostmortemStatus, "Постмортем *#42 &lt;!channel&gt; &amp; &lt;https://evil.example|x&gt;* теперь в статусе *Окончательный*. Бот больше не будет его переписывать."},
		{EN, MsgPostmortemConflict, ":warning: Someone edited `2026-11-28-inc-42-x.md` in the postmortem export since the bot wrote it, so it was left as it is. The new draft of #42 is beside it in `2026-11-28-inc-42-x.incidentbot.md`."},
	}
	for _, tt := range tests {
		got, err := s.Message(tt.loc, tt.name, n)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.loc, tt.name, err)
		}
		if got != tt.want {
			t.Errorf("%s %s:\ngot  %q\nwant %q", tt.loc, tt.name, got, tt.want)
		}
	}
	if _, err := s.Message(EN, "nope", n); !errors.Is(err, ErrNoMessage) {
		t.Errorf("unknown message: error = %v, want ErrNoMessage", err)
	}
	if _, err := s.Message("fr", MsgPostmortemDraft, n); !errors.Is(err, ErrLocale) {
		t.Errorf("unknown locale: error = %v, want ErrLocale", err)
	}
	if got, want := slackLink("javascript:alert(1)", "a|b <c>"), "a¦b &lt;c&gt;"; got != want {
		t.Errorf("SlackLink to javascript: = %q, want %q", got, want)
	}
}

// TestMessagesParity holds the two locales to the same messages, each
// using the same data: a translation may reorder a sentence but not drop
// a fact or need one the other locale's callers do not pass.
func TestMessagesParity(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	en, ru := s.MessageNames(EN), s.MessageNames(RU)
	if strings.Join(en, "\n") != strings.Join(ru, "\n") {
		t.Fatalf("the locales define different messages:\nen only: %v\nru only: %v", missing(en, ru), missing(ru, en))
	}
	if len(en) < 3 {
		t.Fatalf("only %d messages", len(en))
	}
	for _, name := range en {
		fe, fr := fields(s.messages[EN].Lookup(name).Tree.Root), fields(s.messages[RU].Lookup(name).Tree.Root)
		if strings.Join(fe, " ") != strings.Join(fr, " ") {
			t.Errorf("%s: en uses %v, ru uses %v", name, fe, fr)
		}
	}
}

func missing(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// fields lists the data fields a template refers to (".A.B"), sorted and
// without repeats; a template it calls counts with its own fields.
func fields(root parse.Node) []string {
	set := map[string]bool{}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode:
			set["."+strings.Join(n.Ident, ".")] = true
		case *parse.ChainNode:
			walk(n.Node)
		case *parse.VariableNode:
			if len(n.Ident) > 1 && n.Ident[0] == "$" {
				set["."+strings.Join(n.Ident[1:], ".")] = true
			}
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
		}
	}
	walk(root)
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

func TestLangText(t *testing.T) {
	if got := English().Text(MsgPostmortemStatus, Notice{Number: 1, Title: "a", Status: "draft"}); got != "The postmortem of *#1 a* is now *Draft*." {
		t.Errorf("English().Text = %q", got)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a message that does not render did not panic without OnMessageError")
			}
		}()
		English().Text(MsgPostmortemStatus, struct{}{})
	}()
	var reported []error
	s, err := New(Options{OnMessageError: func(err error) { reported = append(reported, err) }})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Lang(RU).Text("no.such", nil); got != "no.such" || len(reported) != 1 || !errors.Is(reported[0], ErrNoMessage) {
		t.Errorf("unknown message: %q, reported %v", got, reported)
	}
	for _, tt := range []struct {
		loc  Locale
		d    time.Duration
		want string
	}{
		{EN, 45 * time.Second, "45s"}, {EN, 65 * time.Minute, "1h 5m"}, {EN, 51 * time.Hour, "2d 3h"}, {EN, 48 * time.Hour, "2d"},
		{RU, 5 * time.Minute, "5\u00a0мин"}, {RU, 65 * time.Minute, "1\u00a0ч 5\u00a0мин"}, {RU, -time.Second, "0\u00a0с"},
	} {
		if got := ShortDuration(tt.loc, tt.d); got != tt.want {
			t.Errorf("ShortDuration(%s, %v) = %q, want %q", tt.loc, tt.d, got, tt.want)
		}
	}
}
