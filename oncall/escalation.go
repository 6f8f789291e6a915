package oncall

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// EscalationPolicy says who is paged, and when, until someone acknowledges.
type EscalationPolicy struct {
	Name string
	// Repeat is how many times the whole policy runs again after its last
	// level went unacknowledged (0: once through).
	Repeat int
	// AckTimeout, when set, pages the acknowledger again when an
	// acknowledged incident has had no status update for this long.
	AckTimeout time.Duration
	Levels     []EscalationLevel
}

// EscalationLevel is one step of a policy.
type EscalationLevel struct {
	// Delay is how long to wait after the previous level was paged without
	// an acknowledgement (for the first level: after the incident opened).
	Delay   time.Duration
	Targets []Target
}

// maxRepeat bounds EscalationPolicy.Repeat, as GoAlert does (0–5).
const maxRepeat = 5

// defaultRoundWait is how long the last level is given before the next
// round (or the end) when its own delay is zero.
const defaultRoundWait = 5 * time.Minute

// TargetKind is what an escalation target names.
type TargetKind string

// Target kinds, as written before the colon in the config.
const (
	TargetSchedule TargetKind = "schedule" // whoever is on call
	TargetUser     TargetKind = "user"     // a Slack user ID
	TargetChannel  TargetKind = "channel"  // "#name" or a channel ID
)

// Target is one recipient of a page.
type Target struct {
	Kind TargetKind
	Name string
}

// String formats the target as written in the config, e.g. "schedule:primary".
func (t Target) String() string { return string(t.Kind) + ":" + t.Name }

// ParseTarget reads "schedule:NAME", "user:U0123ABCD" or "channel:#name".
func ParseTarget(s string) (Target, error) {
	kind, name, _ := strings.Cut(s, ":")
	t := Target{Kind: TargetKind(kind), Name: name}
	return t, t.Validate()
}

// Validate checks the target; the error is FieldErrors with an empty path.
func (t Target) Validate() error {
	var f fields
	switch {
	case t.Kind == TargetSchedule && ValidName(t.Name):
	case t.Kind == TargetSchedule:
		f.add("", "%q: %q is not a schedule name", t.String(), t.Name)
	case t.Kind == TargetUser && IsUserID(t.Name):
	case t.Kind == TargetUser:
		f.add("", "%q: %q is not a Slack user ID (like U0123ABCD)", t.String(), t.Name)
	case t.Kind == TargetChannel && IsChannel(t.Name):
	case t.Kind == TargetChannel:
		f.add("", "%q: %q is not a channel (write \"#name\" in lowercase, or a channel ID like C0123ABCD)", t.String(), t.Name)
	default:
		f.add("", "invalid target %q (want schedule:NAME, user:U0123ABCD or channel:#name)", t.String())
	}
	return f.err()
}

// Validate checks the policy; the error is FieldErrors with paths such as
// "levels[1].targets[0]". Whether named schedules exist is the caller's to
// check (UnknownSchedules).
func (p EscalationPolicy) Validate() error {
	var f fields
	if !ValidName(p.Name) {
		f.add("name", "%q is not a valid name (use lowercase letters, digits, - and _; at most 64)", p.Name)
	}
	if p.Repeat < 0 || p.Repeat > maxRepeat {
		f.add("repeat", "must be 0 to %d, got %d", maxRepeat, p.Repeat)
	}
	if p.AckTimeout < 0 {
		f.add("ack_timeout", "must not be negative, got %s", p.AckTimeout)
	}
	if len(p.Levels) == 0 {
		f.add("levels", "at least one level is required")
	}
	for i, l := range p.Levels {
		lp := index("levels", i)
		if l.Delay < 0 {
			f.add(join(lp, "delay"), "must not be negative, got %s", l.Delay)
		}
		if len(l.Targets) == 0 {
			f.add(join(lp, "targets"), "at least one target is required")
		}
		for j, t := range l.Targets {
			f.nest(index(join(lp, "targets"), j), t.Validate())
		}
	}
	return f.err()
}

// UnknownSchedules returns the paths of targets naming a schedule that
// known does not hold, e.g. "levels[0].targets[1]".
func (p EscalationPolicy) UnknownSchedules(known func(name string) bool) []string {
	var out []string
	for i, l := range p.Levels {
		for j, t := range l.Targets {
			if t.Kind == TargetSchedule && !known(t.Name) {
				out = append(out, fmt.Sprintf("levels[%d].targets[%d]", i, j))
			}
		}
	}
	return out
}

// Step is one page of an escalation: level Level of round Round (both from
// 0) is due At.
type Step struct {
	Round, Level int
	At           time.Time
	Targets      []Target
	// Users and Channels are the targets resolved at At: schedules to whoever
	// is on call then (overrides included), without duplicates.
	Users    []string
	Channels []string
	// Unresolved are schedule targets that reached nobody: an unknown
	// schedule or nobody on call.
	Unresolved []Target
	// Key is the idempotency key of the page job: page:<incident>:<round>:<level>.
	Key string
}

// Plan is the escalation of one incident, as the paging job follows it.
type Plan struct {
	Incident int64
	Steps    []Step
	// Exhausted is when, without an acknowledgement, the announce and
	// incident channels are told that nobody acknowledged; ExhaustedKey
	// is that job's key.
	Exhausted    time.Time
	ExhaustedKey string
}

// PageKey is the idempotency key of one page job.
func PageKey(incident int64, round, level int) string {
	return fmt.Sprintf("page:%d:%d:%d", incident, round, level)
}

