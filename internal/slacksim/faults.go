package slacksim

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"
)

// AllMethods, given as a method name to a fault knob, makes it apply to every Web API
// method that has no knob of its own.
const AllMethods = "*"

// When says which calls a fault hits. The zero value hits none, so passing it clears
// the fault.
type When struct {
	// EveryNth hits calls N, 2N, 3N, … of the method (counted from when the knob was
	// set). 1 hits every call. Deterministic; takes precedence over Fraction.
	EveryNth int
	// Fraction hits each call with this probability, drawn from the source seeded by
	// Options.Seed.
	Fraction float64
	// Limit, if positive, stops the fault after it has hit this many calls, e.g. "the
	// next 2 calls are rate-limited, then Slack recovers".
	Limit int
}

// Always hits every call.
func Always() When { return When{EveryNth: 1} }

// Every hits every nth call.
func Every(n int) When { return When{EveryNth: n} }

// Fraction hits a seeded-random fraction of calls.
func Fraction(f float64) When { return When{Fraction: f} }

// Next hits the next n calls and then stops.
func Next(n int) When { return When{EveryNth: 1, Limit: n} }

func (w When) active() bool { return w.EveryNth > 0 || w.Fraction > 0 }

type rule struct {
	when    When
	seen    int
	hits    int
	value   time.Duration // retry-after for rate limits
	code    int           // HTTP status for server errors
	failure Failure       // what a call that took effect answers (SetFailAfter)
}

type methodFaults struct {
	rateLimit   *rule
	serverError *rule
	after       *rule
	latency     time.Duration
}

// SetRateLimit makes calls of method (or AllMethods) chosen by when fail as Slack
// rate-limits: HTTP 429, a Retry-After header of retryAfter in whole seconds (rounded
// up), and {"ok":false,"error":"ratelimited"}. A zero When clears it.
func (s *Server) SetRateLimit(method string, when When, retryAfter time.Duration) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	f := s.faultsLocked(method)
	if !when.active() {
		f.rateLimit = nil
		return
	}
	f.rateLimit = &rule{when: when, value: retryAfter}
}

// SetServerError makes calls of method (or AllMethods) chosen by when fail with the
// given HTTP status (500, 502, 503, 504) and a non-JSON body, as Slack's edge does.
// A zero When clears it.
func (s *Server) SetServerError(method string, when When, status int) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	f := s.faultsLocked(method)
	if !when.active() {
		f.serverError = nil
		return
	}
	if status < 500 || status > 599 {
		status = http.StatusInternalServerError
	}
	f.serverError = &rule{when: when, code: status}
}

// SetLatency delays every call of method (or AllMethods) by d, really sleeping, for
// benchmarks. The delay ends early when the request is cancelled. Zero clears it.
func (s *Server) SetLatency(method string, d time.Duration) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faultsLocked(method).latency = d
}

// ClearFaults removes every fault knob.
func (s *Server) ClearFaults() {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	clear(s.faults)
}

func (s *Server) faultsLocked(method string) *methodFaults {
	f := s.faults[method]
	if f == nil {
		f = &methodFaults{}
		s.faults[method] = f
	}
	return f
}

// fault is what the knobs decided for one call.
type fault struct {
	latency    time.Duration
	rateLimit  bool
	retryAfter time.Duration
	status     int
}

// decide applies the knobs of method, falling back to AllMethods knob by knob.
func (s *Server) decide(method string) fault {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	own, all := s.faults[method], s.faults[AllMethods]
	var out fault
	pick := func(get func(*methodFaults) *rule) *rule {
		if own != nil && get(own) != nil {
			return get(own)
		}
		if all != nil {
			return get(all)
		}
		return nil
	}
	if own != nil && own.latency > 0 {
		out.latency = own.latency
	} else if all != nil {
		out.latency = all.latency
	}
	if r := pick(func(f *methodFaults) *rule { return f.rateLimit }); r != nil && s.hitLocked(r) {
		out.rateLimit, out.retryAfter = true, r.value
		return out
	}
	if r := pick(func(f *methodFaults) *rule { return f.serverError }); r != nil && s.hitLocked(r) {
		out.status = r.code
	}
	return out
}

func (s *Server) hitLocked(r *rule) bool {
	if r.when.Limit > 0 && r.hits >= r.when.Limit {
		return false
	}
	r.seen++
	var hit bool
	if r.when.EveryNth > 0 {
		hit = r.seen%r.when.EveryNth == 0
	} else {
		hit = s.rng.Float64() < r.when.Fraction
	}
	if hit {
		r.hits++
	}
	return hit
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func retryAfterHeader(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.FormatInt(int64(math.Ceil(d.Seconds())), 10)
}
