// Package webhook pages through a generic outgoing webhook: a JSON POST to the
// person's URL (a pager gateway, a home automation, anything), signed so the
// receiver knows it came from incidentbot.
//
// # The request
//
//	POST <url>
//	Content-Type: application/json
//	X-Incidentbot-Timestamp: 1767589200
//	X-Incidentbot-Signature: sha256=<64 lowercase hex digits>
//
//	{"event":"page","id":"01JNX…","incident":42,"severity":"sev1",
//	 "title":"Checkout is down","subject":"#42 sev1: Checkout is down",
//	 "body":"…","incident_url":"https://…/incidents/42",
//	 "ack_url":"https://…/ack/…","person":"Alice","sent_at":"2026-01-05T04:00:00Z"}
//
// event is "page", or "test" for a test page (which has no ack_url and
// acknowledges nothing). id names the notification and stays the same if it
// is sent again: receivers may drop repeats by it. POSTing to ack_url (empty
// body) acknowledges the incident until the link expires.
//
// # Verifying the signature
//
// When the person's webhook has a secret, X-Incidentbot-Signature is "sha256="
// and the lowercase hex HMAC-SHA256, keyed with the secret, of the timestamp
// header's value, a ".", and the raw body bytes exactly as received:
//
//	expected = "sha256=" + hex(HMAC_SHA256(secret, timestamp + "." + body))
//
// Compare it with the header in constant time, and reject a timestamp more
// than a few minutes from your clock, so a captured request cannot be
// replayed later. Go receivers can call Verify; ExampleSign shows a worked
// example to check another language's implementation against. Without a secret the request
// carries the timestamp but no signature.
//
// Any 2xx answer means the page was taken. Anything else, a redirect (never
// followed) or no answer within the timeout is a failure, and the person's
// next notification step goes on.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
	"github.com/incidentbot/incidentbot/paging/internal/post"
)

// The request's headers.
const (
	HeaderSignature = "X-Incidentbot-Signature"
	HeaderTimestamp = "X-Incidentbot-Timestamp"
)

// Events.
const (
	eventPage = "page"
	EventTest = "test"
)

// Payload is the JSON body of a webhook page.
type Payload struct {
	Event       string    `json:"event"`
	ID          string    `json:"id"`
	Incident    int64     `json:"incident"`
	Severity    string    `json:"severity,omitempty"`
	Title       string    `json:"title"`
	Subject     string    `json:"subject"`
	Body        string    `json:"body"`
	IncidentURL string    `json:"incident_url,omitempty"`
	AckURL      string    `json:"ack_url,omitempty"`
	Person      string    `json:"person"`
	SentAt      time.Time `json:"sent_at"` // RFC 3339, UTC, to the second
}

// Options configure a Sender; the zero value works.
type Options struct {
	// Timeout bounds one send, answer included; default 10s.
	Timeout time.Duration
	// Client is the HTTP client to copy (for a proxy or custom TLS); its
	// redirect policy and timeout are replaced. Nil means a default client.
	Client *http.Client
	// Logger gets one line per send, without the URL; nil discards.
	Logger *logrus.Entry
	// Now is the clock for sent_at and the timestamp; nil means time.Now.
	Now func() time.Time
}

// Sender sends webhook pages. It is safe for concurrent use.
type Sender struct {
	client *http.Client
	log    *logrus.Entry
	now    func() time.Time
}

var _ paging.Sender = (*Sender)(nil)

// New returns a Sender.
func New(o Options) *Sender {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	o.Logger = discard.IfNil(o.Logger)
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Sender{client: post.Client(o.Client, o.Timeout), log: o.Logger, now: o.Now}
}

// Send POSTs m to m.To, signed with m.Secret when it is set.
func (s *Sender) Send(ctx context.Context, m paging.Message) (paging.Receipt, error) {
	if m.Method != oncall.MethodWebhook {
		return paging.Receipt{}, fmt.Errorf("webhook: cannot send a %q message", m.Method)
	}
	if m.To == "" {
		return paging.Receipt{}, fmt.Errorf("webhook: no URL")
	}
	now := s.now().UTC().Truncate(time.Second)
	p := Payload{
		Event: eventPage, ID: m.ID, Incident: m.Incident, Severity: m.Severity, Title: m.Title,
		Subject: m.Subject, Body: m.Body, IncidentURL: m.IncidentURL, AckURL: m.AckURL,
		Person: m.Person, SentAt: now,
	}
	if m.Test {
		p.Event, p.AckURL = EventTest, ""
	}
	body, err := json.Marshal(p)
	if err != nil {
		return paging.Receipt{}, fmt.Errorf("webhook: %w", err)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	hdr := http.Header{
		"Content-Type":  {"application/json"},
		"User-Agent":    {"incidentbot-webhook/1"},
		HeaderTimestamp: {ts},
	}
	if m.Secret != "" {
		hdr.Set(HeaderSignature, Sign(m.Secret, ts, body))
	}
	log := s.log.WithFields(logrus.Fields{"incident": m.Incident, "notification": m.ID, "method": "webhook"})
	a, err := post.Do(ctx, s.client, m.To, hdr, body)
	if err != nil {
		log.WithError(err).Warn("webhook: page not sent")
		return paging.Receipt{}, fmt.Errorf("webhook: %w", err)
	}
	if a.Status < 200 || a.Status > 299 {
		err := fmt.Errorf("webhook: the receiver answered %d %s", a.Status, http.StatusText(a.Status))
		if a.Status >= 300 && a.Status < 400 {
			err = fmt.Errorf("webhook: the receiver answered %d, a redirect (not followed; configure the final URL)", a.Status)
		}
		log.WithField("status", a.Status).Warn("webhook: page refused")
		return paging.Receipt{}, err
	}
	log.WithField("status", a.Status).Info("webhook: page sent")
	return paging.Receipt{Provider: "webhook", Status: paging.StatusSent}, nil
}

// Sign returns the X-Incidentbot-Signature value for a body sent at
// timestamp (the X-Incidentbot-Timestamp value).
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether sig (the X-Incidentbot-Signature value) signs body
// at timestamp (the X-Incidentbot-Timestamp value) with secret, and the
// timestamp is within tolerance of now. It compares in constant time.
func Verify(secret, timestamp, body, sig string, now time.Time, tolerance time.Duration) bool {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || secret == "" {
		return false
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(Sign(secret, timestamp, []byte(body))))
}
