package oncall

import (
	"testing"
	"time"
)

func TestRotationTypes(t *testing.T) {
	utc := time.UTC
	tests := []struct {
		name     string
		r        Rotation
		from, to string
		want     []string
	}{
		{"hourly from :30", Rotation{Type: RotationHourly, Start: lt(t, utc, "2026-01-05 09:30"), Members: []string{"U01", "U02", "U03"}},
			"2026-01-05 09:00", "2026-01-05 12:00", []string{
				"U01 Mon 01-05 09:30 +00 → Mon 01-05 10:30 +00 1h",
				"U02 Mon 01-05 10:30 +00 → Mon 01-05 11:30 +00 1h",
				"U03 Mon 01-05 11:30 +00 → Mon 01-05 12:30 +00 1h",
			}},
		{"daily, start before the handoff: the first member's short first shift", Rotation{Type: RotationDaily, Start: lt(t, utc, "2026-01-05 06:00"), HandoffTime: 9 * 60, Members: []string{"U01", "U02"}},
			"2026-01-05 00:00", "2026-01-07 10:00", []string{
				"U01 Mon 01-05 06:00 +00 → Mon 01-05 09:00 +00 3h",
				"U02 Mon 01-05 09:00 +00 → Tue 01-06 09:00 +00 24h",
				"U01 Tue 01-06 09:00 +00 → Wed 01-07 09:00 +00 24h",
				"U02 Wed 01-07 09:00 +00 → Thu 01-08 09:00 +00 24h",
			}},
		{"daily, start after the handoff", Rotation{Type: RotationDaily, Start: lt(t, utc, "2026-01-05 12:00"), HandoffTime: 9 * 60, Members: []string{"U01", "U02"}},
			"2026-01-05 00:00", "2026-01-06 10:00", []string{
				"U01 Mon 01-05 12:00 +00 → Tue 01-06 09:00 +00 21h",
				"U02 Tue 01-06 09:00 +00 → Wed 01-07 09:00 +00 24h",
			}},
		{"weekly on start's weekday", Rotation{Type: RotationWeekly, Start: lt(t, utc, "2026-01-07 17:45"), HandoffTime: 17*60 + 45, Members: []string{"U01", "U02"}},
			"2026-01-01 00:00", "2026-01-22 00:00", []string{
				"U01 Wed 01-07 17:45 +00 → Wed 01-14 17:45 +00 168h",
				"U02 Wed 01-14 17:45 +00 → Wed 01-21 17:45 +00 168h",
				"U01 Wed 01-21 17:45 +00 → Wed 01-28 17:45 +00 168h",
			}},
		{"monthly from the 31st: short months hand off on their last day", Rotation{Type: RotationMonthly, Start: lt(t, utc, "2026-01-31 09:00"), HandoffTime: 9 * 60, Members: []string{"U01", "U02", "U03"}},
			"2026-01-31 09:00", "2026-05-01 00:00", []string{
				"U01 Sat 01-31 09:00 +00 → Sat 02-28 09:00 +00 672h",
				"U02 Sat 02-28 09:00 +00 → Tue 03-31 09:00 +00 744h",
				"U03 Tue 03-31 09:00 +00 → Thu 04-30 09:00 +00 720h",
				"U01 Thu 04-30 09:00 +00 → Sun 05-31 09:00 +00 744h",
			}},
		{"custom 12h", Rotation{Type: RotationCustom, ShiftLength: 12 * time.Hour, Start: lt(t, utc, "2026-01-05 08:00"), Members: []string{"U01", "U02"}},
			"2026-01-05 08:00", "2026-01-06 08:00", []string{
				"U01 Mon 01-05 08:00 +00 → Mon 01-05 20:00 +00 12h",
				"U02 Mon 01-05 20:00 +00 → Tue 01-06 08:00 +00 12h",
			}},
		{"one member: one shift, reported up to Horizon past to", Rotation{Type: RotationDaily, Start: lt(t, utc, "2026-01-05 09:00"), HandoffTime: 9 * 60, Members: []string{"U01"}},
			"2026-01-05 09:00", "2026-01-08 09:00", []string{
				"U01 Mon 01-05 09:00 +00 → Sat 01-09 09:00 +00 8856h", // to + Horizon
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.Name = "r"
			s := Schedule{Name: "s", Timezone: utc, Rotations: []Rotation{tt.r}}
			if err := s.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			got := fmtShifts(Shifts(s, nil, lt(t, utc, tt.from), lt(t, utc, tt.to)))
			diffLines(t, got, tt.want)
		})
	}
}

