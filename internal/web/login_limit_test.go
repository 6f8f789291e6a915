package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/incidentbot/incidentbot/internal/clocktest"
)

// countingCompare wraps bcrypt, counting the comparisons and the most that
// ran at once.
type countingCompare struct {
	calls, running, most atomic.Int64
}

func (c *countingCompare) compare(hash, pw []byte) error {
	c.calls.Add(1)
	n := c.running.Add(1)
	defer c.running.Add(-1)
	for {
		m := c.most.Load()
		if n <= m || c.most.CompareAndSwap(m, n) {
			break
		}
	}
	return bcrypt.CompareHashAndPassword(hash, pw)
}

func bcryptAuth(t *testing.T, cost int) (Auth, *countingCompare) {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("right"), cost)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseAuth("ops:" + string(hash))
	if err != nil {
		t.Fatal(err)
	}
	c := &countingCompare{}
	a.compare = c.compare
	return a, c
}

func TestFailedLoginsLimited(t *testing.T) {
	for _, kind := range []string{"plain", "bcrypt"} {
		t.Run(kind, func(t *testing.T) {
			var auth Auth
			calls := func() int64 { return 0 }
			if kind == "plain" {
				var err error
				if auth, err = ParseAuth("ops:right"); err != nil {
					t.Fatal(err)
				}
			} else {
				var c *countingCompare
				auth, c = bcryptAuth(t, bcrypt.MinCost)
				calls = c.calls.Load
			}
			clock := clocktest.New(fixNow)
			o := testOptions()
			o.Auth, o.Now = auth, clock.Now
			srv := serve(t, o)
			wrong, right := basic("ops", "guess"), basic("ops", "right")

			for i := range loginBurst {
				if a := do(t, "GET", srv.URL+"/", wrong); a.code != http.StatusUnauthorized {
					t.Fatalf("wrong password %d: %d, want 401", i+1, a.code)
				}
			}
			before := calls()
			a := do(t, "GET", srv.URL+"/", wrong)
			if a.code != http.StatusTooManyRequests || a.header.Get("Retry-After") != "1" {
				t.Fatalf("wrong password %d: %d, Retry-After %q; want 429, 1", loginBurst+1, a.code, a.header.Get("Retry-After"))
			}
			var body struct{ Error string }
			if json.Unmarshal([]byte(a.body), &body) != nil || body.Error == "" {
				t.Errorf("429 body = %q, want a JSON error", a.body)
			}
			if calls() != before {
				t.Errorf("the refused attempt ran bcrypt (%d runs, want %d)", calls(), before)
			}
			// No credentials is a challenge, not a failed login.
			if a := do(t, "GET", srv.URL+"/", nil); a.code != http.StatusUnauthorized {
				t.Errorf("no credentials while limited: %d, want 401", a.code)
			}

			clock.Advance(loginEvery)
			if a := do(t, "GET", srv.URL+"/", wrong); a.code != http.StatusUnauthorized {
				t.Errorf("a second later: %d, want one more attempt (401)", a.code)
			}
			if a := do(t, "GET", srv.URL+"/", wrong); a.code != http.StatusTooManyRequests {
				t.Errorf("then: %d, want 429", a.code)
			}
			clock.Advance(loginBurst * loginEvery)
			if a := do(t, "GET", srv.URL+"/", right); a.code != http.StatusOK {
				t.Fatalf("the right password after the wait: %d, want 200", a.code)
			}
			// Spend the attempts again: the right password still works at
			// once (plain, or bcrypt's remembered hash) and runs no bcrypt.
			for range loginBurst + 1 {
				do(t, "GET", srv.URL+"/", wrong)
			}
			before = calls()
			for range 10 {
				if a := do(t, "GET", srv.URL+"/", right); a.code != http.StatusOK {
					t.Fatalf("the right password while wrong ones are limited: %d, want 200", a.code)
				}
			}
			if calls() != before {
				t.Errorf("browsing with the right password ran bcrypt %d times, want 0", calls()-before)
			}
		})
	}
}

// Each address has its own attempts; an IPv6 host's are its /64's.
func TestLoginLimitPerAddress(t *testing.T) {
	auth, _ := bcryptAuth(t, bcrypt.MinCost)
	clock := clocktest.New(fixNow)
	guarded := auth.guard(clock.Now)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	try := func(addr, pass string) int {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = addr
		r.SetBasicAuth("ops", pass)
		rec := httptest.NewRecorder()
		guarded.ServeHTTP(rec, r)
		return rec.Code
	}
	spend := func(addr string) {
		for range loginBurst {
			try(addr, "guess")
		}
	}
	spend("192.0.2.1:4000")
	if got := try("192.0.2.1:4001", "guess"); got != http.StatusTooManyRequests {
		t.Errorf("same address, another port: %d, want 429", got)
	}
	if got := try("[::ffff:192.0.2.1]:4002", "guess"); got != http.StatusTooManyRequests {
		t.Errorf("the same address mapped in IPv6: %d, want 429", got)
	}
	if got := try("192.0.2.2:4000", "guess"); got != http.StatusUnauthorized {
		t.Errorf("another address: %d, want 401", got)
	}
	spend("[2001:db8:1:2::1]:4000")
	if got := try("[2001:db8:1:2::ffff]:4000", "guess"); got != http.StatusTooManyRequests {
		t.Errorf("same IPv6 /64: %d, want 429", got)
	}
	if got := try("[2001:db8:1:3::1]:4000", "guess"); got != http.StatusUnauthorized {
		t.Errorf("another IPv6 /64: %d, want 401", got)
	}
}

