package templates

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// funcMap returns the functions every template may call, formatting for
// locale and showing local times in zone (UTC when nil).
//
//	md s          Markdown-escaped text on one line (user and alert text)
//	mdBlock s     Markdown-escaped text keeping its line breaks
//	cell s        text for a table cell (escaped, one line, never empty)
//	code s        an inline code span that no backtick in s can close
//	link text u   a Markdown link when u is http(s) or mailto, else the escaped text
//	url u         u for a link destination when it is http(s) or mailto, else ""
//	utc t         "2026-11-30 14:05 UTC"
//	local t       "2026-11-30 19:05 +05" in the team's zone
//	clock t       "14:05" (UTC);  localClock t  "19:05" (team zone)
//	date t        the day in words in the team's zone: "Monday, 30 November 2026"
//	day t         "2026-11-30" in UTC
//	dur d         "2 hours 5 minutes" / "2 часа 5 минут"
//	num n         "4,000" / "4 000"
//	plural n f... the plural form of n: en (one, other), ru (one, few, many)
//	count n f...  num n, a space, then plural n f...
//	label key     the locale's word for an event type, status or heading key
//	zone          the team zone's name
//	join xs sep   strings.Join
func funcMap(loc Locale, zone *time.Location) template.FuncMap {
	if zone == nil {
		zone = time.UTC
	}
	f := formatter{loc: loc, zone: zone}
	return template.FuncMap{
		"md":         markdown,
		"mdBlock":    markdownBlock,
		"cell":       Cell,
		"code":       code,
		"link":       link,
		"url":        Dest,
		"utc":        f.utc,
		"local":      f.local,
		"clock":      func(t time.Time) string { return t.UTC().Format("15:04") },
		"localClock": func(t time.Time) string { return t.In(zone).Format("15:04") },
		"date":       f.date,
		"day":        func(t time.Time) string { return t.UTC().Format("2006-01-02") },
		"dur":        f.duration,
		"num":        f.number,
		"plural":     f.plural,
		"count":      func(n int, forms ...string) string { return f.number(n) + " " + f.plural(n, forms...) },
		"label":      f.label,
		"zone":       func() string { return zone.String() },
		"join":       strings.Join,
	}
}

type formatter struct {
	loc  Locale
	zone *time.Location
}

func (f formatter) utc(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func (f formatter) local(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(f.zone).Format("2006-01-02 15:04 MST")
}

var (
	monthsEN   = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	weekdaysEN = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	// Russian dates name the month in the genitive: "30 ноября".
	monthsRU   = [...]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"}
	weekdaysRU = [...]string{"воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота"}
)

func (f formatter) date(t time.Time) string {
	t = t.In(f.zone)
	if f.loc == RU {
		return fmt.Sprintf("%s, %d %s %d", weekdaysRU[t.Weekday()], t.Day(), monthsRU[t.Month()-1], t.Year())
	}
	return fmt.Sprintf("%s, %d %s %d", weekdaysEN[t.Weekday()], t.Day(), monthsEN[t.Month()-1], t.Year())
}

// pluralOf returns the form of n for loc: English takes (one, other), Russian
// (one, few, many) — 1, 21, 101 минута; 2–4, 22–24 минуты; 0, 5–20, 25 минут.
// Missing forms fall back to the last one given.
func pluralOf(loc Locale, n int, forms ...string) string {
	if len(forms) == 0 {
		return ""
	}
	pick := func(i int) string {
		if i >= len(forms) {
			i = len(forms) - 1
		}
		return forms[i]
	}
	if n < 0 {
		n = -n
	}
	if loc == RU {
		switch mod10, mod100 := n%10, n%100; {
		case mod10 == 1 && mod100 != 11:
			return pick(0)
		case mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14):
			return pick(1)
		default:
			return pick(2)
		}
	}
	if n == 1 {
		return pick(0)
	}
	return pick(1)
}

func (f formatter) plural(n int, forms ...string) string { return pluralOf(f.loc, n, forms...) }

