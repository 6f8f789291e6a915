package incidents

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// IngestBatch applies notifications in order, exactly as IngestAlerts one by
// one would, but reads each incident once and commits once: during an alert
// storm hundreds of notifications land on the same incident, and writing it
// after each would make ingestion quadratic. All or nothing: on error nothing
// of the batch is written, and the caller applies the whole batch again.
func (s *Service) IngestBatch(ctx context.Context, ns []Notification) error {
	return s.inTx(ctx, func(tx *unitOfWork) error {
		for _, n := range ns {
			if _, err := s.ingest(ctx, tx, n); err != nil {
				return fmt.Errorf("group %s: %w", n.GroupKey, err)
			}
		}
		return nil
	})
}

// inTx runs fn on a fresh unit of work and commits what it wrote as one
// Change. A conflict (the counter or an incident changed since fn read it)
// runs fn again on fresh reads; fn must derive everything from what it reads.
func (s *Service) inTx(ctx context.Context, fn func(tx *unitOfWork) error) error {
	for range maxConflictRetries {
		tx := newUnitOfWork(s.store, s.opts.Observer != nil)
		if err := fn(tx); err != nil {
			return err
		}
		err := tx.commit(ctx, s)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return err
		}
		tx.observe(s.observe)
		if len(tx.change.Tasks) > 0 && s.waker != nil {
			s.waker.Wake()
		}
		return nil
	}
	return fmt.Errorf("%w too often, try again", ErrConflict)
}

// unitOfWork reads through to the store, remembers what it read, and keeps
// every write in memory until commit, which stores them as one Change.
//
// It hands out its cached incidents themselves, not copies: a batch's
// changes run one at a time, and a failed batch is thrown away.
type unitOfWork struct {
	st       unitStore
	observed bool

	incidents map[int64]*Incident // read or written in this unit
	loaded    map[int64]*Incident // as first read, when observed
	created   map[int64]bool
	changed   map[int64]bool
	version   map[int64]int64 // stored version when first read
	order     []int64

	counterRead bool
	counter     Counter

	alerts     map[int64]map[string]Alert // written in this unit
	groups     map[string]Group
	groupKeys  []string
	storm      *StormState
	stormDirty bool
	stormJoins map[int64]*stormJoin

	change Change // events and tasks as they come; the rest at commit
	tasks  map[string]int
}

// unitStore is all of the Store a unit of work may use: the reads it
// caches (a second read of the same thing comes from the unit, so a batch
// sees its own writes) and the one Commit. It is not the whole Store on
// purpose: a store call added to the unit later does not compile until it
// is added here, with a cache, instead of silently reading around the
// batch's writes.
type unitStore interface {
	LastNumber(ctx context.Context) (int64, error)
	GetIncident(ctx context.Context, number int64) (*Incident, error)
	GetGroup(ctx context.Context, groupKey string) (Group, error)
	GetStorm(ctx context.Context) (StormState, error)
	GetAlerts(ctx context.Context, number int64, fingerprints []string) (map[string]Alert, error)
	Commit(ctx context.Context, c *Change) error
}

