package templates

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
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
// incident title can never mention @channel or forge a link. Besides the
// postmortem's functions (funcMap) a message may call
//
//	slack s          s escaped for mrkdwn
//	slackLink u t    <u|t> when u is http(s) or mailto, else the escaped t
//	short d          "1h 5m" / "1 ч 5 мин"
//	shortDate t      "Mon 2 Jan 2006" / "пн 2 янв 2006", in t's zone
//	mentions ids     "U1,U2" as "<@U1>, <@U2>"
//	parseDuration s  a Go duration ("5m0s") as a time.Duration, 0 if it is none
func slackFuncs(loc Locale) template.FuncMap {
	f := funcMap(loc, time.UTC)
	f["slack"] = EscapeSlack
	f["slackLink"] = slackLink
	f["short"] = func(d time.Duration) string { return ShortDuration(loc, d) }
	f["shortDate"] = func(t time.Time) string { return shortDate(loc, t) }
	f["mentions"] = mentions
	f["parseDuration"] = func(s string) time.Duration { d, _ := time.ParseDuration(s); return d }
	return f
}

// EscapeSlack escapes the three characters Slack's mrkdwn gives meaning to,
// after removing terminal escapes, control characters (but line feeds and
// tabs) and bidi overrides, as slacktext.Escape (bot/slacktext) does.
func EscapeSlack(s string) string { return slackEscaper.Replace(CleanText(s)) }

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// slackLink is <url|text> when url is safe, else the escaped text.
func slackLink(u, text string) string {
	t := strings.ReplaceAll(EscapeSlack(text), "|", "¦")
	if SafeURL(u) == "" {
		return t
	}
	return "<" + strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C").Replace(u) + "|" + t + ">"
}

// mentions turns a comma-separated list of user IDs into Slack mentions.
func mentions(ids string) string {
	var out []string
	for _, id := range strings.Split(ids, ",") {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, "<@"+id+">")
		}
	}
	return strings.Join(out, ", ")
}

// ShortDuration renders d compactly for a Slack line: "45s", "5m",
// "1h 5m", "2d 3h"; in Russian "45 с", "5 мин", "1 ч 5 мин", "2 д 3 ч".
// It truncates to the minute from one minute on.
func ShortDuration(loc Locale, d time.Duration) string {
	if d < 0 {
		d = 0
	}
	u := [4]string{"d", "h", "m", "s"}
	sep := ""
	if loc == RU {
		u, sep = [4]string{"д", "ч", "мин", "с"}, "\u00a0"
	}
	if d < time.Minute {
		return fmt.Sprintf("%d%s%s", int(d/time.Second), sep, u[3])
	}
	d = d.Truncate(time.Minute)
	days := int(d / (24 * time.Hour))
	hours := int(d % (24 * time.Hour) / time.Hour)
	mins := int(d % time.Hour / time.Minute)
	part := func(n, i int) string { return fmt.Sprintf("%d%s%s", n, sep, u[i]) }
	switch {
	case days > 0 && hours > 0:
		return part(days, 0) + " " + part(hours, 1)
	case days > 0:
		return part(days, 0)
	case hours > 0 && mins > 0:
		return part(hours, 1) + " " + part(mins, 2)
	case hours > 0:
		return part(hours, 1)
	}
	return part(mins, 2)
}

// messageDir holds the Slack messages: one file per area and locale,
// AREA.LOCALE.tmpl, each defining the area's messages as "AREA.NAME".
const messageDir = "default/slack"

