package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/incidentbot/incidentbot/internal/clocktest"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/internal/jobs/jobstest"
)

var t0 = time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)

// clock is the shared fake clock.
type clock = clocktest.Clock

func newClock(t time.Time) *clock { return clocktest.New(t) }

func TestMemStoreConformance(t *testing.T) {
	jobstest.Conformance(t, func(*testing.T) jobs.Store { return jobstest.NewMemStore() })
}

// fixture is a runner over a MemStore with a fake clock.
type fixture struct {
	store *jobstest.MemStore
	clock *clock
	r     *jobs.Runner
	reg   *prometheus.Registry
}

func newFixture(t *testing.T, opts jobs.Options) *fixture {
	t.Helper()
	f := &fixture{store: jobstest.NewMemStore(), clock: newClock(t0), reg: prometheus.NewRegistry()}
	opts.Now = f.clock.Now
	opts.Registerer = f.reg
	if opts.Owner == "" {
		opts.Owner = "test"
	}
	f.r = jobs.New(f.store, opts)
	return f
}

func (f *fixture) enqueue(t *testing.T, j jobs.Job) {
	t.Helper()
	if err := f.r.Enqueue(context.Background(), j); err != nil {
		t.Fatalf("Enqueue(%s): %v", j.Key, err)
	}
}

func (f *fixture) runDue(t *testing.T) int {
	t.Helper()
	n, err := f.r.RunDue(context.Background())
	if err != nil {
		t.Fatalf("RunDue: %v", err)
	}
	return n
}

func (f *fixture) get(t *testing.T, key string) *jobs.Job {
	t.Helper()
	j, err := f.store.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	return j
}

func (f *fixture) count(t *testing.T) int {
	t.Helper()
	n, err := f.store.Count(context.Background())
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	return n
}

// runs returns incidentbot_jobs_runs_total for kind and outcome.
func (f *fixture) runs(t *testing.T, kind, outcome string) float64 {
	t.Helper()
	mfs, err := f.reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "incidentbot_jobs_runs_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label(m, "kind") == kind && label(m, "outcome") == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func TestRunDueRunsOnlyDueJobs(t *testing.T) {
	f := newFixture(t, jobs.Options{})
	var got []string
	f.r.Handle("k", func(_ context.Context, j jobs.Job) error {
		got = append(got, j.Key+"="+j.Payload["n"])
		return nil
	})
	f.enqueue(t, jobs.Job{Key: "a", Kind: "k", Payload: map[string]string{"n": "1"}})
	f.enqueue(t, jobs.Job{Key: "b", Kind: "k", Payload: map[string]string{"n": "2"}, RunAt: t0.Add(-time.Minute)})
	f.enqueue(t, jobs.Job{Key: "later", Kind: "k", RunAt: t0.Add(10 * time.Minute)})
	if n := f.runDue(t); n != 2 {
		t.Errorf("RunDue = %d, want 2", n)
	}
	if fmt.Sprint(got) != "[b=2 a=1]" {
		t.Errorf("runs = %v, want [b=2 a=1] (soonest first)", got)
	}
	if n := f.count(t); n != 1 {
		t.Errorf("Count = %d, want 1 (the later job)", n)
	}
	f.clock.Advance(10 * time.Minute)
	if n := f.runDue(t); n != 1 {
		t.Errorf("RunDue after 10m = %d, want 1", n)
	}
	if n := f.count(t); n != 0 {
		t.Errorf("Count = %d, want 0", n)
	}
	if got := f.runs(t, "k", "ok"); got != 3 {
		t.Errorf("runs_total{ok} = %v, want 3", got)
	}
}

func TestEnqueueValidates(t *testing.T) {
	f := newFixture(t, jobs.Options{})
	for _, j := range []jobs.Job{{Kind: "k"}, {Key: "a"}} {
		if err := f.r.Enqueue(context.Background(), j); err == nil {
			t.Errorf("Enqueue(%+v) = nil, want an error", j)
		}
	}
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	tests := []struct {
		name   string
		jitter float64
		min    float64 // share of the nominal backoff
	}{
		{"default jitter", 0, 0.8},
		{"half jitter", 0.5, 0.5},
		{"no jitter", -1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, jobs.Options{MinBackoff: time.Second, MaxBackoff: 16 * time.Second, Jitter: tt.jitter})
			boom := errors.New("slack down")
			f.r.Handle("k", func(context.Context, jobs.Job) error { return boom })
			const jobsN = 20
			for i := range jobsN {
				f.enqueue(t, jobs.Job{Key: fmt.Sprintf("j%02d", i), Kind: "k"})
			}
			sawJitter := false
			for attempt := 1; attempt <= 8; attempt++ {
				now := f.clock.Now()
				if n := f.runDue(t); n != jobsN {
					t.Fatalf("attempt %d: RunDue = %d, want %d", attempt, n, jobsN)
				}
				nominal := min(time.Second<<(attempt-1), 16*time.Second)
				lo := time.Duration(float64(nominal) * tt.min).Truncate(time.Millisecond)
				var latest time.Time
				for i := range jobsN {
					j := f.get(t, fmt.Sprintf("j%02d", i))
					d := j.RunAt.Sub(now)
					if d < lo || d > nominal {
						t.Errorf("attempt %d: backoff %s, want within [%s, %s]", attempt, d, lo, nominal)
					}
					if d != nominal {
						sawJitter = true
					}
					if j.Attempts != attempt || j.LastError != boom.Error() {
						t.Errorf("attempt %d: job attempts %d, last error %q; want %d, %q", attempt, j.Attempts, j.LastError, attempt, boom)
					}
					if j.RunAt.After(latest) {
						latest = j.RunAt
					}
				}
				f.clock.Set(latest)
			}
			if wantJitter := tt.jitter >= 0; sawJitter != wantJitter {
				t.Errorf("saw jitter = %v, want %v", sawJitter, wantJitter)
			}
		})
	}
}

