// Package command reads the text of the slash commands /incident and
// /oncall. One table of verbs per command says, for each verb, its name,
// how its arguments read, its usage line and help (messages of its name in
// templates), and who may run it; parsing, usage lines and help all come
// from it. The bot runs the parsed command, from a table keyed by the same
// verbs. Nothing here does I/O.
package command

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/bot/slacktext"
)

// Grammar limits.
const (
	// maxNameLength bounds schedule names.
	maxNameLength = 64
	// maxQuoted is how much of a user's token an error message repeats.
	maxQuoted = 40
)

// UserRef is a user named in a command: a resolved Slack user ID from a
// mention Slack escaped (<@U123ABC|alice> or <@U123ABC>), or, from a plain
// "@alice" token, only a name that the handler must resolve or reject.
type UserRef struct {
	ID   string // Slack user ID; empty when unresolved
	Name string // the name Slack sent with the mention, or the typed name without "@"
}

// Resolved reports whether the reference carries a Slack user ID.
func (u UserRef) Resolved() bool { return u.ID != "" }

// IsZero reports whether no user is referenced.
func (u UserRef) IsZero() bool { return u.ID == "" && u.Name == "" }

// ChannelRef is a channel named with a Slack channel mention <#C123|name>.
type ChannelRef struct {
	ID   string
	Name string // may be empty
}

// IsZero reports whether no channel is referenced.
func (c ChannelRef) IsZero() bool { return c.ID == "" }

// token is one word of command text with its byte offsets in the text.
type token struct {
	text       string
	start, end int
}

// tokenize splits text at white space. Slack's escaped sequences <…> (user,
// channel and link mentions) stay one token even when they contain spaces.
func tokenize(text string) []token {
	var toks []token
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		start := i
		if r == '<' {
			if j := strings.IndexByte(text[i:], '>'); j > 0 {
				i += j + 1
				// A mention glued to more text ("<@U1>,") stays one token.
				for i < len(text) {
					r, size := utf8.DecodeRuneInString(text[i:])
					if unicode.IsSpace(r) {
						break
					}
					i += size
				}
				toks = append(toks, token{text: text[start:i], start: start, end: i})
				continue
			}
		}
		for i < len(text) {
			r, size := utf8.DecodeRuneInString(text[i:])
			if unicode.IsSpace(r) {
				break
			}
			i += size
		}
		toks = append(toks, token{text: text[start:i], start: start, end: i})
	}
	return toks
}

// plainText is free text of a command as the user meant it: Slack's escaping
// undone (see slacktext.Unescape) and surrounding white space trimmed.
func plainText(s string) string { return strings.TrimSpace(slacktext.Unescape(s)) }

// restOf returns the text from the first of toks to the end, trimmed.
func restOf(text string, toks []token) string {
	if len(toks) == 0 {
		return ""
	}
	return strings.TrimSpace(text[toks[0].start:])
}

func tokenTexts(toks []token) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.text
	}
	return out
}

// parseUser reads <@U123|name>, <@U123> or a plain @name.
func parseUser(tok string) (UserRef, bool) {
	if inner, ok := strings.CutPrefix(tok, "<@"); ok {
		inner, ok = strings.CutSuffix(inner, ">")
		if !ok {
			return UserRef{}, false
		}
		id, name, _ := strings.Cut(inner, "|")
		if !slacktext.IsID(id, "UW") || strings.ContainsAny(name, "<>|") {
			return UserRef{}, false
		}
		return UserRef{ID: id, Name: name}, true
	}
	if name, ok := strings.CutPrefix(tok, "@"); ok && isUserName(name) {
		return UserRef{Name: name}, true
	}
	return UserRef{}, false
}

// parseChannel reads <#C123|name> or <#C123>.
func parseChannel(tok string) (ChannelRef, bool) {
	inner, ok := strings.CutPrefix(tok, "<#")
	if !ok {
		return ChannelRef{}, false
	}
	inner, ok = strings.CutSuffix(inner, ">")
	if !ok {
		return ChannelRef{}, false
	}
	id, name, _ := strings.Cut(inner, "|")
	if !slacktext.IsID(id, "CGD") || strings.ContainsAny(name, "<>|") {
		return ChannelRef{}, false
	}
	return ChannelRef{ID: id, Name: name}, true
}

// isUserName accepts what a Slack handle may be: letters, digits, . - _ '.
func isUserName(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 80 {
		return false
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(".-_'", r)) {
			return false
		}
	}
	return true
}

// isName accepts a schedule name: ASCII letters, digits, . - _.
func isName(s string) bool {
	if s == "" || len(s) > maxNameLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// quote repeats a user's token in an error message, shortened.
func quote(s string) string {
	return strconv.Quote(slacktext.Truncate(s, maxQuoted))
}
