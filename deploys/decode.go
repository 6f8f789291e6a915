package deploys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// MaxBodyBytes bounds the POST /webhooks/deploy body, as for Alertmanager's webhook.
const MaxBodyBytes = 1 << 20

// ErrTooLarge is returned for a body above MaxBodyBytes (the handler answers 413).
var ErrTooLarge = errors.New("deployment body larger than 1 MiB")

// fields are the keys a body may carry, with exactly this spelling.
var fields = []string{"id", "service", "version", "environment", "status", "at", "commit", "commit_at"}

const knownFields = "id, service, version, environment, status, at, commit, commit_at"

// Decode reads one deployment from a POST /webhooks/deploy body:
//
//	{"id": "gh-run-123", "service": "checkout", "version": "v1.4.2",
//	 "environment": "production", "status": "success",
//	 "at": "2026-12-01T10:00:00Z", "commit": "9fceb02", "commit_at": "2026-12-01T09:12:00Z"}
//
// It is strict: one JSON object; every value a string or null (null = absent);
// no unknown, miscased or repeated keys (encoding/json alone would accept
// "Service" and let a second "status" win); times in RFC 3339; at most
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
	vals, err := decodeObject(body)
	if err != nil {
		return Deployment{}, fmt.Errorf("%w: %s", ErrInvalid, err)
	}
	d := Deployment{
		ID:          vals["id"],
		Service:     vals["service"],
		Version:     vals["version"],
		Environment: vals["environment"],
		Status:      Status(strings.ToLower(vals["status"])),
		Commit:      vals["commit"],
	}
	if d.Environment == "" {
		d.Environment = DefaultEnvironment
	}
	var errs validationError
	d.At, errs = parseTime("at", vals["at"], now, errs)
	d.CommitAt, errs = parseTime("commit_at", vals["commit_at"], time.Time{}, errs)
	if len(errs) > 0 {
		return Deployment{}, errs
	}
	if err := d.Validate(); err != nil {
		return Deployment{}, err
	}
	return d, nil
}

// decodeObject reads a flat JSON object of strings, key by key, so that the
// keys can be checked exactly. Values are trimmed; null gives "".
func decodeObject(body []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, errors.New(jsonProblem(err))
	}
	if tok != json.Delim('{') {
		return nil, errors.New("the body must be a JSON object")
	}
	vals := make(map[string]string, len(fields))
	for dec.More() { // bounded: every round consumes input
		tok, err := dec.Token()
		if err != nil {
			return nil, errors.New(midObject(err))
		}
		key, _ := tok.(string) // inside an object the decoder only yields string keys
		if !slices.Contains(fields, key) {
			return nil, fmt.Errorf("unknown field %q (known fields: %s; names are lowercase)", truncate(key, 60), knownFields)
		}
		if _, dup := vals[key]; dup {
			return nil, fmt.Errorf("field %q appears twice", key)
		}
		var v *string
		if err := dec.Decode(&v); err != nil {
			var typ *json.UnmarshalTypeError
			if errors.As(err, &typ) {
				return nil, fmt.Errorf("field %q must be a string", key)
			}
			return nil, errors.New(midObject(err))
		}
		vals[key] = ""
		if v != nil {
			vals[key] = strings.TrimSpace(*v)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, errors.New(midObject(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("the body must be one JSON object with nothing after it")
	}
	return vals, nil
}

func parseTime(field, s string, def time.Time, errs validationError) (time.Time, validationError) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def.UTC(), errs
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, append(errs, fieldError{Field: field,
			Problem: fmt.Sprintf("%q is not an RFC 3339 time such as 2026-12-01T10:00:00Z", truncate(s, 40))})
	}
	return t.UTC(), errs
}

// midObject is jsonProblem once the object has begun, where the end of the
// input means the body was cut short.
func midObject(err error) string {
	if errors.Is(err, io.EOF) {
		return "the JSON ends too early"
	}
	return jsonProblem(err)
}

// jsonProblem turns encoding/json's errors into sentences for the sender.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return "the body is empty; send a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	case errors.As(err, &syntax):
		return fmt.Sprintf("malformed JSON at byte %d", syntax.Offset)
	}
	return err.Error()
}
