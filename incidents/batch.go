package incidents

import (
	"context"
	"errors"
	"fmt"
)

// IngestBatch applies notifications in order, exactly as IngestAlerts one by
// one would, but reads each incident once and writes it once: during an alert
// storm hundreds of notifications land on the same incident, and writing it
// after each would make ingestion quadratic. All or nothing: on error nothing
// of the batch is written past what a replay tolerates, and the caller applies
// the whole batch again (every step is idempotent).
func (s *Service) IngestBatch(ctx context.Context, ns []Notification) error {
	uw := newUnitOfWork(s.store, s.opts.Observer != nil)
	batch := &Service{store: uw, tasks: uw, opts: s.opts}
	batch.opts.Observer = nil // told at flush, once stored
	for _, n := range ns {
		if _, err := batch.IngestAlerts(ctx, n); err != nil {
			return fmt.Errorf("group %s: %w", n.GroupKey, err)
		}
	}
	return uw.flush(ctx, s.tasks, s.observe)
}

// unitOfWork is a Store that keeps reads and writes in memory until flush.
// It writes in the order that keeps a crash replayable (see persist and
// openForGroup): events and tasks, then the storm state and groups, then
// new incidents, then changed ones.
//
// It hands out and keeps its cached incidents themselves, not copies: a
// storm incident holds thousands of alerts, and copying it twice per
// notification made a storm's ingestion quadratic. That is safe because the
// batch's changes run one at a time and a failed batch is thrown away and
// applied again from the store.
type unitOfWork struct {
	Store
	incidents  map[int64]*Incident // read or written in this batch
	loaded     map[int64]*Incident // as first read from the store, when observed
	observed   bool
	created    map[int64]bool
	changed    map[int64]bool
	version    map[int64]int64 // stored version when first read
	order      []int64
	events     []Event
	tasks      map[string]Task
	taskOrder  []string
	groups     map[string]Group
	groupKeys  []string
	storm      *StormState
	stormDirty bool
}

func newUnitOfWork(st Store, observed bool) *unitOfWork {
	return &unitOfWork{
		Store: st, incidents: map[int64]*Incident{}, loaded: map[int64]*Incident{}, observed: observed, created: map[int64]bool{}, changed: map[int64]bool{},
		version: map[int64]int64{}, tasks: map[string]Task{}, groups: map[string]Group{},
	}
}

func copyIncident(inc *Incident) *Incident {
	c := *inc
	c.Alerts = make(map[string]Alert, len(inc.Alerts))
	for k, v := range inc.Alerts {
		c.Alerts[k] = v
	}
	if inc.Roles != nil {
		c.Roles = make(map[string]string, len(inc.Roles))
		for k, v := range inc.Roles {
			c.Roles[k] = v
		}
	}
	c.Actions = append([]Action(nil), inc.Actions...)
	return &c
}

func (u *unitOfWork) remember(inc *Incident) {
	if _, ok := u.incidents[inc.Number]; !ok {
		u.order = append(u.order, inc.Number)
	}
	u.incidents[inc.Number] = inc
}

func (u *unitOfWork) GetIncident(ctx context.Context, number int64) (*Incident, error) {
	if inc, ok := u.incidents[number]; ok {
		return inc, nil
	}
	inc, err := u.Store.GetIncident(ctx, number)
	if err != nil {
		return nil, err
	}
	u.version[number] = inc.Version
	if u.observed {
		u.loaded[number] = copyIncident(inc)
	}
	u.remember(inc)
	return inc, nil
}

func (u *unitOfWork) CreateIncident(ctx context.Context, inc *Incident) error {
	if _, ok := u.incidents[inc.Number]; ok {
		return ErrExists
	}
	u.created[inc.Number] = true
	u.remember(inc)
	return nil
}

func (u *unitOfWork) UpdateIncident(ctx context.Context, inc *Incident) error {
	if _, ok := u.incidents[inc.Number]; !ok {
		return fmt.Errorf("update incident #%d not read in this batch: %w", inc.Number, ErrConflict)
	}
	inc.Version++
	u.changed[inc.Number] = !u.created[inc.Number]
	u.remember(inc)
	return nil
}

func (u *unitOfWork) AppendEvents(ctx context.Context, events ...Event) error {
	u.events = append(u.events, events...)
	return nil
}

func (u *unitOfWork) GetGroup(ctx context.Context, key string) (Group, error) {
	if g, ok := u.groups[key]; ok {
		return g, nil
	}
	return u.Store.GetGroup(ctx, key)
}

func (u *unitOfWork) PutGroup(ctx context.Context, g Group) error {
	if _, ok := u.groups[g.Key]; !ok {
		u.groupKeys = append(u.groupKeys, g.Key)
	}
	u.groups[g.Key] = g
	return nil
}

func (u *unitOfWork) GetStorm(ctx context.Context) (StormState, error) {
	if u.storm == nil {
		st, err := u.Store.GetStorm(ctx)
		if err != nil {
			return StormState{}, err
		}
		u.storm = &st
	}
	return StormState{Opened: append(u.storm.Opened[:0:0], u.storm.Opened...), Incident: u.storm.Incident}, nil
}

func (u *unitOfWork) PutStorm(ctx context.Context, st StormState) error {
	u.storm = &st
	u.stormDirty = true
	return nil
}

// Wake implements Tasks; the real tasks are woken at flush.
func (u *unitOfWork) Wake() {}

// Schedule implements Tasks; tasks are scheduled at flush.
func (u *unitOfWork) Schedule(ctx context.Context, t Task) error {
	if _, ok := u.tasks[t.Key]; !ok {
		u.taskOrder = append(u.taskOrder, t.Key)
	}
	u.tasks[t.Key] = t
	return nil
}

func (u *unitOfWork) flush(ctx context.Context, tasks Tasks, observe func(before, after *Incident)) error {
	if len(u.events) > 0 {
		if err := u.Store.AppendEvents(ctx, u.events...); err != nil {
			return fmt.Errorf("record timeline events: %w", err)
		}
	}
	for _, k := range u.taskOrder {
		if err := tasks.Schedule(ctx, u.tasks[k]); err != nil {
			return fmt.Errorf("schedule %s: %w", k, err)
		}
	}
	if u.stormDirty {
		if err := u.Store.PutStorm(ctx, *u.storm); err != nil {
			return fmt.Errorf("save storm state: %w", err)
		}
	}
	for _, k := range u.groupKeys {
		if err := u.Store.PutGroup(ctx, u.groups[k]); err != nil {
			return fmt.Errorf("record alert group: %w", err)
		}
	}
	for _, n := range u.order {
		if !u.created[n] {
			continue
		}
		inc := copyIncident(u.incidents[n])
		inc.Version = 0
		err := u.Store.CreateIncident(ctx, inc)
		if err != nil && !errors.Is(err, ErrExists) {
			return fmt.Errorf("create incident #%d: %w", n, err)
		}
		if err == nil {
			observe(nil, inc)
		}
	}
	for _, n := range u.order {
		if !u.changed[n] {
			continue
		}
		inc := copyIncident(u.incidents[n])
		inc.Version = u.version[n]
		if err := u.Store.UpdateIncident(ctx, inc); err != nil {
			return fmt.Errorf("update incident #%d: %w", n, err)
		}
		observe(u.loaded[n], inc)
	}
	if len(u.taskOrder) > 0 {
		tasks.Wake()
	}
	return nil
}
