package oncall

import (
	"fmt"
	"testing"
	"time"
)

func TestComputeLoad(t *testing.T) {
	s := layered(t)
	loc := s.Timezone
	at := func(v string) time.Time { return lt(t, loc, v) }
	ovs := []Override{{ID: "o1", Schedule: "primary", Kind: OverrideAdd, User: "U09", From: at("2026-01-13 20:00"), To: at("2026-01-14 02:00")}}
	pages := []Page{
		{User: "U02", At: at("2026-01-13 03:00")}, // night
		{User: "U02", At: at("2026-01-13 14:00")}, // day
		{User: "U05", At: at("2026-01-14 23:30")}, // night
		{User: "U02", At: at("2026-01-20 03:00")}, // outside the window
		{User: "U77", At: at("2026-01-12 22:00")}, // paged directly, never on call
	}
	// One week from Monday 09:00: U02's weekly shift, minus Wednesday night
	// (U05) and the weekend (U03).
	got := ComputeLoad(s, ovs, pages, at("2026-01-12 09:00"), at("2026-01-19 09:00"))
	var lines []string
	for _, l := range got {
		lines = append(lines, fmt.Sprintf("%s on=%s out=%s pages=%d night=%d", l.User, short(l.OnCall), short(l.OutOfHours), l.Pages, l.NightPages))
	}
	diffLines(t, lines, []string{
		// 61h + 42h + 9h on call; working hours Mon 09–18 … Fri 09–18 = 45h,
		// less nothing (U05's night is outside them): 112h - 45h out of hours.
		"U02 on=112h out=67h pages=2 night=1",
		"U03 on=48h out=48h pages=0 night=0",
		"U05 on=8h out=8h pages=1 night=1",
		"U09 on=6h out=6h pages=0 night=0",
		"U77 on=0s out=0s pages=1 night=1",
	})
}

func TestHours(t *testing.T) {
	loc := mustZone(t, "Europe/London")
	tests := []struct {
		at         string
		night, ooh bool
	}{
		{"2026-01-12 08:59", false, true}, // Monday before work
		{"2026-01-12 09:00", false, false},
		{"2026-01-12 17:59", false, false},
		{"2026-01-12 18:00", false, true},
		{"2026-01-12 22:00", true, true},
		{"2026-01-13 06:59", true, true},
		{"2026-01-13 07:00", false, true},
		{"2026-01-17 12:00", false, true}, // Saturday
	}
	for _, tt := range tests {
		tm := lt(t, loc, tt.at)
		if isNight(loc, tm) != tt.night || IsOutOfHours(loc, tm) != tt.ooh {
			t.Errorf("%s: night %v out-of-hours %v, want %v %v", tt.at, isNight(loc, tm), IsOutOfHours(loc, tm), tt.night, tt.ooh)
		}
	}
}
