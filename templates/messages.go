package templates

import (
	"errors"
	"fmt"
	"strings"
	"text/template"
	"time"
)

// ErrNoMessage reports a message name the templates do not define.
var ErrNoMessage = errors.New("no such message")

// The Slack messages about postmortems; each takes a Notice.
const (
	MsgPostmortemDraft    = "postmortem.draft"    // the draft's link, posted once in the channel
	MsgPostmortemStatus   = "postmortem.status"   // the status changed
	MsgPostmortemConflict = "postmortem.conflict" // the export left an edited file alone
)

// Notice is what the postmortem messages show.
type Notice struct {
	Number int64
	Title  string
	URL    string // the postmortem's page
	Status string // draft, in-review, final
	File   string // with conflict: where the new draft went
	Edited string // with conflict: the file someone edited
}

// slackFuncs format for Slack mrkdwn: text is escaped (&, <, >), so an
// incident title can never mention @channel or forge a link.
func slackFuncs(loc Locale) template.FuncMap {
	f := FuncMap(loc, time.UTC)
	f["slack"] = EscapeSlack
	f["slackLink"] = SlackLink
	return f
}

// EscapeSlack escapes the three characters Slack's mrkdwn gives meaning to.
func EscapeSlack(s string) string { return slackEscaper.Replace(s) }

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// SlackLink is <url|text> when url is safe, else the escaped text.
func SlackLink(u, text string) string {
	t := strings.ReplaceAll(EscapeSlack(text), "|", "¦")
	if SafeURL(u) == "" {
		return t
	}
	return "<" + strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C").Replace(u) + "|" + t + ">"
}

func parseMessages() (map[Locale]*template.Template, error) {
	out := map[Locale]*template.Template{}
	for _, loc := range []Locale{EN, RU} {
		name := "default/messages." + string(loc) + ".tmpl"
		text, err := defaults.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read embedded template %s: %w", name, err)
		}
		t, err := template.New(name).Option("missingkey=error").Funcs(slackFuncs(loc)).Parse(string(text))
		if err != nil {
			return nil, templateError(name, err)
		}
		out[loc] = t
	}
	return out, nil
}

// Message renders the named Slack message in loc.
func (s *Set) Message(loc Locale, name string, data any) (string, error) {
	t := s.messages[loc]
	if t == nil {
		return "", fmt.Errorf("message %s: %w %q", name, ErrLocale, loc)
	}
	m := t.Lookup(name)
	if m == nil {
		return "", fmt.Errorf("%w: %q", ErrNoMessage, name)
	}
	var b strings.Builder
	if err := m.Execute(&b, data); err != nil {
		return "", templateError(t.Name(), err)
	}
	return b.String(), nil
}
