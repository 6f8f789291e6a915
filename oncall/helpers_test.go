package oncall

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// lt is a local time "2006-01-02 15:04" in loc.
func lt(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fmtShift renders a shift with local times, offsets and its real length,
// so a 23 or 25 hour shift is visible in a table.
func fmtShift(s Shift) string {
	who := s.User
	if who == "" {
		who = "-"
	}
	if len(s.Also) > 0 {
		who += "+" + strings.Join(s.Also, "+")
	}
	return fmt.Sprintf("%s %s → %s %s", who, s.Start.Format("Mon 01-02 15:04 -07"), s.End.Format("Mon 01-02 15:04 -07"), short(s.End.Sub(s.Start)))
}

func fmtShifts(ss []Shift) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmtShift(s)
	}
	return out
}

func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func diffLines(t *testing.T, got, want []string) {
	t.Helper()
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("line %d:\n got  %s\n want %s", i, g, w)
		}
	}
}
