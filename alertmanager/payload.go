package alertmanager

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"reflect"
	"sort"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// PayloadVersion is the webhook payload version this package reads.
const PayloadVersion = "4"

// Message is an Alertmanager webhook notification (payload version 4):
// one alert group as sent to a webhook_config receiver.
type Message struct {
	Receiver          string            `json:"receiver"`
	Status            string            `json:"status"` // firing | resolved
	Alerts            []Alert           `json:"alerts"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	// TruncatedAlerts is how many alerts Alertmanager left out because of
	// the receiver's max_alerts; Alerts then holds only the first ones.
	TruncatedAlerts uint64 `json:"truncatedAlerts"`
}

// Alert is one alert of a Message.
type Alert struct {
	Status       string            `json:"status"` // firing | resolved
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"` // zero (0001-01-01T00:00:00Z) while firing without an end
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// ErrBadPayload marks a body that is not a usable version 4 notification.
// Decode's errors wrap it; the message says what is wrong.
var ErrBadPayload = errors.New("invalid Alertmanager webhook payload")

// Decode parses and checks a webhook body. Unknown fields are ignored, so
// later Alertmanager versions and compatible senders keep working.
//
// It rejects: invalid JSON; a missing groupKey (incidents are keyed by it);
// a version other than "4"; a group or alert status other than firing or
// resolved; a notification without alerts; a fingerprint that is not
// hexadecimal. An empty version is accepted as 4: Alertmanager has sent "4"
// for years and always sets it, but hand-written senders (curl scripts,
// proxies that rebuild the body) often leave it out, and the fields they
// send are the v4 ones. A non-empty other version means another schema.
//
// An alert without a fingerprint gets one computed from its labels the way
// Alertmanager computes model.Fingerprint (see Fingerprint), so a resend of
// the same alert keeps the same identity.
func Decode(body []byte) (*Message, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, fmt.Errorf("%w: the body is empty", ErrBadPayload)
	}
	if body[0] != '{' {
		return nil, fmt.Errorf("%w: the body must be a JSON object", ErrBadPayload)
	}
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrBadPayload, describeJSONError(body, err))
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *Message) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadPayload}, args...)...)
	}
	if m.GroupKey == "" {
		return bad("groupKey is missing or empty")
	}
	if m.Version != "" && m.Version != PayloadVersion {
		return bad("version %q is not supported (want %q)", m.Version, PayloadVersion)
	}
	if !validStatus(m.Status) {
		return bad("status %q must be %q or %q", m.Status, incidents.AlertFiring, incidents.AlertResolved)
	}
	if len(m.Alerts) == 0 {
		return bad("alerts is empty")
	}
	for i := range m.Alerts {
		a := &m.Alerts[i]
		if !validStatus(a.Status) {
			return bad("alerts[%d].status %q must be %q or %q", i, a.Status, incidents.AlertFiring, incidents.AlertResolved)
		}
		if a.Fingerprint == "" {
			a.Fingerprint = Fingerprint(a.Labels)
		} else if !validFingerprint(a.Fingerprint) {
			return bad("alerts[%d].fingerprint %q is not a hexadecimal fingerprint", i, a.Fingerprint)
		}
	}
	return nil
}

func validStatus(s string) bool {
	return s == incidents.AlertFiring || s == incidents.AlertResolved
}

// validFingerprint accepts what Alertmanager sends (16 hex digits) and
// leaves room for other senders' longer hashes. Fingerprints become map keys
// in the store, so nothing else ('.', '$') may get through.
func validFingerprint(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Fingerprint returns the identity of a label set as Alertmanager's
// model.Fingerprint does, in the same 16-hex-digit form: FNV-1a 64 over the
// label pairs sorted by name, each name and value followed by a 0xff byte.
// Equal label sets give equal fingerprints on every run and every replica.
func Fingerprint(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for n := range labels {
		names = append(names, n)
	}
	sort.Strings(names)
	h := fnv.New64a()
	sep := []byte{0xff}
	for _, n := range names {
		h.Write([]byte(n))
		h.Write(sep)
		h.Write([]byte(labels[n]))
		h.Write(sep)
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// describeJSONError turns encoding/json errors into a sentence with a
// position, without echoing large parts of the body.
func describeJSONError(body []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tim *time.ParseError
	switch {
	case errors.As(err, &syn):
		line, col := position(body, max(syn.Offset-1, 0)) // Offset counts the offending byte
		return fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the body"
		}
		return fmt.Sprintf("field %s must be %s, not JSON %s", field, jsonKind(typ.Type), typ.Value)
	case errors.As(err, &tim):
		return fmt.Sprintf("a time is not in RFC 3339 form: %v", tim)
	}
	return "invalid JSON: " + err.Error()
}

func jsonKind(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Time]():
		return "an RFC 3339 time string"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Uint64:
		return "a non-negative integer"
	case t.Kind() == reflect.Map:
		return "an object of strings"
	case t.Kind() == reflect.Slice:
		return "an array"
	}
	return "an object"
}

// position converts a byte offset into a 1-based line and column.
func position(body []byte, off int64) (line, col int) {
	if off > int64(len(body)) {
		off = int64(len(body))
	}
	line, col = 1, 1
	for _, c := range body[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