func newUnitOfWork(st unitStore, observed bool) *unitOfWork {
	return &unitOfWork{
		st: st, observed: observed, incidents: map[int64]*Incident{}, loaded: map[int64]*Incident{},
		created: map[int64]bool{}, changed: map[int64]bool{}, version: map[int64]int64{},
		alerts: map[int64]map[string]Alert{}, groups: map[string]Group{}, stormJoins: map[int64]*stormJoin{},
		tasks: map[string]int{},
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

// get returns the incident as this unit sees it.
func (u *unitOfWork) get(ctx context.Context, number int64) (*Incident, error) {
	if inc, ok := u.incidents[number]; ok {
		return inc, nil
	}
	inc, err := u.st.GetIncident(ctx, number)
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

// nextNumber hands out the next incident number; commit moves the counter.
func (u *unitOfWork) nextNumber(ctx context.Context) (int64, error) {
	if !u.counterRead {
		last, err := u.st.LastNumber(ctx)
		if err != nil {
			return 0, err
		}
		u.counter, u.counterRead = Counter{From: last, To: last}, true
	}
	u.counter.To++
	return u.counter.To, nil
}

// create adds a new incident with its first events and tasks.
func (u *unitOfWork) create(inc *Incident, events []Event, tasks []Task) error {
	if _, ok := u.incidents[inc.Number]; ok {
		return fmt.Errorf("create incident #%d: %w", inc.Number, ErrExists)
	}
	u.created[inc.Number] = true
	u.remember(inc)
	u.addEvents(events)
	u.schedule(tasks...)
	return nil
}

// update records that inc (read through get) changed.
func (u *unitOfWork) update(inc *Incident, events []Event, tasks []Task) {
	inc.Version++
	u.changed[inc.Number] = !u.created[inc.Number]
	u.remember(inc)
	u.addEvents(events)
	u.schedule(tasks...)
}

func (u *unitOfWork) addEvents(events []Event) {
	u.change.Events = append(u.change.Events, events...)
}

func (u *unitOfWork) schedule(tasks ...Task) {
	for _, t := range tasks {
		if i, ok := u.tasks[t.Key]; ok {
			u.change.Tasks[i] = t
			continue
		}
		u.tasks[t.Key] = len(u.change.Tasks)
		u.change.Tasks = append(u.change.Tasks, t)
	}
}

// getAlerts returns the stored alerts of incident number among fps, as this
// unit sees them.
func (u *unitOfWork) getAlerts(ctx context.Context, number int64, fps []string) (map[string]Alert, error) {
	pending := u.alerts[number]
	var ask []string
	for _, fp := range fps {
		if _, ok := pending[fp]; !ok {
			ask = append(ask, fp)
		}
	}
	out := map[string]Alert{}
	if len(ask) > 0 {
		stored, err := u.st.GetAlerts(ctx, number, ask)
		if err != nil {
			return nil, fmt.Errorf("load alerts of incident #%d: %w", number, err)
		}
		out = stored
	}
	for _, fp := range fps {
		if a, ok := pending[fp]; ok {
			out[fp] = a
		}
	}
	return out, nil
}

func (u *unitOfWork) putAlert(number int64, a Alert) {
	m := u.alerts[number]
	if m == nil {
		m = map[string]Alert{}
		u.alerts[number] = m
	}
	m[a.Fingerprint] = a
}

func (u *unitOfWork) getGroup(ctx context.Context, key string) (Group, error) {
	if g, ok := u.groups[key]; ok {
		return g, nil
	}
	return u.st.GetGroup(ctx, key)
}

func (u *unitOfWork) putGroup(g Group) {
	if _, ok := u.groups[g.Key]; !ok {
		u.groupKeys = append(u.groupKeys, g.Key)
	}
	u.groups[g.Key] = g
}

func (u *unitOfWork) getStorm(ctx context.Context) (StormState, error) {
	if u.storm == nil {
		st, err := u.st.GetStorm(ctx)
		if err != nil {
			return StormState{}, err
		}
		u.storm = &st
	}
	return StormState{Opened: slices.Clone(u.storm.Opened), Incident: u.storm.Incident}, nil
}

func (u *unitOfWork) putStorm(st StormState) {
	u.storm = &st
	u.stormDirty = true
}

// stormJoin collects the groups that joined a storm incident in this unit,
// for the one timeline event that summarises them.
type stormJoin struct {
	first  string // the first group's key: the event's identity
	groups int
	alerts int
	titles []string
}

// maxStormTitles bounds the titles a storm-join event names.
const maxStormTitles = 5

func (u *unitOfWork) joinStorm(number int64, n Notification, alerts int) {
	j := u.stormJoins[number]
	if j == nil {
		j = &stormJoin{first: n.GroupKey}
		u.stormJoins[number] = j
	}
	j.groups++
	j.alerts += alerts
	if len(j.titles) < maxStormTitles && n.Title != "" && !slices.Contains(j.titles, n.Title) {
		j.titles = append(j.titles, n.Title)
	}
}

// commit stores the unit's writes as one Change.
func (u *unitOfWork) commit(ctx context.Context, s *Service) error {
	c := &u.change
	c.At = s.now()
	if u.counterRead && u.counter.To > u.counter.From {
		c.Counter = u.counter
	}
	for number, j := range u.stormJoins {
		c.Events = append(c.Events, s.stormJoinEvent(number, j))
	}
	for _, number := range append([]int64{NoIncident}, u.order...) {
		for _, fp := range sortedAlertKeys(u.alerts[number]) {
			c.Alerts = append(c.Alerts, IncidentAlert{Incident: number, Alert: u.alerts[number][fp]})
		}
	}
	for _, k := range u.groupKeys {
		c.Groups = append(c.Groups, u.groups[k])
	}
	if u.stormDirty {
		c.Storm = u.storm
	}
	for _, n := range u.order {
		inc := u.incidents[n]
		switch {
		case u.created[n]:
			inc.Version = 0
			c.Create = append(c.Create, inc)
		case u.changed[n]:
			inc.Version = u.version[n]
			c.Update = append(c.Update, inc)
		}
	}
	if len(c.Create)+len(c.Update)+len(c.Events)+len(c.Alerts)+len(c.Groups)+len(c.Tasks) == 0 && c.Storm == nil && c.Counter == (Counter{}) {
		return nil
	}
	if err := u.st.Commit(ctx, c); err != nil {
		if errors.Is(err, ErrConflict) {
			return err
		}
		return fmt.Errorf("store the change: %w", err)
	}
	return nil
}

// observe tells the observer of every created and changed incident.
func (u *unitOfWork) observe(tell func(before, after *Incident)) {
	for _, n := range u.order {
		switch {
		case u.created[n]:
			tell(nil, u.incidents[n])
		case u.changed[n]:
			tell(u.loaded[n], u.incidents[n])
		}
	}
}

// stormJoinEvent summarises the groups that joined a storm incident in one
// unit: one event per batch instead of one per group and alert, so a flood
// of 60,000 groups leaves a timeline people can read.
func (s *Service) stormJoinEvent(number int64, j *stormJoin) Event {
	titles := strings.Join(j.titles, "; ")
	text := fmt.Sprintf("%d alert groups joined the storm (%d alerts): %s", j.groups, j.alerts, titles)
	if j.groups > len(j.titles) {
		text += fmt.Sprintf(" and %d more", j.groups-len(j.titles))
	}
	return Event{
		ID: fmt.Sprintf("%d:storm_joined:%s", number, hashKey(j.first)), Incident: number, Type: EventStormGroup,
		At: s.now(), Actor: ActorAlertmanager, Text: text,
		Fields: map[string]string{"groups": fmt.Sprint(j.groups), "alerts": fmt.Sprint(j.alerts), "titles": titles, "group_key": j.first},
	}
}

func sortedAlertKeys(m map[string]Alert) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
