package oncall

import (
	"math"
	"time"
)

// Instants are Unix seconds inside the package; wall-clock readings are
// "wall minutes": minutes since 1970-01-01 00:00 on the local clock, as if
// the local clock were UTC.

const (
	minSec = math.MinInt64 / 4 // before anything
	maxSec = math.MaxInt64 / 4 // after anything
)

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func mod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// zone answers offset questions for one location, remembering the last
// period between two transitions: nearly every question falls in it.
type zone struct {
	loc             *time.Location
	start, end, off int64
}

func newZone(loc *time.Location) zone {
	if loc == nil {
		loc = time.UTC
	}
	return zone{loc: loc, start: 1, end: 0} // empty: the first question fills it
}

func (z *zone) offset(sec int64) int64 {
	if sec >= z.start && sec < z.end {
		return z.off
	}
	t := time.Unix(sec, 0).In(z.loc)
	_, off := t.Zone()
	s, e := t.ZoneBounds()
	z.start, z.end, z.off = minSec, maxSec, int64(off)
	if !s.IsZero() {
		z.start = s.Unix()
	}
	if !e.IsZero() {
		z.end = e.Unix()
	}
	return z.off
}

// wall is the local wall-clock reading of sec, in whole minutes.
func (z *zone) wall(sec int64) int64 { return floorDiv(sec+z.offset(sec), 60) }

// instant is the first instant whose local clock has reached wall minute w:
// the first occurrence of a repeated wall time, the moment of the jump for
// a skipped one. It is non-decreasing in w, which keeps shifts in order.
func (z *zone) instant(w int64) int64 {
	u := w * 60
	a := z.offset(u - 86400)
	b := z.offset(u + 86400)
	if a == b { // no transition near (zones change at most once a day)
		if c := u - a; z.offset(c) == a {
			return c
		}
	}
	c1, c2 := u-a, u-b
	ok1 := z.offset(c1) == a
	ok2 := z.offset(c2) == b
	switch {
	case ok1 && ok2:
		return min(c1, c2)
	case ok1:
		return c1
	case ok2:
		return c2
	}
	// Skipped: the jump is where the zone period holding the later candidate
	// begins.
	z.offset(max(c1, c2))
	if z.start == minSec {
		return max(c1, c2)
	}
	return z.start
}

// exists reports whether the local clock reads wall minute w at some instant
// (false inside a forward jump).
func (z *zone) exists(w int64) bool { return z.wall(z.instant(w)) == w }

// wallDate builds a wall minute from a calendar date and time of day; it
// normalises like time.Date.
func wallDate(y int, m time.Month, d int, tod TimeOfDay) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()/60 + int64(tod)
}

// wallTime reads a wall minute back as a calendar date (in UTC, as a label).
func wallTime(w int64) time.Time { return time.Unix(w*60, 0).UTC() }

// weekdayOf is the weekday of wall day number d (1970-01-01 was a Thursday).
func weekdayOf(day int64) time.Weekday { return time.Weekday(mod(day+4, 7)) }

func daysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() }
