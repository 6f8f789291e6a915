// Package labels holds Alertmanager's label matchers: their syntax
// (ParseMatchers) and semantics (Matchers.Matches). Routes, maintenance
// windows, heartbeats and silences select alerts with them; the domain
// packages and the config import this package, never the webhook adapter.
package labels

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MatchType is the operator of a label matcher.
type MatchType int

// The four operators of Alertmanager's matcher syntax.
const (
	MatchEqual     MatchType = iota // =
	MatchNotEqual                   // !=
	MatchRegexp                     // =~
	MatchNotRegexp                  // !~
)

// String returns the operator as written in a matcher.
func (t MatchType) String() string {
	switch t {
	case MatchEqual:
		return "="
	case MatchNotEqual:
		return "!="
	case MatchRegexp:
		return "=~"
	case MatchNotRegexp:
		return "!~"
	}
	return fmt.Sprintf("MatchType(%d)", int(t))
}

// Matcher tests one label, with Alertmanager's semantics: a missing label has
// the empty value, and regular expressions must match the whole value.
// Build one with ParseMatcher or NewMatcher.
type Matcher struct {
	Name  string
	Type  MatchType
	Value string
	re    *regexp.Regexp
}

// NewMatcher returns a matcher; for the regexp operators it compiles value,
// anchored at both ends as Alertmanager does (^(?:value)$).
func NewMatcher(t MatchType, name, value string) (*Matcher, error) {
	m := &Matcher{Name: name, Type: t, Value: value}
	switch t {
	case MatchEqual, MatchNotEqual:
	case MatchRegexp, MatchNotRegexp:
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return nil, fmt.Errorf("invalid regular expression %q: %w", value, err)
		}
		m.re = re
	default:
		return nil, fmt.Errorf("unknown match type %d", int(t))
	}
	return m, nil
}

// Matches reports whether a label value satisfies the matcher. Pass "" for
// a label the alert does not have.
func (m *Matcher) Matches(v string) bool {
	switch m.Type {
	case MatchEqual:
		return v == m.Value
	case MatchNotEqual:
		return v != m.Value
	case MatchRegexp:
		return m.regexp().MatchString(v)
	case MatchNotRegexp:
		return !m.regexp().MatchString(v)
	}
	return false
}

// regexp returns the compiled expression. A Matcher built as a struct
// literal has none; it is compiled for each call then (an invalid one
// matches nothing), as caching would race.
func (m *Matcher) regexp() *regexp.Regexp {
	if m.re != nil {
		return m.re
	}
	re, err := regexp.Compile("^(?:" + m.Value + ")$")
	if err != nil {
		return regexp.MustCompile(`[^\x00-\x{10FFFF}]`) // matches nothing
	}
	return re
}

// String returns the matcher in a form ParseMatcher reads back:
// the value always double-quoted, the name quoted only when it must be.
func (m *Matcher) String() string {
	name := m.Name
	if !isClassicName(name) {
		name = strconv.Quote(name)
	}
	return name + m.Type.String() + strconv.Quote(m.Value)
}

// Matchers is a conjunction: every matcher must match.
type Matchers []*Matcher

// Matches reports whether the label set satisfies every matcher; a label
// that is absent counts as the empty string. No matchers match everything.
func (ms Matchers) Matches(labels map[string]string) bool {
	for _, m := range ms {
		if !m.Matches(labels[m.Name]) {
			return false
		}
	}
	return true
}

// String returns the matchers as {a="b", c=~"d"}.
func (ms Matchers) String() string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// ParseError says why a matcher did not parse and where.
type ParseError struct {
	Entry  int    // index of the entry given to ParseMatchers; -1 from ParseMatcher
	Input  string // the text that failed
	Column int    // 1-based character column of the problem; 0 when it concerns the whole text
	Reason string
	Err    error // underlying cause (a regexp or quoting error), if any
}

// Error renders the problem for a person editing the config.
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Entry >= 0 {
		fmt.Fprintf(&b, "matchers[%d] ", e.Entry)
	} else {
		b.WriteString("matcher ")
	}
	fmt.Fprintf(&b, "%q: ", e.Input)
	if e.Column > 0 {
		fmt.Fprintf(&b, "column %d: ", e.Column)
	}
	b.WriteString(e.Reason)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *ParseError) Unwrap() error { return e.Err }

