package store_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/store/storetest"
)

func TestLease(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := testCtx(t)
	const ttl = 30 * time.Second
	t0 := at(0)
	steps := []struct {
		name   string
		holder string
		now    time.Time
		want   bool
	}{
		{"A takes the free lease", "A", t0, true},
		{"B is refused while A holds it", "B", t0.Add(time.Second), false},
		{"A renews", "A", t0.Add(20 * time.Second), true},
		{"B is refused at A's renewed expiry instant", "B", t0.Add(20*time.Second + ttl), false},
		{"B takes it once A's lease expired", "B", t0.Add(20*time.Second + ttl + time.Millisecond), true},
		{"A is refused now", "A", t0.Add(21*time.Second + ttl), false},
	}
	for _, st := range steps {
		got, err := s.AcquireLease(ctx, "applier", st.holder, ttl, st.now)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Errorf("%s: AcquireLease = %v, want %v", st.name, got, st.want)
		}
	}

	// Other lease names are independent.
	if ok, err := s.AcquireLease(ctx, "other", "A", ttl, t0.Add(time.Minute)); err != nil || !ok {
		t.Errorf("AcquireLease of another name = %v, %v; want true", ok, err)
	}

	now := t0.Add(time.Minute)
	if err := s.ReleaseLease(ctx, "applier", "A"); err != nil { // A does not hold it: no effect
		t.Fatal(err)
	}
	if ok, _ := s.AcquireLease(ctx, "applier", "A", ttl, now); ok {
		t.Error("A acquired after a release by a non-holder, want B to keep it")
	}
	if err := s.ReleaseLease(ctx, "applier", "B"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.AcquireLease(ctx, "applier", "A", ttl, now); err != nil || !ok {
		t.Errorf("A after B released = %v, %v; want true", ok, err)
	}
	if err := s.ReleaseLease(ctx, "never-taken", "A"); err != nil {
		t.Errorf("ReleaseLease of an unknown lease = %v, want nil", err)
	}
}

// TestLeaseRace has 8 holders race for one free lease: exactly one wins.
func TestLeaseRace(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := testCtx(t)
	for round := range 5 {
		name := fmt.Sprintf("race-%d", round)
		var winners atomic.Int32
		var wg sync.WaitGroup
		for h := range 8 {
			wg.Go(func() {
				ok, err := s.AcquireLease(ctx, name, fmt.Sprintf("holder-%d", h), time.Minute, at(0))
				if err != nil {
					t.Errorf("AcquireLease: %v", err)
				}
				if ok {
					winners.Add(1)
				}
			})
		}
		wg.Wait()
		if n := winners.Load(); n != 1 {
			t.Errorf("round %d: %d holders acquired the lease, want exactly 1", round, n)
		}
	}
}
