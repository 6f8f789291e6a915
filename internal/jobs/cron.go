package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/sirupsen/logrus"
)

// CronOptions tune a Cron. The zero value is usable.
type CronOptions struct {
	// Now is the clock; default the runner's.
	Now func() time.Time
	// Poll is the longest Run waits between checks; default 1m (Run also wakes at the next tick).
	Poll time.Duration
	// CatchUp is how far back the first TickDue looks for a missed tick (the process was down at
	// the tick); default 1h, negative disables. Tick marks make this safe across restarts.
	CatchUp time.Duration
	// Retention is how long tick marks are kept; default 7 days (at least twice CatchUp).
	Retention time.Duration
	// Logger receives the cron's logs; default the runner's.
	Logger *logrus.Entry
}

// Cron enqueues a job for every tick of its schedules. A tick scheduled at T gets the key
// "<prefix>:<T in UTC, minute precision>" and is marked in the store first, so replicas that
// tick at the same T enqueue one job between them, and a restart does not repeat it.
type Cron struct {
	r    *Runner
	opts CronOptions
	log  *logrus.Entry

	mu        sync.Mutex
	ticks     []*tick
	lastPrune time.Time
}

type tick struct {
	spec   string
	sched  cron.Schedule
	kind   string
	prefix string
	last   time.Time // end of the last window checked; zero before the first TickDue
}

// NewCron returns a Cron that enqueues through r.
func NewCron(r *Runner, opts CronOptions) *Cron {
	if opts.Now == nil {
		opts.Now = r.opts.Now
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Minute
	}
	switch {
	case opts.CatchUp == 0:
		opts.CatchUp = time.Hour
	case opts.CatchUp < 0:
		opts.CatchUp = 0
	}
	if opts.Retention <= 0 {
		opts.Retention = 7 * 24 * time.Hour
	}
	opts.Retention = max(opts.Retention, 2*opts.CatchUp)
	log := opts.Logger
	if log == nil {
		log = r.log
	}
	return &Cron{r: r, opts: opts, log: log}
}

// AddTick adds a schedule: spec is a standard 5-field cron line ("0 9 * * 1"), a descriptor
// ("@daily"), or "@every <duration>". Cron lines are read in loc (nil means UTC) unless the spec
// starts with CRON_TZ=<zone>. "@every d" ticks are aligned to multiples of d since the zero time
// in UTC, so every replica computes the same tick times. Each tick enqueues a job of kind with
// key "<keyPrefix>:<tick>" and payload {"tick": RFC 3339 time}.
func (c *Cron) AddTick(spec string, loc *time.Location, kind, keyPrefix string) error {
	if kind == "" || keyPrefix == "" {
		return fmt.Errorf("jobs: cron %q: kind and key prefix are required", spec)
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return fmt.Errorf("jobs: cron %q: %w", spec, err)
	}
	switch s := sched.(type) {
	case cron.ConstantDelaySchedule:
		sched = alignedEvery(s.Delay) // the parser rounds it to whole seconds, at least 1s
	case *cron.SpecSchedule:
		if !strings.HasPrefix(spec, "TZ=") && !strings.HasPrefix(spec, "CRON_TZ=") {
			if loc == nil {
				loc = time.UTC
			}
			s.Location = loc // the parser's default is the host's zone: never depend on it
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ticks = append(c.ticks, &tick{spec: spec, sched: sched, kind: kind, prefix: keyPrefix})
	return nil
}

// alignedEvery ticks at multiples of d since the zero time.
type alignedEvery time.Duration

func (d alignedEvery) Next(t time.Time) time.Time {
	return t.Truncate(time.Duration(d)).Add(time.Duration(d))
}

// TickKey is the job key of the tick of prefix scheduled at t: "handoff:primary:2026-11-30T05:00Z".
// Seconds appear only for ticks that are not on a whole minute.
func TickKey(prefix string, t time.Time) string {
	t = t.UTC()
	if t.Second() != 0 {
		return prefix + ":" + t.Format("2006-01-02T15:04:05Z")
	}
	return prefix + ":" + t.Format("2006-01-02T15:04Z")
}

// TickDue enqueues, for each schedule, the latest tick scheduled since the previous call (for the
// first call, within CatchUp before now) and at or before now. Older missed ticks of the same
// schedule are skipped: a handoff announced twice late is worse than once. It returns how many
// jobs it enqueued; a schedule whose tick failed is tried again at the next call.
func (c *Cron) TickDue(ctx context.Context, now time.Time) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now = now.UTC()
	var errs []error
	if c.lastPrune.IsZero() || now.Sub(c.lastPrune) >= time.Hour {
		if err := c.r.store.PruneTicks(ctx, now.Add(-c.opts.Retention)); err != nil {
			errs = append(errs, fmt.Errorf("jobs: prune tick marks: %w", err))
		} else {
			c.lastPrune = now
		}
	}
	n := 0
	for _, tk := range c.ticks {
		from := tk.last // window (from, now]
		if from.IsZero() {
			from = now.Add(-c.opts.CatchUp).Add(-time.Nanosecond) // first window is closed: [now-CatchUp, now]
		}
		if !now.After(from) {
			continue
		}
		at := latestTick(tk.sched, from, now)
		if at.IsZero() {
			tk.last = now
			continue
		}
		enqueued, err := c.enqueueTick(ctx, tk, at, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if enqueued {
			n++
		}
		tk.last = now
	}
	return n, errors.Join(errs...)
}

// latestTick returns the latest time in (from, to] that sched fires, or the zero time.
func latestTick(sched cron.Schedule, from, to time.Time) time.Time {
	var latest time.Time
	for t := sched.Next(from); !t.IsZero() && !t.After(to); t = sched.Next(t) {
		latest = t
	}
	return latest
}

func (c *Cron) enqueueTick(ctx context.Context, tk *tick, at, now time.Time) (bool, error) {
	key := TickKey(tk.prefix, at)
	log := c.log.WithFields(logrus.Fields{"job": key, "kind": tk.kind, "spec": tk.spec})
	won, err := c.r.store.MarkTick(ctx, key, at)
	if err != nil {
		return false, fmt.Errorf("jobs: mark tick %s: %w", key, err)
	}
	if !won {
		return false, nil // another replica, or this one before a restart, has it
	}
	j := Job{
		Key:       key,
		Kind:      tk.kind,
		Payload:   map[string]string{"tick": at.UTC().Format(time.RFC3339)},
		RunAt:     at,
		CreatedAt: now,
	}
	if err := c.r.Enqueue(ctx, j); err != nil {
		if uerr := c.r.store.UnmarkTick(ctx, key); uerr != nil {
			log.WithError(uerr).Error("jobs: unmarking a tick whose enqueue failed; the tick is lost")
		}
		return false, fmt.Errorf("jobs: enqueue tick %s: %w", key, err)
	}
	log.Debug("jobs: tick enqueued")
	return true, nil
}

// Next returns the earliest tick of any schedule after now, or the zero time if there is none.
func (c *Cron) Next(now time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var next time.Time
	for _, tk := range c.ticks {
		if t := tk.sched.Next(now); !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

// Run calls TickDue until ctx is done, waking at each tick (and at least every Poll).
func (c *Cron) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		now := c.opts.Now()
		if _, err := c.TickDue(ctx, now); err != nil && ctx.Err() == nil {
			c.log.WithError(err).Error("jobs: cron tick failed")
		}
		wait := c.opts.Poll
		if next := c.Next(now); !next.IsZero() {
			wait = min(wait, next.Sub(now))
		}
		timer.Reset(max(wait, 10*time.Millisecond))
	}
}