func TestRetryAfterHonoredExactly(t *testing.T) {
	f := newFixture(t, jobs.Options{MinBackoff: time.Second})
	calls := 0
	f.r.Handle("k", func(context.Context, jobs.Job) error {
		calls++
		if calls == 1 {
			return fmt.Errorf("post message: %w", jobs.RetryAfter(37*time.Second, errors.New("ratelimited")))
		}
		return nil
	})
	f.enqueue(t, jobs.Job{Key: "a", Kind: "k"})
	f.runDue(t)
	j := f.get(t, "a")
	if want := t0.Add(37 * time.Second); !j.RunAt.Equal(want) {
		t.Errorf("RunAt = %s, want exactly %s", j.RunAt, want)
	}
	if !strings.Contains(j.LastError, "ratelimited") {
		t.Errorf("LastError = %q, want it to mention ratelimited", j.LastError)
	}
	f.clock.Advance(37*time.Second - time.Millisecond)
	if n := f.runDue(t); n != 0 {
		t.Errorf("RunDue before Retry-After = %d, want 0", n)
	}
	f.clock.Advance(time.Millisecond)
	if n := f.runDue(t); n != 1 || calls != 2 {
		t.Errorf("RunDue at Retry-After = %d (calls %d), want 1 (calls 2)", n, calls)
	}
}

func TestPermanentDrops(t *testing.T) {
	f := newFixture(t, jobs.Options{})
	calls := 0
	f.r.Handle("k", func(context.Context, jobs.Job) error {
		calls++
		return fmt.Errorf("invite: %w", jobs.Permanent(errors.New("channel_not_found")))
	})
	f.enqueue(t, jobs.Job{Key: "a", Kind: "k"})
	f.runDue(t)
	f.clock.Advance(time.Hour)
	f.runDue(t)
	if calls != 1 {
		t.Errorf("calls = %d, want 1", calls)
	}
	if n := f.count(t); n != 0 {
		t.Errorf("Count = %d, want 0", n)
	}
	if got := f.runs(t, "k", "permanent"); got != 1 {
		t.Errorf("runs_total{permanent} = %v, want 1", got)
	}
}

func TestRerunWhenEnqueuedWhileRunning(t *testing.T) {
	f := newFixture(t, jobs.Options{})
	var seen []int
	f.r.Handle("sync", func(ctx context.Context, j jobs.Job) error {
		seen = append(seen, j.Attempts)
		if len(seen) == 1 {
			// A change to the incident arrives while its Slack sync runs.
			return f.r.Enqueue(ctx, jobs.Job{Key: j.Key, Kind: "sync"})
		}
		return nil
	})
	f.enqueue(t, jobs.Job{Key: "sync:12", Kind: "sync"})
	if n := f.runDue(t); n != 2 {
		t.Errorf("RunDue = %d, want 2 (the run and its rerun)", n)
	}
	if fmt.Sprint(seen) != "[1 1]" {
		t.Errorf("attempts seen = %v, want [1 1]", seen)
	}
	if n := f.count(t); n != 0 {
		t.Errorf("Count = %d, want 0", n)
	}
}

