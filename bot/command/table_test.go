package command

import (
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/templates"
)

// TestEveryVerbIsWorded holds the templates to the tables: every verb has
// a usage line of its own (not the general one) and, for /incident, a line
// of help, in each language.
func TestEveryVerbIsWorded(t *testing.T) {
	for _, l := range []templates.Lang{{}, russian(t)} {
		general := usageLine{}.text(l)
		for _, v := range IncidentVerbs() {
			u := incidentTable.usage(v).text(l)
			if u == general || !strings.HasPrefix(u, "/incident "+string(v)) {
				t.Errorf("%s: usage line of %s = %q", l.Locale(), v, u)
			}
			if v.describe(l) == "" {
				t.Errorf("%s: no help for %s", l.Locale(), v)
			}
		}
		general = usageLine{oncall: true}.text(l)
		help := OncallHelpText(l)
		for _, v := range OncallVerbs() {
			if u := v.Usage(l); u == general || !strings.HasPrefix(u, "/oncall") {
				t.Errorf("%s: usage line of %s = %q", l.Locale(), v, u)
			}
			// /oncall help is one message; it names every typed verb.
			if r, _ := oncallTable.row(v); !r.untyped && v != OncallNow && !strings.Contains(help, "/oncall "+string(v)) {
				t.Errorf("%s: /oncall help lacks %s", l.Locale(), v)
			}
		}
	}
}

// TestVerbNamesAreUnique: a typed name finds one verb, whatever its case.
func TestVerbNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range IncidentVerbs() {
		if seen[string(v)] || string(v) != strings.ToLower(string(v)) {
			t.Errorf("/incident %s: repeated or not lowercase", v)
		}
		seen[string(v)] = true
	}
	seen = map[string]bool{}
	for _, v := range OncallVerbs() {
		if seen[string(v)] || string(v) != strings.ToLower(string(v)) {
			t.Errorf("/oncall %s: repeated or not lowercase", v)
		}
		seen[string(v)] = true
	}
}
