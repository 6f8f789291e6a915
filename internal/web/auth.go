package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"math"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

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

	// compare is bcrypt.CompareHashAndPassword; tests count its calls.
	compare func(hash, password []byte) error
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
	a := Auth{user: sha256.Sum256([]byte(user)), on: true, mu: &sync.Mutex{}, verified: new([32]byte),
		compare: bcrypt.CompareHashAndPassword}
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
	if ok, decided := a.quickCheck(user, pass); decided {
		return ok
	}
	return a.bcryptCheck(user, pass)
}

// quickCheck answers without bcrypt when it can: a plain password, or the
// password bcrypt last accepted. decided is false when bcrypt must run.
func (a Auth) quickCheck(user, pass string) (ok, decided bool) {
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(pass))
	userOK := subtle.ConstantTimeCompare(u[:], a.user[:]) == 1
	if a.hash == nil {
		return subtle.ConstantTimeCompare(p[:], a.pass[:]) == 1 && userOK, true
	}
	a.mu.Lock()
	cached := subtle.ConstantTimeCompare(p[:], a.verified[:]) == 1
	a.mu.Unlock()
	if cached {
		return userOK, true
	}
	return false, false
}

// bcryptCheck runs bcrypt and remembers a password it accepts.
func (a Auth) bcryptCheck(user, pass string) bool {
	u := sha256.Sum256([]byte(user))
	userOK := subtle.ConstantTimeCompare(u[:], a.user[:]) == 1
	if a.compare(a.hash, []byte(pass)) != nil {
		return false
	}
	p := sha256.Sum256([]byte(pass))
	a.mu.Lock()
	*a.verified = p
	a.mu.Unlock()
	return userOK
}

// Limits on failed logins.
const (
	// loginBurst failed logins a client address may make at once, then
	// loginEvery one more each second.
	loginBurst = 5
	loginEvery = time.Second
	// maxLoginClients bounds the addresses remembered; past it, new
	// addresses share one bucket until old ones expire.
	maxLoginClients = 10_000
)

// loginLimiter limits failed logins per client address (a token bucket of
// loginBurst, refilled at one per loginEvery) and the bcrypt comparisons
// running at once, so wrong passwords cannot take the CPU from the server.
type loginLimiter struct {
	now     func() time.Time
	bcrypt  chan struct{} // one slot per comparison running
	mu      sync.Mutex
	clients map[netip.Prefix]*loginBucket
	shared  loginBucket // for new addresses while the map is full
	swept   time.Time
}

type loginBucket struct {
	tokens float64
	at     time.Time
}

func newLoginLimiter(now func() time.Time) *loginLimiter {
	return &loginLimiter{now: now, clients: map[netip.Prefix]*loginBucket{},
		bcrypt: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))}
}

// clientKey is the address a request comes from: the IPv4 address, or the
// /64 an IPv6 address is in (one host's share). The web view is reached
// directly or through a proxy the operator runs; X-Forwarded-For is not
// trusted, so behind a proxy every client shares the proxy's bucket.
func clientKey(remoteAddr string) netip.Prefix {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return netip.Prefix{}
	}
	addr := ap.Addr().Unmap()
	if addr.Is4() {
		return netip.PrefixFrom(addr, 32)
	}
	p, _ := addr.WithZone("").Prefix(64)
	return p
}

// bucket returns key's bucket, refilled to now. Call with mu held.
func (l *loginLimiter) bucket(key netip.Prefix, now time.Time) *loginBucket {
	b := l.clients[key]
	if b == nil {
		if len(l.clients) >= maxLoginClients && now.Sub(l.swept) >= loginEvery {
			l.swept = now
			for k, old := range l.clients {
				if old.full(now) {
					delete(l.clients, k)
				}
			}
		}
		if len(l.clients) >= maxLoginClients {
			b = &l.shared
		} else {
			b = &loginBucket{tokens: loginBurst, at: now}
			l.clients[key] = b
		}
	}
	b.refill(now)
	return b
}

func (b *loginBucket) refill(now time.Time) {
	if b.at.IsZero() {
		b.tokens, b.at = loginBurst, now
		return
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = math.Min(loginBurst, b.tokens+float64(d)/float64(loginEvery))
		b.at = now
	}
}

// full reports whether the bucket has refilled by now: it then says
// nothing a new bucket would not.
func (b *loginBucket) full(now time.Time) bool {
	return b.tokens+float64(now.Sub(b.at))/float64(loginEvery) >= loginBurst
}

// take spends one attempt of key's; when none is left it returns how long
// until one is.
func (l *loginLimiter) take(key netip.Prefix) (ok bool, wait time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(key, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(loginEvery))
}

// give returns an attempt that was not a failure.
func (l *loginLimiter) give(key netip.Prefix) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(key, now)
	b.tokens = math.Min(loginBurst, b.tokens+1)
}

// guard returns middleware that puts handlers behind the auth; with auth off
// it returns them as they are. Right credentials cost no more than before
// (the remembered SHA-256 of the bcrypt password answers at once). Anything
// else that would cost a bcrypt run or could be a guess spends one of the
// client address's attempts; with none left, or with every bcrypt slot
// busy, the answer is 429 with Retry-After, without running bcrypt.
func (a Auth) guard(now func() time.Time) func(http.Handler) http.Handler {
	if !a.on {
		return func(h http.Handler) http.Handler { return h }
	}
	lim := newLoginLimiter(now)
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			user, pass, ok := r.BasicAuth()
			if !ok {
				unauthorized(w)
				return
			}
			good, decided := a.quickCheck(user, pass)
			if decided && good {
				h.ServeHTTP(w, r)
				return
			}
			key := clientKey(r.RemoteAddr)
			if ok, wait := lim.take(key); !ok {
				tooMany(w, wait, "too many failed logins from this address")
				return
			}
			if !decided {
				select {
				case lim.bcrypt <- struct{}{}:
				default:
					lim.give(key) // not a failure: it was not looked at
					tooMany(w, time.Second, "too many logins being checked at once")
					return
				}
				good = a.bcryptCheck(user, pass)
				<-lim.bcrypt
			}
			if !good {
				unauthorized(w)
				return
			}
			lim.give(key)
			h.ServeHTTP(w, r)
		})
	}
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="incidentbot"`)
	WriteError(w, http.StatusUnauthorized, "valid credentials required")
}

func tooMany(w http.ResponseWriter, wait time.Duration, msg string) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	WriteError(w, http.StatusTooManyRequests, msg+"; retry later")
}
