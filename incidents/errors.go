package incidents

import (
	"errors"
	"fmt"
)

// Sentinel errors; callers test them with errors.Is.
var (
	// ErrNotFound is the not-found of every store built on incidents:
	// deploys, maintenance, heartbeats, postmortem and slackstate name
	// it as their own, so errors.Is with any of them gives one answer.
	// (oncall, stdlib-only too, has its own, and paging shares that.)
	ErrNotFound   = errors.New("not found")
	ErrConflict   = errors.New("changed concurrently")
	ErrExists     = errors.New("already exists")
	ErrInvalid    = errors.New("invalid")
	ErrTransition = errors.New("not allowed")
	ErrForbidden  = errors.New("forbidden")
	// ErrUnavailable means the store could not be written or reached (locked
	// by another process, disk full, network down): nothing was changed, and
	// the same request may succeed later. The stores wrap their driver's
	// error in it; callers answer "try again" (HTTP 503).
	ErrUnavailable = errors.New("store unavailable")
)

// UserError is a refusal meant for the person who asked: Kind is one of the
// sentinels above (errors.Is finds it) and Message says, in a sentence, what
// was wrong. Mentions in Message (<@U…>) are the service's own.
//
// Code names the refusal for translation ("status_already"; the Slack side
// renders its message refusal.<Code>) and Data holds the facts that message
// shows, raw (not escaped): Message is the same refusal in English. A
// UserError without a Code is shown as its Message.
type UserError struct {
	Kind    error
	Message string
	Code    string
	Data    map[string]any
}

func (e *UserError) Error() string { return e.Kind.Error() + ": " + e.Message }
func (e *UserError) Unwrap() error { return e.Kind }

// userErrorf is a refusal named code with its facts in data; format and
// args are its English sentence.
func userErrorf(kind error, code string, data map[string]any, format string, args ...any) error {
	return &UserError{Kind: kind, Message: fmt.Sprintf(format, args...), Code: code, Data: data}
}

// UserMessage returns the sentence of a UserError that err is or wraps.
func UserMessage(err error) (string, bool) {
	var ue *UserError
	if errors.As(err, &ue) {
		return ue.Message, true
	}
	return "", false
}
