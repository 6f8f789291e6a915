package alertmanager

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/routing"
	"github.com/sirupsen/logrus"
)

// Ingester is what the Applier needs from the incidents service
// (incidents.Service.IngestBatch): notifications applied in order, all or
// nothing, each incident read and written once per batch. It may see the
// same notifications again after a crash and must tolerate that.
type Ingester interface {
	IngestBatch(ctx context.Context, ns []incidents.Notification) error
}

// Beats takes the alerts that are heartbeats (an always-firing Watchdog,
// a dead man's switch) out of notifications before they are ingested: it
// records each firing one as a beat and returns the notifications left,
// without those alerts (a notification left without alerts is dropped).
type Beats interface {
	Beats(ctx context.Context, ns []incidents.Notification) ([]incidents.Notification, error)
}

// ApplierOptions configure an Applier. Inbox and Service are required.
type ApplierOptions struct {
	Inbox   Inbox
	Service Ingester
	// Routes give each notification its severity, service and policy.
	Routes routing.Table
	// Beats, when set, takes heartbeat alerts out before ingestion.
	Beats Beats
	// Lease reports whether this process may apply (with several replicas
	// on one MongoDB, only the lease holder does). Nil: always held.
	Lease func(ctx context.Context) (bool, error)
	// Logger; nil discards.
	Logger *logrus.Entry
	// Now is the clock (default time.Now); used for logging only here, as
	// notifications carry the time they were received.
	Now func() time.Time
	// BatchSize is how many inbox items are read at once (default 256).
	BatchSize int
	// Poll is how often Run looks at the inbox without a Kick (default 1s).
	Poll time.Duration
	// RetryMin and RetryMax bound the backoff after a failed pass
	// (defaults 200ms and 30s).
	RetryMin, RetryMax time.Duration
	// MaxBatches bounds one ApplyPending pass (default 1000 batches), so a
	// pass always ends; Run starts the next one at once when items are left.
	MaxBatches int
}

// Applier moves notifications from the inbox into incidents, oldest first,
// a batch at a time, and removes them once applied. Applying is at least once:
// an item applied but not yet removed when the process stops is applied
// again after the restart.
type Applier struct {
	o    ApplierOptions
	log  *logrus.Entry
	kick chan struct{}
}

