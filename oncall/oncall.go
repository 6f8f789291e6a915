package oncall

import (
	"slices"
	"time"
)

// Horizon bounds how far OnCall, Shifts and NextHandoff look past the
// instants they are given for the start and end of a shift: a shift that
// does not change within it is reported as ending (or starting) there.
const Horizon = 366 * 24 * time.Hour

// maxSteps bounds every walk over a timeline, maxWholeSteps each way of
// the walk that finds the whole of one shift.
const (
	maxSteps      = 1 << 20
	maxWholeSteps = 1 << 16
)

// Shift is a stretch of time with the same people on call.
type Shift struct {
	// User is the person paged; empty when nobody is on call.
	User string
	// Also are people on call beside User, put there by add overrides.
	Also []string
	// Start and End bound the shift, [Start, End), in the schedule's zone.
	Start, End time.Time
}

// Users returns User and Also, the people a page to the schedule reaches.
func (s Shift) Users() []string {
	if s.User == "" {
		return slices.Clone(s.Also)
	}
	return append([]string{s.User}, s.Also...)
}

// Handoff is a change of who is on call.
type Handoff struct {
	At       time.Time
	From, To Shift
}

// evaluator answers who is on call on one schedule, remembering each
// layer's current piece so that a walk forward computes each piece once.
type evaluator struct {
	z     zone
	n     int
	buf   [8]layer
	pbuf  [8]piece
	big   []layer
	bigp  []piece
	ovs   overrides
	steps int
}

func (e *evaluator) init(s *Schedule, ovs []Override) {
	e.z, e.n = newZone(s.Timezone), len(s.Rotations)
	e.ovs = overrides{all: ovs, sched: s.Name, longest: int64(MaxOverrideLength / time.Second)}
	if e.n > len(e.buf) {
		e.big, e.bigp = make([]layer, e.n), make([]piece, e.n)
	}
	for i := range e.n {
		*e.layer(i) = compile(&s.Rotations[i], &e.z)
		*e.cached(i) = piece{lo: 1, hi: 0} // empty: never holds
	}
}

func (e *evaluator) layer(i int) *layer {
	if e.big != nil {
		return &e.big[i]
	}
	return &e.buf[i]
}

func (e *evaluator) cached(i int) *piece {
	if e.bigp != nil {
		return &e.bigp[i]
	}
	return &e.pbuf[i]
}

// state is who is on call over [lo, hi).
type state struct {
	user   string
	also   []string
	lo, hi int64
}

func (a state) same(b state) bool { return a.user == b.user && slices.Equal(a.also, b.also) }

func (e *evaluator) at(t int64) state {
	e.steps++
	lo, hi := int64(minSec), int64(maxSec)
	user := ""
	for i := e.n - 1; i >= 0; i-- {
		p := e.cached(i)
		if t < p.lo || t >= p.hi {
			*p = e.layer(i).piece(&e.z, t)
		}
		lo, hi = max(lo, p.lo), min(hi, p.hi)
		if p.active {
			user = e.layer(i).r.Members[p.member]
			break
		}
	}
	user, also, lo, hi := e.ovs.apply(t, user, nil, lo, hi)
	return state{user: user, also: also, lo: lo, hi: hi}
}

// whole extends the state at t over its neighbours with the same people,
// no further than Horizon either way.
func (e *evaluator) whole(t int64) state {
	st := e.at(t)
	limit := int64(Horizon / time.Second)
	budget := e.steps + maxWholeSteps
	for end := st.hi; end < t+limit && e.steps < budget; {
		next := e.at(end)
		if !next.same(st) {
			break
		}
		end = next.hi
		st.hi = end
	}
	st.hi = min(st.hi, t+limit)
	budget = e.steps + maxWholeSteps
	for start := st.lo; start > t-limit && e.steps < budget; {
		prev := e.at(start - 1)
		if !prev.same(st) {
			break
		}
		start = prev.lo
		st.lo = start
	}
	st.lo = max(st.lo, t-limit)
	return st
}

func (e *evaluator) shift(st state) Shift {
	loc := e.z.loc
	return Shift{User: st.user, Also: st.also, Start: time.Unix(st.lo, 0).In(loc), End: time.Unix(st.hi, 0).In(loc)}
}

// OnCall returns who is on call on the schedule at the instant at, and the
// whole shift: since when and until when the same people are on call (User
// empty: nobody, and for how long). overrides must be sorted by From
// (SortOverrides); those of other schedules are ignored.
func OnCall(s Schedule, overrides []Override, at time.Time) Shift {
	var e evaluator
	e.init(&s, overrides)
	return e.shift(e.whole(at.Unix()))
}

// Shifts returns the shifts that overlap [from, to), in order, whole (the
// first may start before from and the last end after to, by at most
// Horizon). Stretches with nobody on call are left out; Gaps reports them.
// overrides must be sorted by From.
func Shifts(s Schedule, overrides []Override, from, to time.Time) []Shift {
	var out []Shift
	timeline(s, overrides, from, to, func(sh Shift) {
		if sh.User != "" || len(sh.Also) > 0 {
			out = append(out, sh)
		}
	})
	return out
}

// Gaps returns the stretches overlapping [from, to) with nobody on call,
// whole like Shifts.
func Gaps(s Schedule, overrides []Override, from, to time.Time) []Shift {
	var out []Shift
	timeline(s, overrides, from, to, func(sh Shift) {
		if sh.User == "" && len(sh.Also) == 0 {
			out = append(out, sh)
		}
	})
	return out
}

func timeline(s Schedule, overrides []Override, from, to time.Time, emit func(Shift)) {
	var e evaluator
	e.init(&s, overrides)
	e.ovs.measure()
	end := to.Unix()
	t := from.Unix()
	if t >= end {
		return
	}
	st := e.whole(t)
	for e.steps < maxSteps {
		// Extend forward over pieces with the same people.
		for st.hi < end+int64(Horizon/time.Second) && e.steps < maxSteps {
			next := e.at(st.hi)
			if !next.same(st) {
				break
			}
			st.hi = next.hi
		}
		st.hi = min(st.hi, end+int64(Horizon/time.Second))
		emit(e.shift(st))
		if st.hi >= end {
			return
		}
		lo := st.hi
		st = e.at(lo)
		st.lo = lo // the people changed exactly here
	}
}

// NextHandoff returns the first change of who is on call after at: when,
// from whom and to whom. ok is false when nothing changes within Horizon.
func NextHandoff(s Schedule, overrides []Override, at time.Time) (h Handoff, ok bool) {
	var e evaluator
	e.init(&s, overrides)
	t := at.Unix()
	cur := e.whole(t)
	if cur.hi >= t+int64(Horizon/time.Second) {
		return Handoff{}, false
	}
	next := e.whole(cur.hi)
	return Handoff{At: time.Unix(cur.hi, 0).In(e.z.loc), From: e.shift(cur), To: e.shift(next)}, true
}
