package oncall

import "time"

// layer is a rotation compiled for fast questions about one instant.
type layer struct {
	r     *Rotation
	start int64 // Start, in seconds
	n     int64 // members
	k0    int64 // the cell holding Start: the first member's
	// A grid rotation has handoffs every period wall minutes from anchor; a
	// monthly one on day mday of each month at tod, counted from month index
	// anchor (year*12 + month-1).
	monthly bool
	anchor  int64
	period  int64
	mday    int
	tod     TimeOfDay
	// Active window, when there is one.
	win     *Active
	winFrom int64
	winLen  int64
}

func compile(r *Rotation, z *zone) layer {
	l := layer{r: r, start: r.Start.Unix(), n: int64(len(r.Members)), win: r.Active}
	sw := z.wall(l.start)
	day := floorDiv(sw, 1440) * 1440
	switch r.Type {
	case RotationHourly:
		l.anchor, l.period = sw, 60
	case RotationDaily:
		l.anchor, l.period = day+int64(r.HandoffTime), 1440
	case RotationWeekly:
		l.anchor, l.period = day+int64(r.HandoffTime), 7*1440
	case RotationMonthly:
		t := wallTime(sw)
		l.monthly, l.anchor, l.mday, l.tod = true, int64(t.Year())*12+int64(t.Month())-1, t.Day(), r.HandoffTime
	default: // custom
		l.anchor, l.period = sw, max(int64(r.ShiftLength/time.Minute), 1)
	}
	if l.n == 0 {
		l.n = 1
	}
	if l.win != nil {
		l.winFrom, l.winLen = int64(l.win.From), l.win.length()
	}
	l.k0, _, _ = l.cell(z, l.start)
	return l
}

// boundary is the instant of handoff k (the start of cell k).
func (l *layer) boundary(z *zone, k int64) int64 {
	if !l.monthly {
		return z.instant(l.anchor + k*l.period)
	}
	idx := l.anchor + k
	y, m := int(floorDiv(idx, 12)), time.Month(mod(idx, 12)+1)
	return z.instant(wallDate(y, m, min(l.mday, daysIn(y, m)), l.tod))
}

// cell returns the cell holding t and its bounds [lo, hi).
func (l *layer) cell(z *zone, t int64) (k, lo, hi int64) {
	w := z.wall(t)
	if l.monthly {
		wt := wallTime(w)
		k = int64(wt.Year())*12 + int64(wt.Month()) - 1 - l.anchor
	} else {
		k = floorDiv(w-l.anchor, l.period)
	}
	lo = l.boundary(z, k)
	for i := 0; t < lo && i < 8; i++ {
		k--
		lo = l.boundary(z, k)
	}
	hi = l.boundary(z, k+1)
	for i := 0; t >= hi && i < 8; i++ {
		k++
		lo, hi = hi, l.boundary(z, k+1)
	}
	return k, lo, hi
}

// window returns whether t is inside an active window and the bounds of the
// window, or of the gap between windows, that holds t.
func (l *layer) window(z *zone, t int64) (in bool, lo, hi int64) {
	if l.win == nil {
		return true, minSec, maxSec
	}
	dc := floorDiv(z.wall(t), 1440)
	// A window is at most a day long, and the local clock may lag the
	// latest reading by a day at most, so the window holding t, if any,
	// started on one of these days.
	for d := dc - 1; d <= dc+1; d++ {
		if !l.win.on(weekdayOf(d)) {
			continue
		}
		ws := z.instant(d*1440 + l.winFrom)
		we := z.instant(d*1440 + l.winFrom + l.winLen)
		if ws <= t && t < we {
			return true, ws, we
		}
	}
	lo, hi = z.instant((dc-8)*1440), z.instant((dc+9)*1440)
	for d := dc + 1; d >= dc-8; d-- {
		if l.win.on(weekdayOf(d)) {
			if we := z.instant(d*1440 + l.winFrom + l.winLen); we <= t {
				lo = we
				break
			}
		}
	}
	for d := dc - 1; d <= dc+8; d++ {
		if l.win.on(weekdayOf(d)) {
			if ws := z.instant(d*1440 + l.winFrom); ws > t {
				hi = ws
				break
			}
		}
	}
	return false, lo, hi
}

// piece is what a layer says about a stretch of time: who is on call (when
// active) and the bounds [lo, hi) over which that holds.
type piece struct {
	member int64
	active bool
	lo, hi int64
}

func (l *layer) piece(z *zone, t int64) piece {
	if t < l.start {
		return piece{lo: minSec, hi: l.start}
	}
	in, wlo, whi := l.window(z, t)
	if !in {
		return piece{lo: max(wlo, l.start), hi: whi}
	}
	if l.n == 1 { // one member: handoffs change nothing
		return piece{active: true, lo: max(wlo, l.start), hi: whi}
	}
	k, clo, chi := l.cell(z, t)
	return piece{member: mod(k-l.k0, l.n), active: true, lo: max(clo, wlo, l.start), hi: min(chi, whi)}
}
