package oncall

import (
	"bytes"
	"encoding/hex"
	"hash/fnv"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ICal renders shifts as an iCalendar feed (RFC 5545): one VEVENT per
// person per stretch on call, times in UTC, a UID that stays the same for
// the same schedule, person and start however often the feed is fetched,
// lines folded at 75 octets and ended by CRLF.
type ICal struct {
	Schedule string
	// Stamp is the DTSTAMP of every event: when the feed was made.
	Stamp time.Time
	// User, when set, keeps only that person's events.
	User string
	// Name turns a user ID into a display name; nil shows the ID.
	Name func(user string) string
	// Extra are events besides the shifts (maintenance windows), in every
	// feed, whoever it is for.
	Extra []CalendarEvent
}

// CalendarEvent is one event of a feed that is not a shift.
type CalendarEvent struct {
	UID                  string // stable: the same event keeps it
	Start, End           time.Time
	Summary, Description string
}

// Render returns the feed for shifts (as Shifts returns them).
func (c ICal) Render(shifts []Shift) []byte {
	var b bytes.Buffer
	line := func(s string) { writeFolded(&b, s) }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//incidentbot//oncall//EN")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	line("X-WR-CALNAME:" + escapeText("On call: "+c.Schedule))
	stamp := icalTime(c.Stamp)
	for _, ev := range c.events(shifts) {
		name := ev.user
		if c.Name != nil {
			if n := c.Name(ev.user); n != "" {
				name = n
			}
		}
		line("BEGIN:VEVENT")
		line("UID:" + shiftUID(c.Schedule, ev.user, ev.start))
		line("DTSTAMP:" + stamp)
		line("DTSTART:" + icalTime(ev.start))
		line("DTEND:" + icalTime(ev.end))
		line("SUMMARY:" + escapeText("On call: "+c.Schedule+" ("+name+")"))
		line("DESCRIPTION:" + escapeText(name+" is on call for "+c.Schedule+" from "+
			ev.start.Format("Mon 2 Jan 15:04 MST")+" to "+ev.end.Format("Mon 2 Jan 15:04 MST")+"."))
		line("TRANSP:TRANSPARENT")
		line("END:VEVENT")
	}
	for _, ev := range c.Extra {
		line("BEGIN:VEVENT")
		line("UID:" + escapeText(ev.UID))
		line("DTSTAMP:" + stamp)
		line("DTSTART:" + icalTime(ev.Start))
		line("DTEND:" + icalTime(ev.End))
		line("SUMMARY:" + escapeText(ev.Summary))
		if ev.Description != "" {
			line("DESCRIPTION:" + escapeText(ev.Description))
		}
		line("TRANSP:TRANSPARENT")
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	return b.Bytes()
}

type event struct {
	user       string
	start, end time.Time
}

// events splits shifts per person and joins each person's touching stretches.
func (c ICal) events(shifts []Shift) []event {
	var out []event
	open := map[string]int{} // user → index of their last event
	for _, sh := range shifts {
		for _, u := range sh.Users() {
			if c.User != "" && u != c.User {
				continue
			}
			if i, ok := open[u]; ok && out[i].end.Equal(sh.Start) {
				out[i].end = sh.End
				continue
			}
			open[u] = len(out)
			out = append(out, event{user: u, start: sh.Start, end: sh.End})
		}
	}
	slices.SortStableFunc(out, func(a, b event) int { return a.start.Compare(b.start) })
	return out
}

// shiftUID is the stable UID of one person's shift.
func shiftUID(schedule, user string, start time.Time) string {
	h := fnv.New128a() // stable and collision-free enough for UIDs; not a secret
	h.Write([]byte(schedule + "\x00" + user + "\x00" + start.UTC().Format(time.RFC3339)))
	return hex.EncodeToString(h.Sum(nil)) + "@incidentbot"
}

func icalTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// escapeText escapes a TEXT value (RFC 5545 3.3.11) and drops the control
// characters it cannot carry.
func escapeText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
		case r == utf8.RuneError:
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// writeFolded writes a content line folded at 75 octets (continuations
// start with a space), never inside a UTF-8 sequence, ended by CRLF.
func writeFolded(b *bytes.Buffer, s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}
