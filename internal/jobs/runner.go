package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/internal/discard"
)

// Handler does the work of one job kind. It returns nil when done, RetryAfter to run again after
// an exact delay, Permanent to give up at once, or any other error to retry with backoff.
// A job may run more than once (after a crash or an expired lease), so handlers are idempotent.
type Handler func(ctx context.Context, j Job) error

// Options tune a Runner. The zero value is usable.
type Options struct {
	// Owner names this runner in leases; default hostname-pid-random.
	Owner string
	// Workers is how many jobs run at once; default 4.
	Workers int
	// PageWorkers more run only jobs of PriorityPage (pages and
	// acknowledgements), so a page never waits for a worker held by a slow
	// call of other work; default 1, negative for none.
	PageWorkers int
	// Lease is how long a claim holds a job; it is extended while the handler runs. Default 1m.
	Lease time.Duration
	// Poll is how often idle workers look for due jobs; Kick wakes them sooner. Default 1s.
	Poll time.Duration
	// MinBackoff and MaxBackoff bound the exponential backoff of failed jobs; defaults 1s and 5m.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// Jitter is the fraction of a backoff that is randomly taken off it, in (0, 1]; 0 means 0.2,
	// a negative value disables jitter.
	Jitter float64
	// MaxAttempts gives up on a job after that many failed attempts (logged and counted as
	// "dead", then deleted); 0 retries forever. Jobs of an unknown kind are never given up.
	MaxAttempts int
	// ShutdownGrace is how long in-flight jobs may continue after Run's context is done; default 30s.
	ShutdownGrace time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives the runner's logs; default discards them.
	Logger *logrus.Entry
	// Registerer, when set, receives the runner's metrics.
	Registerer prometheus.Registerer
	// Context, when set, derives each run's context from the job: what
	// every handler should know of it (its priority, whether an earlier
	// attempt may have done part of its work).
	Context func(ctx context.Context, j Job) context.Context
	// Expected, when set, tells failures that are part of normal operation
	// from the others: another writer changed the record first (an
	// optimistic-concurrency conflict), and the retry reads it again. Such a
	// retry is logged at info, not as a failure.
	Expected func(err error) bool
}

// maxRunsPerKey bounds how often RunDue runs one job, so that a handler which keeps asking to
// run again now cannot loop forever.
const maxRunsPerKey = 100

// maxErrorText bounds the LastError stored with a job.
const maxErrorText = 2000

// Runner claims due jobs from a Store and runs their handlers.
type Runner struct {
	store Store
	opts  Options
	log   *logrus.Entry
	m     *metrics
	kick  chan struct{}
	// kickPage wakes the page workers, which claim pages only.
	kickPage chan struct{}

	mu       sync.RWMutex
	handlers map[string]Handler
}

// New returns a Runner over store. Register handlers with Handle before Run.
func New(store Store, opts Options) *Runner {
	if opts.Owner == "" {
		opts.Owner = defaultOwner()
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	switch {
	case opts.PageWorkers == 0:
		opts.PageWorkers = 1
	case opts.PageWorkers < 0:
		opts.PageWorkers = 0
	}
	if opts.Lease <= 0 {
		opts.Lease = time.Minute
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Minute
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = opts.MinBackoff
	}
	switch {
	case opts.Jitter == 0:
		opts.Jitter = 0.2
	case opts.Jitter < 0:
		opts.Jitter = 0
	case opts.Jitter > 1:
		opts.Jitter = 1
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := discard.IfNil(opts.Logger)
	return &Runner{
		store:    store,
		opts:     opts,
		log:      log.WithField("owner", opts.Owner),
		m:        newMetrics(opts.Registerer, store, opts.Now),
		kick:     make(chan struct{}, 1),
		kickPage: make(chan struct{}, 1),
		handlers: make(map[string]Handler),
	}
}

func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b) // never fails on supported platforms
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Owner returns the name this runner uses in leases.
func (r *Runner) Owner() string { return r.opts.Owner }

// Handle registers h for jobs of kind, replacing any earlier handler.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = h
}

// unknownKindAttempts bounds the attempts of a job whose kind has no handler.
const unknownKindAttempts = 5

// Handles reports whether a handler is registered for kind.
func (r *Runner) Handles(kind string) bool { return r.handler(kind) != nil }

func (r *Runner) handler(kind string) Handler {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.handlers[kind]
}

