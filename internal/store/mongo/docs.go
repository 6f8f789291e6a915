package mongo

import (
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// The store's own documents: the domain types carry no bson tags, so the
// stored field names are decided here and nowhere else.

// incidentDoc is an incidents document; _id is the incident number.
type incidentDoc struct {
	Number           int64               `bson:"_id"`
	Version          int64               `bson:"version"`
	Title            string              `bson:"title"`
	Description      string              `bson:"description,omitempty"`
	Severity         string              `bson:"severity"`
	Status           string              `bson:"status"`
	Commander        string              `bson:"commander,omitempty"`
	Roles            map[string]string   `bson:"roles,omitempty"`
	Labels           map[string]string   `bson:"labels,omitempty"`
	GroupLabels      map[string]string   `bson:"group_labels,omitempty"`
	Service          string              `bson:"service,omitempty"`
	EscalationPolicy string              `bson:"escalation_policy,omitempty"`
	GroupKey         string              `bson:"group_key,omitempty"`
	Alerts           map[string]alertDoc `bson:"alerts,omitempty"` // by fingerprint (hex: no escaping needed)
	AlertCount       int                 `bson:"alert_count,omitempty"`
	FiringCount      int                 `bson:"firing_count,omitempty"`
	Storm            bool                `bson:"storm,omitempty"`
	StormGroups      int                 `bson:"storm_groups,omitempty"`
	Previous         int64               `bson:"previous,omitempty"`
	DeclaredBy       string              `bson:"declared_by,omitempty"`
	Summary          string              `bson:"summary,omitempty"`
	Actions          []actionDoc         `bson:"actions,omitempty"`
	DetectedAt       time.Time           `bson:"detected_at"`
	DeclaredAt       time.Time           `bson:"declared_at"`
	AcknowledgedAt   *time.Time          `bson:"acknowledged_at,omitempty"`
	MitigatedAt      *time.Time          `bson:"mitigated_at,omitempty"`
	ResolvedAt       *time.Time          `bson:"resolved_at,omitempty"`
	UpdatedAt        time.Time           `bson:"updated_at"`
	StatusAt         time.Time           `bson:"status_at,omitempty"`
	AlertsClearAt    time.Time           `bson:"alerts_clear_at,omitempty"`

	// Derived from the fields above for the ListOptions filters' indexes
	// (alerts is a map by fingerprint, so its alert names cannot be indexed
	// in place); written with every insert and replacement, never read back.
	AlertNames  []string `bson:"alert_names,omitempty"`  // Incident.AlertNames
	OpenActions bool     `bson:"open_actions,omitempty"` // Incident.HasOpenActions
	ServiceName string   `bson:"service_name,omitempty"` // Incident.ServiceName
	// Derived is the version of the derived fields' rules the document was
	// written with (derivedVersion); Open fills in documents with another.
	Derived int `bson:"derived"`
}

// derivedVersion is the version of incidentDoc's derived fields. Raise it
// when their rules change: Open rewrites the derived fields of every
// incident written with another.
const derivedVersion = 1

type alertDoc struct {
	Fingerprint  string            `bson:"fingerprint"`
	Status       string            `bson:"status"`
	Labels       map[string]string `bson:"labels,omitempty"`
	Annotations  map[string]string `bson:"annotations,omitempty"`
	StartsAt     time.Time         `bson:"starts_at"`
	EndsAt       time.Time         `bson:"ends_at,omitempty"`
	GeneratorURL string            `bson:"generator_url,omitempty"`
	GroupKey     string            `bson:"group_key,omitempty"`
}

type actionDoc struct {
	ID    int       `bson:"id"`
	Text  string    `bson:"text"`
	Owner string    `bson:"owner,omitempty"`
	Done  bool      `bson:"done,omitempty"`
	At    time.Time `bson:"at"`
	// Due and DoneAt of follow-ups (issue 9).
	Due    time.Time `bson:"due,omitempty"`
	DoneAt time.Time `bson:"done_at,omitempty"`
}

// eventDoc is an events document; _id is the event's idempotency ID.
type eventDoc struct {
	ID       string            `bson:"_id"`
	Incident int64             `bson:"incident"`
	Type     string            `bson:"type"`
	At       time.Time         `bson:"at"`
	Actor    string            `bson:"actor,omitempty"`
	Text     string            `bson:"text"`
	Fields   map[string]string `bson:"fields,omitempty"`
	Seq      int64             `bson:"seq"`
	Hash     string            `bson:"hash"`
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func incidentDocOf(inc *incidents.Incident) incidentDoc {
	d := incidentDoc{
		Number: inc.Number, Version: inc.Version, Title: inc.Title, Description: inc.Description,
		Severity: inc.Severity, Status: string(inc.Status), Commander: inc.Commander, Roles: inc.Roles,
		Labels: inc.Labels, GroupLabels: inc.GroupLabels, Service: inc.Service, EscalationPolicy: inc.EscalationPolicy, GroupKey: inc.GroupKey,
		Storm: inc.Storm, StormGroups: inc.StormGroups, Previous: inc.Previous, DeclaredBy: inc.DeclaredBy,
		AlertCount: inc.AlertCount, FiringCount: inc.FiringCount,
		Summary: inc.Summary, DetectedAt: utc(inc.DetectedAt), DeclaredAt: utc(inc.DeclaredAt),
		AcknowledgedAt: utcPtr(inc.AcknowledgedAt), MitigatedAt: utcPtr(inc.MitigatedAt), ResolvedAt: utcPtr(inc.ResolvedAt),
		UpdatedAt: utc(inc.UpdatedAt), StatusAt: utc(inc.StatusAt), AlertsClearAt: utc(inc.AlertsClearAt),
		AlertNames: inc.AlertNames(), OpenActions: inc.HasOpenActions(), ServiceName: inc.ServiceName(), Derived: derivedVersion,
	}
	if len(d.AlertNames) == 0 {
		d.AlertNames = nil
	}
	if len(inc.Alerts) > 0 {
		d.Alerts = make(map[string]alertDoc, len(inc.Alerts))
		for k, a := range inc.Alerts {
			d.Alerts[k] = alertDocOf(a)
		}
	}
	for _, a := range inc.Actions {
		d.Actions = append(d.Actions, actionDoc{ID: a.ID, Text: a.Text, Owner: a.Owner, Done: a.Done, At: utc(a.At), Due: utc(a.Due), DoneAt: utc(a.DoneAt)})
	}
	return d
}

func (d *incidentDoc) incident() *incidents.Incident {
	inc := &incidents.Incident{
		Number: d.Number, Version: d.Version, Title: d.Title, Description: d.Description,
		Severity: d.Severity, Status: incidents.Status(d.Status), Commander: d.Commander, Roles: d.Roles,
		Labels: d.Labels, GroupLabels: d.GroupLabels, Service: d.Service, EscalationPolicy: d.EscalationPolicy, GroupKey: d.GroupKey,
		Storm: d.Storm, StormGroups: d.StormGroups, Previous: d.Previous, DeclaredBy: d.DeclaredBy,
		AlertCount: d.AlertCount, FiringCount: d.FiringCount,
		Summary: d.Summary, DetectedAt: utc(d.DetectedAt), DeclaredAt: utc(d.DeclaredAt),
		AcknowledgedAt: utcPtr(d.AcknowledgedAt), MitigatedAt: utcPtr(d.MitigatedAt), ResolvedAt: utcPtr(d.ResolvedAt),
		UpdatedAt: utc(d.UpdatedAt), StatusAt: utc(d.StatusAt), AlertsClearAt: utc(d.AlertsClearAt),
	}
	if len(d.Alerts) > 0 {
		inc.Alerts = make(map[string]incidents.Alert, len(d.Alerts))
		for k, a := range d.Alerts {
			inc.Alerts[k] = a.alert()
		}
	}
	for _, a := range d.Actions {
		inc.Actions = append(inc.Actions, incidents.Action{ID: a.ID, Text: a.Text, Owner: a.Owner, Done: a.Done, At: utc(a.At), Due: utc(a.Due), DoneAt: utc(a.DoneAt)})
	}
	inc.CountAlerts()
	return inc
}

func eventDocOf(e incidents.Event) eventDoc {
	return eventDoc{ID: e.ID, Incident: e.Incident, Type: string(e.Type), At: utc(e.At), Actor: e.Actor, Text: e.Text, Fields: e.Fields,
		Seq: e.Seq, Hash: e.Hash}
}

func (d eventDoc) event() incidents.Event {
	return incidents.Event{ID: d.ID, Incident: d.Incident, Type: incidents.EventType(d.Type), At: utc(d.At), Actor: d.Actor, Text: d.Text, Fields: d.Fields,
		Seq: d.Seq, Hash: d.Hash}
}

func alertDocOf(a incidents.Alert) alertDoc {
	return alertDoc{
		Fingerprint: a.Fingerprint, Status: a.Status, Labels: a.Labels, Annotations: a.Annotations,
		StartsAt: utc(a.StartsAt), EndsAt: utc(a.EndsAt), GeneratorURL: a.GeneratorURL, GroupKey: a.GroupKey,
	}
}

func (a alertDoc) alert() incidents.Alert {
	return incidents.Alert{
		Fingerprint: a.Fingerprint, Status: a.Status, Labels: a.Labels, Annotations: a.Annotations,
		StartsAt: utc(a.StartsAt), EndsAt: utc(a.EndsAt), GeneratorURL: a.GeneratorURL, GroupKey: a.GroupKey,
	}
}