func parseMessages() (map[Locale]*template.Template, error) {
	out := map[Locale]*template.Template{}
	for _, loc := range []Locale{EN, RU} {
		files, err := fs.Glob(defaults, path.Join(messageDir, "*."+string(loc)+".tmpl"))
		if err != nil || len(files) == 0 {
			return nil, fmt.Errorf("embedded messages for %s: none found (%v)", loc, err)
		}
		sort.Strings(files)
		t := template.New("messages." + string(loc)).Option("missingkey=error").Funcs(slackFuncs(loc))
		for _, name := range files {
			text, err := defaults.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("read embedded template %s: %w", name, err)
			}
			if _, err := t.New(name).Parse(string(text)); err != nil {
				return nil, templateError(name, err)
			}
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
	if m == nil || !strings.Contains(name, ".") {
		return "", fmt.Errorf("%w: %q", ErrNoMessage, name)
	}
	var b strings.Builder
	if err := m.Execute(&b, data); err != nil {
		return "", templateError(name, err)
	}
	return b.String(), nil
}

// MessageNames lists the messages loc defines, sorted.
func (s *Set) MessageNames(loc Locale) []string {
	var names []string
	if t := s.messages[loc]; t != nil {
		for _, m := range t.Templates() {
			if strings.Contains(m.Name(), ".") && !strings.HasSuffix(m.Name(), ".tmpl") {
				names = append(names, m.Name())
			}
		}
	}
	sort.Strings(names)
	return names
}

// Lang is the Slack messages in one locale: what the bot's Slack side
// calls to write every sentence it posts. The zero Lang is English from
// the embedded templates.
type Lang struct {
	set *Set
	loc Locale
}

// Lang returns the messages of loc.
func (s *Set) Lang(loc Locale) Lang { return Lang{set: s, loc: loc} }

// English is the embedded English messages, the zero Lang's.
func English() Lang { return Lang{} }

var defaultSet = sync.OnceValue(func() *Set {
	s, err := New(Options{})
	if err != nil {
		panic(err) // the embedded templates are tested; they parse
	}
	return s
})

// templates is l's set: the embedded one for the zero Lang.
func (l Lang) templates() *Set {
	if l.set == nil {
		return defaultSet()
	}
	return l.set
}

// Locale is the language l writes.
func (l Lang) Locale() Locale {
	if l.loc == "" {
		return EN
	}
	return l.loc
}

// Text renders the message name with data. Data is ready mrkdwn: the
// caller escapes what came from users and alerts (or the template calls
// slack on it). A message that fails to render is a bug: Text reports it
// to the Set's OnMessageError (a panic when none is set, as for the
// embedded set that tests use) and falls back to English, then to the
// name, so Slack still gets a sentence.
func (l Lang) Text(name string, data any) string {
	s := l.templates()
	out, err := s.Message(l.Locale(), name, data)
	if err == nil {
		return out
	}
	if s.onError == nil {
		panic(fmt.Sprintf("message %s (%s): %v", name, l.Locale(), err))
	}
	s.onError(fmt.Errorf("message %s (%s): %w", name, l.Locale(), err))
	if l.Locale() != EN {
		if out, err := s.Message(EN, name, data); err == nil {
			return out
		}
	}
	return name
}

// Has reports whether l defines the message name.
func (l Lang) Has(name string) bool {
	s := l.templates()
	t := s.messages[l.Locale()]
	return t != nil && t.Lookup(name) != nil
}

// Word is the locale's word for an event type, status or state (see label).
func (l Lang) Word(key string) string { return Word(l.Locale(), key) }

// Duration spells d out: "2 hours 5 minutes".
func (l Lang) Duration(d time.Duration) string { return Duration(l.Locale(), d) }

// Short is d compactly: "1h 5m".
func (l Lang) Short(d time.Duration) string { return ShortDuration(l.Locale(), d) }

// Number is n with the locale's digit grouping.
func (l Lang) Number(n int) string { return formatNumber(l.Locale(), n) }

// Plural is the form of n (en: one, other; ru: one, few, many).
func (l Lang) Plural(n int, forms ...string) string { return pluralOf(l.Locale(), n, forms...) }

var (
	monthsShortEN   = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	weekdaysShortEN = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	monthsShortRU   = [...]string{"янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"}
	weekdaysShortRU = [...]string{"вс", "пн", "вт", "ср", "чт", "пт", "сб"}
)

// shortDate is t's day as Slack lines show it, in t's own zone:
// "Mon 2 Jan 2006" / "пн 2 янв 2006".
func shortDate(loc Locale, t time.Time) string {
	if loc == RU {
		return fmt.Sprintf("%s %d %s %d", weekdaysShortRU[t.Weekday()], t.Day(), monthsShortRU[t.Month()-1], t.Year())
	}
	return fmt.Sprintf("%s %d %s %d", weekdaysShortEN[t.Weekday()], t.Day(), monthsShortEN[t.Month()-1], t.Year())
}

// shortDate is t's day: "Mon 2 Jan 2006".
func (l Lang) ShortDate(t time.Time) string { return shortDate(l.Locale(), t) }

// Event is the sentence of a timeline event in l, written from its fields
// by the template event.TYPE, so that a timeline reads in the team's
// language whatever language the bot spoke when it recorded the event.
// Events without such a template (notes, pins: people's own words), and
// events recorded before their fields were (a template then fails on a
// missing field), keep the stored text. The sentence is plain text with
// Slack's <@U…> mentions, as stored texts are; the caller escapes it.
func (l Lang) Event(typ string, fields map[string]string, stored string) string {
	s := l.templates()
	name := "event." + typ
	if !l.Has(name) {
		return stored
	}
	data := make(map[string]string, len(fields)+1)
	for k, v := range fields {
		data[k] = v
	}
	data["text"] = stored
	out, err := s.Message(l.Locale(), name, data)
	if err != nil {
		return stored
	}
	return out
}