// Enqueue stores j (see Store.Enqueue for what happens to an existing key). A zero RunAt means
// now. Workers are woken when the job is already due.
func (r *Runner) Enqueue(ctx context.Context, j Job) error {
	if j.Key == "" || j.Kind == "" {
		return fmt.Errorf("jobs: enqueue %q: key and kind are required", j.Key)
	}
	now := r.opts.Now()
	if j.RunAt.IsZero() {
		j.RunAt = now
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = now
	}
	j.Attempts, j.LastError, j.LeaseOwner, j.LeaseUntil, j.Rerun = 0, "", "", time.Time{}, false
	if err := r.store.Enqueue(ctx, j); err != nil {
		return fmt.Errorf("jobs: enqueue %s: %w", j.Key, err)
	}
	r.m.enqueued.WithLabelValues(j.Kind).Inc()
	if !j.RunAt.After(now) {
		r.Kick()
	}
	return nil
}

// Cancel deletes the job with key, for example an escalation timer after an ack.
// A handler that is running it now finishes; its Complete or Retry is then a no-op.
func (r *Runner) Cancel(ctx context.Context, key string) error {
	if err := r.store.Cancel(ctx, key); err != nil {
		return fmt.Errorf("jobs: cancel %s: %w", key, err)
	}
	return nil
}

// Kick wakes an idle worker to look for due jobs now rather than at the next poll.
func (r *Runner) Kick() {
	for _, k := range []chan struct{}{r.kick, r.kickPage} {
		select {
		case k <- struct{}{}:
		default:
		}
	}
}

// Run runs Workers workers until ctx is done, then stops claiming and waits for in-flight jobs,
// which keep running for up to ShutdownGrace before their context is cancelled. It returns nil
// after a clean shutdown.
func (r *Runner) Run(ctx context.Context) error {
	// work outlives ctx by the grace period, so in-flight handlers and their Complete or Retry
	// calls are not cut off by the shutdown signal itself.
	work, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	unhook := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(r.opts.ShutdownGrace, stop)
		context.AfterFunc(work, func() { t.Stop() })
	})
	defer unhook()

	r.log.WithField("workers", r.opts.Workers).Info("jobs: runner started")
	var wg sync.WaitGroup
	// One poller wakes one worker per Poll, rather than every idle worker looking on its own:
	// a claim that finds nothing scans the jobs collection, and on the embedded store all
	// commands share one connection. A worker that finds a job wakes the next.
	wg.Go(func() {
		t := time.NewTicker(r.opts.Poll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				r.Kick()
			}
		}
	})
	for range r.opts.Workers {
		wg.Go(func() { r.worker(ctx, work, r.kick, AnyPriority) })
	}
	for range r.opts.PageWorkers {
		wg.Go(func() { r.worker(ctx, work, r.kickPage, PriorityPage) })
	}
	r.Kick()
	wg.Wait()
	r.log.Info("jobs: runner stopped")
	return nil
}

// worker claims and runs jobs of priority upTo or more urgent, woken by kick.
func (r *Runner) worker(ctx, work context.Context, kick chan struct{}, upTo int) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		}
		for ctx.Err() == nil {
			j, err := r.store.Claim(work, r.opts.Owner, r.opts.Now(), r.opts.Lease, upTo)
			if err != nil {
				if ctx.Err() == nil {
					r.log.WithError(err).Error("jobs: claim failed")
				}
				break
			}
			if j == nil {
				break
			}
			r.Kick() // more may be due: let a sibling look too
			r.process(work, j, true)
		}
	}
}

// RunDue runs every job due at Now(), one at a time, until none is due, and returns how many runs
// it made. A job that becomes due again at Now() (a rerun, RetryAfter(0)) runs again. It is meant
// for tests and the scenario harness with a fake clock; use Run in production.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	now := r.opts.Now()
	runs := make(map[string]int)
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("jobs: run due: %w", err)
		}
		j, err := r.store.Claim(ctx, r.opts.Owner, now, r.opts.Lease, AnyPriority)
		if err != nil {
			return n, fmt.Errorf("jobs: run due: claim: %w", err)
		}
		if j == nil {
			return n, nil
		}
		r.process(ctx, j, false)
		n++
		if runs[j.Key]++; runs[j.Key] >= maxRunsPerKey {
			return n, fmt.Errorf("jobs: run due: job %s ran %d times at %s; does its handler keep asking to run again at once?",
				j.Key, runs[j.Key], now.Format(time.RFC3339))
		}
	}
}

