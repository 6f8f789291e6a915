// Package slacktext is text as Slack reads and writes it: escaping for
// mrkdwn and undoing Slack's escaping, mentions, links, and shortening by
// characters as Slack counts them. It is where text from alerts and users
// enters Slack, so the bot and the command grammar share one copy.
package slacktext

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/templates"
)

// Ellipsis is what Truncate appends to text it shortens.
const Ellipsis = "…"

// Escape makes s safe to embed in Slack mrkdwn (and in the top-level
// "text" of a message) by replacing exactly the three control characters
// Slack parses: & → &amp;, < → &lt;, > → &gt;, as Slack decodes only these
// three entities. It is where text from alerts and users enters Slack, so
// it also removes what sanitize.Text removes (terminal escapes, control
// characters but line feeds and tabs, bidi overrides); plain_text objects
// get the same through plain.
//
// After escaping, text can no longer produce <!channel>, <!here>, <@U…>
// mentions or <http://x|y> links. Escaping is not idempotent on purpose:
// "&amp;" in the input is literal text and becomes "&amp;amp;", so it shows
// exactly as typed.
func Escape(s string) string {
	s = templates.CleanText(s)
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		if e, ok := mrkdwnEntity(r); ok {
			b.WriteString(e)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mrkdwnEntity returns the entity that stands for r in mrkdwn, if r is one
// of Slack's control characters.
func mrkdwnEntity(r rune) (string, bool) {
	switch r {
	case '&':
		return "&amp;", true
	case '<':
		return "&lt;", true
	case '>':
		return "&gt;", true
	}
	return "", false
}

// Truncate shortens s to at most max characters (runes, as Slack counts
// them), cutting at a rune boundary and ending the result with "…" when
// anything was cut. max ≤ 0 gives "".
func Truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max == 1 {
		return Ellipsis
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return s[:i] + Ellipsis
		}
		n++
	}
	return s // not reached: the rune count exceeds max
}

// EscapeTruncate escapes s for mrkdwn and keeps the result within max
// characters without ever cutting an entity such as "&amp;" in half.
func EscapeTruncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	s = templates.CleanText(s)
	esc := Escape(s)
	if utf8.RuneCountInString(esc) <= max {
		return esc
	}
	var b strings.Builder
	room := max - 1 // keep one character for the ellipsis
	for _, r := range s {
		piece := string(r)
		if e, ok := mrkdwnEntity(r); ok {
			piece = e
		}
		w := utf8.RuneCountInString(piece)
		if w > room {
			break
		}
		b.WriteString(piece)
		room -= w
	}
	b.WriteString(Ellipsis)
	return b.String()
}

// LinkURL returns raw as a URL that is safe inside a mrkdwn link, or "" when
// raw is not an absolute http or https URL. Characters that would end or
// split the link (<, >, |, spaces, quotes, control characters) are
// percent-encoded and & becomes &amp;, which Slack decodes back.
func LinkURL(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '&':
			b.WriteString("&amp;")
		case c == '<' || c == '>' || c == '|' || c == '"' || c == '\'' || c == '`' || c <= ' ' || c == 0x7f:
			const hex = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// LinkText escapes s for use as the label of a mrkdwn link: the mrkdwn
// control characters are escaped and "|" (which would split the link) is
// replaced by a look-alike, "¦".
func LinkText(s string) string {
	return strings.ReplaceAll(Escape(s), "|", "¦")
}

// Link renders a mrkdwn link <url|text>. When rawURL is not an http or https
// URL the escaped text is returned without a link, so an alert cannot smuggle
// a javascript: or slack:// target into a message.
func Link(rawURL, text string) string {
	u := LinkURL(rawURL)
	if u == "" {
		return Escape(text)
	}
	if text == "" {
		return "<" + u + ">"
	}
	return "<" + u + "|" + LinkText(text) + ">"
}

// UserMention renders a Slack user ID as a mention (<@U123>). Anything that
// is not a well-formed user ID is escaped and shown as text instead.
func UserMention(id string) string {
	if !IsID(id, "UW") {
		return Escape(id)
	}
	return "<@" + id + ">"
}

// ChannelMention renders a Slack conversation ID as a channel link (<#C123>).
// Anything that is not a well-formed channel ID is escaped and shown as text.
func ChannelMention(id string) string {
	if !IsID(id, "CGD") {
		return Escape(id)
	}
	return "<#" + id + ">"
}

// IsID reports whether id looks like a Slack ID: one of the given
// leading letters followed by upper-case letters and digits.
func IsID(id, first string) bool {
	if len(id) < 2 || len(id) > 32 || !strings.ContainsRune(first, rune(id[0])) {
		return false
	}
	for i := 1; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Unescape turns text as Slack sends it (slash-command text, message
// text) into plain text as the user meant it, so it can be stored and later
// escaped again for display: <@U123|alice> → @alice, <@U123> → @U123,
// <#C123|general> → #general, <!here> → @here, <!subteam^S1|@sre> → @sre,
// <url|label> → label (url), <url> → url, and &lt; &gt; &amp; → < > &.
// The result contains no live mention: once escaped it pings no one.
func Unescape(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		b.WriteString(decodeEntities(s[:i]))
		b.WriteString(plainSpecial(s[i+1 : i+j]))
		s = s[i+j+1:]
	}
	b.WriteString(decodeEntities(s))
	return b.String()
}

// plainSpecial renders the inside of one <…> sequence as plain text.
func plainSpecial(inner string) string {
	target, label, hasLabel := strings.Cut(inner, "|")
	target, label = decodeEntities(target), decodeEntities(label)
	switch {
	case strings.HasPrefix(target, "@"):
		if hasLabel && label != "" {
			return "@" + strings.TrimPrefix(label, "@")
		}
		return target
	case strings.HasPrefix(target, "#"):
		if hasLabel && label != "" {
			return "#" + strings.TrimPrefix(label, "#")
		}
		return target
	case strings.HasPrefix(target, "!"):
		if hasLabel && label != "" {
			return label
		}
		name, _, _ := strings.Cut(target[1:], "^")
		return "@" + name
	}
	if !hasLabel || label == "" || label == target {
		return target
	}
	return label + " (" + target + ")"
}

// decodeEntities decodes the three entities Slack uses; &amp; last, so that
// "&amp;lt;" stays the literal "&lt;".
func decodeEntities(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	s = strings.ReplaceAll(s, "&lt;", "<")
	s = strings.ReplaceAll(s, "&gt;", ">")
	return strings.ReplaceAll(s, "&amp;", "&")
}