// NewPlan lays out the escalation of incident under policy p, starting at
// start (when the incident opened). Round 0 pages each level Delay after the
// previous one (the first level Delay after start). Each of the Repeat
// rounds that follow starts again at the first level, after the wait the
// last level was given: its own Delay, or defaultRoundWait when that is
// zero; each later level again waits its Delay. After the last round, the
// same wait, then Exhausted. Schedules are resolved at each step's time with
// overrides (sorted by From); schedules not in the map stay Unresolved.
func NewPlan(incident int64, p EscalationPolicy, start time.Time, schedules map[string]Schedule, overrides []Override) Plan {
	plan := Plan{Incident: incident, ExhaustedKey: fmt.Sprintf("page:%d:exhausted", incident)}
	if len(p.Levels) == 0 {
		plan.Exhausted = start
		return plan
	}
	wait := p.Levels[len(p.Levels)-1].Delay
	if wait <= 0 {
		wait = defaultRoundWait
	}
	at := start
	rounds := 1 + min(max(p.Repeat, 0), maxRepeat)
	for round := range rounds {
		for level, l := range p.Levels {
			if round > 0 && level == 0 {
				at = at.Add(wait)
			} else {
				at = at.Add(l.Delay)
			}
			st := Step{Round: round, Level: level, At: at, Targets: l.Targets, Key: PageKey(incident, round, level)}
			resolve(&st, schedules, overrides)
			plan.Steps = append(plan.Steps, st)
		}
	}
	plan.Exhausted = at.Add(wait)
	return plan
}

func resolve(st *Step, schedules map[string]Schedule, overrides []Override) {
	addUser := func(u string) {
		if !slices.Contains(st.Users, u) {
			st.Users = append(st.Users, u)
		}
	}
	for _, t := range st.Targets {
		switch t.Kind {
		case TargetUser:
			addUser(t.Name)
		case TargetChannel:
			if !slices.Contains(st.Channels, t.Name) {
				st.Channels = append(st.Channels, t.Name)
			}
		case TargetSchedule:
			s, ok := schedules[t.Name]
			if !ok {
				st.Unresolved = append(st.Unresolved, t)
				continue
			}
			sh := OnCall(s, overrides, st.At)
			users := sh.Users()
			if len(users) == 0 {
				st.Unresolved = append(st.Unresolved, t)
			}
			for _, u := range users {
				addUser(u)
			}
		}
	}
}

// Due returns the steps due at or before now that are not in done (keys of
// steps already paged), in order. An acknowledged or resolved incident has
// no due steps: the caller stops asking.
func (p Plan) Due(now time.Time, done func(key string) bool) []Step {
	var out []Step
	for _, st := range p.Steps {
		if !st.At.After(now) && !done(st.Key) {
			out = append(out, st)
		}
	}
	return out
}

// Next returns the first step due after now, or ok false when only the
// Exhausted notice is left.
func (p Plan) Next(now time.Time) (Step, bool) {
	for _, st := range p.Steps {
		if st.At.After(now) {
			return st, true
		}
	}
	return Step{}, false
}

// Decline returns the plan after a decline at now: the first step not yet
// due moves to now and every later step, and Exhausted, moves with it, so
// the next level is paged at once and keeps its waits after. Keys do not
// change, so the job of the moved step is rescheduled, not duplicated.
func (p Plan) Decline(now time.Time) Plan {
	next, ok := p.Next(now)
	if !ok {
		if p.Exhausted.After(now) {
			p.Exhausted = now
		}
		return p
	}
	shift := next.At.Sub(now)
	steps := slices.Clone(p.Steps)
	for i := range steps {
		if steps[i].At.After(now) {
			steps[i].At = steps[i].At.Add(-shift)
		}
	}
	p.Steps = steps
	p.Exhausted = p.Exhausted.Add(-shift)
	return p
}

// Repage is the ack-timeout rule's page of the acknowledger.
type Repage struct {
	User string
	At   time.Time
	Key  string // page:<incident>:ack:<unix seconds of At>
}

// AckRepage applies the ack-timeout rule: an acknowledged incident with no
// status update for p.AckTimeout pages whoever acknowledged it again. The
// clock restarts at the latest of the acknowledgement, the last status
// update and the last repage (zero times are ignored), so an incident that
// stays silent is repaged every AckTimeout. ok is false when the policy has
// no ack timeout or nobody acknowledged. The key names the moment, so a
// status update, which moves it, makes a new job and the old one finds
// itself stale (its At is no longer AckRepage's).
func AckRepage(incident int64, p EscalationPolicy, ackedBy string, ackedAt, lastUpdate, lastRepage time.Time) (Repage, bool) {
	if p.AckTimeout <= 0 || ackedBy == "" || ackedAt.IsZero() {
		return Repage{}, false
	}
	from := ackedAt
	for _, t := range []time.Time{lastUpdate, lastRepage} {
		if t.After(from) {
			from = t
		}
	}
	at := from.Add(p.AckTimeout)
	return Repage{User: ackedBy, At: at, Key: fmt.Sprintf("%s%d", repagePrefix(incident), at.Unix())}, true
}

// repagePrefix starts the key of every ack-timeout repage of an incident.
func repagePrefix(incident int64) string { return fmt.Sprintf("page:%d:ack:", incident) }

// IsRepage reports whether a page's key is that of an ack-timeout repage of
// incident: the incident is acknowledged already, so it offers no buttons.
func IsRepage(incident int64, key string) bool { return strings.HasPrefix(key, repagePrefix(incident)) }
