package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/internal/jobs/jobstest"
	"github.com/incidentbot/incidentbot/internal/store"
	"github.com/incidentbot/incidentbot/internal/store/storetest"
)

// TestJobsConformance holds every store to the jobs.Store contract.
func TestJobsConformance(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, open func(testing.TB) store.Store) {
		jobstest.Conformance(t, func(t *testing.T) jobs.Store { return open(t).Jobs() })
	})
}

// TestJobs runs the runner-level job stories on every store.
func TestJobs(t *testing.T) {
	for name, f := range map[string]func(*testing.T, func(testing.TB) store.Store){
		"PayloadKeysAnyText":    testJobsPayloadKeysAnyText,
		"RunnersRunEachJobOnce": testJobsRunnersRunEachJobOnce,
		"ExpiredLeaseReclaimed": testJobsExpiredLeaseReclaimed,
		"RerunAfterRunning":     testJobsRerunAfterRunning,
		"CronTicksCollapse":     testJobsCronTicksCollapse,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			storetest.ForEach(t, f)
		})
	}
}

func testJobsPayloadKeysAnyText(t *testing.T, open func(testing.TB) store.Store) {
	js := open(t).Jobs()
	ctx := context.Background()
	payload := map[string]string{"a.b": "1", "$x": "2", "": "3", "user": "U0001"}
	if err := js.Enqueue(ctx, jobs.Job{Key: "k", Kind: "k", Payload: payload, RunAt: time.Now()}); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	j, err := js.Get(ctx, "k")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if fmt.Sprint(j.Payload) != fmt.Sprint(payload) {
		t.Errorf("payload = %v, want %v", j.Payload, payload)
	}
}

