package oncall

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels for errors.Is.
var (
	// ErrInvalid is matched by the FieldErrors that Validate methods return.
	ErrInvalid = errors.New("invalid")
	// ErrBadTime is matched by every error of ParseTime and ParseRange.
	ErrBadTime = errors.New("bad time")
)

// FieldError is one invalid field, located by its path from the validated
// value, e.g. "rotations[1].members[0]", so a caller that decoded the value
// from YAML can point at the line.
type FieldError struct {
	Path string // empty for the value itself
	Msg  string
	// Name, when set, names the problem so a caller can say Msg in its own
	// words and language (the bot renders it from its templates): one of the
	// Problem constants. Data holds its facts, raw (unquoted, unescaped).
	Name string
	Data map[string]string
}

// The problems of an Override's FieldErrors, as FieldError.Name.
const (
	ProblemRequired     = "required"      // the field is empty
	ProblemUnknownKind  = "unknown_kind"  // Data kind
	ProblemNotUser      = "not_user"      // Data user: not a Slack user ID
	ProblemReplacesAdd  = "replaces_add"  // replaces on an add override
	ProblemReplacesSelf = "replaces_self" // Data user
	ProblemNotAfter     = "not_after"     // to not after from; Data from (RFC 3339)
	ProblemTooLong      = "too_long"      // Data days: the most an override lasts
)

// Error formats the error as "path: msg".
func (e FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// FieldErrors is every invalid field of one value, in field order.
type FieldErrors []FieldError

// Error lists the errors, one per line.
func (es FieldErrors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (es FieldErrors) Is(target error) bool { return target == ErrInvalid }

// fields collects FieldErrors under a path prefix.
type fields struct {
	errs FieldErrors
}

func (f *fields) add(path, format string, args ...any) {
	f.errs = append(f.errs, FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// problem adds an error named for callers that word it themselves.
func (f *fields) problem(path, name string, data map[string]string, format string, args ...any) {
	f.errs = append(f.errs, FieldError{Path: path, Msg: fmt.Sprintf(format, args...), Name: name, Data: data})
}

// nest adds the errors of a nested value under prefix.
func (f *fields) nest(prefix string, err error) {
	var es FieldErrors
	if !errors.As(err, &es) {
		if err != nil {
			f.add(prefix, "%v", err)
		}
		return
	}
	for _, e := range es {
		e.Path = join(prefix, e.Path)
		f.errs = append(f.errs, e)
	}
}

// err returns nil when nothing was added, so `return f.err()` is an untyped nil.
func (f *fields) err() error {
	if len(f.errs) == 0 {
		return nil
	}
	return f.errs
}

func join(prefix, path string) string {
	switch {
	case prefix == "":
		return path
	case path == "":
		return prefix
	case strings.HasPrefix(path, "["):
		return prefix + path
	}
	return prefix + "." + path
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// TimeError is every error of ParseTime and ParseRange; it matches
// ErrBadTime. Error is English; Name and Data let a caller say it in its own
// words and language (the bot renders it from its templates).
type TimeError struct {
	// Field is "from" or "to" when ParseRange read the expression.
	Field string
	// Input is the expression as given (cut to 64 characters and "…").
	Input string
	// Name is the reason: one of the Time* constants.
	Name string
	// Data holds the reason's facts, raw: clock, day (TimeNotClock,
	// TimeNotDay), wall and zone (TimeGap), from and to (TimeOrder).
	Data map[string]string
	why  string // the English reason
}

// The reasons of a TimeError, as its Name.
const (
	TimeTooLong     = "too_long"    // the expression is too long
	TimeEmpty       = "empty"       // no time given
	TimeNotClock    = "not_clock"   // Data clock is not HH:MM
	TimeDateWithT   = "date_with_t" // a date with T and a separate time
	TimeNotDay      = "not_day"     // Data day is neither a day nor a date
	TimeYearRange   = "year_range"  // the year is out of range
	TimeGap         = "gap"         // Data wall does not exist in Data zone
	TimeBadDays     = "days"        // +Nd with N not from 1 to 366
	TimeBadRelative = "duration"    // not a duration after +
	TimeNotAhead    = "not_ahead"   // +0 or less
	TimeTooFar      = "too_far"     // more than 366 days ahead
	TimeOrder       = "order"       // Data to is not after Data from
)

// Error says what is wrong, e.g. `from: bad time: "x": why (use …)`.
func (e *TimeError) Error() string {
	var msg string
	switch e.Name {
	case TimeOrder:
		return fmt.Sprintf("%v: to (%s) must be after from (%s)", ErrBadTime, e.Data["to"], e.Data["from"])
	case TimeGap:
		msg = fmt.Sprintf("%v: %q: %s does not exist in %s (the clocks jump forward)", ErrBadTime, e.Input, e.Data["wall"], e.Data["zone"])
	default:
		msg = fmt.Sprintf("%v: %q: %s (use %s)", ErrBadTime, e.Input, e.why, TimeForms)
	}
	if e.Field != "" {
		return e.Field + ": " + msg
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrBadTime) true.
func (e *TimeError) Unwrap() error { return ErrBadTime }
