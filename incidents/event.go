package incidents

import "time"

// EventType names what happened on the timeline.
type EventType string

// Timeline event types.
const (
	EventDeclared          EventType = "declared"
	EventAlertFired        EventType = "alert_fired"
	EventAlertResolved     EventType = "alert_resolved"
	EventStatusChanged     EventType = "status_changed"
	EventSeverityChanged   EventType = "severity_changed"
	EventRoleAssigned      EventType = "role_assigned"
	EventNote              EventType = "note"
	EventAction            EventType = "action"
	EventPaged             EventType = "paged"
	EventAcknowledged      EventType = "acknowledged"
	EventMessagePinned     EventType = "message_pinned"
	EventPostmortemWritten EventType = "postmortem_written"
	EventResolved          EventType = "resolved"
	EventReopened          EventType = "reopened"
	EventStormGroup        EventType = "storm_group"  // a group attached to an alert-storm incident
	EventCauseLinked       EventType = "cause_linked" // the deployment that caused the incident
	EventSlack             EventType = "slack"        // what the bot did in Slack
)

// Event is one entry on an incident's timeline. ID makes appends idempotent:
// the same fact recorded twice keeps one event.
type Event struct {
	ID       string            `json:"id"`
	Incident int64             `json:"incident"`
	Type     EventType         `json:"type"`
	At       time.Time         `json:"at"`
	Actor    string            `json:"actor,omitempty"` // Slack user ID, "alertmanager" or "incidentbot"
	Text     string            `json:"text"`
	Fields   map[string]string `json:"fields,omitempty"`
	// Seq is the event's place in its incident's chain (1, 2, 3, … in the
	// order the store wrote them) and Hash the chain's hash up to and
	// including it (see ChainHash); the store sets both when it appends.
	Seq  int64  `json:"seq,omitempty"`
	Hash string `json:"hash,omitempty"`
}

// Actors that are not people.
const (
	ActorAlertmanager = "alertmanager"
	ActorBot          = "incidentbot"
)