// NewApplier returns an Applier; it does nothing until Run or ApplyPending.
func NewApplier(o ApplierOptions) (*Applier, error) {
	if o.Inbox == nil || o.Service == nil {
		return nil, errors.New("alertmanager: NewApplier needs an Inbox and a Service")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 256
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.RetryMin <= 0 {
		o.RetryMin = 200 * time.Millisecond
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = max(30*time.Second, o.RetryMin)
	}
	if o.MaxBatches <= 0 {
		o.MaxBatches = 1000
	}
	log := discard.IfNil(o.Logger)
	return &Applier{o: o, log: log, kick: make(chan struct{}, 1)}, nil
}

// Kick wakes Run at once (after an append), instead of at the next poll.
// It never blocks; kicks while a pass runs fold into one more pass.
func (a *Applier) Kick() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// Run applies pending items until ctx ends: at each Kick, every Poll, and
// after a failure with exponential backoff (kicks do not cut a backoff
// short, so a failing service is not hammered). It returns nil when ctx ends.
func (a *Applier) Run(ctx context.Context) error {
	backoff := time.Duration(0)
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		n, more, err := a.pass(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := a.o.Poll
		switch {
		case err == nil && more:
			backoff = 0
			wait = 0
		case err != nil:
			backoff = min(max(2*backoff, a.o.RetryMin), a.o.RetryMax)
			wait = backoff
			log := a.log.WithError(err).WithFields(logrus.Fields{"applied": n, "retry_in": backoff.String()})
			if errors.Is(err, incidents.ErrConflict) {
				// A command changed the same incident at the same moment (after
				// a restart, work resumes all at once): the retry reads it again.
				log.Info("applying webhook notifications met a concurrent change; will retry")
			} else {
				log.Error("applying webhook notifications failed; will retry")
			}
		default:
			backoff = 0
		}
		if wait == 0 {
			continue
		}
		timer.Reset(wait)
		kick := a.kick
		if backoff > 0 {
			kick = nil // wait out the backoff
		}
		select {
		case <-ctx.Done():
			return nil
		case <-kick:
			if !timer.Stop() {
				<-timer.C
			}
		case <-timer.C:
		}
	}
}

// ApplyPending does one pass synchronously: while the lease is held it
// reads pending items oldest first, routes them and applies each batch
// with one Service call, and removes the applied ones after each batch. An
// item that no longer decodes is logged and removed (it was checked when it
// was received, so only a format change can cause it). On a Service error
// the pass stops and returns the error; the failed batch stays first in
// line, whole. It returns how many items it applied.
func (a *Applier) ApplyPending(ctx context.Context) (int, error) {
	n, _, err := a.pass(ctx)
	return n, err
}

// pass is ApplyPending; more reports that it stopped at MaxBatches.
func (a *Applier) pass(ctx context.Context) (applied int, more bool, err error) {
	removed := make(map[string]bool)
	for range a.o.MaxBatches {
		if a.o.Lease != nil {
			held, err := a.o.Lease(ctx)
			if err != nil {
				return applied, false, fmt.Errorf("checking the inbox lease: %w", err)
			}
			if !held {
				return applied, false, nil
			}
		}
		items, err := a.o.Inbox.PendingInbox(ctx, a.o.BatchSize)
		if err != nil {
			return applied, false, fmt.Errorf("reading the inbox: %w", err)
		}
		if len(items) == 0 {
			return applied, false, nil
		}
		for _, it := range items {
			if removed[it.ID] {
				// RemoveInbox did not take effect; stop rather than apply it again and again.
				return applied, false, fmt.Errorf("inbox item %s is still pending after it was removed", it.ID)
			}
		}
		n, done, err := a.applyBatch(ctx, items)
		applied += n
		if len(done) > 0 {
			if rerr := a.o.Inbox.RemoveInbox(ctx, done); rerr != nil {
				return applied, false, errors.Join(err, fmt.Errorf("removing %d applied items from the inbox: %w", len(done), rerr))
			}
			for _, id := range done {
				removed[id] = true
			}
		}
		if err != nil {
			return applied, false, err
		}
		if len(items) < a.o.BatchSize {
			return applied, false, nil
		}
	}
	return applied, true, nil
}

// applyBatch applies the decodable items with one IngestBatch call, all or
// none. It returns how many were applied and the IDs to remove (applied or
// undecodable).
func (a *Applier) applyBatch(ctx context.Context, items []InboxItem) (applied int, done []string, err error) {
	var ns []incidents.Notification
	var ids []string
	for _, it := range items {
		msg, derr := Decode(it.Body)
		if derr != nil {
			a.log.WithField("inbox_id", it.ID).WithError(derr).Error("dropping an inbox item that no longer decodes")
			done = append(done, it.ID)
			continue
		}
		ns = append(ns, notification(a.o.Routes, msg, it.ReceivedAt))
		ids = append(ids, it.ID)
	}
	if len(ns) == 0 {
		return 0, done, nil
	}
	applied = len(ns)
	if a.o.Beats != nil {
		var err error
		if ns, err = a.o.Beats.Beats(ctx, ns); err != nil {
			return 0, done, fmt.Errorf("recording the heartbeats of %d inbox items from %s: %w", applied, ids[0], err)
		}
	}
	if len(ns) == 0 {
		return applied, append(done, ids...), nil // heartbeats only
	}
	if err := a.o.Service.IngestBatch(ctx, ns); err != nil {
		return 0, done, fmt.Errorf("applying %d inbox items from %s: %w", len(ns), ids[0], err)
	}
	a.log.WithFields(logrus.Fields{"items": len(ns), "lag": a.o.Now().Sub(items[0].ReceivedAt).String()}).
		Debug("webhook notifications applied")
	return applied, append(done, ids...), nil
}