// The addresses remembered are bounded: past the bound, new ones share one
// bucket until old ones have refilled and are forgotten.
func TestLoginLimiterIsBounded(t *testing.T) {
	clock := clocktest.New(fixNow)
	l := newLoginLimiter(clock.Now)
	addr := func(i int) netip.Prefix {
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32)
	}
	for i := range maxLoginClients {
		if ok, _ := l.take(addr(i)); !ok {
			t.Fatalf("address %d refused its first attempt", i)
		}
	}
	for i := range loginBurst {
		if ok, _ := l.take(addr(maxLoginClients + i)); !ok {
			t.Fatalf("new address %d past the bound refused", i)
		}
	}
	if ok, _ := l.take(addr(maxLoginClients + loginBurst)); ok {
		t.Error("new addresses past the bound have more than one bucket's attempts between them")
	}
	if n := len(l.clients); n != maxLoginClients {
		t.Errorf("addresses remembered = %d, want %d", n, maxLoginClients)
	}
	clock.Advance(loginEvery) // every bucket has refilled (one attempt each was spent)
	if ok, _ := l.take(addr(2 * maxLoginClients)); !ok {
		t.Error("a new address after the old ones refilled: refused")
	}
	if n := len(l.clients); n != 1 {
		t.Errorf("addresses remembered after expiry = %d, want only the new one", n)
	}
}

// 64 wrong passwords at once (issue 17: they kept both cores busy 12 s and
// /healthz answered in 0.57 s) run bcrypt at most loginBurst times, never
// more at once than the bcrypt slots, while /healthz is asked 20 times. The
// /healthz times are logged, not asserted.
func TestWrongPasswordsLeaveHealthzFast(t *testing.T) {
	cost := 12 // the cost: ~250 ms of CPU a comparison
	if raceDetector {
		cost = bcrypt.MinCost // bcrypt is ~20× slower under the race detector
	}
	auth, c := bcryptAuth(t, cost)
	o := testOptions()
	o.Auth = auth
	srv := serve(t, o)

	const attackers = 64
	codes := make(chan int, attackers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range attackers {
		wg.Go(func() {
			<-start
			codes <- do(t, "GET", srv.URL+"/", basic("ops", "guess")).code
		})
	}
	close(start)
	var times []time.Duration
	for range 20 {
		began := time.Now()
		if a := do(t, "GET", srv.URL+"/healthz", nil); a.code != http.StatusOK {
			t.Errorf("/healthz: %d", a.code)
		}
		times = append(times, time.Since(began))
	}
	wg.Wait()
	close(codes)
	got := map[int]int{}
	for code := range codes {
		got[code]++
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	t.Logf("%d wrong passwords at once (bcrypt cost %d): %d bcrypt runs, at most %d at once; answers %v; /healthz median %v, slowest %v",
		attackers, cost, c.calls.Load(), c.most.Load(), got, times[len(times)/2], times[len(times)-1])

	if n := c.calls.Load(); n < 1 || n > loginBurst {
		t.Errorf("bcrypt ran %d times, want 1 to %d (one address's attempts)", n, loginBurst)
	}
	if most, slots := c.most.Load(), int64(max(1, cap(newLoginLimiter(nil).bcrypt))); most > slots {
		t.Errorf("%d bcrypt comparisons ran at once, want at most %d", most, slots)
	}
	if got[http.StatusUnauthorized] != int(c.calls.Load()) || got[http.StatusUnauthorized]+got[http.StatusTooManyRequests] != attackers {
		t.Errorf("answers %v, want 401 for each bcrypt run and 429 for the rest", got)
	}
}

// FuzzParseAuth: any setting parses or is refused naming the variable; a
// plain one accepts exactly its own user and password. Any remote address
// gives a client key without panicking.
func FuzzParseAuth(f *testing.F) {
	for _, s := range []string{"ops:secret", "ops:s3cret:with:colons", ":x", "x:", "nocolon", "ops:$2a$10$short", ""} {
		f.Add(s, "192.0.2.1:80")
	}
	f.Add("u:p", "[2001:db8::1%eth0]:443")
	f.Add("u:p", "not an address")
	f.Fuzz(func(t *testing.T, setting, remote string) {
		_ = clientKey(remote)
		a, err := ParseAuth(setting)
		if err != nil {
			if !strings.Contains(err.Error(), "INCIDENTBOT_WEB_AUTH") {
				t.Fatalf("ParseAuth(%q) = %v, want an error naming INCIDENTBOT_WEB_AUTH", setting, err)
			}
			return
		}
		if setting == "" {
			if a.Enabled() {
				t.Fatal("empty setting enabled auth")
			}
			return
		}
		user, pass, _ := strings.Cut(setting, ":")
		if isBcrypt(pass) {
			return
		}
		if !a.check(user, pass) || a.check(user, pass+"x") || a.check(user+"x", pass) {
			t.Fatalf("ParseAuth(%q): check answers wrongly", setting)
		}
	})
}
