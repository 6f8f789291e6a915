// Package deploys holds the Deployment domain value that CI/CD systems report to
// POST /webhooks/deploy, its strict JSON decoder, and the rule that offers a
// deployment as an incident's likely cause. It depends on the standard library only.
package deploys

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrInvalid is wrapped by every validation and decoding error, so a handler can
// answer 400 with errors.Is.
var ErrInvalid = errors.New("invalid deployment")

// Status is how a deployment ended.
type Status string

// The two outcomes a CI/CD system reports.
const (
	StatusSuccess Status = "success"
	StatusFailure Status = "failure"
)

// DefaultEnvironment is assumed when a deployment names none: DORA measures
// production, and most pipelines that forget the field deploy there.
const DefaultEnvironment = "production"

// Length limits (in characters) keep one webhook from filling the store.
const (
	MaxIDLen      = 200
	maxNameLen    = 100 // service and environment
	maxVersionLen = 200
	maxCommitLen  = 200
)

// Deployment is one deployment of a service to an environment.
type Deployment struct {
	// ID makes recording idempotent: a deployment whose ID is already stored is
	// not recorded twice. Optional; the store assigns one when it is empty.
	ID          string    `json:"id,omitempty"`
	Service     string    `json:"service"`
	Version     string    `json:"version"`
	Environment string    `json:"environment"`
	Status      Status    `json:"status"`
	At          time.Time `json:"at"`
	// Commit and CommitAt identify the change deployed; CommitAt gives lead time.
	Commit   string    `json:"commit,omitempty"`
	CommitAt time.Time `json:"commit_at,omitzero"`
}

// Succeeded reports whether the deployment reached its environment.
func (d Deployment) Succeeded() bool { return d.Status == StatusSuccess }

// fieldError is one problem with one field, worded for the person who sent it.
type fieldError struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

func (e fieldError) Error() string { return e.Field + ": " + e.Problem }

// validationError lists every problem found, so a sender can fix them all at once.
type validationError []fieldError

func (v validationError) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return "invalid deployment: " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (v validationError) Unwrap() error { return ErrInvalid }

// Validate checks the deployment and returns a validationError naming every
// field that is wrong, or nil.
func (d Deployment) Validate() error {
	var errs validationError
	add := func(field, format string, args ...any) {
		errs = append(errs, fieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	text := func(field, v string, max int, required bool) {
		switch {
		case v == "" && required:
			add(field, "is required")
		case utf8.RuneCountInString(v) > max:
			add(field, "is longer than %d characters", max)
		case !utf8.ValidString(v):
			add(field, "is not valid UTF-8")
		case strings.IndexFunc(v, unicode.IsControl) >= 0:
			add(field, "contains control characters")
		case v != strings.TrimSpace(v):
			add(field, "has leading or trailing spaces")
		}
	}
	text("id", d.ID, MaxIDLen, false)
	text("service", d.Service, maxNameLen, true)
	text("version", d.Version, maxVersionLen, true)
	text("environment", d.Environment, maxNameLen, true)
	text("commit", d.Commit, maxCommitLen, false)
	switch d.Status {
	case StatusSuccess, StatusFailure:
	case "":
		add("status", "is required (success or failure)")
	default:
		add("status", "must be success or failure, not %q", truncate(string(d.Status), 40))
	}
	if d.At.IsZero() {
		add("at", "is required")
	}
	// A commit made after its own deployment means one of the clocks is wrong;
	// a negative lead time would only corrupt the figures.
	if !d.CommitAt.IsZero() && !d.At.IsZero() && d.CommitAt.After(d.At) {
		add("commit_at", "is after at (%s > %s)", d.CommitAt.Format(time.RFC3339), d.At.Format(time.RFC3339))
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
