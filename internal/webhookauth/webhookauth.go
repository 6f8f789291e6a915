// Package webhookauth checks the shared-secret credentials of incoming
// webhooks (Alertmanager, deployments): a bearer token, or basic auth with
// the token as password, compared in constant time.
package webhookauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
)

// Checker checks requests against one token.
type Checker struct {
	sum  [sha256.Size]byte
	none bool
}

// New returns a Checker for token. none accepts every request (an explicit
// opt-out); without it an empty token is an error, so a missing secret never
// means an open endpoint.
func New(token string, none bool) (Checker, error) {
	if token == "" && !none {
		return Checker{}, errors.New("the webhook token is empty; set one or disable authentication explicitly")
	}
	return Checker{sum: sha256.Sum256([]byte(token)), none: none}, nil
}

// Check reports whether r carries the token. It compares SHA-256 digests in
// constant time, so neither the token nor its length leaks. The reason is
// safe to show and log: it never contains the credentials.
func (c Checker) Check(r *http.Request) (reason string, ok bool) {
	if c.none {
		return "", true
	}
	hdr := r.Header.Get("Authorization")
	if hdr == "" {
		return "missing credentials: send Authorization: Bearer <token> or basic auth", false
	}
	scheme, rest, _ := strings.Cut(hdr, " ")
	var given string
	switch strings.ToLower(scheme) {
	case "bearer":
		given = strings.TrimSpace(rest)
	case "basic":
		_, pw, ok := r.BasicAuth()
		if !ok {
			return "malformed basic credentials", false
		}
		given = pw
	default:
		return "unsupported authorization scheme; use Bearer or Basic", false
	}
	sum := sha256.Sum256([]byte(given))
	if subtle.ConstantTimeCompare(sum[:], c.sum[:]) != 1 {
		return "invalid credentials", false
	}
	return "", true
}

// Challenge sets the WWW-Authenticate headers of a 401 answer.
func Challenge(w http.ResponseWriter) {
	w.Header().Add("WWW-Authenticate", `Bearer realm="incidentbot"`)
	w.Header().Add("WWW-Authenticate", `Basic realm="incidentbot"`)
}
