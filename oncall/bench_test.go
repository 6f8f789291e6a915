package oncall

import (
	"fmt"
	"testing"
	"time"
)

// benchSchedule: four layers (weekly base, daily follow-the-sun, weekend
// cover, nights across midnight) and n days of daily 4-hour overrides before
// and around the benchmarked instant.
func benchSchedule(b testing.TB, days int) (Schedule, []Override, time.Time) {
	loc := mustZone(b, "America/New_York")
	start := lt(b, loc, "2025-01-06 09:00")
	s := Schedule{Name: "primary", Timezone: loc, Rotations: []Rotation{
		{Name: "weekly", Type: RotationWeekly, Start: start, HandoffTime: 9 * 60, Members: []string{"U01", "U02", "U03", "U04"}},
		{Name: "days", Type: RotationDaily, Start: start, HandoffTime: 9 * 60, Members: []string{"U05", "U06"},
			Active: &Active{Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, From: 9 * 60, To: 17 * 60}},
		{Name: "weekend", Type: RotationCustom, ShiftLength: 48 * time.Hour, Start: start, Members: []string{"U07", "U08"},
			Active: &Active{Days: []time.Weekday{time.Saturday, time.Sunday}, From: 0, To: 24 * 60}},
		{Name: "nights", Type: RotationDaily, Start: start, HandoffTime: 22 * 60, Members: []string{"U09", "U10", "U11"},
			Active: &Active{From: 22 * 60, To: 6 * 60}},
	}}
	at := lt(b, loc, "2026-03-10 12:00")
	var ovs []Override
	for d := range days {
		from := at.AddDate(0, 0, d-days+3).Add(-2 * time.Hour)
		ovs = append(ovs, Override{ID: fmt.Sprint(d), Schedule: "primary", User: "U12", From: from, To: from.Add(4 * time.Hour)})
	}
	SortOverrides(ovs)
	return s, ovs, at
}

func BenchmarkOnCall(b *testing.B) {
	for _, days := range []int{0, 365, 3650} {
		b.Run(fmt.Sprintf("overrides=%d", days), func(b *testing.B) {
			s, ovs, at := benchSchedule(b, days)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				OnCall(s, ovs, at.Add(time.Duration(i%1000)*time.Minute))
			}
		})
	}
}

func BenchmarkShifts90Days(b *testing.B) {
	s, ovs, at := benchSchedule(b, 365)
	b.ReportAllocs()
	for b.Loop() {
		Shifts(s, ovs, at, at.AddDate(0, 0, 90))
	}
}

// TestOnCallDoesNotAllocate: OnCall allocates nothing, however long the
// override history (add overrides holding at the instant aside).
func TestOnCallDoesNotAllocate(t *testing.T) {
	for _, days := range []int{0, 365, 3650} {
		s, ovs, at := benchSchedule(t, days)
		if n := testing.AllocsPerRun(100, func() { OnCall(s, ovs, at) }); n != 0 {
			t.Errorf("%d days of overrides: %.1f allocations a call, want 0", days, n)
		}
	}
}
