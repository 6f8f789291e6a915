package bot

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/internal/translit"
	"github.com/incidentbot/incidentbot/templates"
)

// Channel-name limits. Slack allows lowercase letters, digits, "-" and "_",
// at most 80 characters.
const (
	MaxChannelName = 80
	// MaxChannelPrefix bounds the configured prefix so that the prefix, the
	// incident number and a name_taken suffix always fit.
	MaxChannelPrefix = 20
	// DefaultChannelPrefix is used when the configured prefix is empty.
	DefaultChannelPrefix = "inc"
)

// ChannelName returns the Slack channel name of an incident,
// "<prefix>-<number>-<slug>", e.g. "inc-42-payments-api-down".
//
// The slug is the title spelled in lowercase ASCII by translit.Rune (Latin
// diacritics, Cyrillic including Ukrainian and Kazakh letters); anything else
// (emoji, other scripts, punctuation) becomes a separator. Runs of separators
// collapse into one "-" (a run of only underscores stays one "_"), and
// separators are trimmed from both ends. The name is at most 80 characters:
// the slug is cut — preferably at a word boundary — never the number, and it
// never ends with a separator. A title with nothing usable gives
// "<prefix>-<number>". The prefix gets the same treatment, is cut to
// MaxChannelPrefix characters, and defaults to "inc".
//
// The name leaves room for WithSuffix, whose suffix then replaces the end of
// the slug but never reaches the number.
func ChannelName(prefix string, number int64, title string) string {
	p := slugify(prefix, MaxChannelPrefix)
	if p == "" {
		p = DefaultChannelPrefix
	}
	base := p + "-" + strconv.FormatInt(number, 10)
	room := MaxChannelName - len(base) - 1            // the "-" before the slug
	slug := slugify(templates.CleanLine(title), room) // no "31m" left of a colour escape
	if slug == "" {
		return base
	}
	return base + "-" + slug
}

// WithSuffix returns name with "-<n>" appended, for retrying after Slack
// answers name_taken: WithSuffix("inc-42-db-down", 2) = "inc-42-db-down-2".
// The result stays within 80 characters by cutting the end of name (and any
// separator left dangling there). n ≤ 1 returns name unchanged, so a retry
// loop may start at 1 with the bare name.
func WithSuffix(name string, n int) string {
	if n <= 1 {
		return name
	}
	suffix := "-" + strconv.Itoa(n)
	if max := MaxChannelName - len(suffix); len(name) > max {
		for max > 0 && !utf8.RuneStart(name[max]) {
			max--
		}
		name = strings.TrimRight(name[:max], "-_")
	}
	return name + suffix
}

// slugify turns s into [a-z0-9_-] of at most max bytes (all ASCII, so bytes
// are characters), as ChannelName describes.
func slugify(s string, max int) string {
	if max <= 0 {
		return ""
	}
	var b strings.Builder
	pendingSep := false // a separator run is waiting to be written
	onlyUnderscore := true
	flushSep := func() {
		if pendingSep && b.Len() > 0 {
			if onlyUnderscore {
				b.WriteByte('_')
			} else {
				b.WriteByte('-')
			}
		}
		pendingSep, onlyUnderscore = false, true
	}
	for _, r := range s {
		if b.Len() > max+1 {
			break // enough to cut from
		}
		if r == '_' {
			pendingSep = true
			continue
		}
		t, ok := translit.Rune(r)
		if !ok {
			pendingSep = true
			onlyUnderscore = false
			continue
		}
		if t == "" {
			continue // ъ, ь: inside the word, nothing to write
		}
		flushSep()
		b.WriteString(t)
	}
	out := b.String()
	if len(out) <= max {
		return out
	}
	// Cut at the last separator when that keeps at least half of the room,
	// so words stay whole; otherwise cut mid-word.
	cut := out[:max]
	if out[max] != '-' && out[max] != '_' {
		if i := strings.LastIndexAny(cut, "-_"); i >= max/2 {
			cut = cut[:i]
		}
	}
	return strings.TrimRight(cut, "-_")
}
