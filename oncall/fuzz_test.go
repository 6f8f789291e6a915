package oncall

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// fuzzSchedule builds a two-layer schedule and an override from raw fuzz
// values, unchecked: Validate decides.
func fuzzSchedule(zone, typ uint8, start int64, handoff int16, length int64, members uint8, days uint8, from, to int16, typ2 uint8, ovAt, ovLen int64) (Schedule, []Override) {
	loc := time.UTC
	if z := propertyZones[int(zone)%len(propertyZones)]; z != "UTC" {
		loc, _ = time.LoadLocation(z)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
	types := append(slices.Clone(rotationTypes), "bogus")
	users := []string{"U01", "U02", "U03", "bad user"}
	var ms []string
	for i := range int(members % 6) {
		ms = append(ms, users[i%len(users)])
	}
	r1 := Rotation{Name: "a", Type: types[int(typ)%len(types)], Start: base.Add(time.Duration(start%(1<<40)) * time.Second),
		HandoffTime: TimeOfDay(handoff), ShiftLength: time.Duration(length%(1<<50)) * time.Second, Members: ms}
	var wd []time.Weekday
	for d := range 8 {
		if days&(1<<d) != 0 {
			wd = append(wd, time.Weekday(d))
		}
	}
	r2 := Rotation{Name: "b", Type: types[int(typ2)%len(types)], Start: r1.Start.Add(-36 * time.Hour), ShiftLength: 7 * time.Hour,
		HandoffTime: TimeOfDay(int(handoff) % 1440), Members: []string{"U04", "U05"}, Active: &Active{Days: wd, From: TimeOfDay(from), To: TimeOfDay(to)}}
	s := Schedule{Name: "fz", Timezone: loc, Rotations: []Rotation{r1, r2}}
	o := Override{ID: "o", Schedule: "fz", User: "U09", From: r1.Start.Add(time.Duration(ovAt%(1<<30)) * time.Second)}
	o.To = o.From.Add(time.Duration(ovLen%(1<<30)) * time.Second)
	return s, []Override{o}
}

// FuzzSchedule: Validate never panics, returns FieldErrors with paths, and
// whatever it accepts can be asked anything: a week of Shifts and Gaps tiles
// time, and OnCall agrees with them. Seeds: testdata/fuzz/FuzzSchedule and
// these.
func FuzzSchedule(f *testing.F) {
	f.Add(uint8(0), uint8(1), int64(9*3600), int16(540), int64(0), uint8(2), uint8(0b0111110), int16(540), int16(1080), uint8(4), int64(3600), int64(7200))
	f.Add(uint8(2), uint8(4), int64(-86400*3), int16(150), int64(5400), uint8(3), uint8(0b1000001), int16(1320), int16(360), uint8(3), int64(86400*5), int64(3600*30))
	f.Add(uint8(1), uint8(3), int64(86400*30), int16(90), int64(0), uint8(1), uint8(0), int16(0), int16(1440), uint8(0), int64(-5), int64(0))
	f.Add(uint8(3), uint8(5), int64(0), int16(-1), int64(-60), uint8(0), uint8(255), int16(2000), int16(2000), uint8(5), int64(0), int64(-1))
	f.Fuzz(func(t *testing.T, zone, typ uint8, start int64, handoff int16, length int64, members uint8, days uint8, from, to int16, typ2 uint8, ovAt, ovLen int64) {
		s, ovs := fuzzSchedule(zone, typ, start, handoff, length, members, days, from, to, typ2, ovAt, ovLen)
		err := s.Validate()
		if err != nil {
			var fe FieldErrors
			if !errors.As(err, &fe) || len(fe) == 0 || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not FieldErrors", err)
			}
			for _, e := range fe {
				if e.Msg == "" {
					t.Fatalf("empty message at %q", e.Path)
				}
			}
			return
		}
		if ovs[0].Validate() != nil {
			ovs = nil
		}
		lo := s.Rotations[0].Start.Add(-24 * time.Hour)
		hi := lo.Add(7 * 24 * time.Hour)
		all := append(Shifts(s, ovs, lo, hi), Gaps(s, ovs, lo, hi)...)
		slices.SortFunc(all, func(a, b Shift) int { return a.Start.Compare(b.Start) })
		if len(all) == 0 || all[0].Start.After(lo) || all[len(all)-1].End.Before(hi) {
			t.Fatalf("timeline does not cover the week: %v", fmtShifts(all))
		}
		for i := range all {
			if !all[i].End.After(all[i].Start) || (i > 0 && !all[i].Start.Equal(all[i-1].End)) {
				t.Fatalf("timeline breaks at %d: %v", i, fmtShifts(all))
			}
		}
		for _, sh := range all[:min(len(all), 50)] {
			at := sh.Start
			if at.Before(lo) {
				at = lo
			}
			if got := OnCall(s, ovs, at); got.User != sh.User || !slices.Equal(got.Also, sh.Also) || !got.End.Equal(sh.End) {
				t.Fatalf("OnCall(%v) = %s, Shifts say %s", at, fmtShift(got), fmtShift(sh))
			}
		}
	})
}
