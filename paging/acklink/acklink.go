// Package acklink signs and verifies the acknowledge links of email and push
// pages: a short, URL-safe token that names the incident, the notification and
// the person, and expires. The token travels in the link's path
// (".../ack/<token>"); whoever holds it may acknowledge that incident until it
// expires, so it carries no address and is never logged whole.
//
// A token is base64url (no padding) of a compact binary payload followed by a
// 128-bit tag: the first 16 bytes of HMAC-SHA256 under the signer's key over a
// context string and the payload. The payload is a version byte, then the
// expiry (unix seconds), the incident number, and the notification ID and
// person key each prefixed by their length, all as varints. A typical token is
// 80 to 100 characters: short enough for an ntfy action or an SMS.
package acklink

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Claims are what a token says.
type Claims struct {
	// Incident is the incident's number.
	Incident int64
	// Notification is the paging.Message ID the link was sent in.
	Notification string
	// Person is the people key or Slack user ID of the person paged; never
	// an address.
	Person string
	// Expires is when the link stops working; kept to the second.
	Expires time.Time
}

// The errors of Verify; each is distinct so a page can say what happened.
var (
	// ErrMalformed: not a token at all (cut short, wrong characters, garbage).
	ErrMalformed = errors.New("acklink: malformed token")
	// ErrBadSignature: a token, but not one this key signed (or changed).
	ErrBadSignature = errors.New("acklink: bad signature")
	// ErrExpired: a genuine token past its expiry.
	ErrExpired = errors.New("acklink: expired")
)

// minKeyLen is the shortest key New accepts.
const minKeyLen = 32

const (
	version = 1
	tagLen  = 16 // bytes of HMAC-SHA256 kept: 128 bits
	// maxField bounds the notification ID and the person key; Sign cuts
	// longer ones (they are IDs, never that long).
	maxField = 128
	// maxToken bounds what Verify decodes.
	maxToken = 512
)

// macContext separates these MACs from any other use of the same key.
const macContext = "incidentbot/acklink/v1\x00"

var enc = base64.RawURLEncoding.Strict()

// Signer signs and verifies tokens with one key.
type Signer struct {
	key []byte
	now func() time.Time
}

// New returns a Signer for key, which must be at least minKeyLen bytes of
// secret. now is the clock Verify checks expiry against; nil means time.Now.
func New(key []byte, now func() time.Time) (*Signer, error) {
	if len(key) < minKeyLen {
		return nil, fmt.Errorf("acklink: the key has %d bytes; it needs at least %d", len(key), minKeyLen)
	}
	if now == nil {
		now = time.Now
	}
	return &Signer{key: bytes.Clone(key), now: now}, nil
}

// Sign returns the token for c. Expires is kept to the second; a
// notification ID or person longer than 128 bytes is cut.
func (s *Signer) Sign(c Claims) string {
	p := make([]byte, 0, 1+3*binary.MaxVarintLen64+len(c.Notification)+len(c.Person)+tagLen)
	p = append(p, version)
	p = binary.AppendVarint(p, c.Expires.Unix())
	p = binary.AppendVarint(p, c.Incident)
	p = appendField(p, c.Notification)
	p = appendField(p, c.Person)
	p = append(p, s.tag(p)...)
	return enc.EncodeToString(p)
}

func appendField(p []byte, s string) []byte {
	if len(s) > maxField {
		s = s[:maxField]
	}
	p = binary.AppendUvarint(p, uint64(len(s)))
	return append(p, s...)
}

func (s *Signer) tag(payload []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(macContext))
	m.Write(payload)
	return m.Sum(nil)[:tagLen]
}

// Verify checks token and returns its claims. The error is ErrMalformed,
// ErrBadSignature or ErrExpired (test with errors.Is); with ErrExpired the
// claims are returned too, so a page can say which incident the link was for.
func (s *Signer) Verify(token string) (Claims, error) {
	if len(token) == 0 || len(token) > maxToken || !urlSafe(token) {
		return Claims{}, ErrMalformed
	}
	raw, err := enc.DecodeString(token)
	if err != nil || len(raw) < 1+tagLen {
		return Claims{}, ErrMalformed
	}
	payload, tag := raw[:len(raw)-tagLen], raw[len(raw)-tagLen:]
	if !hmac.Equal(tag, s.tag(payload)) {
		return Claims{}, ErrBadSignature
	}
	c, ok := parse(payload)
	if !ok {
		// Signed by this key but not a payload of this version.
		return Claims{}, ErrMalformed
	}
	if !s.now().Before(c.Expires) {
		return c, ErrExpired
	}
	return c, nil
}

// urlSafe reports whether s holds only base64url characters. The decoder
// would skip CR and LF; a token with them is not one Sign made.
func urlSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-' || b == '_') {
			return false
		}
	}
	return true
}

func parse(p []byte) (Claims, bool) {
	if len(p) == 0 || p[0] != version {
		return Claims{}, false
	}
	p = p[1:]
	exp, n := binary.Varint(p)
	if n <= 0 {
		return Claims{}, false
	}
	p = p[n:]
	inc, n := binary.Varint(p)
	if n <= 0 {
		return Claims{}, false
	}
	p = p[n:]
	notif, p, ok := field(p)
	if !ok {
		return Claims{}, false
	}
	person, p, ok := field(p)
	if !ok || len(p) != 0 {
		return Claims{}, false
	}
	return Claims{Incident: inc, Notification: notif, Person: person, Expires: time.Unix(exp, 0).UTC()}, true
}

func field(p []byte) (string, []byte, bool) {
	l, n := binary.Uvarint(p)
	if n <= 0 || l > maxField || uint64(len(p)-n) < l {
		return "", nil, false
	}
	p = p[n:]
	return string(p[:l]), p[l:], true
}
