package incidents

import (
	"errors"
	"fmt"
)

// Sentinel errors; callers test them with errors.Is.
var (
	ErrNotFound   = errors.New("not found")
	ErrConflict   = errors.New("changed concurrently")
	ErrExists     = errors.New("already exists")
	ErrInvalid    = errors.New("invalid")
	ErrTransition = errors.New("not allowed")
	ErrForbidden  = errors.New("forbidden")
)

// UserError is a refusal meant for the person who asked: Kind is one of the
// sentinels above (errors.Is finds it) and Message says, in a sentence, what
// was wrong. Mentions in Message (<@U…>) are the service's own.
type UserError struct {
	Kind    error
	Message string
}

func (e *UserError) Error() string { return e.Kind.Error() + ": " + e.Message }
func (e *UserError) Unwrap() error { return e.Kind }

func userErrorf(kind error, format string, args ...any) error {
	return &UserError{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// UserMessage returns the sentence of a UserError that err is or wraps.
func UserMessage(err error) (string, bool) {
	var ue *UserError
	if errors.As(err, &ue) {
		return ue.Message, true
	}
	return "", false
}