// Two replicas (two runners with their own Jobs over one database) with four workers each run
// 100 jobs: every job exactly once.
func testJobsRunnersRunEachJobOnce(t *testing.T, open func(testing.TB) store.Store) {
	s := open(t)
	const n = 100
	var mu sync.Mutex
	runs := make(map[string]int)
	byOwner := make(map[string]int)
	total := 0
	done := make(chan struct{})
	newRunner := func(owner string) *jobs.Runner {
		r := jobs.New(s.Jobs(), jobs.Options{Owner: owner, Workers: 4, Poll: 5 * time.Millisecond})
		r.Handle("k", func(_ context.Context, j jobs.Job) error {
			mu.Lock()
			defer mu.Unlock()
			runs[j.Key]++
			byOwner[owner]++
			if total++; total == n {
				close(done)
			}
			return nil
		})
		return r
	}
	a, b := newRunner("a"), newRunner("b")
	ctx := context.Background()
	for i := range n {
		if err := a.Enqueue(ctx, jobs.Job{Key: fmt.Sprintf("job-%03d", i), Kind: "k"}); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, r := range []*jobs.Runner{a, b} {
		wg.Go(func() {
			if err := r.Run(runCtx); err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Error("timed out waiting for 100 runs")
	}
	cancel()
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	if len(runs) != n || total != n {
		t.Errorf("ran %d distinct jobs in %d runs, want %d and %d", len(runs), total, n, n)
	}
	for k, c := range runs {
		if c != 1 {
			t.Errorf("job %s ran %d times, want 1", k, c)
		}
	}
	t.Logf("runs by owner: %v", byOwner)
	if c, err := s.Jobs().Count(ctx); err != nil || c != 0 {
		t.Errorf("Count = %d, %v; want 0", c, err)
	}
}

// A runner that dies holding a lease leaves the job to another runner once the lease expires.
func testJobsExpiredLeaseReclaimed(t *testing.T, open func(testing.TB) store.Store) {
	js := open(t).Jobs()
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
	clk := func() time.Time { return now }
	r := jobs.New(js, jobs.Options{Owner: "survivor", Lease: time.Minute, Now: clk})
	ran := 0
	r.Handle("k", func(context.Context, jobs.Job) error { ran++; return nil })
	if err := r.Enqueue(ctx, jobs.Job{Key: "page:12:1", Kind: "k"}); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if j, err := js.Claim(ctx, "killed", now, time.Minute, jobs.AnyPriority); err != nil || j == nil {
		t.Fatalf("Claim by the doomed runner = %v, %v", j, err)
	}
	if n, err := r.RunDue(ctx); err != nil || n != 0 {
		t.Fatalf("RunDue within the lease = %d, %v; want 0", n, err)
	}
	now = now.Add(time.Minute)
	if n, err := r.RunDue(ctx); err != nil || n != 1 || ran != 1 {
		t.Fatalf("RunDue after the lease expired = %d, %v (ran %d); want 1", n, err, ran)
	}
	if err := js.Complete(ctx, "page:12:1", "killed", now); err == nil {
		t.Error("Complete by the old owner = nil, want ErrLeaseLost")
	}
	if c, _ := js.Count(ctx); c != 0 {
		t.Errorf("Count = %d, want 0", c)
	}
}

// A change that arrives while the job runs gets a second run after it, not a concurrent one.
func testJobsRerunAfterRunning(t *testing.T, open func(testing.TB) store.Store) {
	s := open(t)
	js := s.Jobs()
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
	r := jobs.New(js, jobs.Options{Owner: "a", Now: func() time.Time { return now }})
	other := jobs.New(s.Jobs(), jobs.Options{Owner: "b", Now: func() time.Time { return now }})
	var versions []string
	version := "v1"
	r.Handle("sync", func(ctx context.Context, j jobs.Job) error {
		versions = append(versions, version)
		if len(versions) == 1 {
			version = "v2" // another replica persists a change and enqueues the sync again
			if err := other.Enqueue(ctx, jobs.Job{Key: j.Key, Kind: "sync"}); err != nil {
				return err
			}
			if n, err := other.RunDue(ctx); err != nil || n != 0 {
				return fmt.Errorf("other replica ran %d jobs (%v) while the job was leased", n, err)
			}
		}
		return nil
	})
	if err := r.Enqueue(ctx, jobs.Job{Key: "sync:12", Kind: "sync"}); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	n, err := r.RunDue(ctx)
	if err != nil || n != 2 {
		t.Fatalf("RunDue = %d, %v; want 2", n, err)
	}
	if fmt.Sprint(versions) != "[v1 v2]" {
		t.Errorf("versions seen = %v, want [v1 v2]", versions)
	}
	if c, _ := js.Count(ctx); c != 0 {
		t.Errorf("Count = %d, want 0", c)
	}
}

func testJobsCronTicksCollapse(t *testing.T, open func(testing.TB) store.Store) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
	clk := func() time.Time { return now }
	runs := 0
	replica := func(owner string) (*jobs.Runner, *jobs.Cron) {
		r := jobs.New(s.Jobs(), jobs.Options{Owner: owner, Now: clk})
		r.Handle("handoff", func(context.Context, jobs.Job) error { runs++; return nil })
		c := jobs.NewCron(r, jobs.CronOptions{})
		if err := c.AddTick("CRON_TZ=Asia/Almaty 0 10 * * *", nil, "handoff", "handoff:primary"); err != nil {
			t.Fatalf("AddTick: %v", err)
		}
		return r, c
	}
	ra, ca := replica("a")
	rb, cb := replica("b")
	var wg sync.WaitGroup
	var enq [2]int
	for i, c := range []*jobs.Cron{ca, cb} {
		wg.Go(func() {
			n, err := c.TickDue(ctx, now)
			if err != nil {
				t.Errorf("TickDue: %v", err)
			}
			enq[i] = n
		})
	}
	wg.Wait()
	if enq[0]+enq[1] != 1 {
		t.Errorf("jobs enqueued = %v, want one in all", enq)
	}
	list, err := s.Jobs().List(ctx)
	if err != nil || len(list) != 1 || list[0].Key != "handoff:primary:2026-11-30T05:00Z" {
		t.Fatalf("List = %+v, %v; want the one tick job handoff:primary:2026-11-30T05:00Z", list, err)
	}
	for _, r := range []*jobs.Runner{ra, rb} {
		if _, err := r.RunDue(ctx); err != nil {
			t.Fatalf("RunDue: %v", err)
		}
	}
	now = now.Add(30 * time.Second)
	_, late := replica("c") // a third replica starts late and catches up: the mark stops it
	if n, err := late.TickDue(ctx, now); err != nil || n != 0 {
		t.Errorf("late replica TickDue = %d, %v; want 0", n, err)
	}
	if _, err := rb.RunDue(ctx); err != nil {
		t.Fatalf("RunDue: %v", err)
	}
	if runs != 1 {
		t.Errorf("handoff ran %d times, want 1", runs)
	}
}

func BenchmarkEnqueueClaimComplete(b *testing.B) {
	forEachBackend(b, func(b *testing.B, s store.Store) { benchEnqueueClaimComplete(b, s.Jobs()) })
}

func benchEnqueueClaimComplete(b *testing.B, js jobs.Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
	var enq, claim, complete time.Duration
	b.ResetTimer()
	for i := range b.N {
		key := fmt.Sprintf("bench-%d", i)
		t0 := time.Now()
		if err := js.Enqueue(ctx, jobs.Job{Key: key, Kind: "k", RunAt: now, CreatedAt: now}); err != nil {
			b.Fatalf("Enqueue: %v", err)
		}
		t1 := time.Now()
		j, err := js.Claim(ctx, "bench", now, time.Minute, jobs.AnyPriority)
		if err != nil || j == nil {
			b.Fatalf("Claim = %v, %v", j, err)
		}
		t2 := time.Now()
		if err := js.Complete(ctx, j.Key, "bench", now); err != nil {
			b.Fatalf("Complete: %v", err)
		}
		enq, claim, complete = enq+t1.Sub(t0), claim+t2.Sub(t1), complete+time.Since(t2)
	}
	b.ReportMetric(float64(enq.Microseconds())/float64(b.N), "µs/enqueue")
	b.ReportMetric(float64(claim.Microseconds())/float64(b.N), "µs/claim")
	b.ReportMetric(float64(complete.Microseconds())/float64(b.N), "µs/complete")
}