// TestZoneChanges: handoffs keep their local time across DST and the
// Almaty zone-rule change; the shift spanning a change lasts 23 or 25 hours.
func TestZoneChanges(t *testing.T) {
	tests := []struct {
		zone     string
		r        Rotation
		from, to string
		want     []string
	}{
		{"America/New_York", Rotation{Type: RotationDaily, HandoffTime: 9 * 60, Members: []string{"U01", "U02"}},
			"2026-03-07 09:00", "2026-03-09 10:00", []string{
				"U01 Sat 03-07 09:00 -05 → Sun 03-08 09:00 -04 23h",
				"U02 Sun 03-08 09:00 -04 → Mon 03-09 09:00 -04 24h",
				"U01 Mon 03-09 09:00 -04 → Tue 03-10 09:00 -04 24h",
			}},
		{"America/New_York", Rotation{Type: RotationDaily, HandoffTime: 9 * 60, Members: []string{"U01", "U02"}},
			"2026-10-31 09:00", "2026-11-01 10:00", []string{
				"U01 Sat 10-31 09:00 -04 → Sun 11-01 09:00 -05 25h",
				"U02 Sun 11-01 09:00 -05 → Mon 11-02 09:00 -05 24h",
			}},
		{"America/New_York", Rotation{Type: RotationHourly, Members: []string{"U01", "U02"}},
			"2026-11-01 00:00", "2026-11-01 03:00", []string{
				"U01 Sun 11-01 00:00 -04 → Sun 11-01 01:00 -04 1h",
				// 01:00 happens twice; the shift that starts at the first
				// one ends at 02:00, two hours later.
				"U02 Sun 11-01 01:00 -04 → Sun 11-01 02:00 -05 2h",
				"U01 Sun 11-01 02:00 -05 → Sun 11-01 03:00 -05 1h",
			}},
		{"America/New_York", Rotation{Type: RotationHourly, Members: []string{"U01", "U02", "U03"}},
			"2026-03-08 00:00", "2026-03-08 04:00", []string{
				"U01 Sun 03-08 00:00 -05 → Sun 03-08 01:00 -05 1h",
				// 02:00 does not exist: U3's 02:00 shift is empty and dropped.
				"U02 Sun 03-08 01:00 -05 → Sun 03-08 03:00 -04 1h",
				"U01 Sun 03-08 03:00 -04 → Sun 03-08 04:00 -04 1h",
			}},
		{"America/New_York", Rotation{Type: RotationDaily, HandoffTime: 2*60 + 30, Members: []string{"U01", "U02"}},
			"2026-03-07 02:30", "2026-03-09 03:00", []string{
				// 02:30 is skipped on the 8th: the handoff is at the jump.
				"U01 Sat 03-07 02:30 -05 → Sun 03-08 03:00 -04 23h30m",
				"U02 Sun 03-08 03:00 -04 → Mon 03-09 02:30 -04 23h30m",
				"U01 Mon 03-09 02:30 -04 → Tue 03-10 02:30 -04 24h",
			}},
		{"Europe/London", Rotation{Type: RotationDaily, HandoffTime: 9 * 60, Members: []string{"U01", "U02"}},
			"2026-03-28 09:00", "2026-03-29 10:00", []string{
				"U01 Sat 03-28 09:00 +00 → Sun 03-29 09:00 +01 23h",
				"U02 Sun 03-29 09:00 +01 → Mon 03-30 09:00 +01 24h",
			}},
		{"Europe/London", Rotation{Type: RotationWeekly, HandoffTime: 9 * 60, Members: []string{"U01", "U02"}},
			"2026-10-19 09:00", "2026-10-26 10:00", []string{
				"U01 Mon 10-19 09:00 +01 → Mon 10-26 09:00 +00 169h",
				"U02 Mon 10-26 09:00 +00 → Mon 11-02 09:00 +00 168h",
			}},
		{"Europe/London", Rotation{Type: RotationCustom, ShiftLength: 12 * time.Hour, Members: []string{"U01", "U02"}},
			"2026-10-24 21:00", "2026-10-25 22:00", []string{
				"U01 Sat 10-24 21:00 +01 → Sun 10-25 09:00 +00 13h",
				"U02 Sun 10-25 09:00 +00 → Sun 10-25 21:00 +00 12h",
				"U01 Sun 10-25 21:00 +00 → Mon 10-26 09:00 +00 12h",
			}},
		{"Asia/Almaty", Rotation{Type: RotationDaily, HandoffTime: 9 * 60, Members: []string{"U01", "U02"}},
			"2024-02-28 09:00", "2024-03-01 10:00", []string{
				"U01 Wed 02-28 09:00 +06 → Thu 02-29 09:00 +06 24h",
				"U02 Thu 02-29 09:00 +06 → Fri 03-01 09:00 +05 25h",
				"U01 Fri 03-01 09:00 +05 → Sat 03-02 09:00 +05 24h",
			}},
		{"Asia/Almaty", Rotation{Type: RotationMonthly, HandoffTime: 0, Members: []string{"U01", "U02"}},
			"2024-02-01 00:00", "2024-03-02 00:00", []string{
				"U01 Thu 02-01 00:00 +06 → Fri 03-01 00:00 +05 697h",
				"U02 Fri 03-01 00:00 +05 → Mon 04-01 00:00 +05 744h",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.zone+"/"+string(tt.r.Type)+"/"+tt.from, func(t *testing.T) {
			loc := mustZone(t, tt.zone)
			tt.r.Name, tt.r.Start = "r", lt(t, loc, tt.from)
			s := Schedule{Name: "s", Timezone: loc, Rotations: []Rotation{tt.r}}
			got := fmtShifts(Shifts(s, nil, lt(t, loc, tt.from), lt(t, loc, tt.to)))
			diffLines(t, got, tt.want)
		})
	}
}