// ParseMatcher parses one matcher, `name op value`, in Alertmanager's syntax:
// op is =, !=, =~ or !~; the name is [a-zA-Z_][a-zA-Z0-9_]* or a
// double-quoted UTF-8 string; the value is double-quoted (Go string escapes
// such as \" \\ \n) or unquoted (no spaces and none of {}!=~,\"'`).
// Whitespace around the tokens is ignored. Regexps are fully anchored.
func ParseMatcher(s string) (*Matcher, error) {
	p := parser{s: s, entry: -1}
	if !utf8.ValidString(s) {
		return nil, p.errorf(-1, nil, "not valid UTF-8")
	}
	m, err := p.matcher()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() {
		return nil, p.errorf(p.pos, nil, "unexpected %q after the value (quote values that contain spaces or any of {}!=~,\"'`)", p.rest())
	}
	return m, nil
}

// ParseMatchers parses the entries of a `matchers:` list. Like Alertmanager,
// one entry may also hold several matchers separated by commas, optionally in
// braces: `{severity="critical", team="db"}`. An error is a *ParseError that
// names the entry (0-based) and says why it failed.
func ParseMatchers(ss []string) (Matchers, error) {
	out := Matchers{}
	for i, s := range ss {
		p := parser{s: s, entry: i}
		ms, err := p.list()
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

// parser reads matchers from s; pos is a byte offset.
type parser struct {
	s     string
	pos   int
	entry int
}

func (p *parser) eof() bool    { return p.pos >= len(p.s) }
func (p *parser) rest() string { return p.s[p.pos:] }

func (p *parser) peek() rune {
	if p.eof() {
		return -1
	}
	r, _ := utf8.DecodeRuneInString(p.s[p.pos:])
	return r
}

func (p *parser) skipSpace() {
	for !p.eof() {
		r, n := utf8.DecodeRuneInString(p.s[p.pos:])
		if !unicode.IsSpace(r) {
			return
		}
		p.pos += n
	}
}

func (p *parser) errorf(at int, cause error, format string, args ...any) *ParseError {
	col := 0
	if at >= 0 {
		col = utf8.RuneCountInString(p.s[:min(at, len(p.s))]) + 1
	}
	return &ParseError{Entry: p.entry, Input: p.s, Column: col, Reason: fmt.Sprintf(format, args...), Err: cause}
}

// list reads `[{] matcher {, matcher} [,] [}]`.
func (p *parser) list() (Matchers, error) {
	if !utf8.ValidString(p.s) {
		return nil, p.errorf(-1, nil, "not valid UTF-8")
	}
	p.skipSpace()
	if p.eof() {
		return nil, p.errorf(-1, nil, "empty matcher (write name=\"value\")")
	}
	braced := p.peek() == '{'
	if braced {
		p.pos++
		p.skipSpace()
	}
	ms := Matchers{}
	for {
		if braced && p.peek() == '}' {
			p.pos++
			break
		}
		if p.eof() {
			if braced {
				return nil, p.errorf(p.pos, nil, "missing closing '}'")
			}
			break
		}
		m, err := p.matcher()
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
		p.skipSpace()
		switch r := p.peek(); {
		case r == ',':
			p.pos++
			p.skipSpace()
		case r == '}' && braced, r == -1:
		default:
			return nil, p.errorf(p.pos, nil, "expected ',' or the end after a matcher, found %q (quote values that contain spaces or any of {}!=~,\"'`)", p.rest())
		}
	}
	p.skipSpace()
	if !p.eof() {
		return nil, p.errorf(p.pos, nil, "unexpected %q after '}'", p.rest())
	}
	return ms, nil
}

// matcher reads one `name op value`.
func (p *parser) matcher() (*Matcher, error) {
	p.skipSpace()
	if p.eof() {
		return nil, p.errorf(-1, nil, "empty matcher (write name=\"value\")")
	}
	start := p.pos
	var name string
	if p.peek() == '"' {
		n, err := p.quoted("label name")
		if err != nil {
			return nil, err
		}
		if n == "" {
			return nil, p.errorf(start, nil, "the label name is empty")
		}
		name = n
	} else {
		name = p.unquoted()
		switch {
		case name == "":
			return nil, p.errorf(start, nil, "expected a label name, found %q", p.rest())
		case !isClassicName(name):
			if i := classicPrefix(name); i > 0 {
				bad, _ := utf8.DecodeRuneInString(name[i:])
				return nil, p.errorf(start+i, nil, "unexpected %q after the label name %q: expected =, !=, =~ or !~ (double-quote names with other characters)", string(bad), name[:i])
			}
			return nil, p.errorf(start, nil, "label name %q must match [a-zA-Z_][a-zA-Z0-9_]* or be double-quoted", name)
		}
	}

	p.skipSpace()
	opAt := p.pos
	var t MatchType
	switch r := p.rest(); {
	case strings.HasPrefix(r, "=~"):
		t, p.pos = MatchRegexp, p.pos+2
	case strings.HasPrefix(r, "!="):
		t, p.pos = MatchNotEqual, p.pos+2
	case strings.HasPrefix(r, "!~"):
		t, p.pos = MatchNotRegexp, p.pos+2
	case strings.HasPrefix(r, "="):
		t, p.pos = MatchEqual, p.pos+1
	case r == "":
		return nil, p.errorf(opAt, nil, "missing operator after %q (use =, !=, =~ or !~)", name)
	default:
		return nil, p.errorf(opAt, nil, "expected an operator (=, !=, =~ or !~) after %q, found %q", name, r)
	}

	p.skipSpace()
	valueAt := p.pos
	var value string
	if p.peek() == '"' {
		v, err := p.quoted("value")
		if err != nil {
			return nil, err
		}
		value = v
	} else {
		value = p.unquoted()
		if r := p.peek(); r == '"' || r == '\'' || r == '`' || r == '\\' || r == '=' || r == '~' || r == '!' || r == '{' {
			// A quote or operator character inside an unquoted value is
			// almost always a typo (a missing opening quote, a doubled operator).
			return nil, p.errorf(p.pos, nil, "unexpected %q in an unquoted value; double-quote the value", string(r))
		}
	}
	m, err := NewMatcher(t, name, value)
	if err != nil {
		return nil, p.errorf(valueAt, errors.Unwrap(err), "invalid regular expression %q", value)
	}
	return m, nil
}

// unquoted reads a run of characters that are not reserved.
func (p *parser) unquoted() string {
	start := p.pos
	for !p.eof() {
		r, n := utf8.DecodeRuneInString(p.s[p.pos:])
		if isReserved(r) {
			break
		}
		p.pos += n
	}
	return p.s[start:p.pos]
}

// quoted reads a double-quoted string with Go escapes; p.peek() is '"'.
func (p *parser) quoted(what string) (string, error) {
	start := p.pos
	i := p.pos + 1
	for ; i < len(p.s); i++ {
		if p.s[i] == '\\' {
			i++
			continue
		}
		if p.s[i] == '"' {
			break
		}
	}
	if i >= len(p.s) {
		return "", p.errorf(start, nil, "the %s has no closing double quote", what)
	}
	lit := p.s[start : i+1]
	v, err := strconv.Unquote(lit)
	if err != nil {
		return "", p.errorf(start, nil, "the %s %s is not a valid double-quoted string (escape \\ as \\\\ and \" as \\\", e.g. \"\\\\d+\")", what, lit)
	}
	if !utf8.ValidString(v) {
		return "", p.errorf(start, nil, "the %s %s is not valid UTF-8", what, lit)
	}
	p.pos = i + 1
	return v, nil
}

// isReserved reports runes that end an unquoted name or value, as in
// Alertmanager's UTF-8 matcher parser.
func isReserved(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune("{}!=~,\\\"'`", r)
}

// classicPrefix returns the length of the longest prefix of s that is a
// Prometheus label name.
func classicPrefix(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return i
		}
	}
	return len(s)
}

// isClassicName reports whether s is a Prometheus label name, [a-zA-Z_][a-zA-Z0-9_]*.
func isClassicName(s string) bool {
	return s != "" && classicPrefix(s) == len(s)
}
