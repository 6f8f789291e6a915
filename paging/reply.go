package paging

import (
	"strconv"
	"strings"
	"unicode"
)

// ParseReply reads a text someone sent back to a page. It accepts "1",
// "ack" (any case) and "ack" with an incident number ("ack 42", "ACK #42",
// "ack42"), with whitespace and punctuation around them ("Ack!", " 1. ").
// code is the incident number in canonical form ("42" for "ack 042"), empty
// when the reply named none; the caller then acknowledges the page the
// person was last sent. Anything else is not an acknowledgement: a reply
// that merely contains "ack" or "1" ("don't ack", "10") must not silence a
// page.
func ParseReply(body string) (ack bool, code string) {
	s := strings.TrimFunc(body, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.Is(unicode.Cf, r)
	})
	if s == "1" {
		return true, ""
	}
	if len(s) < 3 || !strings.EqualFold(s[:3], "ack") {
		return false, ""
	}
	rest := strings.TrimLeftFunc(s[3:], func(r rune) bool {
		// Not '-': "ack -1" must not acknowledge incident 1.
		return r == ' ' || r == '\t' || r == '#' || r == ':' || r == ',' || r == '\u00a0'
	})
	if rest == "" {
		// "ack" alone, or "ack" followed only by separators: "ack #" was trimmed to "ack".
		return s[3:] == "", ""
	}
	if len(rest) > 18 {
		return false, ""
	}
	for _, r := range rest {
		if r < '0' || r > '9' {
			return false, ""
		}
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || n <= 0 {
		return false, ""
	}
	return true, strconv.FormatInt(n, 10)
}
