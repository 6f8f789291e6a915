// Package incidents holds the incident domain: the Incident, its lifecycle,
// its timeline, and the Service that applies alerts and commands to it.
// It depends on the standard library only; storage and Slack are behind the
// Store and Tasks interfaces declared here.
package incidents

import (
	"sort"
	"strings"
	"time"
)

// Status is where an incident is in its lifecycle.
type Status string

// The lifecycle: triggered → investigating → identified → monitoring → resolved,
// and resolved → reopened.
const (
	StatusTriggered     Status = "triggered"
	StatusInvestigating Status = "investigating"
	StatusIdentified    Status = "identified"
	StatusMonitoring    Status = "monitoring"
	StatusResolved      Status = "resolved"
	StatusReopened      Status = "reopened"
)

// Open reports whether the status is anything but resolved.
func (s Status) Open() bool { return s != StatusResolved }

// ParseStatus parses a status a user may set by hand.
func ParseStatus(s string) (Status, error) {
	switch st := Status(strings.ToLower(strings.TrimSpace(s))); st {
	case StatusInvestigating, StatusIdentified, StatusMonitoring, StatusResolved:
		return st, nil
	}
	return "", userErrorf(ErrInvalid, "unknown_status", map[string]any{"Status": s}, "unknown status %q (use investigating, identified, monitoring or resolved)", s)
}

// Alert is one Alertmanager alert as tracked on an incident, by fingerprint.
type Alert struct {
	Fingerprint  string            `json:"fingerprint"`
	Status       string            `json:"status"` // firing | resolved
	Labels       map[string]string `json:"labels,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"starts_at"`
	EndsAt       time.Time         `json:"ends_at,omitempty"`
	GeneratorURL string            `json:"generator_url,omitempty"`
	GroupKey     string            `json:"group_key,omitempty"`
}

// Firing reports whether the alert is firing.
func (a Alert) Firing() bool { return a.Status == AlertFiring }

// Alert statuses as Alertmanager sends them.
const (
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// Incident is one incident. Number is its identity and never repeats.
type Incident struct {
	Number      int64             `json:"number"`
	Version     int64             `json:"version"`
	Title       string            `json:"title"`
	Description string            `json:"description,omitempty"`
	Severity    string            `json:"severity"`
	Status      Status            `json:"status"`
	Commander   string            `json:"commander,omitempty"`
	Roles       map[string]string `json:"roles,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	// GroupLabels are the labels Alertmanager grouped the incident's alerts
	// by (the webhook's groupLabels): what a silence of the group matches.
	GroupLabels      map[string]string `json:"group_labels,omitempty"`
	Service          string            `json:"service,omitempty"`
	EscalationPolicy string            `json:"escalation_policy,omitempty"`
	GroupKey         string            `json:"group_key,omitempty"`
	// Alerts are the incident's alerts by fingerprint: all of them, or the
	// first MaxInlineAlerts when it has more (AlertCount says how many; the
	// store keeps every one, see Store.GetAlerts).
	Alerts map[string]Alert `json:"alerts,omitempty"`
	// AlertCount and FiringCount count every alert of the incident, and the
	// firing ones, including those beyond Alerts.
	AlertCount  int      `json:"alert_count,omitempty"`
	FiringCount int      `json:"firing_count,omitempty"`
	Storm       bool     `json:"storm,omitempty"`
	StormGroups int      `json:"storm_groups,omitempty"`
	Previous    int64    `json:"previous,omitempty"` // an earlier incident of the same group
	DeclaredBy  string   `json:"declared_by,omitempty"`
	Summary     string   `json:"summary,omitempty"` // resolution summary
	Actions     []Action `json:"actions,omitempty"`

	DetectedAt     time.Time  `json:"detected_at"`
	DeclaredAt     time.Time  `json:"declared_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	MitigatedAt    *time.Time `json:"mitigated_at,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	UpdatedAt      time.Time  `json:"updated_at"`
	// StatusAt is the last status update (declaration, status change, resolve, reopen);
	// status-update nudges count from it.
	StatusAt time.Time `json:"status_at,omitempty"`
	// AlertsClearAt is when the last firing alert resolved; zero while any fires.
	AlertsClearAt time.Time `json:"alerts_clear_at,omitempty"`

	// Reporting is the incident's regulatory reports with their deadlines
	// and states, filled in for display by whoever read the incident with
	// its timeline (internal/app); stores do not keep it: the timeline's
	// classified and report_submitted events are the record.
	Reporting []ReportClock `json:"-"`
	// Silences are the incident's Alertmanager silences still in force and
	// Maintenance the maintenance window it opened in (nil: none), filled in
	// for display like Reporting (from the timeline: Silences, HeldFor).
	Silences    []SilenceFact `json:"-"`
	Maintenance *HoldFact     `json:"-"`
}

// Action is a follow-up item. Its state is open until Done.
type Action struct {
	ID    int       `json:"id"`
	Text  string    `json:"text"`
	Owner string    `json:"owner,omitempty"`
	Done  bool      `json:"done,omitempty"`
	At    time.Time `json:"at"`
	// Due is the deadline (zero: none); the bot sets it to the end of the
	// day named, in the team's zone.
	Due time.Time `json:"due,omitempty"`
	// DoneAt is when it was last marked done; zero while open.
	DoneAt time.Time `json:"done_at,omitempty"`
}

// Action states, as State returns them.
const (
	actionOpen = "open"
	actionDone = "done"
)

// State is "open" or "done".
func (a Action) State() string {
	if a.Done {
		return actionDone
	}
	return actionOpen
}

// Overdue reports an open action whose deadline has passed at now.
func (a Action) Overdue(now time.Time) bool {
	return !a.Done && !a.Due.IsZero() && now.After(a.Due)
}

// Open reports whether the incident is not resolved.
func (i *Incident) Open() bool { return i.Status.Open() }

// MaxInlineAlerts bounds the alerts an incident carries in Alerts: a storm
// incident with 60,000 alerts is read and written at the cost of a small one.
const MaxInlineAlerts = 100

// AllAlertsInline reports whether Alerts holds every alert of the incident.
func (i *Incident) AllAlertsInline() bool { return i.AlertCount <= len(i.Alerts) }

// AnyFiring reports whether any alert of the incident is firing.
func (i *Incident) AnyFiring() bool {
	if !i.AllAlertsInline() {
		return i.FiringCount > 0
	}
	for _, a := range i.Alerts {
		if a.Firing() {
			return true
		}
	}
	return false
}

// CountAlerts sets AlertCount and FiringCount from Alerts when they were
// never counted (incidents stored before the counts existed).
func (i *Incident) CountAlerts() {
	if i.AlertCount != 0 || len(i.Alerts) == 0 {
		return
	}
	i.AlertCount, i.FiringCount = len(i.Alerts), 0
	for _, a := range i.Alerts {
		if a.Firing() {
			i.FiringCount++
		}
	}
}

// FiringAlerts returns the firing alerts sorted by fingerprint.
func (i *Incident) FiringAlerts() []Alert {
	var out []Alert
	for _, a := range i.SortedAlerts() {
		if a.Firing() {
			out = append(out, a)
		}
	}
	return out
}

// SortedAlerts returns every alert, oldest first.
func (i *Incident) SortedAlerts() []Alert {
	out := make([]Alert, 0, len(i.Alerts))
	for _, a := range i.Alerts {
		out = append(out, a)
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].StartsAt.Equal(out[b].StartsAt) {
			return out[a].StartsAt.Before(out[b].StartsAt)
		}
		return out[a].Fingerprint < out[b].Fingerprint
	})
	return out
}