// formatNumber formats n with the locale's digit grouping: 4,000 or 4 000 (a
// no-break space, as Russian typography groups digits).
func formatNumber(loc Locale, n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if len(s) <= 4 && loc == RU {
		// Russian leaves four-digit numbers ungrouped.
		if neg {
			return "-" + s
		}
		return s
	}
	sep := ","
	if loc == RU {
		sep = "\u00a0"
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (f formatter) number(n int) string { return formatNumber(f.loc, n) }

// Duration spells d out with at most two units, rounded down (as
// ShortDuration and every other place that shows a duration: 1m 59s is
// "1 minute", never "2 minutes"): "2 hours 5 minutes", "1 day 3 hours",
// "45 seconds"; in Russian "2 часа 5 минут".
func Duration(loc Locale, d time.Duration) string {
	if d < 0 {
		d = -d
	}
	type unit struct {
		size  time.Duration
		forms [2][]string
	}
	units := []unit{
		{24 * time.Hour, [2][]string{{"day", "days"}, {"день", "дня", "дней"}}},
		{time.Hour, [2][]string{{"hour", "hours"}, {"час", "часа", "часов"}}},
		{time.Minute, [2][]string{{"minute", "minutes"}, {"минута", "минуты", "минут"}}},
	}
	li := 0
	if loc == RU {
		li = 1
	}
	if d < time.Minute {
		s := int(d / time.Second)
		forms := []string{"second", "seconds"}
		if loc == RU {
			forms = []string{"секунда", "секунды", "секунд"}
		}
		return strconv.Itoa(s) + " " + pluralOf(loc, s, forms...)
	}
	d = d.Truncate(time.Minute)
	var parts []string
	for _, u := range units {
		if len(parts) == 2 {
			break
		}
		n := int(d / u.size)
		d -= time.Duration(n) * u.size
		if n == 0 {
			if len(parts) > 0 {
				break // "1 day" rather than "1 day 0 hours 5 minutes"
			}
			continue
		}
		parts = append(parts, formatNumber(loc, n)+" "+pluralOf(loc, n, u.forms[li]...))
	}
	return strings.Join(parts, " ")
}

func (f formatter) duration(d time.Duration) string { return Duration(f.loc, d) }

// EntryLine is the timeline line the default templates print for e.
func EntryLine(e Entry) string {
	var b strings.Builder
	b.Grow(32 + len(e.Actor) + len(e.Label) + len(e.Text)*9/8 + len(e.Link))
	b.WriteString(e.Local)
	b.WriteString(" (")
	b.WriteString(e.UTC)
	b.WriteString(" UTC) — ")
	if e.Actor != "" {
		b.WriteString(markdown(e.Actor))
		b.WriteString(" · ")
	}
	b.WriteString(markdown(e.Label))
	if e.Text != "" {
		b.WriteString(": ")
		b.WriteString(markdown(e.Text))
	}
	if e.Link != "" {
		b.WriteString(" ([Slack](")
		b.WriteString(e.Link)
		b.WriteString("))")
	}
	return b.String()
}

// markdown escapes s so that it renders as the same text and can start no
// Markdown construct: no emphasis, link, image, autolink, raw HTML, entity,
// table cell break, heading or list — in CommonMark/GFM (goldmark, Hugo,
// GitHub, GitLab), Python-Markdown (MkDocs) and MDX (Docusaurus) alike:
// '<' and '>' become entities, the rest backslash escapes. Line breaks
// become spaces, so the text stays inside the list item or cell it is in.
func markdown(s string) string {
	return escape(s, false)
}

// markdownBlock escapes s like markdown but keeps its lines, each its own
// paragraph, for multi-line text such as a resolve summary.
func markdownBlock(s string) string {
	return strings.TrimRight(escape(s, true), "\n ")
}

// Cell escapes s for a GFM table cell; an empty cell gets a dash so the
// table keeps its shape.
func Cell(s string) string {
	s = escape(s, false)
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func escape(s string, keepLines bool) string {
	// Terminal escapes, other controls and bidi overrides go first, whole:
	// escaped one character at a time they would leave "[31m" behind.
	s = CleanText(s)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	lineStart := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\n', '\r', '\t', '\v', '\f':
			if keepLines && c == '\n' {
				// A paragraph per line: hard breaks are spelt differently in
				// CommonMark (\) and Python-Markdown (two spaces).
				trimTrailingSpace(&b)
				if !lineStart {
					b.WriteString("\n\n")
				}
				lineStart = true
				continue
			}
			b.WriteByte(' ')
			continue
		case 0:
			b.WriteString("\uFFFD")
			continue
		case '<':
			// An entity, not \<: Python-Markdown (MkDocs) knows no \< and
			// would pass the tag through as raw HTML.
			b.WriteString("&lt;")
			lineStart = false
			continue
		case '>':
			b.WriteString("&gt;")
			lineStart = false
			continue
		case '&':
			// Only an entity (&lt; &#60;) would be decoded: "R&D" stays.
			if entityAhead(s[i+1:]) {
				b.WriteString("&amp;")
				lineStart = false
				continue
			}
		case '\\', '`', '*', '[', ']', '|', '~', '{', '}':
			// Braces too: MDX (Docusaurus) runs {…} as code.
			b.WriteByte('\\')
		case '_':
			// Between two letters or digits it cannot emphasise: node_exporter stays.
			if !(i > 0 && i+1 < len(s) && isAlnum(s[i-1]) && isAlnum(s[i+1])) {
				b.WriteByte('\\')
			}
		case '#', '+', '-', '=':
			// Only where they could open a heading, list or setext underline;
			// "api-gw" stays readable.
			if lineStart {
				b.WriteByte('\\')
			}
		case '.', ')':
			// "1." or "1)" at the start of a line would open an ordered list.
			if precededByDigitsOnly(s, i) {
				b.WriteByte('\\')
			}
		case ' ':
			if lineStart {
				// Leading spaces could make an indented code block.
				continue
			}
		}
		b.WriteByte(c)
		lineStart = false
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// entityAhead reports whether s, after an '&', reads as an HTML entity:
// a name, #digits or #xhex, then ';'.
func entityAhead(s string) bool {
	i := 0
	if i < len(s) && s[i] == '#' {
		i++
		if i < len(s) && (s[i] == 'x' || s[i] == 'X') {
			i++
		}
	}
	start := i
	for i < len(s) && isAlnum(s[i]) {
		i++
	}
	return i > start && i < len(s) && s[i] == ';'
}

func trimTrailingSpace(b *strings.Builder) {
	s := strings.TrimRight(b.String(), " ")
	if len(s) != b.Len() {
		b.Reset()
		b.WriteString(s)
	}
}

// precededByDigitsOnly reports whether s[i] follows a run of digits that
// starts a line.
func precededByDigitsOnly(s string, i int) bool {
	j := i
	for j > 0 && s[j-1] >= '0' && s[j-1] <= '9' {
		j--
	}
	if j == i {
		return false
	}
	for j > 0 && s[j-1] == ' ' {
		j--
	}
	return j == 0 || s[j-1] == '\n'
}

// code returns s as an inline code span on one line. Inside a code span
// nothing is Markdown, and the renderer escapes HTML.
func code(s string) string {
	s = strings.Join(strings.Fields(CleanLine(s)), " ")
	if s == "" {
		return ""
	}
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			if run > longest {
				longest = run
			}
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || longest > 0 {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// SafeURL returns u when it is an absolute http, https or mailto URL (the
// only links the bot ever writes from alert or user data), else "".
func SafeURL(u string) string {
	u = strings.TrimSpace(u)
	if strings.ContainsAny(u, " \t\n\r<>\"'`\\") {
		return ""
	}
	// The common case, an https link, without url.Parse's allocations.
	if rest, ok := strings.CutPrefix(u, "https://"); ok && plainURL(rest) {
		return u
	}
	p, err := url.Parse(u)
	if err != nil || strings.ContainsAny(u, " \t\n\r<>\"'`") {
		return ""
	}
	switch strings.ToLower(p.Scheme) {
	case "http", "https":
		if p.Host == "" {
			return ""
		}
	case "mailto":
	default:
		return ""
	}
	return u
}

// Dest is SafeURL(u) ready for a Markdown link destination: parentheses
// and spaces percent-encoded, so the destination cannot end early.
func Dest(u string) string { return destEscaper.Replace(SafeURL(u)) }

// destEscaper keeps a URL inside a Markdown link destination.
var destEscaper = strings.NewReplacer("(", "%28", ")", "%29", " ", "%20")

// plainURL reports whether the part of an URL after "https://" starts
// with a host and holds only characters URLs use unencoded.
func plainURL(rest string) bool {
	if rest == "" || rest[0] == '/' || rest[0] == ':' || rest[0] == '@' {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(isAlnum(c) || strings.IndexByte("-._~:/?#[]@!$&()*+,;=%", c) >= 0) {
			return false
		}
	}
	return true
}

// link returns a Markdown link to u with the escaped text, or only the
// escaped text when u is not a safe URL. Parentheses in u are escaped so
// the destination cannot end early.
func link(text, u string) string {
	t := markdown(text)
	if t == "" {
		t = markdown(u)
	}
	safe := SafeURL(u)
	if safe == "" {
		return t
	}
	return "[" + t + "](" + destEscaper.Replace(safe) + ")"
}
