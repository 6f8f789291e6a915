package incidents

import (
	"context"
	"maps"
	"slices"
	"sort"
	"time"
)

// Store keeps incidents, their timelines, their alerts and the alert-group
// index. Implementations map "no document" to ErrNotFound. Reads are
// separate calls; every write is one Commit, so a change is stored whole or
// not at all.
type Store interface {
	// LastNumber returns the incident counter: the highest number handed
	// out so far (0 before the first). Numbers are allocated by a Change's
	// Counter, so they are 1, 2, 3, … and never repeat or skip.
	LastNumber(ctx context.Context) (int64, error)
	// GetIncident returns one incident by number.
	GetIncident(ctx context.Context, number int64) (*Incident, error)
	// ListIncidents returns incidents, newest first.
	ListIncidents(ctx context.Context, opts ListOptions) ([]*Incident, error)
	// Timeline returns an incident's events, oldest first (by At, then ID).
	Timeline(ctx context.Context, number int64) ([]Event, error)
	// TimelineChain returns an incident's events in chain order (Seq 1, 2,
	// 3, …), each with its Seq and Hash as stored: what verify reads.
	TimelineChain(ctx context.Context, number int64) ([]Event, error)
	// GetGroup returns the latest incident of an Alertmanager group; ErrNotFound if none.
	GetGroup(ctx context.Context, groupKey string) (Group, error)
	// GetStorm returns the storm guard's state (the zero value if never stored).
	GetStorm(ctx context.Context) (StormState, error)
	// GetAlerts returns the stored alerts of an incident among fingerprints,
	// by fingerprint; fingerprints not stored are absent. Number NoIncident
	// holds resolutions that arrived before any firing of their group.
	GetAlerts(ctx context.Context, number int64, fingerprints []string) (map[string]Alert, error)
	// AlertsPage returns up to limit stored alerts of an incident in
	// fingerprint order, those after the fingerprint after ("" from the
	// first), and next: the fingerprint to pass as after for the next page,
	// "" when there is none. Fingerprint order is the stores' primary key
	// (one range read, no index of its own) and does not change as alerts
	// resolve or fire again, so paging neither skips nor repeats one.
	AlertsPage(ctx context.Context, number int64, after string, limit int) (alerts []Alert, next string, err error)
	// TimelinePage returns up to limit events of an incident's timeline,
	// oldest first (by At, then ID, as Timeline), from the cursor on: the
	// events after it, or with from.Back the limit events just before it.
	// next continues in the same direction: it is the zero Cursor when no
	// event is left that way. A read of the (incident, at, id) index.
	TimelinePage(ctx context.Context, number int64, from Cursor, limit int) (events []Event, next Cursor, err error)
	// CountOpen counts the incidents not resolved, by severity: one indexed
	// count, whatever else is stored.
	CountOpen(ctx context.Context) (map[string]int, error)
	// Commit stores c atomically: everything or nothing. It returns
	// ErrConflict (and writes nothing) when the counter is no longer
	// c.Counter.From or an updated incident's stored version is no longer the
	// one it was read at; ErrExists likewise when a created number is taken.
	// On success each updated incident's Version is incremented and each
	// new event's Seq and Hash are set (events whose ID is stored already
	// are skipped).
	Commit(ctx context.Context, c *Change) error
}

// Cursor is a place in a timeline, between two events: just after the
// event (At, ID), or with Back just before it. The zero Cursor is the
// timeline's start; Cursor{Back: true} is its end.
type Cursor struct {
	At   time.Time
	ID   string
	Back bool
}

// IsZero reports whether c is a start or an end rather than a place
// beside an event.
func (c Cursor) IsZero() bool { return c.At.IsZero() && c.ID == "" }

// precedes reports whether event e comes before the event c is beside,
// in timeline order (At, then ID).
func (c Cursor) precedes(e Event) bool {
	if !e.At.Equal(c.At) {
		return e.At.Before(c.At)
	}
	return e.ID < c.ID
}

// follows reports whether event e comes after the event c is beside.
func (c Cursor) follows(e Event) bool {
	if !e.At.Equal(c.At) {
		return e.At.After(c.At)
	}
	return e.ID > c.ID
}

// PageTimeline is TimelinePage over a whole timeline in memory (oldest
// first): the contract the stores' indexed reads keep, and what in-memory
// fakes use.
func PageTimeline(timeline []Event, from Cursor, limit int) ([]Event, Cursor) {
	if limit <= 0 {
		return []Event{}, Cursor{}
	}
	if !from.Back {
		i := 0
		if !from.IsZero() {
			i = sort.Search(len(timeline), func(i int) bool { return from.follows(timeline[i]) })
		}
		end := min(i+limit, len(timeline))
		page := slices.Clone(timeline[i:end])
		if end == len(timeline) {
			return page, Cursor{}
		}
		last := page[len(page)-1]
		return page, Cursor{At: last.At, ID: last.ID}
	}
	j := len(timeline)
	if !from.IsZero() {
		j = sort.Search(len(timeline), func(i int) bool { return !from.precedes(timeline[i]) })
	}
	start := max(j-limit, 0)
	page := slices.Clone(timeline[start:j])
	if start == 0 {
		return page, Cursor{}
	}
	return page, Cursor{At: page[0].At, ID: page[0].ID, Back: true}
}

