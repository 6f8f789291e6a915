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
		n := notification(router, m, time.Unix(0, 0))
		if n.Title == "" || n.Severity == "" || len(n.Alerts) != len(m.Alerts) {
			t.Fatalf("bad notification %+v", n)
		}
		if !utf8.ValidString(n.Title) || utf8.RuneCountInString(n.Title) > incidents.MaxTitle ||
			strings.ContainsFunc(n.Title, unicode.IsControl) {
			t.Fatalf("bad title %q", n.Title)
		}
	})
}