// SetStatus moves the incident to a new status by hand, following the lifecycle rules.
func (i *Incident) SetStatus(to Status, now time.Time) error {
	switch to {
	case StatusInvestigating, StatusIdentified, StatusMonitoring, StatusResolved:
	default:
		return userErrorf(ErrTransition, "status_not_settable", map[string]any{"Status": string(to)}, "status cannot be set to %q", to)
	}
	if !i.Open() {
		return userErrorf(ErrTransition, "resolved_reopen_first", map[string]any{"Number": i.Number}, "incident #%d is resolved; reopen it first", i.Number)
	}
	if i.Status == to {
		return userErrorf(ErrTransition, "status_already", map[string]any{"Number": i.Number, "Status": string(to)}, "incident #%d is already %s", i.Number, to)
	}
	i.Status = to
	i.StatusAt = now
	switch to {
	case StatusMonitoring:
		i.mitigate(now)
	case StatusResolved:
		i.mitigate(now)
		t := now
		i.ResolvedAt = &t
	}
	if i.AcknowledgedAt == nil && to != StatusResolved {
		t := now
		i.AcknowledgedAt = &t
	}
	return nil
}

func (i *Incident) mitigate(now time.Time) {
	if i.MitigatedAt == nil {
		t := now
		i.MitigatedAt = &t
	}
}

// Acknowledge records the first acknowledgement; a triggered incident moves to investigating.
func (i *Incident) Acknowledge(now time.Time) error {
	if !i.Open() {
		return userErrorf(ErrTransition, "ack_resolved", map[string]any{"Number": i.Number}, "incident #%d is resolved", i.Number)
	}
	if i.AcknowledgedAt != nil {
		return userErrorf(ErrTransition, "already_acknowledged", map[string]any{"Number": i.Number}, "incident #%d was already acknowledged", i.Number)
	}
	t := now
	i.AcknowledgedAt = &t
	if i.Status == StatusTriggered {
		i.Status = StatusInvestigating
	}
	return nil
}

// LastStatusUpdate is when the status was last updated: StatusAt, or the
// declaration for incidents stored before StatusAt existed.
func (i *Incident) LastStatusUpdate() time.Time {
	if !i.StatusAt.IsZero() {
		return i.StatusAt
	}
	return i.DeclaredAt
}

// Reopen moves a resolved incident to reopened.
func (i *Incident) Reopen(now time.Time) error {
	if i.Open() {
		return userErrorf(ErrTransition, "not_resolved", map[string]any{"Number": i.Number}, "incident #%d is not resolved", i.Number)
	}
	i.Status = StatusReopened
	i.StatusAt = now
	i.ResolvedAt = nil
	i.AlertsClearAt = time.Time{}
	return nil
}
