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
	// ErrUnknownSchedule is returned when a target or an override names a
	// schedule that is not given.
	ErrUnknownSchedule = errors.New("unknown schedule")
)

// FieldError is one invalid field, located by its path from the validated
// value, e.g. "rotations[1].members[0]", so a caller that decoded the value
// from YAML can point at the line.
type FieldError struct {
	Path string // empty for the value itself
	Msg  string
}

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
		f.errs = append(f.errs, FieldError{Path: join(prefix, e.Path), Msg: e.Msg})
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
