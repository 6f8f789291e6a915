package alertmanager

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/incidents"
)

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"firing.json", "partly_resolved.json", "resolved.json", "truncated.json", "no_fingerprint_no_version.json", "bad_fingerprint.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`{"groupKey":"g","status":"firing","alerts":[{"status":"firing"}]}`))
	router := configRouter(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := Decode(body)
		if err != nil {
			if !errors.Is(err, ErrBadPayload) {
				t.Fatalf("error %v does not wrap ErrBadPayload", err)
			}
			return
		}
		if m.GroupKey == "" || len(m.Alerts) == 0 || !validStatus(m.Status) {
			t.Fatalf("accepted an invalid message: %+v", m)
		}
		for i, a := range m.Alerts {
			if !validStatus(a.Status) || a.Fingerprint == "" || !validFingerprint(a.Fingerprint) {
				t.Fatalf("accepted alerts[%d] = %+v", i, a)
			}
		}
		n := router.Notification(m, time.Unix(0, 0))
		if n.Title == "" || n.Severity == "" || len(n.Alerts) != len(m.Alerts) {
			t.Fatalf("bad notification %+v", n)
		}
		if !utf8.ValidString(n.Title) || utf8.RuneCountInString(n.Title) > incidents.MaxTitle ||
			strings.ContainsFunc(n.Title, unicode.IsControl) {
			t.Fatalf("bad title %q", n.Title)
		}
	})
}

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