func TestUnknownKindIsKept(t *testing.T) {
	f := newFixture(t, jobs.Options{MinBackoff: time.Second, Jitter: -1, MaxAttempts: 2})
	f.enqueue(t, jobs.Job{Key: "a", Kind: "future.kind"})
	for attempt := 1; attempt <= 4; attempt++ {
		if n := f.runDue(t); n != 1 {
			t.Fatalf("attempt %d: RunDue = %d, want 1", attempt, n)
		}
		j := f.get(t, "a")
		if j.Attempts != attempt || !strings.Contains(j.LastError, "future.kind") {
			t.Fatalf("attempt %d: job = %+v, want attempts %d and an error naming the kind", attempt, *j, attempt)
		}
		if want := f.clock.Now().Add(time.Second << (attempt - 1)); !j.RunAt.Equal(want) {
			t.Errorf("attempt %d: RunAt = %s, want %s", attempt, j.RunAt, want)
		}
		f.clock.Set(j.RunAt)
	}
	if got := f.runs(t, "future.kind", "unknown_kind"); got != 4 {
		t.Errorf("runs_total{unknown_kind} = %v, want 4", got)
	}
	ran := false
	f.r.Handle("future.kind", func(context.Context, jobs.Job) error { ran = true; return nil })
	f.runDue(t)
	if !ran || f.count(t) != 0 {
		t.Errorf("after registering the kind: ran = %v, count = %d; want true, 0", ran, f.count(t))
	}
}

func TestUnknownKindIsDeadLetteredAfterFiveAttempts(t *testing.T) {
	f := newFixture(t, jobs.Options{MinBackoff: time.Second, Jitter: -1})
	f.enqueue(t, jobs.Job{Key: "a", Kind: "renamed.kind"})
	for attempt := 1; attempt <= 5; attempt++ {
		if n := f.runDue(t); n != 1 {
			t.Fatalf("attempt %d: RunDue = %d, want 1", attempt, n)
		}
		if attempt < 5 {
			f.clock.Set(f.get(t, "a").RunAt)
		}
	}
	if n := f.count(t); n != 0 {
		t.Errorf("after 5 attempts: %d jobs stored, want the unknown kind dead-lettered", n)
	}
	if got := f.runs(t, "renamed.kind", "dead"); got != 1 {
		t.Errorf("runs_total{dead} = %v, want 1", got)
	}
}

func TestKindDecodesPayloads(t *testing.T) {
	f := newFixture(t, jobs.Options{})
	type payload struct{ N int64 }
	kind := jobs.Kind[payload]{
		Name:   "typed",
		Encode: func(p payload) map[string]string { return map[string]string{"n": fmt.Sprint(p.N)} },
		Decode: func(m map[string]string) (payload, error) {
			n, err := jobs.PayloadInt(m, "n")
			return payload{n}, err
		},
	}
	var got []int64
	jobs.Handle(f.r, kind, func(_ context.Context, _ jobs.Job, p payload) error { got = append(got, p.N); return nil })
	f.enqueue(t, kind.Job("good", payload{42}, time.Time{}))
	f.enqueue(t, jobs.Job{Key: "bad", Kind: "typed", Payload: map[string]string{"n": "forty-two"}})
	f.runDue(t)
	if fmt.Sprint(got) != "[42]" {
		t.Errorf("handled payloads %v, want [42]", got)
	}
	if n := f.count(t); n != 0 {
		t.Errorf("%d jobs left, want the bad payload dropped as permanent", n)
	}
	if got := f.runs(t, "typed", "permanent"); got != 1 {
		t.Errorf("runs_total{permanent} = %v, want 1", got)
	}
}

func TestMaxAttemptsGivesUp(t *testing.T) {
	f := newFixture(t, jobs.Options{MaxAttempts: 3, Jitter: -1})
	calls := 0
	f.r.Handle("k", func(context.Context, jobs.Job) error { calls++; return errors.New("nope") })
	f.enqueue(t, jobs.Job{Key: "a", Kind: "k"})
	for range 5 {
		f.runDue(t)
		f.clock.Advance(time.Hour)
	}
	if calls != 3 {
		t.Errorf("calls = %d, want 3", calls)
	}
	if n := f.count(t); n != 0 {
		t.Errorf("Count = %d, want 0 (dead jobs are deleted)", n)
	}
	if got := f.runs(t, "k", "dead"); got != 1 {
		t.Errorf("runs_total{dead} = %v, want 1", got)
	}
	if got := f.runs(t, "k", "retry"); got != 2 {
		t.Errorf("runs_total{retry} = %v, want 2", got)
	}
}

func TestHandlerPanicIsRetried(t *testing.T) {
	f := newFixture(t, jobs.Options{Jitter: -1})
	calls := 0
	f.r.Handle("k", func(context.Context, jobs.Job) error {
		calls++
		if calls == 1 {
			panic("nil map")
		}
		return nil
	})
	f.enqueue(t, jobs.Job{Key: "a", Kind: "k"})
	f.runDue(t)
	if j := f.get(t, "a"); !strings.Contains(j.LastError, "panicked: nil map") {
		t.Errorf("LastError = %q, want the panic", j.LastError)
	}
	f.clock.Advance(time.Second)
	f.runDue(t)
	if calls != 2 || f.count(t) != 0 {
		t.Errorf("calls = %d, count = %d; want 2, 0", calls, f.count(t))
	}
}

