package oncall

import (
	"cmp"
	"slices"
	"strconv"
	"time"
)

// OverrideKind says what an override does to the schedule.
type OverrideKind string

// Override kinds, as GoAlert has them (its "remove" is not offered: a
// schedule with nobody on call is a gap, not a wish).
const (
	// OverrideReplace puts User on call instead of whoever the layers say
	// (or, with Replaces set, instead of that one person only).
	OverrideReplace OverrideKind = "replace"
	// OverrideAdd puts User on call beside whoever else is.
	OverrideAdd OverrideKind = "add"
)

// MaxOverrideLength bounds one override. Longer cover is a change of the
// rotation; the bound also lets OnCall look back a bounded way.
const MaxOverrideLength = 92 * 24 * time.Hour

// Override changes who is on call on one schedule during [From, To).
// Overrides beat every layer; where replace overrides overlap, the one that
// starts later wins (in slice order, which OnCall and Shifts expect sorted
// by From: see SortOverrides).
type Override struct {
	ID        string
	Schedule  string
	Kind      OverrideKind // empty means OverrideReplace
	User      string       // who is on call
	Replaces  string       // replace only: apply only while this user is on call; empty = whoever is
	From, To  time.Time
	CreatedBy string // Slack user ID of whoever made it
	CreatedAt time.Time
}

// Validate checks the override; the error is FieldErrors.
func (o Override) Validate() error {
	var f fields
	if o.Schedule == "" {
		f.problem("schedule", ProblemRequired, nil, "is required")
	}
	switch o.Kind {
	case "", OverrideReplace, OverrideAdd:
	default:
		f.problem("kind", ProblemUnknownKind, map[string]string{"kind": string(o.Kind)}, "unknown override kind %q (use replace or add)", o.Kind)
	}
	if !IsUserID(o.User) && !IsEmail(o.User) {
		f.problem("user", ProblemNotUser, map[string]string{"user": o.User}, "%q is not a Slack user ID", o.User)
	}
	if o.Replaces != "" {
		switch {
		case o.Kind == OverrideAdd:
			f.problem("replaces", ProblemReplacesAdd, nil, "applies only to replace overrides")
		case o.Replaces == o.User:
			f.problem("replaces", ProblemReplacesSelf, map[string]string{"user": o.User}, "%s cannot replace themselves", o.User)
		case !IsUserID(o.Replaces) && !IsEmail(o.Replaces):
			f.problem("replaces", ProblemNotUser, map[string]string{"user": o.Replaces}, "%q is not a Slack user ID", o.Replaces)
		}
	}
	switch {
	case o.From.IsZero():
		f.problem("from", ProblemRequired, nil, "is required")
	case o.To.IsZero():
		f.problem("to", ProblemRequired, nil, "is required")
	case !o.To.After(o.From):
		f.problem("to", ProblemNotAfter, map[string]string{"from": o.From.Format(time.RFC3339)}, "must be after from (%s)", o.From.Format(time.RFC3339))
	case o.To.Sub(o.From) > MaxOverrideLength:
		f.problem("to", ProblemTooLong, map[string]string{"days": strconv.Itoa(int(MaxOverrideLength / (24 * time.Hour)))},
			"an override lasts at most %d days; change the rotation instead", int(MaxOverrideLength/(24*time.Hour)))
	}
	return f.err()
}

// SortOverrides sorts overrides by From, then ID, the order OnCall and
// Shifts expect.
func SortOverrides(os []Override) {
	slices.SortStableFunc(os, func(a, b Override) int {
		if c := a.From.Compare(b.From); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// overrides answers which overrides of one schedule hold at an instant.
type overrides struct {
	all   []Override
	sched string
	// longest bounds how far back an override holding at t can start, in
	// seconds: MaxOverrideLength unless the caller measured the overrides.
	longest int64
}

// measure sets longest from the overrides themselves, for walks long enough
// that one pass over them pays off.
func (os *overrides) measure() {
	os.longest = 0
	for i := range os.all {
		if o := &os.all[i]; o.Schedule == os.sched {
			os.longest = max(os.longest, o.To.Unix()-o.From.Unix())
		}
	}
}

// after returns the index of the first override starting after t.
func (os overrides) after(t int64) int {
	i, _ := slices.BinarySearchFunc(os.all, t, func(o Override, t int64) int {
		if o.From.Unix() <= t {
			return -1
		}
		return 1
	})
	return i
}

// apply changes user and also by the overrides holding at t, and narrows
// [lo, hi) to where those same overrides hold.
func (os overrides) apply(t int64, user string, also []string, lo, hi int64) (string, []string, int64, int64) {
	if len(os.all) == 0 {
		return user, also, lo, hi
	}
	i := os.after(t)
	for j := i; j < len(os.all); j++ {
		if os.all[j].Schedule == os.sched {
			hi = min(hi, os.all[j].From.Unix())
			break
		}
	}
	// Only overrides starting within the longest override before t can
	// still hold. Those starting earlier ended before the latest of them
	// could: lo stays after that, since they are not looked at.
	horizon := t - os.longest
	first := i
	for first > 0 && os.all[first-1].From.Unix() >= horizon {
		first--
	}
	for j := first - 1; j >= 0; j-- {
		if o := &os.all[j]; o.Schedule == os.sched {
			lo = max(lo, min(t, o.From.Unix()+os.longest))
			break
		}
	}
	adds := false
	for j := first; j < i; j++ {
		o := &os.all[j]
		if o.Schedule != os.sched {
			continue
		}
		to := o.To.Unix()
		if to <= t {
			lo = max(lo, to)
			continue
		}
		lo, hi = max(lo, o.From.Unix()), min(hi, to)
		if o.Kind == OverrideAdd {
			adds = true
		} else if o.Replaces == "" || o.Replaces == user {
			user = o.User
		}
	}
	for j := first; adds && j < i; j++ { // beside the final user
		if o := &os.all[j]; o.Schedule == os.sched && o.Kind == OverrideAdd && o.To.Unix() > t &&
			o.User != user && !slices.Contains(also, o.User) {
			also = append(also, o.User)
		}
	}
	return user, also, lo, hi
}
