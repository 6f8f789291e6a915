package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Auth is the basic auth in front of the pages and the API. The zero value
// is open (no auth).
type Auth struct {
	user [32]byte // sha256 of the user name, so compares take the same time whatever the lengths
	pass [32]byte // sha256 of a plain password
	hash []byte   // bcrypt hash, when the password is one
	on   bool

	// verified remembers the sha256 of the last password bcrypt accepted, so a
	// browser's every request does not cost a bcrypt run (tens of ms).
	mu       *sync.Mutex
	verified *[32]byte
}

// ParseAuth parses INCIDENTBOT_WEB_AUTH: "user:password", where the password
// is plain or a bcrypt hash ($2a$, $2b$, $2y$). Empty means no auth.
func ParseAuth(v string) (Auth, error) {
	if v == "" {
		return Auth{}, nil
	}
	user, pass, ok := strings.Cut(v, ":")
	if !ok || user == "" || pass == "" {
		return Auth{}, errors.New("INCIDENTBOT_WEB_AUTH must be user:password (the password plain or a bcrypt hash)")
	}
	a := Auth{user: sha256.Sum256([]byte(user)), on: true, mu: &sync.Mutex{}, verified: new([32]byte)}
	if isBcrypt(pass) {
		if _, err := bcrypt.Cost([]byte(pass)); err != nil {
			return Auth{}, errors.New("INCIDENTBOT_WEB_AUTH: the password looks like a bcrypt hash but is not a valid one")
		}
		a.hash = []byte(pass)
	} else {
		a.pass = sha256.Sum256([]byte(pass))
	}
	return a, nil
}

func isBcrypt(s string) bool {
	return strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")
}

// Enabled reports whether requests need credentials.
func (a Auth) Enabled() bool { return a.on }

// check reports whether user and password are the configured ones.
func (a Auth) check(user, pass string) bool {
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(pass))
	userOK := subtle.ConstantTimeCompare(u[:], a.user[:]) == 1
	if a.hash == nil {
		return subtle.ConstantTimeCompare(p[:], a.pass[:]) == 1 && userOK
	}
	a.mu.Lock()
	cached := subtle.ConstantTimeCompare(p[:], a.verified[:]) == 1
	a.mu.Unlock()
	if cached {
		return userOK
	}
	if bcrypt.CompareHashAndPassword(a.hash, []byte(pass)) != nil {
		return false
	}
	a.mu.Lock()
	*a.verified = p
	a.mu.Unlock()
	return userOK
}

// wrap puts h behind the auth; with auth off it returns h.
func (a Auth) wrap(h http.Handler) http.Handler {
	if !a.on {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || !a.check(user, pass) {
			w.Header().Set("WWW-Authenticate", `Basic realm="incidentbot"`)
			WriteError(w, http.StatusUnauthorized, "valid credentials required")
			return
		}
		h.ServeHTTP(w, r)
	})
}
