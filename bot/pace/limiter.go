package pace

import (
	"context"
	"slices"
	"sync"
	"time"
)

// limiter keeps one queue per key (a method, or a method in a channel) and hands
// out turns by priority, then arrival, as the key's Bucket allows.
type limiter struct {
	now      func() time.Time
	newTimer func(time.Duration) (<-chan time.Time, func() bool)
	maxWait  time.Duration // < 0: no bound

	mu      sync.Mutex
	queues  map[string]*queue
	seq     uint64
	sweepAt int // sweep idle queues when there are this many
}

// minSweep is the number of queues below which idle ones are kept.
const minSweep = 1024

type queue struct {
	bucket  *Bucket
	waiters []*waiter // priority high to low, then seq low to high
}

type waiter struct {
	prio Priority
	seq  uint64
	wake chan struct{} // buffered: a wake-up is never lost, never blocks
}

func (q *queue) insert(w *waiter) {
	i, _ := slices.BinarySearchFunc(q.waiters, w, func(a, b *waiter) int {
		if a.prio != b.prio {
			return int(b.prio - a.prio)
		}
		return int(a.seq - b.seq)
	})
	q.waiters = slices.Insert(q.waiters, i, w)
}

func (q *queue) remove(w *waiter) {
	if i := slices.Index(q.waiters, w); i >= 0 {
		q.waiters = slices.Delete(q.waiters, i, i+1)
	}
}

// wakeHead tells the first waiter to look again: it may now go, or time its turn.
func (q *queue) wakeHead() {
	if len(q.waiters) > 0 {
		notify(q.waiters[0])
	}
}

func (q *queue) wakeAll() {
	for _, w := range q.waiters {
		notify(w)
	}
}

func notify(w *waiter) {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (l *limiter) queueLocked(key string, lim Limit) *queue {
	q := l.queues[key]
	if q == nil {
		if len(l.queues) >= max(l.sweepAt, minSweep) {
			l.sweepLocked()
		}
		q = &queue{bucket: NewBucket(lim)}
		l.queues[key] = q
	}
	return q
}

// sweepLocked drops the queues nobody waits at whose bucket is full again
// (one per channel ever posted to would otherwise pile up): such a bucket is
// the same as a new one.
func (l *limiter) sweepLocked() {
	now := l.now()
	for key, q := range l.queues {
		if len(q.waiters) == 0 && !q.bucket.tat.After(now) {
			delete(l.queues, key)
		}
	}
	l.sweepAt = 2 * len(l.queues)
}

// turn is one key a call must get a turn at.
type turn struct {
	key     string
	limit   Limit
	method  string
	channel string
}

// wait takes a turn at each of turns in order, or none: it returns a
// *WaitError when a turn is further than maxWait from when wait began, or
// ctx's error when ctx ends first.
func (l *limiter) wait(ctx context.Context, prio Priority, turns ...turn) error {
	dl := &deadline{l: l}
	if l.maxWait >= 0 {
		dl.at = l.now().Add(l.maxWait)
	}
	defer dl.stop()
	var taken []turn
	for i, t := range turns {
		if err := l.take(ctx, t, prio, dl, i == len(turns)-1); err != nil {
			l.mu.Lock()
			for _, done := range taken {
				q := l.queues[done.key]
				q.bucket.untake()
				q.wakeHead()
			}
			l.mu.Unlock()
			return err
		}
		taken = append(taken, t)
	}
	return nil
}

// deadline is the bound of one call's wait, shared by its turns. Its timer is
// started only when the call has to wait.
type deadline struct {
	l       *limiter
	at      time.Time // zero: no bound
	c       <-chan time.Time
	stopFn  func() bool
	expired bool
}

func (d *deadline) bounded() bool { return !d.at.IsZero() }

// timer returns the channel that fires at the deadline, starting it on first use.
func (d *deadline) timer(now time.Time) <-chan time.Time {
	if !d.bounded() || d.expired {
		return nil
	}
	if d.c == nil {
		d.c, d.stopFn = d.l.newTimer(d.at.Sub(now))
	}
	return d.c
}

func (d *deadline) stop() {
	if d.stopFn != nil {
		d.stopFn()
		d.stopFn = nil
	}
}

// take waits for one turn at t.key. Taking the last turn of a call stops its
// deadline at once, before the next waiter is told to look.
func (l *limiter) take(ctx context.Context, t turn, prio Priority, dl *deadline, last bool) error {
	l.mu.Lock()
	q := l.queueLocked(t.key, t.limit)
	l.seq++
	w := &waiter{prio: prio, seq: l.seq, wake: make(chan struct{}, 1)}
	q.insert(w)
	leave := func() {
		q.remove(w)
		q.wakeHead()
		l.mu.Unlock()
	}
	for {
		now := l.now()
		pos := slices.Index(q.waiters, w)
		wait := q.bucket.waitN(now, pos+1)
		if pos == 0 && wait == 0 {
			q.bucket.Take(now)
			if last {
				dl.stop()
			}
			leave()
			return nil
		}
		if dl.bounded() && (dl.expired || !now.Before(dl.at) || now.Add(wait).After(dl.at)) {
			leave()
			return &WaitError{Method: t.method, Channel: t.channel, RetryAfter: wait}
		}
		deadlineC := dl.timer(now)
		var turnC <-chan time.Time
		stopTurn := func() bool { return false }
		if pos == 0 {
			turnC, stopTurn = l.newTimer(wait)
		}
		l.mu.Unlock()
		select {
		case <-w.wake:
		case <-turnC:
		case <-deadlineC:
			dl.expired = true
		case <-ctx.Done():
			stopTurn()
			l.mu.Lock()
			leave()
			return ctx.Err()
		}
		stopTurn()
		l.mu.Lock()
	}
}

// pause blocks key until until, as Slack's Retry-After asks, and tells every
// waiter for it to look again (those whose turn now comes too late give up).
func (l *limiter) pause(key string, lim Limit, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.queueLocked(key, lim)
	q.bucket.Block(until)
	q.wakeAll()
}

// queued returns how many calls wait for key.
func (l *limiter) queued(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if q := l.queues[key]; q != nil {
		return len(q.waiters)
	}
	return 0
}
