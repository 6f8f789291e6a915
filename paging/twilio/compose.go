package twilio

import (
	"encoding/xml"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/paging"
)

// Lengths Twilio documents.
const (
	// maxBody is the longest Body Twilio takes (error 21617 beyond it).
	maxBody = 1600
	// MaxTwiML is the longest inline Twiml parameter (error 32018 beyond it).
	MaxTwiML = 4000
	// smsTarget is one GSM-7 segment: a page that fits is one text, read
	// at a glance on a lock screen, and delivered as one unit.
	smsTarget = 160
)

// Voice prompts. English only for now: the prompts follow Twilio's default
// voice, which speaks English.
const (
	promptKeys    = "Press 1 to acknowledge, 2 to escalate."
	promptBye     = "Goodbye."
	promptTest    = "This is a test page from incidentbot. Nothing to do. Goodbye."
	defaultTestSp = "Incidentbot test call."
	gatherTimeout = "10"
)

// SMSBody is the text of an SMS page: the subject, a short line from the
// body, and how to acknowledge by reply ("Reply 1 or ACK 42 to
// acknowledge"). A test page says it is a test and asks for nothing. Control
// characters are stripped and the text is kept to one 160-character segment
// where it can be, always under maxBody; the reply instruction is never cut.
func SMSBody(m paging.Message) string {
	subject := oneLine(m.Subject)
	if m.Test {
		if subject == "" {
			subject = "incidentbot test page"
		}
		tail := "This is a test: nothing to do, no reply needed."
		return fit([]string{"TEST: " + subject, tail}, 0, smsTarget)
	}
	var short string
	for _, line := range strings.Split(m.Body, "\n") {
		if l := oneLine(line); l != "" && l != subject {
			short = l
			break
		}
	}
	ask := "Reply 1 to acknowledge"
	switch {
	case m.Reply != "":
		ask = oneLine(m.Reply) // in the team's language
	case m.Incident > 0:
		ask = "Reply 1 or ACK " + strconv.FormatInt(m.Incident, 10) + " to acknowledge"
	}
	lines := []string{subject, short, ask}
	if subject == "" {
		lines[0] = "Incident page"
	}
	return fit(lines, 2, smsTarget)
}

// fit joins lines with newlines, shortening them (the one before keep
// first, then the earlier ones) until the text is at most target runes.
// Line keep is never shortened; empty lines are dropped.
func fit(lines []string, keep, target int) string {
	total := func() int {
		n := 0
		for _, l := range lines {
			if l != "" {
				n += utf8.RuneCountInString(l) + 1
			}
		}
		return n - 1
	}
	for i := keep - 1; i >= 0 && total() > target; i-- {
		over := total() - target
		n := utf8.RuneCountInString(lines[i])
		switch {
		case n-over >= 20:
			lines[i] = truncate(lines[i], n-over)
		case i > 0:
			lines[i] = "" // too short to be worth keeping a stub of
		default:
			lines[i] = truncate(lines[i], 20)
		}
	}
	var b strings.Builder
	for _, l := range lines {
		if l == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	return truncate(b.String(), maxBody)
}

// CallTwiML is the inline TwiML of a voice page: it reads m.Spoken inside a
// <Gather> that takes one key and posts it to the gather URL ("Press 1 to
// acknowledge, 2 to escalate"), asks once more, then says goodbye. A test
// call reads its text and asks for nothing. Without m.CallbackURL there is
// nowhere to post a key to, so the call only reads the page twice. The
// result is valid XML and at most MaxTwiML characters.
func CallTwiML(m paging.Message) string {
	spoken := oneLine(m.Spoken)
	if spoken == "" {
		spoken = oneLine(m.Subject)
	}
	if m.Test && spoken == "" {
		spoken = defaultTestSp
	}
	for {
		t := callTwiML(m, spoken)
		if utf8.RuneCountInString(t) <= MaxTwiML {
			return t
		}
		// Escaping can grow the text up to six times (&quot;), so shrink by
		// a quarter per round rather than computing an exact cut.
		spoken = truncate(spoken, utf8.RuneCountInString(spoken)*3/4)
	}
}

func callTwiML(m paging.Message, spoken string) string {
	var b strings.Builder
	keys, bye := promptKeys, promptBye
	if m.Keys != "" { // in the team's language, which ends the call without an English goodbye
		keys, bye = oneLine(m.Keys), ""
	}
	say := func(b *strings.Builder, text string) { sayIn(b, m.Language, text) }
	b.WriteString(xml.Header[:len(xml.Header)-1]) // without the newline
	b.WriteString("<Response>")
	switch {
	case m.Test:
		say(&b, spoken)
		if m.Spoken == "" {
			say(&b, promptTest)
		}
	case m.CallbackURL == "":
		say(&b, spoken)
		say(&b, spoken)
		say(&b, promptBye)
	default:
		action := GatherURL(m.CallbackURL)
		for range 2 {
			b.WriteString(`<Gather numDigits="1" action="`)
			escape(&b, action)
			b.WriteString(`" method="POST" timeout="` + gatherTimeout + `">`)
			say(&b, spoken)
			say(&b, keys)
			b.WriteString("</Gather>")
		}
		if bye != "" {
			say(&b, bye)
		}
	}
	b.WriteString("</Response>")
	return b.String()
}

// sayIn writes a <Say> of text, in language (BCP 47) when set.
func sayIn(b *strings.Builder, language, text string) {
	b.WriteString("<Say")
	if language != "" {
		b.WriteString(` language="`)
		escape(b, language)
		b.WriteString(`"`)
	}
	b.WriteString(">")
	escape(b, text)
	b.WriteString("</Say>")
}

// escape writes s escaped for XML text and attribute values alike
// (xml.EscapeText also escapes both quotes).
func escape(b *strings.Builder, s string) {
	_ = xml.EscapeText(b, []byte(s)) // a strings.Builder never fails a write
}

// twimlMessage is a TwiML answer with one SMS reply; empty text: no reply.
func twimlMessage(text string) string {
	text = truncate(clean(text, true), maxBody)
	if strings.TrimSpace(text) == "" {
		return xml.Header + "<Response/>"
	}
	var b strings.Builder
	b.WriteString(xml.Header + "<Response><Message>")
	escape(&b, text)
	b.WriteString("</Message></Response>")
	return b.String()
}

// twimlSay is a TwiML answer that reads text and ends the call; empty: hangs up.
func twimlSay(text string) string {
	text = oneLine(text)
	if text == "" {
		return xml.Header + "<Response/>"
	}
	var b strings.Builder
	b.WriteString(xml.Header + "<Response>")
	sayIn(&b, "", truncate(text, MaxTwiML/2))
	b.WriteString("</Response>")
	return b.String()
}

// oneLine cleans s and folds all of its whitespace into single spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(clean(s, false)), " ")
}

// clean drops what must not reach a phone: control characters (but newlines
// when keepNewlines), format characters such as bidi overrides and zero-width
// spaces, and invalid UTF-8. Tabs become spaces.
func clean(s string, keepNewlines bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		switch {
		case r == utf8.RuneError && size == 1:
		case r == '\n' && keepNewlines:
			b.WriteRune(r)
		case r == '\t', r == '\n', r == '\r' && !keepNewlines:
			b.WriteByte(' ')
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// truncate shortens s to at most max runes, ending in "..." (GSM-7, unlike
// "…") when it cut anything.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max <= 3 {
		return string([]rune(s)[:max])
	}
	return strings.TrimRightFunc(string([]rune(s)[:max-3]), unicode.IsSpace) + "..."
}
