package oncall

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	almaty := mustZone(t, "Asia/Almaty")
	ny := mustZone(t, "America/New_York")
	now := time.Date(2026, 12, 1, 10, 15, 30, 0, almaty) // a Tuesday
	tests := []struct {
		in   string
		loc  *time.Location
		now  time.Time
		want string // RFC 3339, or "error: <substring>"
	}{
		{"now", almaty, now, "2026-12-01T10:15:30+05:00"},
		{"  NOW ", almaty, now, "2026-12-01T10:15:30+05:00"},
		{"+8h", almaty, now, "2026-12-01T18:15:30+05:00"},
		{"+30m", almaty, now, "2026-12-01T10:45:30+05:00"},
		{"+1h30m", almaty, now, "2026-12-01T11:45:30+05:00"},
		{"+2d", almaty, now, "2026-12-03T10:15:30+05:00"},
		{"09:00", almaty, now, "2026-12-02T09:00:00+05:00"}, // passed today: tomorrow
		{"18:00", almaty, now, "2026-12-01T18:00:00+05:00"}, // still ahead: today
		{"10:15", almaty, now, "2026-12-02T10:15:00+05:00"}, // strictly after now
		{"today 09:00", almaty, now, "2026-12-01T09:00:00+05:00"},
		{"tomorrow 09:00", almaty, now, "2026-12-02T09:00:00+05:00"},
		{"Tomorrow   9:00", almaty, now, "2026-12-02T09:00:00+05:00"},
		{"tue 09:00", almaty, now, "2026-12-08T09:00:00+05:00"},
		{"tue 11:00", almaty, now, "2026-12-01T11:00:00+05:00"},
		{"friday 17:30", almaty, now, "2026-12-04T17:30:00+05:00"},
		{"2026-12-01 09:00", almaty, now, "2026-12-01T09:00:00+05:00"},
		{"2026-12-24T18:00", almaty, now, "2026-12-24T18:00:00+05:00"},
		{"2027-01-01", almaty, now, "2027-01-01T00:00:00+05:00"},
		// New York: +2d keeps the wall clock across the change, +48h does not.
		{"+2d", ny, time.Date(2026, 3, 7, 9, 0, 0, 0, ny), "2026-03-09T09:00:00-04:00"},
		{"+48h", ny, time.Date(2026, 3, 7, 9, 0, 0, 0, ny), "2026-03-09T10:00:00-04:00"},
		{"2026-11-01 01:30", ny, now, "2026-11-01T01:30:00-04:00"}, // happens twice: the first
		{"2026-03-08 02:30", ny, now, "error: 2026-03-08 02:30 does not exist in America/New_York (the clocks jump forward)"},
		{"", almaty, now, "error: no time given"},
		{"+", almaty, now, "error: want a duration after +"},
		{"+-5m", almaty, now, "error: want a duration after +"},
		{"+0s", almaty, now, "error: must be ahead of now"},
		{"+9000h", almaty, now, "error: at most 366 days ahead"},
		{"+400d", almaty, now, "error: want a number of days from 1 to 366"},
		{"9am", almaty, now, `error: "9am" is neither a day`},
		{"tomorrow 25:00", almaty, now, `error: "25:00" is not a time of day HH:MM`},
		{"tomorrow 24:00", almaty, now, `error: "24:00" is not a time of day HH:MM`},
		{"someday 09:00", almaty, now, `error: "someday" is neither a day (today, tomorrow, mon…sun) nor a date YYYY-MM-DD`},
		{"2026-02-30 09:00", almaty, now, `error: "2026-02-30" is neither a day`},
		{"2026-12-01T09:00 10:00", almaty, now, "error: a date with T takes its time after the T only"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in, tt.now, tt.loc)
			if want, isErr := strings.CutPrefix(tt.want, "error: "); isErr {
				if err == nil || !errors.Is(err, ErrBadTime) || !strings.Contains(err.Error(), want) {
					t.Fatalf("got %v, %v; want an ErrBadTime containing %q", got, err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v, want %s", err, tt.want)
			}
			if s := got.Format(time.RFC3339); s != tt.want {
				t.Errorf("got %s, want %s", s, tt.want)
			}
		})
	}
}

func TestParseRange(t *testing.T) {
	loc := mustZone(t, "Asia/Almaty")
	now := time.Date(2026, 12, 1, 10, 15, 0, 0, loc)
	tests := []struct {
		from, to  string
		wantFrom  string
		wantTo    string
		wantError string
	}{
		{"tomorrow 09:00", "+8h", "2026-12-02T09:00:00+05:00", "2026-12-02T17:00:00+05:00", ""},
		{"now", "tomorrow 09:00", "2026-12-01T10:15:00+05:00", "2026-12-02T09:00:00+05:00", ""},
		{"2026-12-05 09:00", "+2d", "2026-12-05T09:00:00+05:00", "2026-12-07T09:00:00+05:00", ""},
		{"tomorrow 09:00", "today 18:00", "", "", "to (2026-12-01 18:00) must be after from (2026-12-02 09:00)"},
		{"later", "+1h", "", "", "from: bad time"},
		{"now", "soon", "", "", "to: bad time"},
	}
	for _, tt := range tests {
		t.Run(tt.from+"→"+tt.to, func(t *testing.T) {
			f, to, err := ParseRange(tt.from, tt.to, now, loc)
			if tt.wantError != "" {
				if err == nil || !errors.Is(err, ErrBadTime) || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantError)
				}
				return
			}
			if err != nil || f.Format(time.RFC3339) != tt.wantFrom || to.Format(time.RFC3339) != tt.wantTo {
				t.Errorf("got %s, %s, %v; want %s, %s", f.Format(time.RFC3339), to.Format(time.RFC3339), err, tt.wantFrom, tt.wantTo)
			}
		})
	}
}

// FuzzParseTime: no input panics; a success is a time strictly after now
// for the forward-looking forms, within the supported years, and every
// error wraps ErrBadTime. Seeds: testdata/fuzz/FuzzParseTime and these.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"now", "+8h", "+30m", "+2d", "09:00", "tomorrow 09:00", "today 00:00", "sun 23:59",
		"2026-12-01 09:00", "2026-12-01T09:00", "2026-03-08 02:30", "+1h30m", "24:00", "mon", "+99999999999h"} {
		f.Add(s)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 3, 7, 23, 30, 0, 0, ny)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s, now, ny)
		if err != nil {
			if !errors.Is(err, ErrBadTime) {
				t.Fatalf("%q: error %v does not wrap ErrBadTime", s, err)
			}
			return
		}
		if got.Location() != ny || got.Year() < 1969 || got.Year() > 10000 {
			t.Fatalf("%q: got %v", s, got)
		}
		in := strings.ToLower(strings.TrimSpace(s))
		if (strings.HasPrefix(in, "+") || strings.HasPrefix(in, "tomorrow")) && !got.After(now) {
			t.Fatalf("%q: %v is not after now %v", s, got, now)
		}
		if _, err := ParseTimeOfDay(in); err == nil && in != "24:00" && !got.After(now) {
			t.Fatalf("%q: the next such time %v is not after now", s, got)
		}
	})
}
