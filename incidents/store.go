package incidents

import (
	"context"
	"slices"
	"time"
)

// Store keeps incidents, their timelines and the alert-group index.
// Implementations map "no document" to ErrNotFound.
type Store interface {
	// NextNumber returns a new incident number from one atomic counter: 1, 2, 3, …, never repeated.
	NextNumber(ctx context.Context) (int64, error)
	// CreateIncident inserts a new incident; ErrExists if its number is taken.
	CreateIncident(ctx context.Context, inc *Incident) error
	// GetIncident returns one incident by number.
	GetIncident(ctx context.Context, number int64) (*Incident, error)
	// UpdateIncident stores inc only if the stored version still equals inc.Version
	// (else ErrConflict), and then increments inc.Version.
	UpdateIncident(ctx context.Context, inc *Incident) error
	// ListIncidents returns incidents, newest first.
	ListIncidents(ctx context.Context, opts ListOptions) ([]*Incident, error)

	// AppendEvents adds timeline events; an event whose ID is already stored is skipped.
	AppendEvents(ctx context.Context, events ...Event) error
	// Timeline returns an incident's events, oldest first.
	Timeline(ctx context.Context, number int64) ([]Event, error)

	// GetGroup returns the latest incident of an Alertmanager group; ErrNotFound if none.
	GetGroup(ctx context.Context, groupKey string) (Group, error)
	// PutGroup records the latest incident of a group (upsert by key).
	PutGroup(ctx context.Context, g Group) error

	// GetStorm and PutStorm keep the storm guard's state (zero value if never stored).
	GetStorm(ctx context.Context) (StormState, error)
	PutStorm(ctx context.Context, s StormState) error
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

// Task is delayed or retried work the service asks for (auto-resolve, Slack updates).
// Key makes scheduling idempotent: a key that is pending is not added twice.
type Task struct {
	Key      string
	Kind     string
	Incident int64
	RunAt    time.Time
}

// Task kinds.
const (
	TaskAutoResolve = "incident.autoresolve"
	TaskSync        = "incident.sync"   // make Slack reflect the incident (channel, summary)
	TaskOpened      = "incident.opened" // what follows a new incident: likely causes, paging
)

// Tasks schedules durable work. Tasks are scheduled before the change they
// follow is stored (so a crash cannot lose them); Wake is called once the
// change is stored, to start them without waiting for a poll.
type Tasks interface {
	Schedule(ctx context.Context, t Task) error
	Wake()
}
