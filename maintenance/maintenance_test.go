package maintenance

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestOccurrencesKeepLocalTimeAcrossDSTAndMidnight(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	// Saturdays 22:00 → Sunday 02:00 in Berlin; DST ends on Sunday 2026-10-25.
	r := Recurring{Name: "nightly", Service: "db", Days: []time.Weekday{time.Saturday}, From: 22 * 60, To: 2 * 60, Zone: berlin}
	ws := r.Occurrences(time.Date(2026, 10, 17, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC))
	if len(ws) != 2 {
		t.Fatalf("occurrences = %+v, want two Saturdays", ws)
	}
	for _, w := range ws {
		from, to := w.From.In(berlin), w.To.In(berlin)
		if from.Hour() != 22 || from.Weekday() != time.Saturday || to.Hour() != 2 || to.Weekday() != time.Sunday {
			t.Errorf("%s: %v → %v, want Sat 22:00 → Sun 02:00 local", w.ID, from, to)
		}
	}
	if d := ws[1].To.Sub(ws[1].From); d != 5*time.Hour {
		t.Errorf("the night DST ends lasts %s, want 5h (an hour repeats)", d)
	}
	if ws[0].ID != "nightly-202610172000" || ws[0].Recurring != "nightly" {
		t.Errorf("ID %q, recurring %q", ws[0].ID, ws[0].Recurring)
	}
	// An occurrence already running at from is included; one ending at from is not.
	mid := r.Occurrences(ws[0].From.Add(time.Hour), ws[0].From.Add(2*time.Hour))
	if len(mid) != 1 || mid[0].ID != ws[0].ID {
		t.Errorf("occurrences from inside one = %+v", mid)
	}
	if after := r.Occurrences(ws[0].To, ws[0].To.Add(time.Hour)); len(after) != 0 {
		t.Errorf("occurrences from its end = %+v, want none", after)
	}
	// A huge range is walked boundedly.
	if n := len(r.Occurrences(time.Time{}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))); n > 60 {
		t.Errorf("%d occurrences from the zero time; the walk is not bounded", n)
	}
}

func TestHolds(t *testing.T) {
	svc := Window{Service: "checkout"}
	if !svc.Holds("checkout", nil) {
		t.Error("a service window does not hold its service's incident")
	}
	m := Window{Matchers: []string{`team="db"`, `env=~"prod|dr"`}}
	for _, tc := range []struct {
		alerts []map[string]string
		want   bool
	}{
		{[]map[string]string{{"team": "db", "env": "prod"}}, true},
		{[]map[string]string{{"team": "db", "env": "prod"}, {"team": "db", "env": "dr"}}, true},
		{[]map[string]string{{"team": "db", "env": "prod"}, {"team": "web", "env": "prod"}}, false}, // another alert still pages
		{[]map[string]string{{"team": "db", "env": "stage"}}, false},
		{nil, false},
	} {
		if got := m.Holds("", tc.alerts); got != tc.want {
			t.Errorf("Holds(%v) = %v, want %v", tc.alerts, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	ok := Window{Service: "s", From: t0, To: t0.Add(time.Hour)}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		w    Window
		want string
	}{
		{Window{From: t0, To: t0.Add(time.Hour)}, "needs a service or matchers"},
		{Window{Service: "s", Matchers: []string{`a="b"`}, From: t0, To: t0.Add(time.Hour)}, "not both"},
		{Window{Matchers: []string{`a=~".*"`}, From: t0, To: t0.Add(time.Hour)}, "match every alert"},
		{Window{Matchers: []string{`a=~"("`}, From: t0, To: t0.Add(time.Hour)}, "regular expression"},
		{Window{Service: "s", From: t0, To: t0}, "must end after it starts"},
		{Window{Service: "s", From: t0, To: t0.Add(32 * 24 * time.Hour)}, "at most 31 days"},
		{Window{Service: "s", From: t0, To: t0.Add(time.Hour), Reason: strings.Repeat("x", 301)}, "longer than 300"},
	} {
		err := tc.w.Validate()
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.w, err, tc.want)
		}
	}
	if got := (Window{Matchers: []string{`a="b"`, `c!="d"`}}).Target(); got != `{a="b", c!="d"}` {
		t.Errorf("Target = %q", got)
	}
}
