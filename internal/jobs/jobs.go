// Package jobs runs durable work: every side effect toward Slack and every timer is a job stored
// under an idempotency key, claimed by one worker at a time with a lease, and retried with backoff
// (or the delay a handler asks for) until it succeeds. Cron ticks enqueue jobs whose keys collapse
// duplicates, so several replicas can tick without doing the work twice.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Job is one unit of durable work.
type Job struct {
	// Key is the idempotency key and the stored _id: a key that is pending is not added twice.
	Key string
	// Kind selects the Handler.
	Kind string
	// Payload carries the handler's arguments; handlers should re-read current state from the
	// store rather than trust a payload that may be older than a rerun.
	Payload map[string]string
	// RunAt is when the job becomes due.
	RunAt time.Time
	// Priority orders due jobs: lower runs first (PriorityPage before
	// PriorityNormal), then the earliest RunAt. Enqueueing a pending key
	// again raises its priority when the new one is higher.
	Priority int
	// Attempts counts claims, including the one running now.
	Attempts int
	// LastError is the error of the latest failed attempt.
	LastError string
	// LeaseOwner and LeaseUntil are set while a runner holds the job; an expired lease may be
	// taken over by another runner.
	LeaseOwner string
	LeaseUntil time.Time
	// Rerun asks for one more run after the current one, because the job was enqueued again
	// while it was running.
	Rerun bool
	// CreatedAt is when the job was first enqueued.
	CreatedAt time.Time
}

// Priorities of jobs: what wakes a person first, cosmetic work last. The
// values match incidents' task priorities, which map onto them unchanged.
const (
	PriorityPage     = -20
	PriorityUrgent   = -10
	PriorityNormal   = 0
	PriorityCosmetic = 10
)

// AnyPriority is Claim's upTo for a job of any priority.
const AnyPriority = math.MaxInt32

// Leased reports whether a runner holds the job at time now.
func (j Job) Leased(now time.Time) bool {
	return j.LeaseOwner != "" && j.LeaseUntil.After(now)
}

// Store keeps jobs. Every method is a single conditional, atomic operation on one job (or, for
// Enqueue, a short sequence of them), so several runners on one database are safe.
type Store interface {
	// Enqueue inserts j. If a job with j.Key exists and is leased, it is marked Rerun so that it runs
	// once more after the current run; otherwise it is kept, and its RunAt is moved earlier to
	// j.RunAt when it has not failed yet (a pending timer); a job in backoff keeps its RunAt.
	// Payload and Kind of an existing job are kept.
	Enqueue(ctx context.Context, j Job) error
	// Claim takes the most urgent job due at now (RunAt <= now) of priority upTo or more urgent
	// (Priority <= upTo; AnyPriority for every job) that is not leased or whose lease expired,
	// sets its lease to owner until now+lease, clears Rerun and increments Attempts. It returns
	// nil, nil when nothing is due. Two owners never get the same job for the same lease.
	Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, upTo int) (*Job, error)
	// Extend moves the lease of a job owner still holds to until; ErrLeaseLost otherwise.
	Extend(ctx context.Context, key, owner string, until time.Time) error
	// Complete finishes a job owner holds: it is deleted, unless Rerun was set while it ran, in
	// which case it is released, due at now, with Attempts reset. ErrLeaseLost if owner no longer
	// holds it (nothing changes).
	Complete(ctx context.Context, key, owner string, now time.Time) error
	// Retry releases a job owner holds, due again at runAt, recording errText. Rerun is cleared:
	// the retry sees the latest state anyway. ErrLeaseLost if owner no longer holds it.
	Retry(ctx context.Context, key, owner string, runAt time.Time, errText string) error
	// Cancel deletes a job whatever its state; cancelling a missing job is not an error.
	Cancel(ctx context.Context, key string) error
	// Get returns one job; ErrNotFound if there is none.
	Get(ctx context.Context, key string) (*Job, error)
	// Count returns how many jobs are stored.
	Count(ctx context.Context) (int, error)
	// List returns every stored job, soonest RunAt first. The collection is kept small
	// (finished jobs are deleted), so this is for tests, metrics and the web view.
	List(ctx context.Context) ([]Job, error)

	// MarkTick records that the cron tick key (scheduled at at) has been enqueued, and reports
	// whether this call recorded it (false: another replica or an earlier run already did).
	// A tick job's key alone collapses duplicates only while the job is pending; the mark also
	// covers a replica that ticks after the job has finished and been deleted.
	MarkTick(ctx context.Context, key string, at time.Time) (bool, error)
	// UnmarkTick removes a mark, so that a tick whose enqueue failed is tried again.
	UnmarkTick(ctx context.Context, key string) error
	// PruneTicks removes marks of ticks scheduled before before.
	PruneTicks(ctx context.Context, before time.Time) error
}

// Errors returned by a Store.
var (
	// ErrNotFound means there is no job with the key.
	ErrNotFound = errors.New("not found")
	// ErrLeaseLost means the caller no longer holds the job's lease: it expired and another
	// runner took it, or the job was cancelled.
	ErrLeaseLost = errors.New("jobs: lease lost")
)

// RetryAfter returns an error that asks for the job to run again after exactly d
// (for example Slack's Retry-After on a 429), instead of the usual backoff.
func RetryAfter(d time.Duration, err error) error {
	if d < 0 {
		d = 0
	}
	return &retryAfterError{after: d, err: err}
}

type retryAfterError struct {
	after time.Duration
	err   error
}

func (e *retryAfterError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("retry after %s", e.after)
	}
	return fmt.Sprintf("retry after %s: %v", e.after, e.err)
}

func (e *retryAfterError) Unwrap() error { return e.err }

// Permanent returns an error that tells the runner not to retry the job: it is logged and dropped.
func Permanent(err error) error {
	if err == nil {
		err = errors.New("permanent failure")
	}
	return &permanentError{err: err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return "permanent: " + e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// IsPermanent reports whether err, or an error it wraps, came from Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// RetryDelay returns the delay err asks for through RetryAfter, and whether it does.
func RetryDelay(err error) (time.Duration, bool) {
	var r *retryAfterError
	if errors.As(err, &r) {
		return r.after, true
	}
	return 0, false
}
