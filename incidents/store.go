package incidents

import (
	"context"
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

// ListOptions filter ListIncidents. Zero values mean no filter.
type ListOptions struct {
	OpenOnly bool
	Since    time.Time // declared at or after
	Limit    int
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
