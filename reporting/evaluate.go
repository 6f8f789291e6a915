package reporting

import (
	"slices"
	"time"
)

// Submission is one submission of a report to the authority.
type Submission struct {
	Report    string
	At        time.Time
	Reference string // the authority's reference, when given
}

// Facts are what happened to an incident that deadlines count from.
type Facts struct {
	// Detected is when the incident was detected (the team became aware of it).
	Detected time.Time
	// Classified is when it was classified under the obligation; zero when
	// it was not (then the reports that count from it wait).
	Classified time.Time
	// Submissions are the reports submitted so far, in any order.
	Submissions []Submission
}

// State is where a report stands.
type State string

// The states of a report.
const (
	// StatePending: not submitted, and its deadline is not near yet (or not
	// known yet: what it counts from has not happened).
	StatePending State = "pending"
	// StateDueSoon: not submitted, and its first reminder point has passed.
	StateDueSoon State = "due_soon"
	// StateOverdue: not submitted, and its deadline has passed.
	StateOverdue State = "overdue"
	// StateOnTime: submitted by its deadline.
	StateOnTime State = "on_time"
	// StateLate: submitted after its deadline.
	StateLate State = "late"
)

// Status is one report's deadline and state.
type Status struct {
	Report string
	// Due is the deadline; zero while what it counts from has not happened
	// (Waits then names the report whose submission it waits for, or
	// "classified").
	Due   time.Time
	Waits string
	// Capped is set when the at_most cap decided Due.
	Capped bool
	// Reminders are the reminder points before Due, earliest first.
	Reminders []time.Time
	// First and Last are the report's first and latest submission (zero:
	// none); Reference is the latest one's.
	First, Last time.Time
	Reference   string
	State       State
}

// Evaluate gives each report of o its deadline and state at now from the
// incident's facts, in the obligation's order; loc is the team's zone,
// where calendar months are counted (nil: UTC).
func Evaluate(o Obligation, f Facts, now time.Time, loc *time.Location) []Status {
	out := make([]Status, len(o.Reports))
	for i, r := range o.Reports {
		s := Status{Report: r.Name}
		for _, sub := range f.Submissions {
			if sub.Report != r.Name {
				continue
			}
			if s.First.IsZero() || sub.At.Before(s.First) {
				s.First = sub.At
			}
			if s.Last.IsZero() || !sub.At.Before(s.Last) {
				s.Last, s.Reference = sub.At, sub.Reference
			}
		}
		due, ok := deadline(r.Due, f, loc)
		if r.AtMost != nil {
			// The cap applies as soon as it is known, even while the due
			// itself still waits for its anchor.
			if cap, capped := deadline(*r.AtMost, f, loc); capped && (!ok || cap.Before(due)) {
				due, ok, s.Capped = cap, true, true
			}
		}
		if !ok {
			s.Waits = waits(r.Due.From)
		} else {
			s.Due = due
			for _, before := range r.Remind {
				s.Reminders = append(s.Reminders, s.Due.Add(-before))
			}
			slices.SortFunc(s.Reminders, func(a, b time.Time) int { return a.Compare(b) })
		}
		s.State = stateAt(s.Due, s.soon(), s.First, now)
		out[i] = s
	}
	return out
}

// soon is when the report becomes due soon: its first reminder point, or
// its deadline when it has none.
func (s Status) soon() time.Time {
	if len(s.Reminders) > 0 {
		return s.Reminders[0]
	}
	return s.Due
}

// stateAt is the state at now of a report due at due (zero: not known
// yet), due soon from soon, first submitted at submitted (zero: not yet).
// A report submitted before its deadline was known is on time.
func stateAt(due, soon, submitted, now time.Time) State {
	switch {
	case !submitted.IsZero() && (due.IsZero() || !submitted.After(due)):
		return StateOnTime
	case !submitted.IsZero():
		return StateLate
	case due.IsZero():
		return StatePending
	case now.After(due):
		return StateOverdue
	case !now.Before(soon):
		return StateDueSoon
	}
	return StatePending
}

// waits names what a deadline that is not known yet waits for.
func waits(a Anchor) string {
	if a.Event == AnchorSubmitted {
		return a.Report
	}
	return string(a.Event)
}

// deadline is the moment of d from the facts, months counted in loc;
// false while its anchor has not happened.
func deadline(d Deadline, f Facts, loc *time.Location) (time.Time, bool) {
	var from time.Time
	switch d.From.Event {
	case AnchorDetected:
		from = f.Detected
	case AnchorClassified:
		from = f.Classified
	case AnchorSubmitted:
		for _, s := range f.Submissions {
			if s.Report != d.From.Report {
				continue
			}
			if from.IsZero() || (d.From.First && s.At.Before(from)) || (!d.From.First && !s.At.Before(from)) {
				from = s.At
			}
		}
	}
	if from.IsZero() {
		return time.Time{}, false
	}
	return d.After.After(from, loc), true
}