// PageAlerts is AlertsPage over an incident's alerts in memory.
func PageAlerts(alerts map[string]Alert, after string, limit int) ([]Alert, string) {
	fps := slices.Sorted(maps.Keys(alerts))
	i, _ := slices.BinarySearch(fps, after)
	if i < len(fps) && fps[i] == after {
		i++
	}
	out := []Alert{}
	for _, fp := range fps[i:min(i+max(limit, 0), len(fps))] {
		out = append(out, alerts[fp])
	}
	if limit <= 0 || i+limit >= len(fps) {
		return out, ""
	}
	return out, out[len(out)-1].Fingerprint
}

// Change is everything one step of the service writes: committed together,
// so a crash leaves all of it or none, and no job starts before its incident
// exists.
type Change struct {
	// At is when the change was made; new jobs record it as their creation.
	At time.Time
	// Counter, when To > From, moves the incident counter from From to To:
	// the numbers From+1..To were handed out by this change.
	Counter Counter
	// Create are new incidents (their Version is 0).
	Create []*Incident
	// Update are changed incidents, each with the Version it was read at.
	Update []*Incident
	// Events are appended to their incidents' timelines, in order.
	Events []Event
	// Alerts are stored or replaced, by incident and fingerprint.
	Alerts []IncidentAlert
	// Groups are recorded (upsert by key).
	Groups []Group
	// Storm, when set, replaces the storm guard's state.
	Storm *StormState
	// Tasks are scheduled as durable jobs (see Task).
	Tasks []Task
}

// Counter is a move of the incident counter.
type Counter struct{ From, To int64 }

// NoIncident is the incident number under which the alerts of a
// notification that opened no incident are kept: resolutions that arrived
// before their firings (an HA pair's slower peer delivers the firing late).
// An incident opened for those firings later records them resolved.
const NoIncident int64 = 0

// IncidentAlert is an alert as stored with its incident (or NoIncident).
type IncidentAlert struct {
	Incident int64
	Alert    Alert
}

// ListOptions filter ListIncidents. Zero values mean no filter; filters
// combine with AND. Every store answers each filter from an index, so a
// filter finds old incidents as fast as new ones: read "the incidents with
// open follow-ups" with OpenActions, not by reading the newest N.
type ListOptions struct {
	OpenOnly     bool      // not resolved
	ResolvedOnly bool      // resolved (with OpenOnly: none)
	Since        time.Time // declared at or after
	// Before keeps incidents numbered below it: the next page of a
	// newest-first list, or "earlier than" an incident.
	Before int64
	// OpenActions keeps incidents with at least one follow-up not done.
	OpenActions bool
	// GroupKey keeps the incidents of this Alertmanager group.
	GroupKey string
	// AlertName keeps incidents one of whose AlertNames is this.
	AlertName string
	// Severity keeps incidents of this severity (exactly).
	Severity string
	// Service keeps incidents whose ServiceName is this.
	Service string
	// Limit is the most incidents returned, the newest first; 0 is no limit.
	Limit int
}

// Match reports whether inc passes every filter of o (Limit aside): the
// contract the stores' indexed queries keep, and what in-memory fakes use.
func (o ListOptions) Match(inc *Incident) bool {
	switch {
	case o.OpenOnly && !inc.Open(),
		o.ResolvedOnly && inc.Open(),
		!o.Since.IsZero() && inc.DeclaredAt.Before(o.Since),
		o.Before != 0 && inc.Number >= o.Before,
		o.OpenActions && !inc.HasOpenActions(),
		o.GroupKey != "" && inc.GroupKey != o.GroupKey,
		o.AlertName != "" && !slices.Contains(inc.AlertNames(), o.AlertName),
		o.Severity != "" && inc.Severity != o.Severity,
		o.Service != "" && inc.ServiceName() != o.Service:
		return false
	}
	return true
}

// HasOpenActions reports whether any follow-up of the incident is not done.
func (i *Incident) HasOpenActions() bool {
	for _, a := range i.Actions {
		if !a.Done {
			return true
		}
	}
	return false
}

// ServiceName is the incident's service, else its "service" label.
func (i *Incident) ServiceName() string {
	if i.Service != "" {
		return i.Service
	}
	return i.Labels["service"]
}

// Group links an Alertmanager groupKey to the latest incident it opened or joined.
type Group struct {
	Key      string `json:"key"`
	Incident int64  `json:"incident"`
}

// StormState remembers recent incident openings and the open storm incident.
type StormState struct {
	Opened   []time.Time `json:"opened"`
	Incident int64       `json:"incident,omitempty"`
}

// Task is delayed or retried work the service asks for (auto-resolve, Slack
// updates), stored as a durable job with its change. Key makes scheduling
// idempotent: a key that is pending is not added twice (a pending timer moves
// earlier, a running job runs once more). The job's payload is the incident
// number.
type Task struct {
	Key      string
	Kind     string
	Incident int64
	RunAt    time.Time
	// Priority orders due work: lower runs first (see priorityPage).
	Priority int
}

// Task priorities, on the job queue's scale: lower runs first. What wakes
// a person goes first, then the work of more severe incidents.
const (
	priorityPage     = -20 // pages and acknowledgements
	prioritySeverity = -10 // plus the severity's rank: sev1 -10, sev2 -9, …
)

// Task kinds.
const (
	TaskAutoResolve = "incident.autoresolve"
	TaskSync        = "incident.sync"   // make Slack reflect the incident (channel, summary)
	TaskOpened      = "incident.opened" // what follows a new incident: likely causes, paging
	TaskPagesClose  = "page.close"      // an acknowledged or resolved incident's pages close
)

// Waker is told when a committed change scheduled tasks, to start them
// without waiting for a poll.
type Waker interface {
	Wake()
}