func TestRunDueStopsAJobThatNeverSettles(t *testing.T) {
	f := newFixture(t, jobs.Options{})
	f.r.Handle("k", func(context.Context, jobs.Job) error { return jobs.RetryAfter(0, errors.New("again")) })
	f.enqueue(t, jobs.Job{Key: "a", Kind: "k"})
	if _, err := f.r.RunDue(context.Background()); err == nil || !strings.Contains(err.Error(), "job a ran") {
		t.Errorf("RunDue error = %v, want it to name the job that keeps running", err)
	}
}

func TestExpiredLeaseIsTakenOver(t *testing.T) {
	f := newFixture(t, jobs.Options{Lease: time.Minute})
	ctx := context.Background()
	f.enqueue(t, jobs.Job{Key: "a", Kind: "k"})
	// A runner claims the job and is killed before it finishes.
	if j, err := f.store.Claim(ctx, "dead-runner", t0, time.Minute, jobs.AnyPriority); err != nil || j == nil {
		t.Fatalf("Claim = %v, %v", j, err)
	}
	ran := 0
	f.r.Handle("k", func(context.Context, jobs.Job) error { ran++; return nil })
	f.clock.Advance(59 * time.Second)
	if n := f.runDue(t); n != 0 {
		t.Errorf("RunDue within the lease = %d, want 0", n)
	}
	f.clock.Advance(time.Second)
	if n := f.runDue(t); n != 1 || ran != 1 {
		t.Errorf("RunDue after the lease expired = %d (ran %d), want 1", n, ran)
	}
}

func TestRunProcessesAndDrainsOnShutdown(t *testing.T) {
	store := jobstest.NewMemStore()
	r := jobs.New(store, jobs.Options{Owner: "run", Workers: 2, Poll: time.Hour})
	started := make(chan string, 10)
	release := make(chan struct{})
	handlerErr := make(chan error, 10)
	r.Handle("k", func(ctx context.Context, j jobs.Job) error {
		started <- j.Key
		<-release
		handlerErr <- ctx.Err() // not cancelled: shutdown waits for in-flight jobs
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	// Poll is an hour: only Kick (inside Enqueue) can make this run promptly.
	if err := r.Enqueue(context.Background(), jobs.Job{Key: "a", Kind: "k"}); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if got := <-started; got != "a" {
		t.Fatalf("started %q, want a", got)
	}
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Run returned (%v) while a job was in flight", err)
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if err := <-handlerErr; err != nil {
		t.Errorf("handler context error = %v, want nil during the grace period", err)
	}
	if n, _ := store.Count(context.Background()); n != 0 {
		t.Errorf("Count = %d, want 0 (the in-flight job completed)", n)
	}
}

func TestRunCancelsHandlersAfterGrace(t *testing.T) {
	store := jobstest.NewMemStore()
	r := jobs.New(store, jobs.Options{Owner: "run", Workers: 1, Poll: time.Hour, ShutdownGrace: time.Millisecond})
	started := make(chan struct{})
	r.Handle("k", func(ctx context.Context, _ jobs.Job) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	if err := r.Enqueue(context.Background(), jobs.Job{Key: "a", Kind: "k"}); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	<-started
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	j, err := store.Get(context.Background(), "a")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if j.LeaseOwner != "" || !strings.Contains(j.LastError, "context canceled") {
		t.Errorf("job after cut-off = %+v, want released for a retry with the cancellation recorded", *j)
	}
}

// A page runs on its own worker while every other worker is held by slow
// work (a Slack call that hangs), and a job's context carries what the
// Context hook puts there.
func TestPageWorkerRunsWhileOthersAreBusy(t *testing.T) {
	type key struct{}
	f := newFixture(t, jobs.Options{Workers: 1, Poll: time.Hour,
		Context: func(ctx context.Context, j jobs.Job) context.Context { return context.WithValue(ctx, key{}, j.Key) }})
	held, release := make(chan struct{}), make(chan struct{})
	paged := make(chan string, 1)
	f.r.Handle("slow", func(ctx context.Context, j jobs.Job) error {
		close(held)
		<-release
		return nil
	})
	f.r.Handle("page", func(ctx context.Context, j jobs.Job) error {
		paged <- ctx.Value(key{}).(string)
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.r.Run(ctx) }()
	defer func() { cancel(); close(release); <-done }()
	f.enqueue(t, jobs.Job{Key: "sync:1", Kind: "slow"})
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("the slow job did not start")
	}
	f.enqueue(t, jobs.Job{Key: "page:1", Kind: "page", Priority: jobs.PriorityPage})
	select {
	case got := <-paged:
		if got != "page:1" {
			t.Errorf("the page's context names %q, want page:1", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the page waited for the only general worker")
	}
}