// process runs one claimed job and records the outcome in the store.
func (r *Runner) process(ctx context.Context, j *Job, heartbeat bool) {
	log := r.log.WithFields(logrus.Fields{"job": j.Key, "kind": j.Kind, "attempt": j.Attempts})
	h := r.handler(j.Kind)
	if h == nil {
		// A newer replica may know the kind (a rolling upgrade): retry a few
		// times, then dead-letter the job, logged whole, rather than retry forever.
		if j.Attempts >= unknownKindAttempts {
			r.m.runs.WithLabelValues(j.Kind, "dead").Inc()
			log.WithField("payload", j.Payload).Error("jobs: no handler for this kind; giving up (dead)")
			r.complete(ctx, j, log)
			return
		}
		delay := r.backoff(j.Attempts)
		log.WithField("retry_in", delay).Error("jobs: no handler for this kind; will retry")
		r.m.runs.WithLabelValues(j.Kind, "unknown_kind").Inc()
		r.retry(ctx, j, delay, "no handler for kind "+j.Kind, log)
		return
	}

	hctx, cancel := context.WithCancel(ctx)
	if r.opts.Context != nil {
		hctx = r.opts.Context(hctx, *j)
	}
	var hb sync.WaitGroup
	if heartbeat {
		hb.Go(func() { r.heartbeat(hctx, cancel, j, log) })
	}
	start := time.Now()
	err := r.call(hctx, h, *j)
	r.m.duration.WithLabelValues(j.Kind).Observe(time.Since(start).Seconds())
	cancel()
	hb.Wait()

	if err == nil {
		r.m.runs.WithLabelValues(j.Kind, "ok").Inc()
		r.complete(ctx, j, log)
		return
	}
	log = log.WithError(err)
	if IsPermanent(err) {
		r.m.runs.WithLabelValues(j.Kind, "permanent").Inc()
		log.Error("jobs: job failed permanently; dropping it")
		r.complete(ctx, j, log)
		return
	}
	if r.opts.MaxAttempts > 0 && j.Attempts >= r.opts.MaxAttempts {
		r.m.runs.WithLabelValues(j.Kind, "dead").Inc()
		log.WithField("max_attempts", r.opts.MaxAttempts).Error("jobs: job failed too often; giving up (dead)")
		r.complete(ctx, j, log)
		return
	}
	delay, exact := RetryDelay(err)
	if !exact {
		delay = r.backoff(j.Attempts)
	}
	r.m.runs.WithLabelValues(j.Kind, "retry").Inc()
	switch {
	case exact:
		// The handler named its wait (Slack's Retry-After, a turn of the
		// pacing, a conflict): expected, not a failure.
		log.WithField("retry_in", delay).Info("jobs: job will run again")
	case r.opts.Expected != nil && r.opts.Expected(err):
		log.WithField("retry_in", delay).Info("jobs: job met a concurrent change; will run again")
	default:
		log.WithField("retry_in", delay).Warn("jobs: job failed; will retry")
	}
	r.retry(ctx, j, delay, err.Error(), log)
}

// call runs h, turning a panic into an error so that one bad job cannot stop a worker.
func (r *Runner) call(ctx context.Context, h Handler, j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return h(ctx, j)
}

// heartbeat extends the lease while the handler runs, and cancels the handler when the lease
// is lost to another runner.
func (r *Runner) heartbeat(ctx context.Context, cancel context.CancelFunc, j *Job, log *logrus.Entry) {
	t := time.NewTicker(max(r.opts.Lease/3, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := r.store.Extend(ctx, j.Key, r.opts.Owner, r.opts.Now().Add(r.opts.Lease))
		switch {
		case errors.Is(err, ErrLeaseLost):
			log.Warn("jobs: lease lost while running; cancelling the handler")
			cancel()
			return
		case err != nil && ctx.Err() == nil:
			log.WithError(err).Warn("jobs: extending the lease failed")
		}
	}
}

func (r *Runner) complete(ctx context.Context, j *Job, log *logrus.Entry) {
	err := r.store.Complete(ctx, j.Key, r.opts.Owner, r.opts.Now())
	switch {
	case errors.Is(err, ErrLeaseLost):
		log.Warn("jobs: lease lost before completion (cancelled, or taken over after expiry)")
	case err != nil:
		// The lease expires and another claim runs the job again: at least once, never lost.
		log.WithError(err).Error("jobs: completing the job failed")
	}
}

func (r *Runner) retry(ctx context.Context, j *Job, delay time.Duration, errText string, log *logrus.Entry) {
	if len(errText) > maxErrorText {
		errText = errText[:maxErrorText]
	}
	err := r.store.Retry(ctx, j.Key, r.opts.Owner, r.opts.Now().Add(delay), errText)
	switch {
	case errors.Is(err, ErrLeaseLost):
		log.Warn("jobs: lease lost before the retry was recorded")
	case err != nil:
		log.WithError(err).Error("jobs: recording the retry failed")
	}
}

// backoff returns the delay before attempt+1: MinBackoff doubled per earlier attempt, capped at
// MaxBackoff, less a random share of up to Jitter of it.
func (r *Runner) backoff(attempts int) time.Duration {
	d := r.opts.MinBackoff
	for i := 1; i < attempts && d < r.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, r.opts.MaxBackoff)
	if r.opts.Jitter > 0 {
		d -= time.Duration(mrand.Float64() * r.opts.Jitter * float64(d))
	}
	return d
}
