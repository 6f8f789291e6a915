package labels

import (
	"errors"
	"strings"
	"testing"
)

func TestParseMatcher(t *testing.T) {
	tests := []struct {
		in    string
		name  string
		typ   MatchType
		value string
	}{
		{`severity="critical"`, "severity", MatchEqual, "critical"},
		{`service=~"pay.*"`, "service", MatchRegexp, "pay.*"},
		{`env!~preprod`, "env", MatchNotRegexp, "preprod"},
		{`  team  !=  "db"  `, "team", MatchNotEqual, "db"},
		{`team=platform`, "team", MatchEqual, "platform"},
		{`team=`, "team", MatchEqual, ""},
		{`team=""`, "team", MatchEqual, ""},
		{`_x9=1`, "_x9", MatchEqual, "1"},
		{`team=платежи`, "team", MatchEqual, "платежи"},
		{`msg="say \"hi\""`, "msg", MatchEqual, `say "hi"`},
		{`msg="a\\b"`, "msg", MatchEqual, `a\b`},
		{`msg="line1\nline2"`, "msg", MatchEqual, "line1\nline2"},
		{`path=~"\\d+"`, "path", MatchRegexp, `\d+`},
		{`msg="a,b {c} !=~ 'd'"`, "msg", MatchEqual, "a,b {c} !=~ 'd'"},
		{`"service.name"="checkout"`, "service.name", MatchEqual, "checkout"},
		{`"служба"=~"pay|bill"`, "служба", MatchRegexp, "pay|bill"},
		{`"a\"b"="c"`, `a"b`, MatchEqual, "c"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			m, err := ParseMatcher(tt.in)
			if err != nil {
				t.Fatalf("ParseMatcher(%q) error: %v", tt.in, err)
			}
			if m.Name != tt.name || m.Type != tt.typ || m.Value != tt.value {
				t.Errorf("got %q %v %q, want %q %v %q", m.Name, m.Type, m.Value, tt.name, tt.typ, tt.value)
			}
			// String must read back to the same matcher.
			back, err := ParseMatcher(m.String())
			if err != nil {
				t.Fatalf("ParseMatcher(String() = %q) error: %v", m.String(), err)
			}
			if back.Name != m.Name || back.Type != m.Type || back.Value != m.Value {
				t.Errorf("round trip via %q: got %q %v %q", m.String(), back.Name, back.Type, back.Value)
			}
		})
	}
}

func TestParseMatcherErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string // in the error text
	}{
		{``, "empty matcher"},
		{`   `, "empty matcher"},
		{`severity`, "missing operator"},
		{`severity "critical"`, "expected an operator"},
		{`severity<"critical"`, `column 9: unexpected "<" after the label name "severity"`},
		{`="critical"`, "expected a label name"},
		{`1sev="x"`, "must match [a-zA-Z_][a-zA-Z0-9_]*"},
		{`service.name="x"`, `unexpected "." after the label name "service"`},
		{`ünï="x"`, "must match [a-zA-Z_][a-zA-Z0-9_]*"},
		{`""="x"`, "label name is empty"},
		{`severity=="critical"`, `column 10: unexpected "=" in an unquoted value`},
		{`severity="critical`, "no closing double quote"},
		{`"sev=x`, "no closing double quote"},
		{`path=~"\d+"`, "not a valid double-quoted string"},
		{`service=~"pay(.*"`, "invalid regular expression"},
		{`service!~"[a-"`, "invalid regular expression"},
		{`a="b" c`, `unexpected "c" after the value`},
		{`a=b c`, `unexpected "c" after the value`},
		{`a=b"c"`, "in an unquoted value"},
		{`a="b",c="d"`, `unexpected ",c=\"d\""`},
		{`a=b{3}`, "in an unquoted value"},
		{`a="\xff"`, "not valid UTF-8"},
		{"a=\xff", "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			m, err := ParseMatcher(tt.in)
			if err == nil {
				t.Fatalf("ParseMatcher(%q) = %v, want an error containing %q", tt.in, m, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Entry != -1 || pe.Input != tt.in {
				t.Errorf("error %#v is not a *ParseError for the input", err)
			}
		})
	}
}

