package oncall

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var propertyZones = []string{"Asia/Almaty", "Europe/London", "America/New_York", "Australia/Lord_Howe", "UTC"}

// randomSchedule builds a schedule of 1 to 4 layers of every type, with
// windows (some across midnight), handoffs often at 01:30 or 02:30 to land in
// DST gaps and folds, and overrides of every kind within the year.
func randomSchedule(t *testing.T, r *rand.Rand, year int) (Schedule, []Override) {
	loc := mustZone(t, propertyZones[r.IntN(len(propertyZones))])
	yearStart := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	users := []string{"U01", "U02", "U03", "U04", "U05", "U06"}
	minute := func(max int) int { return r.IntN(max) }
	tod := func() TimeOfDay {
		switch r.IntN(4) {
		case 0:
			return 90 // 01:30
		case 1:
			return 150 // 02:30
		}
		return TimeOfDay(minute(24*4) * 15)
	}
	s := Schedule{Name: "p", Timezone: loc}
	for i := range 1 + r.IntN(4) {
		rot := Rotation{
			Name:        fmt.Sprintf("r%d", i),
			Type:        rotationTypes[r.IntN(len(rotationTypes))],
			Start:       yearStart.Add(time.Duration(r.IntN(60*24*60)-30*24*60) * time.Minute),
			HandoffTime: tod(),
		}
		rot.Start = rot.Start.Truncate(time.Minute)
		if rot.Type == RotationCustom {
			rot.ShiftLength = []time.Duration{90 * time.Minute, 8 * time.Hour, 12 * time.Hour, 48 * time.Hour, 72*time.Hour + 30*time.Minute}[r.IntN(5)]
		}
		for range 1 + r.IntN(4) {
			rot.Members = append(rot.Members, users[r.IntN(len(users))])
		}
		if i > 0 && r.IntN(3) > 0 {
			a := &Active{From: tod(), To: tod()}
			if r.IntN(3) == 0 {
				a.From, a.To = 0, 24*60
			}
			if a.From == a.To {
				a.To = (a.From + 8*60) % (24 * 60)
			}
			for d := range 7 {
				if r.IntN(2) == 0 {
					a.Days = append(a.Days, time.Weekday(d))
				}
			}
			rot.Active = a
		}
		s.Rotations = append(s.Rotations, rot)
	}
	var ovs []Override
	for i := range r.IntN(30) {
		from := yearStart.Add(time.Duration(r.IntN(365*24*4)) * 15 * time.Minute)
		o := Override{ID: fmt.Sprintf("o%d", i), Schedule: "p", User: users[r.IntN(len(users))], From: from,
			To: from.Add(time.Duration(1+r.IntN(96)) * time.Hour)}
		switch r.IntN(3) {
		case 1:
			o.Kind = OverrideAdd
		case 2:
			if rp := users[r.IntN(len(users))]; rp != o.User {
				o.Replaces = rp
			}
		}
		if r.IntN(10) == 0 {
			o.Schedule = "other"
		}
		ovs = append(ovs, o)
	}
	SortOverrides(ovs)
	if err := s.Validate(); err != nil {
		t.Fatalf("generated an invalid schedule: %v", err)
	}
	return s, ovs
}

// brute is an independent model: it walks the year minute by minute,
// keeping the highest local reading the clock has shown (a handoff at wall
// time w happens once the clock has reached w), and decides each layer from
// that reading alone.
type brute struct {
	s    Schedule
	ovs  []Override
	k0   []int64
	wall int64 // highest local reading so far, in minutes
}

func civil(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, t.Hour(), t.Minute(), 0, 0, time.UTC).Unix() / 60
}

