package jobstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/jobs"
)

// t0 is the fake clock's start in the conformance suite.
var t0 = time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)

// Conformance runs the jobs.Store contract against stores made by open; each subtest gets a new,
// empty store.
func Conformance(t *testing.T, open func(t *testing.T) jobs.Store) {
	t.Helper()
	const lease = time.Minute
	ctx := context.Background()
	enqueue := func(t *testing.T, s jobs.Store, key string, runAt time.Time, payload map[string]string) {
		t.Helper()
		if err := s.Enqueue(ctx, jobs.Job{Key: key, Kind: "test", Payload: payload, RunAt: runAt, CreatedAt: t0}); err != nil {
			t.Fatalf("Enqueue(%q): %v", key, err)
		}
	}
	claim := func(t *testing.T, s jobs.Store, owner string, now time.Time) *jobs.Job {
		t.Helper()
		j, err := s.Claim(ctx, owner, now, lease, jobs.AnyPriority)
		if err != nil {
			t.Fatalf("Claim(%s, %s): %v", owner, now, err)
		}
		return j
	}
	get := func(t *testing.T, s jobs.Store, key string) *jobs.Job {
		t.Helper()
		j, err := s.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get(%q): %v", key, err)
		}
		return j
	}
	count := func(t *testing.T, s jobs.Store) int {
		t.Helper()
		n, err := s.Count(ctx)
		if err != nil {
			t.Fatalf("Count: %v", err)
		}
		return n
	}

	t.Run("EnqueueRoundTrip", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, "k", t0.Add(time.Minute), map[string]string{"incident": "12"})
		j := get(t, s, "k")
		want := jobs.Job{Key: "k", Kind: "test", Payload: map[string]string{"incident": "12"}, RunAt: t0.Add(time.Minute), CreatedAt: t0}
		if j.Key != want.Key || j.Kind != want.Kind || j.Payload["incident"] != "12" || len(j.Payload) != 1 ||
			!j.RunAt.Equal(want.RunAt) || !j.CreatedAt.Equal(want.CreatedAt) || j.Attempts != 0 ||
			j.LeaseOwner != "" || !j.LeaseUntil.IsZero() || j.Rerun || j.LastError != "" {
			t.Errorf("Get = %+v, want %+v", *j, want)
		}
		if _, err := s.Get(ctx, "missing"); !errors.Is(err, jobs.ErrNotFound) {
			t.Errorf("Get(missing) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("EnqueueDedupByKey", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, "k", t0, map[string]string{"v": "1"})
		enqueue(t, s, "k", t0, map[string]string{"v": "2"})
		enqueue(t, s, "other", t0, nil)
		if n := count(t, s); n != 2 {
			t.Errorf("Count = %d, want 2", n)
		}
		if j := get(t, s, "k"); j.Payload["v"] != "1" {
			t.Errorf("payload v = %q, want the first enqueue's %q", j.Payload["v"], "1")
		}
	})

	t.Run("EnqueuePullsPendingEarlier", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, "k", t0.Add(10*time.Minute), nil)
		enqueue(t, s, "k", t0.Add(5*time.Minute), nil)
		if j := get(t, s, "k"); !j.RunAt.Equal(t0.Add(5 * time.Minute)) {
			t.Errorf("RunAt = %s, want %s (moved earlier)", j.RunAt, t0.Add(5*time.Minute))
		}
		enqueue(t, s, "k", t0.Add(20*time.Minute), nil)
		if j := get(t, s, "k"); !j.RunAt.Equal(t0.Add(5 * time.Minute)) {
			t.Errorf("RunAt = %s, want %s (never moved later)", j.RunAt, t0.Add(5*time.Minute))
		}
	})

	t.Run("EnqueueKeepsBackoff", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, "k", t0, nil)
		claim(t, s, "a", t0)
		if err := s.Retry(ctx, "k", "a", t0.Add(5*time.Minute), "boom"); err != nil {
			t.Fatalf("Retry: %v", err)
		}
		enqueue(t, s, "k", t0, nil)
		j := get(t, s, "k")
		if !j.RunAt.Equal(t0.Add(5*time.Minute)) || j.Rerun {
			t.Errorf("after enqueue during backoff: RunAt = %s, Rerun = %v; want %s, false", j.RunAt, j.Rerun, t0.Add(5*time.Minute))
		}
	})

	t.Run("ClaimOnlyDue", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, "k", t0.Add(time.Minute), nil)
		if j := claim(t, s, "a", t0); j != nil {
			t.Fatalf("Claim before RunAt = %+v, want nil", *j)
		}
		j := claim(t, s, "a", t0.Add(time.Minute))
		if j == nil {
			t.Fatal("Claim at RunAt = nil, want the job")
		}
		if j.Key != "k" || j.LeaseOwner != "a" || !j.LeaseUntil.Equal(t0.Add(time.Minute+lease)) || j.Attempts != 1 {
			t.Errorf("claimed = %+v, want key k, owner a, lease until %s, attempts 1", *j, t0.Add(time.Minute+lease))
		}
	})

	t.Run("ClaimSoonestFirst", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, "late", t0, nil)
		enqueue(t, s, "early", t0.Add(-time.Hour), nil)
		enqueue(t, s, "mid", t0.Add(-time.Minute), nil)
		var got []string
		for range 3 {
			j := claim(t, s, "a", t0)
			if j == nil {
				t.Fatal("Claim = nil, want a job")
			}
			got = append(got, j.Key)
		}
		if fmt.Sprint(got) != "[early mid late]" {
			t.Errorf("claim order = %v, want [early mid late]", got)
		}
		if j := claim(t, s, "a", t0); j != nil {
			t.Errorf("Claim with all leased = %+v, want nil", *j)
		}
	})

	t.Run("LeaseExclusiveUntilExpired", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, "k", t0, nil)
		if j := claim(t, s, "a", t0); j == nil {
			t.Fatal("first Claim = nil")
		}
		if j := claim(t, s, "b", t0.Add(lease-time.Second)); j != nil {
			t.Fatalf("Claim by b within a's lease = %+v, want nil", *j)
		}
		j := claim(t, s, "b", t0.Add(lease))
		if j == nil || j.LeaseOwner != "b" || j.Attempts != 2 {
			t.Fatalf("Claim by b after a's lease expired = %+v, want owner b, attempts 2", j)
		}
		if err := s.Complete(ctx, "k", "a", t0.Add(lease)); !errors.Is(err, jobs.ErrLeaseLost) {
			t.Errorf("Complete by the old owner: error = %v, want ErrLeaseLost", err)
		}
		if err := s.Retry(ctx, "k", "a", t0, "x"); !errors.Is(err, jobs.ErrLeaseLost) {
			t.Errorf("Retry by the old owner: error = %v, want ErrLeaseLost", err)
		}
		if err := s.Extend(ctx, "k", "a", t0.Add(time.Hour)); !errors.Is(err, jobs.ErrLeaseLost) {
			t.Errorf("Extend by the old owner: error = %v, want ErrLeaseLost", err)
		}
		if got := get(t, s, "k"); got.LeaseOwner != "b" {
			t.Errorf("owner after old owner's calls = %q, want b", got.LeaseOwner)
		}
		if err := s.Complete(ctx, "k", "b", t0.Add(lease)); err != nil {
			t.Errorf("Complete by b: %v", err)
		}
		if n := count(t, s); n != 0 {
			t.Errorf("Count after Complete = %d, want 0", n)
		}
	})

	t.Run("CompleteByNonOwnerIsNoop", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, "k", t0, nil)
		claim(t, s, "a", t0)
		before := get(t, s, "k")
		if err := s.Complete(ctx, "k", "b", t0); !errors.Is(err, jobs.ErrLeaseLost) {
			t.Errorf("Complete by b: error = %v, want ErrLeaseLost", err)
		}
		if err := s.Complete(ctx, "missing", "a", t0); !errors.Is(err, jobs.ErrLeaseLost) {
			t.Errorf("Complete of a missing job: error = %v, want ErrLeaseLost", err)
		}
		after := get(t, s, "k")
		if after.LeaseOwner != before.LeaseOwner || !after.LeaseUntil.Equal(before.LeaseUntil) || after.Attempts != before.Attempts {
			t.Errorf("job changed by a non-owner's Complete: %+v, was %+v", *after, *before)
		}
	})

	t.Run("RerunAfterRunning", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, "k", t0, nil)
		claim(t, s, "a", t0)
		enqueue(t, s, "k", t0.Add(time.Second), nil) // a change arrives while it runs
		if j := get(t, s, "k"); !j.Rerun || j.LeaseOwner != "a" {
			t.Fatalf("after enqueue while leased: Rerun = %v, owner = %q; want true, a", j.Rerun, j.LeaseOwner)
		}
		if j := claim(t, s, "b", t0.Add(time.Second)); j != nil {
			t.Fatalf("Claim of a running job = %+v, want nil (never twice at once)", *j)
		}
		now := t0.Add(2 * time.Second)
		if err := s.Complete(ctx, "k", "a", now); err != nil {
			t.Fatalf("Complete: %v", err)
		}
		j := get(t, s, "k")
		if j.Rerun || j.LeaseOwner != "" || !j.LeaseUntil.IsZero() || !j.RunAt.Equal(now) || j.Attempts != 0 {
			t.Fatalf("after Complete with Rerun = %+v, want released, due %s, attempts 0", *j, now)
		}
		if j := claim(t, s, "b", now); j == nil || j.Attempts != 1 {
			t.Fatalf("rerun Claim = %+v, want the job with attempts 1", j)
		}
		if err := s.Complete(ctx, "k", "b", now); err != nil {
			t.Fatalf("second Complete: %v", err)
		}
		if n := count(t, s); n != 0 {
			t.Errorf("Count = %d, want 0", n)
		}
	})

	t.Run("RetryReleases", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, "k", t0, nil)
		claim(t, s, "a", t0)
		enqueue(t, s, "k", t0, nil) // Rerun is folded into the retry
		runAt := t0.Add(30 * time.Second)
		if err := s.Retry(ctx, "k", "a", runAt, "slack: ratelimited"); err != nil {
			t.Fatalf("Retry: %v", err)
		}
		j := get(t, s, "k")
		if j.LeaseOwner != "" || !j.RunAt.Equal(runAt) || j.LastError != "slack: ratelimited" || j.Attempts != 1 || j.Rerun {
			t.Errorf("after Retry = %+v, want released, due %s, last error set, attempts 1, no rerun", *j, runAt)
		}
		if j := claim(t, s, "b", runAt.Add(-time.Millisecond)); j != nil {
			t.Errorf("Claim before retry time = %+v, want nil", *j)
		}
		if j := claim(t, s, "b", runAt); j == nil || j.Attempts != 2 {
			t.Errorf("Claim at retry time = %+v, want attempts 2", j)
		}
	})

	t.Run("ExtendLease", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, "k", t0, nil)
		claim(t, s, "a", t0)
		if err := s.Extend(ctx, "k", "a", t0.Add(10*time.Minute)); err != nil {
			t.Fatalf("Extend: %v", err)
		}
		if j := claim(t, s, "b", t0.Add(5*time.Minute)); j != nil {
			t.Errorf("Claim within the extended lease = %+v, want nil", *j)
		}
		if err := s.Extend(ctx, "k", "b", t0.Add(time.Hour)); !errors.Is(err, jobs.ErrLeaseLost) {
			t.Errorf("Extend by b: error = %v, want ErrLeaseLost", err)
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, "k", t0, nil)
		if err := s.Cancel(ctx, "k"); err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		if err := s.Cancel(ctx, "k"); err != nil {
			t.Errorf("Cancel of a missing job: %v", err)
		}
		if _, err := s.Get(ctx, "k"); !errors.Is(err, jobs.ErrNotFound) {
			t.Errorf("Get after Cancel: error = %v, want ErrNotFound", err)
		}
	})

	t.Run("List", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, "b", t0.Add(time.Minute), nil)
		enqueue(t, s, "a", t0.Add(2*time.Minute), nil)
		list, err := s.List(ctx)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		var keys []string
		for _, j := range list {
			keys = append(keys, j.Key)
		}
		if fmt.Sprint(keys) != "[b a]" {
			t.Errorf("List keys = %v, want [b a]", keys)
		}
	})

	t.Run("ConcurrentClaimsAreExclusive", func(t *testing.T) {
		s := open(t)
		const n, workers = 60, 6
		for i := range n {
			enqueue(t, s, fmt.Sprintf("job-%03d", i), t0, nil)
		}
		var mu sync.Mutex
		claims := make(map[string]int)
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			owner := fmt.Sprintf("owner-%d", w)
			wg.Go(func() {
				for {
					j, err := s.Claim(ctx, owner, t0, lease, jobs.AnyPriority)
					if err != nil {
						errs <- err
						return
					}
					if j == nil {
						return
					}
					mu.Lock()
					claims[j.Key]++
					mu.Unlock()
					if err := s.Complete(ctx, j.Key, owner, t0); err != nil {
						errs <- fmt.Errorf("Complete(%s): %w", j.Key, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if len(claims) != n {
			t.Errorf("claimed %d distinct jobs, want %d", len(claims), n)
		}
		for k, c := range claims {
			if c != 1 {
				t.Errorf("job %s claimed %d times, want 1", k, c)
			}
		}
		if c := count(t, s); c != 0 {
			t.Errorf("Count = %d, want 0", c)
		}
	})

	t.Run("TickMarks", func(t *testing.T) {
		s := open(t)
		mark := func(key string, at time.Time) bool {
			t.Helper()
			ok, err := s.MarkTick(ctx, key, at)
			if err != nil {
				t.Fatalf("MarkTick(%s): %v", key, err)
			}
			return ok
		}
		if !mark("h:1", t0) {
			t.Error("first MarkTick = false, want true")
		}
		if mark("h:1", t0) {
			t.Error("second MarkTick = true, want false")
		}
		if err := s.UnmarkTick(ctx, "h:1"); err != nil {
			t.Fatalf("UnmarkTick: %v", err)
		}
		if !mark("h:1", t0) {
			t.Error("MarkTick after UnmarkTick = false, want true")
		}
		mark("h:2", t0.Add(time.Hour))
		if err := s.PruneTicks(ctx, t0.Add(time.Minute)); err != nil {
			t.Fatalf("PruneTicks: %v", err)
		}
		if !mark("h:1", t0) {
			t.Error("MarkTick of a pruned tick = false, want true")
		}
		if mark("h:2", t0.Add(time.Hour)) {
			t.Error("MarkTick of a kept tick = true, want false")
		}
		if n := count(t, s); n != 0 {
			t.Errorf("jobs Count = %d, want 0 (marks are not jobs)", n)
		}
	})

	t.Run("PriorityOrdersClaims", func(t *testing.T) {
		s := open(t)
		put := func(key string, p int, runAt time.Time) {
			t.Helper()
			if err := s.Enqueue(ctx, jobs.Job{Key: key, Kind: "test", RunAt: runAt, CreatedAt: t0, Priority: p}); err != nil {
				t.Fatal(err)
			}
		}
		put("cosmetic", jobs.PriorityCosmetic, t0)
		put("normal-early", jobs.PriorityNormal, t0.Add(-time.Hour))
		put("page", jobs.PriorityPage, t0)
		put("urgent", jobs.PriorityUrgent, t0)
		put("page-later", jobs.PriorityPage, t0.Add(time.Hour)) // not due
		if j, err := s.Claim(ctx, "o", t0, lease, jobs.PriorityUrgent-1); err != nil || j == nil || j.Key != "page" {
			t.Fatalf("Claim of pages only = %v, %v; want page", j, err)
		}
		if j, err := s.Claim(ctx, "o", t0, lease, jobs.PriorityPage); err != nil || j != nil {
			t.Fatalf("a second Claim of pages only = %v, %v; want nothing (the other page is not due)", j, err)
		}
		var order []string
		for {
			j := claim(t, s, "o", t0)
			if j == nil {
				break
			}
			order = append(order, j.Key)
		}
		if got := fmt.Sprint(order); got != "[urgent normal-early cosmetic]" {
			t.Errorf("claims in order %s, want [urgent normal-early cosmetic]", got)
		}
		// Enqueued again with a more urgent priority, a pending job is raised.
		put("later", jobs.PriorityCosmetic, t0)
		put("first", jobs.PriorityNormal, t0)
		put("later", jobs.PriorityPage, t0)
		if j := claim(t, s, "o", t0); j == nil || j.Key != "later" || j.Priority != jobs.PriorityPage {
			t.Errorf("after raising its priority, claimed %+v; want later at PriorityPage", j)
		}
	})
}
