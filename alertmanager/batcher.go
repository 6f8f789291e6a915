package alertmanager

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/internal/discard"
)

// ErrClosed is returned by Submit once the Batcher is closed.
var ErrClosed = errors.New("inbox batcher is closed")

// BatcherOptions tune a Batcher. The zero value is usable.
type BatcherOptions struct {
	// Window is how long a batch stays open for more items after its first
	// one. Zero or negative (the default): write as soon as no item is
	// queued; the items that arrive during a write are the next batch, so
	// batches grow with the load without anyone waiting for a timer (a 2ms
	// window held the webhook to about 0.25 of a bare handler's rate; none,
	// 0.4: BENCHMARKS.md).
	Window time.Duration
	// MaxItems caps one AppendInbox call (default 256).
	MaxItems int
	// StoreTimeout bounds one AppendInbox call (default 10s).
	StoreTimeout time.Duration
	// OnStored runs after every successful append; pass Applier.Kick.
	OnStored func()
	// Logger receives store failures; nil discards.
	Logger *logrus.Entry
	// Registerer receives the batch-size metric; nil registers nothing.
	Registerer prometheus.Registerer
}

// Batcher is a group commit in front of an Inbox: concurrent Submit calls
// are gathered for a short window and written with one AppendInbox, then
// every caller gets that call's result. One goroutine does the writing, so
// the store sees one insert at a time however many requests arrive.
type Batcher struct {
	inbox    Inbox
	window   time.Duration
	max      int
	timeout  time.Duration
	onStored func()
	log      *logrus.Entry
	sizes    prometheus.Histogram

	// failedAt and failed are the last failed AppendInbox's end and error
	// (the writer goroutine's own): items submitted before it ended waited
	// through it and fail with it (see flush).
	failedAt time.Time
	failed   error

	reqs      chan *submission
	quit      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// submission is one waiting item; res has room for the answer so the
// writer never blocks on a caller that gave up.
type submission struct {
	item      InboxItem
	at        time.Time // when it was submitted
	cancelled <-chan struct{}
	res       chan error
}

// NewBatcher starts a Batcher writing to inbox. Close stops it.
func NewBatcher(inbox Inbox, o BatcherOptions) (*Batcher, error) {
	if inbox == nil {
		return nil, errors.New("alertmanager: NewBatcher needs an Inbox")
	}
	b := &Batcher{
		inbox:    inbox,
		window:   o.Window,
		max:      o.MaxItems,
		timeout:  o.StoreTimeout,
		onStored: o.OnStored,
		log:      o.Logger,
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if b.max <= 0 {
		b.max = 256
	}
	if b.timeout <= 0 {
		b.timeout = 10 * time.Second
	}
	b.log = discard.IfNil(b.log)
	sizes, err := register(o.Registerer, prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "incidentbot_inbox_batch_size",
		Help:    "Webhook notifications written to the inbox per AppendInbox call.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 9), // 1 … 256
	}))
	if err != nil {
		return nil, err
	}
	b.sizes = sizes
	// The queue holds one batch, so Close can write everything handed over.
	b.reqs = make(chan *submission, b.max)
	go b.loop()
	return b, nil
}

// Submit hands item to the next batch and waits until that batch is stored.
// It returns nil only once AppendInbox has returned nil for it. If ctx ends
// first, Submit returns ctx's error; the item may or may not be stored then
// (it is left out if its batch had not been written yet).
func (b *Batcher) Submit(ctx context.Context, item InboxItem) error {
	select {
	case <-b.quit:
		return ErrClosed
	default:
	}
	s := &submission{item: item, at: time.Now(), cancelled: ctx.Done(), res: make(chan error, 1)}
	select {
	case b.reqs <- s:
	case <-b.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-s.res:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-b.done:
		select { // the last batch may have answered just before done closed
		case err := <-s.res:
			return err
		default:
			return ErrClosed
		}
	}
}

// Close stops accepting items, writes those already queued and waits for
// the writer to finish; Submit calls that were not queued get ErrClosed.
// It is safe to call more than once.
func (b *Batcher) Close() {
	b.closeOnce.Do(func() { close(b.quit) })
	<-b.done
}

func (b *Batcher) loop() {
	defer close(b.done)
	for {
		var first *submission
		select {
		case first = <-b.reqs:
		case <-b.quit:
			b.flushQueued()
			return
		}
		batch, quitting := b.collect([]*submission{first})
		b.flush(batch)
		if quitting {
			b.flushQueued()
			return
		}
	}
}

// flushQueued writes everything queued, on Close.
func (b *Batcher) flushQueued() {
	for {
		batch := b.drain(nil)
		if len(batch) == 0 {
			return
		}
		b.flush(batch)
	}
}

// collect adds items to batch until it is full or the window closes.
func (b *Batcher) collect(batch []*submission) (_ []*submission, quitting bool) {
	if b.window <= 0 {
		return b.drain(batch), false
	}
	timer := time.NewTimer(b.window)
	defer timer.Stop()
	for len(batch) < b.max {
		select {
		case s := <-b.reqs:
			batch = append(batch, s)
		case <-timer.C:
			return batch, false
		case <-b.quit:
			return batch, true
		}
	}
	return batch, false
}

// drain takes whatever is queued right now, up to the batch limit.
func (b *Batcher) drain(batch []*submission) []*submission {
	for len(batch) < b.max {
		select {
		case s := <-b.reqs:
			batch = append(batch, s)
		default:
			return batch
		}
	}
	return batch
}

// flush writes the items whose callers still wait and answers each caller.
// Items submitted while the previous write was failing (a store locked past
// its timeout) fail with it at once: they have waited as long as it did, and
// a store outage is answered 503 within one StoreTimeout, not one per batch
// queued behind it. Items submitted after it try the store again.
func (b *Batcher) flush(batch []*submission) {
	live := batch[:0]
	items := make([]InboxItem, 0, len(batch))
	for _, s := range batch {
		select {
		case <-s.cancelled:
			s.res <- context.Canceled // the caller has gone; do not store for nobody
			continue
		default:
		}
		if b.failed != nil && !s.at.After(b.failedAt) {
			s.res <- fmt.Errorf("not stored: the inbox failed while this waited: %w", b.failed)
			continue
		}
		live = append(live, s)
		items = append(items, s.item)
	}
	if len(items) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	err := b.inbox.AppendInbox(ctx, items)
	cancel()
	if err != nil {
		err = fmt.Errorf("storing %d notifications in the inbox: %w", len(items), err)
		b.log.WithError(err).Error("inbox append failed")
		b.failed, b.failedAt = err, time.Now()
	} else {
		b.failed = nil
		b.sizes.Observe(float64(len(items)))
	}
	for _, s := range live {
		s.res <- err
	}
	if err == nil && b.onStored != nil {
		b.onStored()
	}
}

// register adds c to reg; a collector already registered under the same
// name (a second instance in one process) is reused.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if reg == nil {
		return c, nil
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, fmt.Errorf("registering metrics: %w", err)
	}
	return c, nil
}
