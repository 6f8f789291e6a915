package command

import (
	"errors"

	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/templates"
)

// facts is the data of a grammar message: plain text, which the answer
// (grammar.reply) escapes whole.
type facts = map[string]any

// UsageError says what was wrong with a slash command's text and how the
// subcommand is used. Msg and Usage are the English plain text, which
// contains "<" and ">": Text renders the whole answer, escaped, in a Lang.
type UsageError struct {
	Msg   string // what was wrong, a sentence ending in "."
	Usage string // the usage line of the subcommand, or the general usage

	name  string     // Msg's message (grammar area); "" when built by hand
	data  facts      // its data: plain text, escaped with the whole answer
	usage *usageLine // Usage's message; nil: Usage as it is
}

// Error returns the message followed by the usage line, in English.
func (e *UsageError) Error() string { return e.Msg + " Usage: " + e.Usage }

// Text is the answer to the malformed command in l, as mrkdwn: what was
// wrong and, on its own line, the usage line in code.
func (e *UsageError) Text(l templates.Lang) string {
	msg, usage := e.Msg, e.Usage
	if e.name != "" {
		msg = l.Text(e.name, e.data)
	}
	if e.usage != nil {
		usage = e.usage.text(l)
	}
	return l.Text("grammar.reply", facts{"Msg": slacktext.Escape(msg), "Usage": slacktext.Escape(usage)})
}

// ErrorText is the answer in l to a command the parsers rejected: a
// *UsageError's Text, any other error's text escaped.
func ErrorText(l templates.Lang, err error) string {
	var ue *UsageError
	if errors.As(err, &ue) {
		return ue.Text(l)
	}
	return slacktext.Escape(err.Error())
}

// usageLine names the usage line of a subcommand, rendered in a Lang by
// the messages grammar.usage_incident and grammar.usage_oncall.
type usageLine struct {
	oncall bool
	verb   string // "": the command's general usage
}

// text is the usage line in l, plain text.
func (u usageLine) text(l templates.Lang) string {
	if u.oncall {
		return l.Text("grammar.usage_oncall", u.verb)
	}
	return l.Text("grammar.usage_incident", u.verb)
}

// t builds the UsageError whose message is the grammar message name with
// data (plain text: the answer escapes it whole); Msg and Usage are English.
func (u usageLine) t(name string, data facts) *UsageError {
	en := templates.Lang{}
	return &UsageError{Msg: en.Text(name, data), Usage: u.text(en), name: name, data: data, usage: &u}
}