func TestMatcherMatches(t *testing.T) {
	labels := map[string]string{
		"alertname": "PaymentsHighErrorRate",
		"service":   "payments",
		"severity":  "critical",
		"instance":  "pay-api-1:8080",
		"empty":     "",
	}
	tests := []struct {
		matcher string
		want    bool
	}{
		{`severity="critical"`, true},
		{`severity="Critical"`, false},
		{`severity!="warning"`, true},
		{`severity!="critical"`, false},
		// Regexps are anchored at both ends.
		{`service=~"pay.*"`, true},
		{`service=~"pay"`, false},
		{`service=~"ments"`, false},
		{`service=~".*ments"`, true},
		{`service=~"pay|payments"`, true},
		{`service=~"x|pay"`, false},
		{`service!~"pay"`, true},
		{`service!~"pay.*"`, false},
		{`instance=~"pay-api-\\d+:8080"`, true},
		// A missing label is the empty string.
		{`team=""`, true},
		{`team!=""`, false},
		{`team="db"`, false},
		{`team!="db"`, true},
		{`team=~".*"`, true},
		{`team=~".+"`, false},
		{`team!~"db"`, true},
		{`team!~".*"`, false},
		// A present, empty label behaves the same.
		{`empty=""`, true},
		{`empty!=""`, false},
	}
	for _, tt := range tests {
		t.Run(tt.matcher, func(t *testing.T) {
			m, err := ParseMatcher(tt.matcher)
			if err != nil {
				t.Fatal(err)
			}
			if got := (Matchers{m}).Matches(labels); got != tt.want {
				t.Errorf("%s matches %v = %v, want %v", tt.matcher, labels, got, tt.want)
			}
		})
	}
}

func TestParseMatchers(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want string // Matchers.String()
	}{
		{name: "nil is the catch-all", want: "{}"},
		{"empty list", []string{}, "{}"},
		{"config example", []string{`severity="warning"`, `service=~"pay.*"`}, `{severity="warning", service=~"pay.*"}`},
		{"commas in one entry", []string{`severity="warning",service=~"pay.*"`}, `{severity="warning", service=~"pay.*"}`},
		{"braces", []string{`{ severity="warning", team=db }`}, `{severity="warning", team="db"}`},
		{"trailing comma", []string{`{severity="warning",}`, `team=db,`}, `{severity="warning", team="db"}`},
		{"empty braces", []string{`{}`}, "{}"},
		{"utf-8 name", []string{`"service.name"=checkout`}, `{"service.name"="checkout"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := ParseMatchers(tt.in)
			if err != nil {
				t.Fatalf("ParseMatchers(%q) error: %v", tt.in, err)
			}
			if got := ms.String(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseMatchersErrorNamesEntry(t *testing.T) {
	tests := []struct {
		in    []string
		entry int
		want  string
	}{
		{[]string{`severity="critical"`, `service=~"pay(.*"`}, 1, `matchers[1] "service=~\"pay(.*\"": column 10: invalid regular expression "pay(.*": error parsing regexp: missing closing )`},
		{[]string{``}, 0, `matchers[0] "": empty matcher`},
		{[]string{`a=b`, `{a=b`}, 1, "missing closing '}'"},
		{[]string{`{a=b} c=d`}, 0, `unexpected "c=d" after '}'`},
		{[]string{`a=b c=d`}, 0, "expected ',' or the end"},
		{[]string{`{a=b,,}`}, 0, "expected a label name"},
		{[]string{`a=b}`}, 0, "expected ',' or the end"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.in, " | "), func(t *testing.T) {
			_, err := ParseMatchers(tt.in)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseMatchers(%q) error = %v, want a *ParseError", tt.in, err)
			}
			if pe.Entry != tt.entry {
				t.Errorf("Entry = %d, want %d", pe.Entry, tt.entry)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestNewMatcherAnchorsLikeAlertmanager(t *testing.T) {
	m, err := NewMatcher(MatchRegexp, "x", "a|b")
	if err != nil {
		t.Fatal(err)
	}
	// Unanchored alternation would match "ab"; ^(?:a|b)$ must not.
	for v, want := range map[string]bool{"a": true, "b": true, "ab": false, "xa": false} {
		if got := m.Matches(v); got != want {
			t.Errorf("Matches(%q) = %v, want %v", v, got, want)
		}
	}
	if _, err := NewMatcher(MatchType(9), "x", "y"); err == nil {
		t.Error("NewMatcher with an unknown type: no error")
	}
}

func TestMatcherLiteral(t *testing.T) {
	m := &Matcher{Name: "service", Type: MatchRegexp, Value: "pay.*"}
	if !m.Matches("payments") || m.Matches("search") {
		t.Error("a struct-literal regexp matcher does not match like a parsed one")
	}
	bad := &Matcher{Name: "x", Type: MatchRegexp, Value: "("}
	if bad.Matches("(") || bad.Matches("") {
		t.Error("an invalid struct-literal regexp matched")
	}
	if !(&Matcher{Name: "x", Type: MatchNotRegexp, Value: "("}).Matches("") {
		t.Error("an invalid struct-literal !~ did not match")
	}
}
