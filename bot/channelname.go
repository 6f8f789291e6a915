package bot

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/internal/sanitize"
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
// The slug is the title lowercased and transliterated to ASCII (Latin
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
	room := MaxChannelName - len(base) - 1      // the "-" before the slug
	slug := slugify(sanitize.Line(title), room) // no "31m" left of a colour escape
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
		t := transliterate(r)
		if t == "" {
			pendingSep = true
			onlyUnderscore = false
			continue
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

// transliterate returns the lowercase ASCII letters or digits standing for r,
// or "" when r is a separator or has no ASCII rendering.
func transliterate(r rune) string {
	switch {
	case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		return string(r)
	case r >= 'A' && r <= 'Z':
		return string(r + ('a' - 'A'))
	case r < utf8.RuneSelf:
		return ""
	}
	if t := latinASCII(r); t != "" {
		return t
	}
	return cyrillicASCII(r)
}

// latinASCII folds Latin letters with diacritics (Latin-1 Supplement and the
// common part of Latin Extended-A) to ASCII.
func latinASCII(r rune) string {
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā', 'ă', 'ą', 'À', 'Á', 'Â', 'Ã', 'Ä', 'Å', 'Ā', 'Ă', 'Ą':
		return "a"
	case 'æ', 'Æ':
		return "ae"
	case 'ç', 'ć', 'č', 'ĉ', 'ċ', 'Ç', 'Ć', 'Č', 'Ĉ', 'Ċ':
		return "c"
	case 'ď', 'đ', 'ð', 'Ď', 'Đ', 'Ð':
		return "d"
	case 'è', 'é', 'ê', 'ë', 'ē', 'ĕ', 'ė', 'ę', 'ě', 'È', 'É', 'Ê', 'Ë', 'Ē', 'Ĕ', 'Ė', 'Ę', 'Ě':
		return "e"
	case 'ĝ', 'ğ', 'ġ', 'ģ', 'Ĝ', 'Ğ', 'Ġ', 'Ģ':
		return "g"
	case 'ĥ', 'ħ', 'Ĥ', 'Ħ':
		return "h"
	case 'ì', 'í', 'î', 'ï', 'ĩ', 'ī', 'ĭ', 'į', 'ı', 'Ì', 'Í', 'Î', 'Ï', 'Ĩ', 'Ī', 'Ĭ', 'Į', 'İ':
		return "i"
	case 'ĵ', 'Ĵ':
		return "j"
	case 'ķ', 'Ķ':
		return "k"
	case 'ĺ', 'ļ', 'ľ', 'ŀ', 'ł', 'Ĺ', 'Ļ', 'Ľ', 'Ŀ', 'Ł':
		return "l"
	case 'ñ', 'ń', 'ņ', 'ň', 'Ñ', 'Ń', 'Ņ', 'Ň':
		return "n"
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'ō', 'ŏ', 'ő', 'Ò', 'Ó', 'Ô', 'Õ', 'Ö', 'Ø', 'Ō', 'Ŏ', 'Ő':
		return "o"
	case 'œ', 'Œ':
		return "oe"
	case 'ŕ', 'ŗ', 'ř', 'Ŕ', 'Ŗ', 'Ř':
		return "r"
	case 'ś', 'ŝ', 'ş', 'š', 'Ś', 'Ŝ', 'Ş', 'Š':
		return "s"
	case 'ß':
		return "ss"
	case 'ţ', 'ť', 'ŧ', 'Ţ', 'Ť', 'Ŧ':
		return "t"
	case 'þ', 'Þ':
		return "th"
	case 'ù', 'ú', 'û', 'ü', 'ũ', 'ū', 'ŭ', 'ů', 'ű', 'ų', 'Ù', 'Ú', 'Û', 'Ü', 'Ũ', 'Ū', 'Ŭ', 'Ů', 'Ű', 'Ų':
		return "u"
	case 'ŵ', 'Ŵ':
		return "w"
	case 'ý', 'ÿ', 'ŷ', 'Ý', 'Ÿ', 'Ŷ':
		return "y"
	case 'ź', 'ż', 'ž', 'Ź', 'Ż', 'Ž':
		return "z"
	}
	return ""
}

// cyrillicASCII transliterates Russian, Ukrainian, Belarusian and Kazakh
// letters, roughly after the Russian passport (ICAO) scheme.
func cyrillicASCII(r rune) string {
	// Fold the upper-case Cyrillic blocks onto lower case first.
	switch {
	case r >= 'А' && r <= 'Я':
		r += 'а' - 'А'
	case r >= 'Ѐ' && r <= 'Џ':
		r += 'ѐ' - 'Ѐ'
	case r >= 'Ґ' && r <= 'ӿ' && r%2 == 0:
		r++ // Cyrillic Extended: upper case at even code points
	}
	switch r {
	case 'а', 'ә':
		return "a"
	case 'б':
		return "b"
	case 'в':
		return "v"
	case 'г', 'ґ', 'ғ':
		return "g"
	case 'д':
		return "d"
	case 'е', 'ѐ', 'ё', 'є', 'э':
		return "e"
	case 'ж':
		return "zh"
	case 'з':
		return "z"
	case 'и', 'і', 'ї', 'ѝ':
		return "i"
	case 'й':
		return "i"
	case 'к', 'қ':
		return "k"
	case 'л':
		return "l"
	case 'м':
		return "m"
	case 'н', 'ң':
		return "n"
	case 'о', 'ө':
		return "o"
	case 'п':
		return "p"
	case 'р':
		return "r"
	case 'с':
		return "s"
	case 'т':
		return "t"
	case 'у', 'ұ', 'ү', 'ў':
		return "u"
	case 'ф':
		return "f"
	case 'х', 'һ':
		return "kh"
	case 'ц':
		return "ts"
	case 'ч':
		return "ch"
	case 'ш':
		return "sh"
	case 'щ':
		return "shch"
	case 'ы':
		return "y"
	case 'ю':
		return "iu"
	case 'я':
		return "ia"
	}
	return "" // ъ, ь and everything else
}
