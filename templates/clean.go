// The Clean functions remove the characters that make text lie about itself
// where it is shown: terminal escape sequences, other control characters
// and Unicode bidirectional overrides. They are applied where text from alerts
// and users leaves the bot — files, git commit messages, Slack, metric
// labels — and never to what is stored, so the record stays as it came.
// They live here, beside the escaping of every template, so that this
// domain package imports the standard library only.

package templates

import (
	"strings"
	"unicode/utf8"
)

// CleanText returns s without control characters, keeping line feeds and tabs:
// C0 controls (NUL, ESC, CR, …), DEL and C1 controls are removed, a whole
// ANSI escape sequence (ESC [ 31 m, an OSC title up to its terminator, …)
// is removed with its ESC, and so are the bidirectional embedding,
// override and isolate characters U+202A–U+202E and U+2066–U+2069, which
// can make text display in an order other than the one it has. Invalid
// UTF-8 becomes U+FFFD. Text that needs nothing removed is returned as it is.
func CleanText(s string) string { return clean(s, true) }

// CleanLine is Text for a single line — a commit subject, a metric label: line
// feeds and tabs become spaces too.
func CleanLine(s string) string { return clean(s, false) }

// CleanBytes is Text for a whole file's contents.
func CleanBytes(b []byte) []byte {
	if firstUnsafe(string(b), true) < 0 {
		return b
	}
	return []byte(clean(string(b), true))
}

// clean does Text (keepLines) or Line.
func clean(s string, keepLines bool) string {
	i := firstUnsafe(s, keepLines)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\n' || c == '\t':
				if keepLines {
					b.WriteByte(c)
				} else {
					b.WriteByte(' ')
				}
				i++
			case c == 0x1b:
				i += escapeLen(s[i:])
			case c < 0x20 || c == 0x7f:
				i++
			default:
				b.WriteByte(c)
				i++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == 0x9b: // C1 CSI: the one-character form of ESC [
			i += size
			i += csiLen(s[i:])
			continue
		case r == 0x9d || r == 0x90 || r == 0x9e || r == 0x9f: // C1 OSC, DCS, PM, APC
			i += size
			i += stringLen(s[i:])
			continue
		case unsafeRune(r):
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// firstUnsafe is the index of the first byte clean would change, or -1.
func firstUnsafe(s string, keepLines bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				if !(keepLines && (c == '\n' || c == '\t')) {
					return i
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// unsafeRune reports a C1 control or a bidirectional control.
func unsafeRune(r rune) bool {
	return r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// maxSequence bounds how far an escape sequence is looked for: a lone ESC
// followed by ordinary text loses no more than this.
const maxSequence = 256

// escapeLen is the length of the escape sequence at the start of s (s[0] is ESC).
func escapeLen(s string) int {
	if len(s) < 2 {
		return 1
	}
	switch c := s[1]; {
	case c == '[': // CSI
		return 2 + csiLen(s[2:])
	case c == ']' || c == 'P' || c == '^' || c == '_' || c == 'X': // OSC, DCS, PM, APC, SOS
		return 2 + stringLen(s[2:])
	case c >= 0x20 && c <= 0x2f: // nF: intermediates, then a final byte
		n := 2
		for n < len(s) && n < maxSequence && s[n] >= 0x20 && s[n] <= 0x2f {
			n++
		}
		if n < len(s) && s[n] >= 0x30 && s[n] <= 0x7e {
			n++
		}
		return n
	case c >= 0x30 && c <= 0x7e: // Fp, Fe, Fs: ESC and one character
		return 2
	}
	return 1
}

// csiLen is the length of a CSI sequence's parameters, intermediates and
// final byte at the start of s; a malformed sequence ends at the first
// byte that cannot belong to it.
func csiLen(s string) int {
	n := 0
	for n < len(s) && n < maxSequence && s[n] >= 0x30 && s[n] <= 0x3f {
		n++
	}
	for n < len(s) && n < maxSequence && s[n] >= 0x20 && s[n] <= 0x2f {
		n++
	}
	if n < len(s) && s[n] >= 0x40 && s[n] <= 0x7e {
		n++
	}
	return n
}

// stringLen is the length of a control string's body and terminator (BEL,
// ESC \ or ST) at the start of s. An unterminated string removes only its
// opening, so ordinary text after a stray OSC is kept.
func stringLen(s string) int {
	for n := 0; n < len(s) && n < maxSequence; n++ {
		switch s[n] {
		case 0x07:
			return n + 1
		case 0x1b:
			if n+1 < len(s) && s[n+1] == '\\' {
				return n + 2
			}
			return 0
		case 0xc2:
			if n+1 < len(s) && s[n+1] == 0x9c { // U+009C ST
				return n + 2
			}
		}
		if s[n] < 0x20 {
			return 0 // any other control aborts the string: keep its text
		}
	}
	return 0
}
