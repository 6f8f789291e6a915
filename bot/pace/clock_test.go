package pace_test

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told, with timers that fire when it
// passes them. Tests wait for the code under test to set timers (which tells
// them it is waiting) with waitFor, instead of sleeping.
type fakeClock struct {
	mu       sync.Mutex
	cond     *sync.Cond
	now      time.Time
	timers   []*fakeTimer
	timedOut bool
}

type fakeTimer struct {
	at time.Time
	d  time.Duration
	c  chan time.Time
}

func newFakeClock() *fakeClock {
	c := &fakeClock{now: time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer is the pace.Options.NewTimer hook.
func (c *fakeClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), d: d, c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- c.now
		return t.c, func() bool { return false }
	}
	c.timers = append(c.timers, t)
	c.cond.Broadcast()
	return t.c, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		i := slices.Index(c.timers, t)
		if i < 0 {
			return false
		}
		c.timers = slices.Delete(c.timers, i, i+1)
		c.cond.Broadcast()
		return true
	}
}

// Advance moves the clock on by d and fires the timers it passes.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.c <- c.now
	}
	c.timers = kept
	c.cond.Broadcast()
}

// poke wakes waitFor to look again, after a change it cannot see.
func (c *fakeClock) poke() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cond.Broadcast()
}

// waitFor blocks until ok holds for the pending timers, failing the test after
// 10 s of real time (a hang, not a slow machine).
func (c *fakeClock) waitFor(t *testing.T, what string, ok func(timers []*fakeTimer) bool) {
	t.Helper()
	guard := time.AfterFunc(10*time.Second, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.timedOut = true
		c.cond.Broadcast()
	})
	defer guard.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for !ok(c.timers) {
		if c.timedOut {
			t.Fatalf("waited 10 s for %s; timers: %v", what, c.describeLocked())
		}
		c.cond.Wait()
	}
}

func (c *fakeClock) describeLocked() []time.Duration {
	var out []time.Duration
	for _, t := range c.timers {
		out = append(out, t.at.Sub(c.now))
	}
	return out
}

// count returns how many of timers were set for exactly d.
func count(timers []*fakeTimer, d time.Duration) int {
	n := 0
	for _, t := range timers {
		if t.d == d {
			n++
		}
	}
	return n
}

// nextTurn returns the earliest timer shorter than bound (a turn, not a
// deadline) and whether there is one.
func nextTurn(timers []*fakeTimer, bound time.Duration) (*fakeTimer, bool) {
	var best *fakeTimer
	for _, t := range timers {
		if t.d < bound && (best == nil || t.at.Before(best.at)) {
			best = t
		}
	}
	return best, best != nil
}
