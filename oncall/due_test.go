package oncall

import (
	"errors"
	"testing"
	"time"
)

func TestDueDate(t *testing.T) {
	almaty := time.FixedZone("Almaty", 5*3600)
	now := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC) // Wed 2 Dec 01:00 in Almaty
	endOf := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 23, 59, 59, 0, almaty).UTC() }
	for s, want := range map[string]time.Time{
		"2026-12-24": endOf(2026, 12, 24),
		"today":      endOf(2026, 12, 2),
		" Tomorrow ": endOf(2026, 12, 3),
		"+0d":        endOf(2026, 12, 2),
		"+3d":        endOf(2026, 12, 5),
		"+2w":        endOf(2026, 12, 16),
		"fri":        endOf(2026, 12, 4),
		"wednesday":  endOf(2026, 12, 9), // today is Wednesday there: the next one
		"2020-01-01": endOf(2020, 1, 1),  // past dates are accepted
	} {
		got, err := DueDate(s, now, almaty)
		if err != nil || !got.Equal(want) {
			t.Errorf("DueDate(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for bad, tooFar := range map[string]bool{"": false, "someday": false, "+d": false, "+-3d": false, "++3d": false,
		"2026-13-01": false, "+3h": false, "now": false, "09:00": false, "fri 09:00": false, "2040-01-01": true, "+3661d": false, "+600w": true} {
		_, err := DueDate(bad, now, almaty)
		var de *DueError
		if !errors.As(err, &de) || de.TooFar != tooFar {
			t.Errorf("DueDate(%q) error = %v; want a *DueError, too far %v", bad, err, tooFar)
		}
	}
}

// TestDayWordsAgree holds what ParseTime and DueDate share: a day named
// alone (today, tomorrow, a weekday, a date) is the same day for both —
// ParseTime's midnight starts it, DueDate's 23:59:59 ends it — in every
// zone, on every weekday, also on a day whose midnight the clocks skip.
func TestDayWordsAgree(t *testing.T) {
	words := []string{"today", "tomorrow", "2026-12-24", "2027-03-14"}
	for name := range weekdayNames {
		words = append(words, name)
	}
	for _, zone := range []string{"UTC", "Asia/Almaty", "America/New_York", "Pacific/Apia"} {
		loc := mustZone(t, zone)
		for h := 0; h < 9*24; h += 5 {
			now := time.Date(2026, 3, 5, 0, 30, 0, 0, loc).Add(time.Duration(h) * time.Hour)
			for _, w := range words {
				start, err := ParseTime(w, now, loc)
				if err != nil {
					continue // a midnight the clocks skip: no start, the day still ends
				}
				due, err := DueDate(w, now, loc)
				if err != nil {
					t.Fatalf("DueDate(%q) at %v: %v", w, now, err)
				}
				sy, sm, sd := start.Date()
				dy, dm, dd := due.In(loc).Date()
				if sy != dy || sm != dm || sd != dd {
					t.Errorf("%s at %v in %s: ParseTime's day %v, DueDate's %v", w, now, zone, start, due.In(loc))
				}
			}
		}
	}
}

func TestParseWeekday(t *testing.T) {
	for s, want := range map[string]time.Weekday{"mon": time.Monday, "Sunday": time.Sunday, "SAT": time.Saturday, "thursday": time.Thursday} {
		if got, ok := ParseWeekday(s); !ok || got != want {
			t.Errorf("ParseWeekday(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "mo", "thur", "tues", "weekday", " mon"} {
		if _, ok := ParseWeekday(s); ok {
			t.Errorf("ParseWeekday(%q) accepted", s)
		}
	}
}