func (b *brute) cellIndex(r Rotation, w int64) int64 {
	st := r.Start.In(b.s.Timezone)
	day := time.Date(st.Year(), st.Month(), st.Day(), 0, 0, 0, 0, time.UTC).Unix() / 60
	div := func(a, p int64) int64 {
		if a >= 0 {
			return a / p
		}
		return -((-a + p - 1) / p)
	}
	switch r.Type {
	case RotationHourly:
		return div(w-civil(st), 60)
	case RotationCustom:
		return div(w-civil(st), int64(r.ShiftLength/time.Minute))
	case RotationDaily:
		return div(w-day-int64(r.HandoffTime), 1440)
	case RotationWeekly:
		return div(w-day-int64(r.HandoffTime), 7*1440)
	}
	// monthly: count month boundaries reached
	wt := time.Unix(w*60, 0).UTC()
	k := int64((wt.Year()-st.Year())*12 + int(wt.Month()) - int(st.Month()))
	for range 3 {
		bt := time.Date(st.Year(), st.Month()+time.Month(k), 1, 0, 0, 0, 0, time.UTC)
		last := time.Date(bt.Year(), bt.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
		bw := time.Date(bt.Year(), bt.Month(), min(st.Day(), last), 0, 0, 0, 0, time.UTC).Unix()/60 + int64(r.HandoffTime)
		if w >= bw {
			return k
		}
		k--
	}
	return k
}

func (b *brute) active(r Rotation, w int64) bool {
	if r.Active == nil {
		return true
	}
	a := r.Active
	length := int64(a.To - a.From)
	if a.To <= a.From {
		length += 1440
	}
	day := w / 1440
	for d := day - 1; d <= day; d++ {
		wd := time.Unix(d*86400, 0).UTC().Weekday()
		if len(a.Days) > 0 && !slices.Contains(a.Days, wd) {
			continue
		}
		if ws := d*1440 + int64(a.From); ws <= w && w < ws+length {
			return true
		}
	}
	return false
}

// layer is who layer i puts on call at t, or "".
func (b *brute) layer(i int, t time.Time) string {
	r := b.s.Rotations[i]
	if t.Before(r.Start) || !b.active(r, b.wall) {
		return ""
	}
	k := b.cellIndex(r, b.wall) - b.k0[i]
	n := int64(len(r.Members))
	return r.Members[((k%n)+n)%n]
}

func (b *brute) people(t time.Time) (string, []string) {
	user := ""
	for i := len(b.s.Rotations) - 1; i >= 0; i-- {
		if u := b.layer(i, t); u != "" {
			user = u
			break
		}
	}
	var also []string
	for _, o := range b.ovs {
		if o.Schedule == b.s.Name && !t.Before(o.From) && t.Before(o.To) && o.Kind != OverrideAdd && (o.Replaces == "" || o.Replaces == user) {
			user = o.User
		}
	}
	for _, o := range b.ovs {
		if o.Schedule == b.s.Name && !t.Before(o.From) && t.Before(o.To) && o.Kind == OverrideAdd && o.User != user && !slices.Contains(also, o.User) {
			also = append(also, o.User)
		}
	}
	return user, also
}

func TestPropertyRandomYear(t *testing.T) {
	seeds := 12
	if testing.Short() {
		seeds = 3
	}
	for seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(seed), 2024))
			year := 2024 + r.IntN(3)
			s, ovs := randomSchedule(t, r, year)
			loc := s.Timezone
			from := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
			to := time.Date(year+1, 1, 1, 0, 0, 0, 0, loc)
			b := &brute{s: s, ovs: ovs, k0: make([]int64, len(s.Rotations))}

			shifts := Shifts(s, ovs, from, to)
			gaps := Gaps(s, ovs, from, to)
			all := append(slices.Clone(shifts), gaps...)
			slices.SortFunc(all, func(a, b Shift) int { return a.Start.Compare(b.Start) })
			// The schedule's timeline tiles [from, to): no gap, no overlap.
			if len(all) == 0 || all[0].Start.After(from) || all[len(all)-1].End.Before(to) {
				t.Fatalf("timeline does not cover the year")
			}
			for i := 1; i < len(all); i++ {
				if !all[i].Start.Equal(all[i-1].End) || !all[i].End.After(all[i].Start) {
					t.Fatalf("timeline breaks between %s and %s", fmtShift(all[i-1]), fmtShift(all[i]))
				}
				if all[i].User == all[i-1].User && slices.Equal(all[i].Also, all[i-1].Also) {
					t.Fatalf("unmerged: %s then %s", fmtShift(all[i-1]), fmtShift(all[i]))
				}
			}
			layers := make([][]Shift, len(s.Rotations))
			for i := range s.Rotations {
				layers[i] = layerShifts(s, i, from, to)
				for j := 1; j < len(layers[i]); j++ {
					prev, cur := layers[i][j-1], layers[i][j]
					if cur.Start.Before(prev.End) || !cur.End.After(cur.Start) {
						t.Fatalf("layer %d overlaps: %s then %s", i, fmtShift(prev), fmtShift(cur))
					}
					if s.Rotations[i].Active == nil && !cur.Start.Equal(prev.End) {
						t.Fatalf("layer %d without a window has a gap: %s then %s", i, fmtShift(prev), fmtShift(cur))
					}
				}
			}

			// Walk minute by minute from well before the year (so the
			// highest reading and each Start's cell are known), checking
			// every 30 minutes.
			startMin := from.Add(-40 * 24 * time.Hour).Truncate(time.Minute)
			pos := make([]int, len(s.Rotations))
			ti, checked := 0, 0
			for now := startMin; now.Before(to); now = now.Add(time.Minute) {
				b.wall = max(b.wall, civil(now.In(loc)))
				for i, rot := range s.Rotations {
					if now.Equal(rot.Start) {
						b.k0[i] = b.cellIndex(rot, b.wall)
					}
				}
				if now.Before(from) || now.Minute()%30 != 0 {
					continue
				}
				checked++
				wantUser, wantAlso := b.people(now)
				got := OnCall(s, ovs, now)
				if got.User != wantUser || !slices.Equal(got.Also, wantAlso) {
					t.Fatalf("%s (%s): OnCall = %s, brute force %q %v\nschedule %+v", now, now.UTC(), fmtShift(got), wantUser, wantAlso, s)
				}
				if got.Start.After(now) || !got.End.After(now) {
					t.Fatalf("%s: shift %s does not hold it", now, fmtShift(got))
				}
				for ti < len(all) && !all[ti].End.After(now) {
					ti++
				}
				if sh := all[ti]; sh.User != wantUser || !slices.Equal(sh.Also, wantAlso) || sh.Start.After(now) {
					t.Fatalf("%s: Shifts has %s, brute force %q %v", now, fmtShift(sh), wantUser, wantAlso)
				}
				for i := range s.Rotations {
					ls := layers[i]
					for pos[i] < len(ls) && !ls[pos[i]].End.After(now) {
						pos[i]++
					}
					in := ""
					if pos[i] < len(ls) && !ls[pos[i]].Start.After(now) {
						in = ls[pos[i]].User
					}
					if want := b.layer(i, now); in != want {
						t.Fatalf("%s: layer %d shift says %q, brute force %q", now, i, in, want)
					}
				}
			}
			if checked < 17000 {
				t.Fatalf("checked %d instants", checked)
			}
		})
	}
}
