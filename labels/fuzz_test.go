package labels

import (
	"errors"
	"testing"
)

func FuzzParseMatcher(f *testing.F) {
	for _, s := range []string{
		`severity="critical"`, `service=~"pay.*"`, `env!~preprod`, `team!=""`, `a=`,
		`"service.name"="x"`, `msg="say \"hi\"\n\\"`, `{a="b", c=~"d|e",}`, `a=~"("`, `"a`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMatcher(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			_ = err.Error()
		} else {
			back, err := ParseMatcher(m.String())
			if err != nil {
				t.Fatalf("ParseMatcher(%q).String() = %q does not parse: %v", s, m.String(), err)
			}
			if back.Name != m.Name || back.Type != m.Type || back.Value != m.Value {
				t.Fatalf("round trip %q → %q changed the matcher", s, m.String())
			}
			_ = m.Matches(m.Value)
		}
		if ms, err := ParseMatchers([]string{s}); err == nil {
			if _, err := ParseMatchers([]string{ms.String()}); err != nil {
				t.Fatalf("ParseMatchers(%q).String() = %q does not parse: %v", s, ms.String(), err)
			}
		}
	})
}
