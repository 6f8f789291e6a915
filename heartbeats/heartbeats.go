// Package heartbeats is the dead man's switch: each configured heartbeat
// expects a beat at least every Every, from an alert that is always firing
// (kube-prometheus' Watchdog) or from POST /heartbeat/<name> (cron jobs,
// backups). One that stops opens an incident and pages; its return resolves
// it. Beats are stored, so a restart keeps them.
package heartbeats

import (
	"context"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/labels"
)

// Heartbeat is one configured heartbeat.
type Heartbeat struct {
	Name string
	// Every is the longest expected gap between beats.
	Every time.Duration
	// EscalationPolicy pages when it stops; Severity is its incident's
	// (empty: the most severe configured).
	EscalationPolicy string
	Severity         string
	// Matchers select the alerts whose firing notifications are beats;
	// empty: only POST /heartbeat/<name> beats.
	Matchers labels.Matchers
}

// FromAlerts reports whether alerts beat it.
func (h Heartbeat) FromAlerts() bool { return len(h.Matchers) > 0 }

// Alert names the alert that beats it, for people ("Watchdog"): the
// alertname its matchers ask for, or its matchers.
func (h Heartbeat) Alert() string {
	for _, m := range h.Matchers {
		if m.Name == "alertname" && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	if len(h.Matchers) == 0 {
		return ""
	}
	return h.Matchers.String()
}

// Record is what the store keeps of a heartbeat.
type Record struct {
	Name string
	// Last is the latest beat (zero: none yet); Armed is when the
	// heartbeat was first watched, which a missing first beat counts from.
	Last, Armed time.Time
	// Incident is the open incident of its silence (0: none).
	Incident int64
}

// Since is what the silence counts from: the last beat, or when watching began.
func (r Record) Since() time.Time {
	if !r.Last.IsZero() {
		return r.Last
	}
	return r.Armed
}

// Store keeps the records, so beats outlive a restart.
type Store interface {
	// Beat records a beat of name at at (the stored Last is the latest of
	// all beats, Armed the earliest time it holds) and returns the record.
	Beat(ctx context.Context, name string, at time.Time) (Record, error)
	// ArmHeartbeat stores a record of name armed at at unless one exists,
	// and returns the stored record.
	ArmHeartbeat(ctx context.Context, name string, at time.Time) (Record, error)
	// SetHeartbeatIncident sets the record's open incident (0: none);
	// ErrNotFound when there is no record.
	SetHeartbeatIncident(ctx context.Context, name string, incident int64) error
	// Heartbeats returns every record, by name.
	Heartbeats(ctx context.Context) ([]Record, error)
}

// ErrNotFound is a Store's answer for a name it holds no record of; it is
// incidents.ErrNotFound.
var ErrNotFound = incidents.ErrNotFound

// State is where a heartbeat stands.
type State string

// Heartbeat states.
const (
	StateOK      State = "ok"      // beat within Every
	StateMissing State = "missing" // no beat for longer than Every
	StateWaiting State = "waiting" // not watched yet (no record)
)

// Evaluate says where h stands at now from its record (ok false: none).
func Evaluate(h Heartbeat, r Record, ok bool, now time.Time) State {
	if !ok || r.Since().IsZero() {
		return StateWaiting
	}
	if now.Sub(r.Since()) > h.Every {
		return StateMissing
	}
	return StateOK
}

// Overdue is when h, last heard of at since, went missing.
func Overdue(h Heartbeat, since time.Time) time.Time { return since.Add(h.Every) }

// GroupKey is the alert group of a heartbeat's incidents.
func GroupKey(name string) string { return "heartbeat/" + name }

// Beats returns the heartbeats among hs that the labels of a firing alert beat.
func Beats(hs []Heartbeat, labels map[string]string) []Heartbeat {
	var out []Heartbeat
	for _, h := range hs {
		if h.FromAlerts() && h.Matchers.Matches(labels) {
			out = append(out, h)
		}
	}
	return out
}
