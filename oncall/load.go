package oncall

import (
	"cmp"
	"slices"
	"time"
)

// Working hours and night, local to the schedule's zone. Out of hours is
// everything outside Monday to Friday, WorkFrom to WorkTo: weekday nights
// and evenings and all of Saturday and Sunday. Night (for pages) is
// NightFrom to NightTo on any day. Public holidays are not known here.
const (
	WorkFrom  TimeOfDay = 9 * 60
	WorkTo    TimeOfDay = 18 * 60
	NightFrom TimeOfDay = 22 * 60
	NightTo   TimeOfDay = 7 * 60
)

// Page is one page a person received, for load figures.
type Page struct {
	User string
	At   time.Time
}

// Load is one person's on-call load over a window.
type Load struct {
	User string
	// OnCall is the time on call (as User or beside, by an add override);
	// OutOfHours is the part of it outside working hours.
	OnCall, OutOfHours time.Duration
	// Pages received in the window, and how many of them at night.
	Pages, NightPages int
}

// ComputeLoad returns the load of everyone on call or paged on the schedule
// within [from, to), most time on call first. overrides must be sorted by
// From; pages may name anyone and are counted when within the window.
func ComputeLoad(s Schedule, overrides []Override, pages []Page, from, to time.Time) []Load {
	byUser := map[string]*Load{}
	get := func(u string) *Load {
		l := byUser[u]
		if l == nil {
			l = &Load{User: u}
			byUser[u] = l
		}
		return l
	}
	z := newZone(s.Timezone)
	lo, hi := from.Unix(), to.Unix()
	for _, sh := range Shifts(s, overrides, from, to) {
		a, b := max(sh.Start.Unix(), lo), min(sh.End.Unix(), hi)
		if a >= b {
			continue
		}
		total := time.Duration(b-a) * time.Second
		out := total - workingOverlap(&z, a, b)
		for _, u := range sh.Users() {
			l := get(u)
			l.OnCall += total
			l.OutOfHours += out
		}
	}
	for _, p := range pages {
		if t := p.At.Unix(); p.User == "" || t < lo || t >= hi {
			continue
		}
		l := get(p.User)
		l.Pages++
		if isNight(s.Timezone, p.At) {
			l.NightPages++
		}
	}
	out := make([]Load, 0, len(byUser))
	for _, l := range byUser {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b Load) int {
		if c := cmp.Compare(b.OnCall, a.OnCall); c != 0 {
			return c
		}
		return cmp.Compare(a.User, b.User)
	})
	return out
}

// workingOverlap is how much of [a, b) falls in working hours.
func workingOverlap(z *zone, a, b int64) time.Duration {
	var sum int64
	first, last := floorDiv(z.wall(a), 1440)-1, floorDiv(z.wall(b), 1440)+1
	for d := first; d <= last; d++ {
		if wd := weekdayOf(d); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		ws, we := z.instant(d*1440+int64(WorkFrom)), z.instant(d*1440+int64(WorkTo))
		if s, e := max(ws, a), min(we, b); e > s {
			sum += e - s
		}
	}
	return time.Duration(sum) * time.Second
}

// isNight reports whether t is between NightFrom and NightTo in loc.
func isNight(loc *time.Location, t time.Time) bool {
	z := newZone(loc)
	m := TimeOfDay(mod(z.wall(t.Unix()), 1440))
	return m >= NightFrom || m < NightTo
}

// IsOutOfHours reports whether t is outside working hours in loc.
func IsOutOfHours(loc *time.Location, t time.Time) bool {
	z := newZone(loc)
	w := z.wall(t.Unix())
	m := TimeOfDay(mod(w, 1440))
	wd := weekdayOf(floorDiv(w, 1440))
	return wd == time.Saturday || wd == time.Sunday || m < WorkFrom || m >= WorkTo
}
