package deploys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxBodyBytes bounds the POST /webhooks/deploy body, as for Alertmanager's webhook.
const MaxBodyBytes = 1 << 20

// ErrTooLarge is returned for a body above MaxBodyBytes (the handler answers 413).
var ErrTooLarge = errors.New("deployment body larger than 1 MiB")

// wire is the webhook body. Times are strings so that a wrong format gets our
// message, not encoding/json's.
type wire struct {
	ID          string `json:"id"`
	Service     string `json:"service"`
	Version     string `json:"version"`
	Environment string `json:"environment"`
	Status      string `json:"status"`
	At          string `json:"at"`
	Commit      string `json:"commit"`
	CommitAt    string `json:"commit_at"`
}

const knownFields = "id, service, version, environment, status, at, commit, commit_at"

// Decode reads one deployment from a POST /webhooks/deploy body:
//
//	{"id": "gh-run-123", "service": "checkout", "version": "v1.4.2",
//	 "environment": "production", "status": "success",
//	 "at": "2026-12-01T10:00:00Z", "commit": "9fceb02", "commit_at": "2026-12-01T09:12:00Z"}
//
// It is strict: one JSON object, no unknown fields, times in RFC 3339, at most
// MaxBodyBytes. Surrounding spaces are trimmed and status is case-insensitive;
// environment defaults to DefaultEnvironment and at to now. Times are returned
// in UTC. The result has passed Validate. Errors wrap ErrInvalid or ErrTooLarge.
func Decode(r io.Reader, now time.Time) (Deployment, error) {
	body, err := io.ReadAll(io.LimitReader(r, MaxBodyBytes+1))
	if err != nil {
		return Deployment{}, fmt.Errorf("reading deployment: %w", err)
	}
	if len(body) > MaxBodyBytes {
		return Deployment{}, ErrTooLarge
	}
	var w wire
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return Deployment{}, fmt.Errorf("%w: %s", ErrInvalid, jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return Deployment{}, fmt.Errorf("%w: the body must be one JSON object with nothing after it", ErrInvalid)
	}

	d := Deployment{
		ID:          strings.TrimSpace(w.ID),
		Service:     strings.TrimSpace(w.Service),
		Version:     strings.TrimSpace(w.Version),
		Environment: strings.TrimSpace(w.Environment),
		Status:      Status(strings.ToLower(strings.TrimSpace(w.Status))),
		Commit:      strings.TrimSpace(w.Commit),
	}
	if d.Environment == "" {
		d.Environment = DefaultEnvironment
	}
	var errs ValidationError
	d.At, errs = parseTime("at", w.At, now, errs)
	d.CommitAt, errs = parseTime("commit_at", w.CommitAt, time.Time{}, errs)
	if len(errs) > 0 {
		return Deployment{}, errs
	}
	if err := d.Validate(); err != nil {
		return Deployment{}, err
	}
	return d, nil
}

func parseTime(field, s string, def time.Time, errs ValidationError) (time.Time, ValidationError) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def.UTC(), errs
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, append(errs, FieldError{Field: field,
			Problem: fmt.Sprintf("%q is not an RFC 3339 time such as 2026-12-01T10:00:00Z", truncate(s, 40))})
	}
	return t.UTC(), errs
}

// jsonProblem turns encoding/json's errors into sentences for the sender.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return "the body is empty; send a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	case errors.As(err, &syntax):
		return fmt.Sprintf("malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return "the body must be a JSON object"
		}
		return fmt.Sprintf("field %q must be a string", typ.Field)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Sprintf("unknown field %s (known fields: %s)", truncate(name, 60), knownFields)
	}
	return err.Error()
}
