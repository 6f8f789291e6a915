// Package mrkdwn renders Slack's mrkdwn as safe HTML, as Slack shows it: the
// Slack simulator's web view renders messages with it and incidentbot's web
// view renders notes and timeline lines. It is stdlib only.
package mrkdwn

import (
	"html"
	"html/template"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Slack shows mrkdwn for message text and mrkdwn text objects, emoji
// shortcodes in plain_text ones. The renderer writes HTML
// itself, so it is careful: every character that comes from the message is escaped,
// the only tags are the few it writes (b, i, s, code, pre, blockquote, a, span), and
// a link's href is always http, https or mailto.

// Names gives the name a mention shows: kind '@' for a user ID, '#' for a
// channel ID, '^' for a user group ID (its handle).
type Names func(kind byte, id string) (string, bool)

// maxEmojiName bounds the shortcode scan; Slack's names are at most 100 characters.
const maxEmojiName = 100

// HTML renders Slack mrkdwn as HTML: *bold*, _italic_, ~strike~, `code`,
// ```pre```, > quotes, <url|text> links, <@U…>, <#C…>, <!here>, <!subteam^S…>, the
// entities &amp; &lt; &gt; and emoji shortcodes. names may be nil.
func HTML(text string, names Names) template.HTML {
	var b strings.Builder
	rest := text
	for rest != "" {
		open := strings.Index(rest, "```")
		if open < 0 {
			break
		}
		end := strings.Index(rest[open+3:], "```")
		if end < 0 {
			break
		}
		renderLines(&b, rest[:open], names)
		code := rest[open+3 : open+3+end]
		code = strings.TrimPrefix(code, "\n")
		code = strings.TrimSuffix(code, "\n")
		b.WriteString(`<pre>`)
		b.WriteString(html.EscapeString(decodeEntities(code)))
		b.WriteString(`</pre>`)
		rest = strings.TrimPrefix(rest[open+3+end+3:], "\n")
	}
	renderLines(&b, rest, names)
	return template.HTML(b.String())
}

// Plain renders a plain_text object: escaped text, with emoji shortcodes as
// Unicode unless emoji is false.
func Plain(text string, emoji bool) template.HTML {
	if !emoji {
		return template.HTML(html.EscapeString(text))
	}
	var b strings.Builder
	var run strings.Builder
	for i := 0; i < len(text); {
		if text[i] == ':' {
			if glyph, n := emojiAt(text[i:]); n > 0 {
				b.WriteString(html.EscapeString(run.String()))
				run.Reset()
				b.WriteString(glyph)
				i += n
				continue
			}
		}
		run.WriteByte(text[i])
		i++
	}
	b.WriteString(html.EscapeString(run.String()))
	return template.HTML(b.String())
}

// renderLines renders text without pre blocks, line by line; lines that start with
// ">" (or "&gt;", as Slack stores what a user typed) are quotes.
func renderLines(b *strings.Builder, text string, names Names) {
	if text == "" {
		return
	}
	lines := strings.Split(text, "\n")
	inQuote := false
	for i, line := range lines {
		body, quote := strings.CutPrefix(line, ">")
		if !quote {
			body, quote = strings.CutPrefix(line, "&gt;")
		}
		if quote {
			body = strings.TrimPrefix(body, " ")
		}
		switch {
		case quote && !inQuote:
			b.WriteString("<blockquote>")
		case quote:
			b.WriteString("\n")
		case inQuote:
			b.WriteString("</blockquote>")
		case i > 0:
			b.WriteString("\n")
		}
		inQuote = quote
		renderInline(b, body, names)
	}
	if inQuote {
		b.WriteString("</blockquote>")
	}
}

// unit is one rune of a line, or an atomic piece already rendered (a link, a
// mention, code, an emoji) that formatting markers cannot split.
type unit struct {
	r    rune
	html string // what an atomic unit renders as
	atom bool
}

func (u unit) atomic() bool { return u.atom }

// renderInline renders one line's inline mrkdwn.
func renderInline(b *strings.Builder, line string, names Names) {
	units := tokenize(line, names)
	// A closing marker is valid by its neighbours alone, so find them once.
	closers := map[rune][]int{}
	for j, u := range units {
		if !u.atomic() && isMarker(u.r) && closesAt(units, j) {
			closers[u.r] = append(closers[u.r], j)
		}
	}
	formatUnits(b, units, 0, len(units), closers)
}

func isMarker(r rune) bool { return r == '*' || r == '_' || r == '~' }

func markerTag(r rune) string {
	switch r {
	case '*':
		return "b"
	case '_':
		return "i"
	}
	return "s"
}

// wordRune reports whether a unit continues a word, so a marker next to it is text.
func wordRune(u unit) bool {
	return !u.atomic() && (unicode.IsLetter(u.r) || unicode.IsDigit(u.r))
}

func spaceUnit(u unit) bool { return !u.atomic() && unicode.IsSpace(u.r) }

// opensAt: a marker opens after the start, a space or punctuation, before a
// non-space that is not the same marker.
func opensAt(us []unit, i int) bool {
	if i > 0 && wordRune(us[i-1]) {
		return false
	}
	if i+1 >= len(us) || spaceUnit(us[i+1]) {
		return false
	}
	return us[i+1].atomic() || us[i+1].r != us[i].r
}

// closesAt: a marker closes after a non-space, before the end, a space or punctuation.
func closesAt(us []unit, j int) bool {
	if j == 0 || spaceUnit(us[j-1]) || (!us[j-1].atomic() && us[j-1].r == us[j].r) {
		return false
	}
	return j+1 == len(us) || !wordRune(us[j+1])
}

func formatUnits(b *strings.Builder, us []unit, lo, hi int, closers map[rune][]int) {
	var run []rune
	flush := func() {
		b.WriteString(html.EscapeString(string(run)))
		run = run[:0]
	}
	for i := lo; i < hi; i++ {
		u := us[i]
		if u.atomic() {
			flush()
			b.WriteString(u.html)
			continue
		}
		if isMarker(u.r) && opensAt(us, i) {
			list := closers[u.r]
			k, _ := slices.BinarySearch(list, i+2)
			if k < len(list) && list[k] < hi {
				j := list[k]
				flush()
				tag := markerTag(u.r)
				b.WriteString("<" + tag + ">")
				formatUnits(b, us, i+1, j, closers)
				b.WriteString("</" + tag + ">")
				i = j
				continue
			}
		}
		run = append(run, u.r)
	}
	flush()
}

// tokenize splits a line into units, rendering code spans, <…> sequences and known
// emoji as atomic units and decoding the three entities.
func tokenize(line string, names Names) []unit {
	var out []unit
	// Once no '>' (or '`') follows, none follows any later position: remembering that
	// keeps a line of many unclosed '<' linear.
	noGT, noTick := false, false
	for i := 0; i < len(line); {
		switch line[i] {
		case '`':
			j := -1
			if !noTick {
				j = strings.IndexByte(line[i+1:], '`')
				noTick = j < 0
			}
			if j > 0 {
				out = append(out, unit{html: "<code>" + html.EscapeString(decodeEntities(line[i+1:i+1+j])) + "</code>", atom: true})
				i += j + 2
				continue
			}
		case '<':
			j := -1
			if !noGT {
				j = strings.IndexByte(line[i+1:], '>')
				noGT = j < 0
			}
			if j >= 0 {
				out = append(out, unit{html: controlSequence(line[i+1:i+1+j], names), atom: true})
				i += j + 2
				continue
			}
		case '&':
			if r, n := entityAt(line[i:]); n > 0 {
				out = append(out, unit{r: r})
				i += n
				continue
			}
		case ':':
			if glyph, n := emojiAt(line[i:]); n > 0 {
				out = append(out, unit{html: glyph, atom: true})
				i += n
				continue
			}
		}
		r, n := utf8.DecodeRuneInString(line[i:])
		out = append(out, unit{r: r})
		i += n
	}
	return out
}

// entityAt decodes &amp;, &lt; or &gt; at the start of s: the only entities Slack uses.
func entityAt(s string) (rune, int) {
	switch {
	case strings.HasPrefix(s, "&amp;"):
		return '&', 5
	case strings.HasPrefix(s, "&lt;"):
		return '<', 4
	case strings.HasPrefix(s, "&gt;"):
		return '>', 4
	}
	return 0, 0
}

var entityDecoder = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

func decodeEntities(s string) string { return entityDecoder.Replace(s) }

// emojiAt renders a known shortcode at the start of s (":fire:") and returns its
// length; unknown names stay text.
func emojiAt(s string) (string, int) {
	window := s[1:min(len(s), maxEmojiName+2)]
	end := strings.IndexByte(window, ':')
	if end <= 0 {
		return "", 0
	}
	name := s[1 : 1+end]
	glyph, ok := emoji[name]
	if !ok {
		return "", 0
	}
	return `<span class="emoji" title=":` + html.EscapeString(name) + `:">` + glyph + `</span>`, end + 2
}

// controlSequence renders what is between < and >: a mention, a special mention, a
// link or, for anything else, its text.
func controlSequence(inner string, names Names) string {
	target, label, hasLabel := strings.Cut(inner, "|")
	lookup := func(kind byte, id string) (string, bool) {
		if names == nil || id == "" {
			return "", false
		}
		return names(kind, id)
	}
	mention := func(prefix, text string) string {
		return `<span class="mention">` + html.EscapeString(prefix+text) + `</span>`
	}
	switch {
	case strings.HasPrefix(target, "@"):
		id := target[1:]
		if name, ok := lookup('@', id); ok {
			return mention("@", name)
		}
		if hasLabel && label != "" {
			return mention("@", decodeEntities(label))
		}
		return mention("@", id)
	case strings.HasPrefix(target, "#"):
		id := target[1:]
		if name, ok := lookup('#', id); ok {
			return mention("#", name)
		}
		if hasLabel && label != "" {
			return mention("#", decodeEntities(label))
		}
		return mention("#", id)
	case strings.HasPrefix(target, "!"):
		cmd := target[1:]
		switch {
		case cmd == "here" || cmd == "channel" || cmd == "everyone":
			return mention("@", cmd)
		case strings.HasPrefix(cmd, "subteam^"):
			if handle, ok := lookup('^', strings.TrimPrefix(cmd, "subteam^")); ok {
				return mention("@", handle)
			}
			if hasLabel && label != "" {
				return mention("@", strings.TrimPrefix(decodeEntities(label), "@"))
			}
			return mention("@", strings.TrimPrefix(cmd, "subteam^"))
		case hasLabel:
			return html.EscapeString(decodeEntities(label)) // <!date^…|fallback> and the like
		}
		return html.EscapeString(decodeEntities("<" + inner + ">"))
	}
	url := decodeEntities(target)
	text := url
	if hasLabel && label != "" {
		text = decodeEntities(label)
	}
	if !SafeURL(url) {
		return string(Plain(text, true))
	}
	return `<a href="` + html.EscapeString(url) + `" rel="noopener noreferrer nofollow" target="_blank">` + string(Plain(text, true)) + `</a>`
}

// SafeURL reports whether a URL may become a link: http, https or mailto, with no
// space or control character in it.
func SafeURL(u string) bool {
	lower := strings.ToLower(u)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "mailto:") {
		return false
	}
	for _, r := range u {
		if r <= ' ' || r == 0x7f || unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return utf8.ValidString(u)
}
