package incidents

import (
	"context"
	"maps"
	"sort"
	"sync"
	"time"
)

// memStore is an in-memory Store for the domain tests.
type memStore struct {
	mu        sync.Mutex
	seq       int64
	incidents map[int64]Incident
	events    map[string]Event
	groups    map[string]Group
	alerts    map[int64]map[string]Alert
	chain     map[int64]int64  // last Seq per incident
	head      map[int64]string // last Hash per incident
	storm     StormState
	tasks     *memTasks // what commits scheduled
}

func newMemStore() *memStore {
	return &memStore{incidents: map[int64]Incident{}, events: map[string]Event{}, groups: map[string]Group{},
		alerts: map[int64]map[string]Alert{}, chain: map[int64]int64{}, head: map[int64]string{}, tasks: &memTasks{}}
}

// clone copies inc as a real store would return it: maps and slices not
// shared, nil ones kept nil, times in UTC.
func clone(inc Incident) *Incident {
	c := inc
	c.Alerts = nil
	if inc.Alerts != nil {
		c.Alerts = make(map[string]Alert, len(inc.Alerts))
		for k, v := range inc.Alerts {
			v.StartsAt, v.EndsAt = v.StartsAt.UTC(), v.EndsAt.UTC()
			c.Alerts[k] = v
		}
	}
	c.Roles = maps.Clone(inc.Roles)
	c.Labels = maps.Clone(inc.Labels)
	c.Actions = nil
	for _, a := range inc.Actions {
		a.At = a.At.UTC()
		if !a.Due.IsZero() {
			a.Due = a.Due.UTC()
		}
		if !a.DoneAt.IsZero() {
			a.DoneAt = a.DoneAt.UTC()
		}
		c.Actions = append(c.Actions, a)
	}
	for _, t := range []*time.Time{&c.DetectedAt, &c.DeclaredAt, &c.UpdatedAt, &c.StatusAt, &c.AlertsClearAt} {
		*t = t.UTC()
	}
	for _, t := range []**time.Time{&c.AcknowledgedAt, &c.MitigatedAt, &c.ResolvedAt} {
		if *t != nil {
			u := (**t).UTC()
			*t = &u
		}
	}
	return &c
}

func (m *memStore) LastNumber(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seq, nil
}

// Commit implements Store: checks first, then writes, under one lock.
func (m *memStore) Commit(_ context.Context, c *Change) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.Counter.To > c.Counter.From && m.seq != c.Counter.From {
		return ErrConflict
	}
	for _, inc := range c.Create {
		if _, ok := m.incidents[inc.Number]; ok {
			return ErrExists
		}
	}
	for _, inc := range c.Update {
		old, ok := m.incidents[inc.Number]
		if !ok {
			return ErrNotFound
		}
		if old.Version != inc.Version {
			return ErrConflict
		}
	}
	if c.Counter.To > c.Counter.From {
		m.seq = c.Counter.To
	}
	for _, inc := range c.Create {
		m.incidents[inc.Number] = *clone(*inc)
	}
	for _, inc := range c.Update {
		inc.Version++
		m.incidents[inc.Number] = *clone(*inc)
	}
	m.appendEvents(c.Events...)
	for _, a := range c.Alerts {
		if m.alerts[a.Incident] == nil {
			m.alerts[a.Incident] = map[string]Alert{}
		}
		al := a.Alert
		al.StartsAt, al.EndsAt = al.StartsAt.UTC(), al.EndsAt.UTC()
		m.alerts[a.Incident][al.Fingerprint] = al
	}
	for _, g := range c.Groups {
		m.groups[g.Key] = g
	}
	if c.Storm != nil {
		m.storm = StormState{Incident: c.Storm.Incident}
		for _, t := range c.Storm.Opened {
			m.storm.Opened = append(m.storm.Opened, t.UTC())
		}
	}
	for _, t := range c.Tasks {
		m.tasks.add(t)
	}
	return nil
}

func (m *memStore) appendEvents(evs ...Event) {
	for i := range evs {
		e := &evs[i]
		if _, ok := m.events[e.ID]; ok {
			continue
		}
		e.At = e.At.UTC()
		*e = Seal(e.Incident, ChainHead{Seq: m.chain[e.Incident], Hash: m.head[e.Incident]}, *e)[0]
		m.chain[e.Incident], m.head[e.Incident] = e.Seq, e.Hash
		m.events[e.ID] = *e
	}
}

// create, update and record write directly, for fixtures.
func (m *memStore) create(inc *Incident) error {
	return m.Commit(context.Background(), &Change{Create: []*Incident{inc}})
}

func (m *memStore) putGroup(g Group) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.groups[g.Key] = g
}

func (m *memStore) GetAlerts(_ context.Context, n int64, fps []string) (map[string]Alert, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]Alert{}
	for _, fp := range fps {
		if a, ok := m.alerts[n][fp]; ok {
			out[fp] = a
		}
	}
	return out, nil
}

func (m *memStore) TimelineChain(ctx context.Context, n int64) ([]Event, error) {
	evs, err := m.Timeline(ctx, n)
	sort.Slice(evs, func(i, j int) bool { return evs[i].Seq < evs[j].Seq })
	return evs, err
}

func (m *memStore) GetIncident(_ context.Context, n int64) (*Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	inc, ok := m.incidents[n]
	if !ok {
		return nil, ErrNotFound
	}
	return clone(inc), nil
}

func (m *memStore) ListIncidents(_ context.Context, o ListOptions) ([]*Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Incident
	for _, inc := range m.incidents {
		if !o.Match(&inc) {
			continue
		}
		out = append(out, clone(inc))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number > out[j].Number })
	if o.Limit > 0 && len(out) > o.Limit {
		out = out[:o.Limit]
	}
	return out, nil
}

func (m *memStore) Timeline(_ context.Context, n int64) ([]Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Event
	for _, e := range m.events {
		if e.Incident == n {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func (m *memStore) GetGroup(_ context.Context, key string) (Group, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.groups[key]
	if !ok {
		return Group{}, ErrNotFound
	}
	return g, nil
}

func (m *memStore) GetStorm(context.Context) (StormState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return StormState{Opened: append([]time.Time(nil), m.storm.Opened...), Incident: m.storm.Incident}, nil
}

// memTasks records scheduled tasks by key.
type memTasks struct {
	mu    sync.Mutex
	tasks map[string]Task
	woken int
}

func (t *memTasks) add(task Task) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tasks == nil {
		t.tasks = map[string]Task{}
	}
	t.tasks[task.Key] = task
}

func (t *memTasks) Wake() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.woken++
}

func (t *memTasks) ofKind(kind string) []Task {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Task
	for _, task := range t.tasks {
		if task.Kind == kind {
			out = append(out, task)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// clock is a fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (m *memStore) AlertsPage(_ context.Context, n int64, after string, limit int) ([]Alert, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	page, next := PageAlerts(m.alerts[n], after, limit)
	return page, next, nil
}

func (m *memStore) TimelinePage(ctx context.Context, n int64, from Cursor, limit int) ([]Event, Cursor, error) {
	all, err := m.Timeline(ctx, n)
	if err != nil {
		return nil, Cursor{}, err
	}
	page, next := PageTimeline(all, from, limit)
	return page, next, nil
}

func (m *memStore) CountOpen(context.Context) (map[string]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for _, inc := range m.incidents {
		if inc.Open() {
			out[inc.Severity]++
		}
	}
	return out, nil
}
