package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

var _ incidents.Store = (*Store)(nil)

// incidentDoc is the stored body of an incident: the store's own encoding,
// so renaming a field in the domain or the web API does not change the file
// format. Number, version, status and declared_at are columns as well, for
// the conditional update and the indexes.
type incidentDoc struct {
	Title            string              `json:"title"`
	Description      string              `json:"description,omitempty"`
	Severity         string              `json:"severity"`
	Commander        string              `json:"commander,omitempty"`
	Roles            map[string]string   `json:"roles,omitempty"`
	Labels           map[string]string   `json:"labels,omitempty"`
	GroupLabels      map[string]string   `json:"group_labels,omitempty"`
	Service          string              `json:"service,omitempty"`
	EscalationPolicy string              `json:"escalation_policy,omitempty"`
	GroupKey         string              `json:"group_key,omitempty"`
	Alerts           map[string]alertDoc `json:"alerts,omitempty"`
	AlertCount       int                 `json:"alert_count,omitempty"`
	FiringCount      int                 `json:"firing_count,omitempty"`
	Storm            bool                `json:"storm,omitempty"`
	StormGroups      int                 `json:"storm_groups,omitempty"`
	Previous         int64               `json:"previous,omitempty"`
	DeclaredBy       string              `json:"declared_by,omitempty"`
	Summary          string              `json:"summary,omitempty"`
	Actions          []actionDoc         `json:"actions,omitempty"`
	DetectedAt       time.Time           `json:"detected_at"`
	AcknowledgedAt   *time.Time          `json:"acknowledged_at,omitempty"`
	MitigatedAt      *time.Time          `json:"mitigated_at,omitempty"`
	ResolvedAt       *time.Time          `json:"resolved_at,omitempty"`
	UpdatedAt        time.Time           `json:"updated_at"`
	StatusAt         time.Time           `json:"status_at"`
	AlertsClearAt    time.Time           `json:"alerts_clear_at"`
}

type alertDoc struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"starts_at"`
	EndsAt       time.Time         `json:"ends_at"`
	GeneratorURL string            `json:"generator_url,omitempty"`
	GroupKey     string            `json:"group_key,omitempty"`
}

func alertDocOf(a incidents.Alert) alertDoc {
	return alertDoc{
		Status: a.Status, Labels: a.Labels, Annotations: a.Annotations,
		StartsAt: a.StartsAt.UTC(), EndsAt: a.EndsAt.UTC(), GeneratorURL: a.GeneratorURL, GroupKey: a.GroupKey,
	}
}

func (a alertDoc) alert(fp string) incidents.Alert {
	return incidents.Alert{
		Fingerprint: fp, Status: a.Status, Labels: a.Labels, Annotations: a.Annotations,
		StartsAt: a.StartsAt.UTC(), EndsAt: a.EndsAt.UTC(), GeneratorURL: a.GeneratorURL, GroupKey: a.GroupKey,
	}
}

type actionDoc struct {
	ID    int       `json:"id"`
	Text  string    `json:"text"`
	Owner string    `json:"owner,omitempty"`
	Done  bool      `json:"done,omitempty"`
	At    time.Time `json:"at"`
	// Due and DoneAt of follow-ups (issue 9).
	Due    time.Time `json:"due,omitzero"`
	DoneAt time.Time `json:"done_at,omitzero"`
}

// utcTime is t in UTC, and the zero time as it is.
func utcTime(t time.Time) time.Time {
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

func encodeIncident(inc *incidents.Incident) ([]byte, error) {
	d := incidentDoc{
		Title: inc.Title, Description: inc.Description, Severity: inc.Severity, Commander: inc.Commander,
		Roles: inc.Roles, Labels: inc.Labels, GroupLabels: inc.GroupLabels, Service: inc.Service, EscalationPolicy: inc.EscalationPolicy,
		GroupKey: inc.GroupKey, Storm: inc.Storm, StormGroups: inc.StormGroups, Previous: inc.Previous,
		DeclaredBy: inc.DeclaredBy, Summary: inc.Summary, AlertCount: inc.AlertCount, FiringCount: inc.FiringCount,
		DetectedAt: inc.DetectedAt.UTC(), AcknowledgedAt: utcPtr(inc.AcknowledgedAt),
		MitigatedAt: utcPtr(inc.MitigatedAt), ResolvedAt: utcPtr(inc.ResolvedAt),
		UpdatedAt: inc.UpdatedAt.UTC(), StatusAt: inc.StatusAt.UTC(), AlertsClearAt: inc.AlertsClearAt.UTC(),
	}
	if len(inc.Alerts) > 0 {
		d.Alerts = make(map[string]alertDoc, len(inc.Alerts))
		for fp, a := range inc.Alerts {
			d.Alerts[fp] = alertDocOf(a)
		}
	}
	for _, a := range inc.Actions {
		d.Actions = append(d.Actions, actionDoc{ID: a.ID, Text: a.Text, Owner: a.Owner, Done: a.Done, At: a.At.UTC(), Due: utcTime(a.Due), DoneAt: utcTime(a.DoneAt)})
	}
	return json.Marshal(d)
}

func decodeIncident(number, version int64, status string, declaredAt int64, body []byte) (*incidents.Incident, error) {
	var d incidentDoc
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("decode incident #%d: %w", number, err)
	}
	inc := &incidents.Incident{
		Number: number, Version: version, Status: incidents.Status(status), DeclaredAt: fromTS(declaredAt),
		Title: d.Title, Description: d.Description, Severity: d.Severity, Commander: d.Commander,
		Roles: d.Roles, Labels: d.Labels, GroupLabels: d.GroupLabels, Service: d.Service, EscalationPolicy: d.EscalationPolicy,
		GroupKey: d.GroupKey, Storm: d.Storm, StormGroups: d.StormGroups, Previous: d.Previous,
		DeclaredBy: d.DeclaredBy, Summary: d.Summary, AlertCount: d.AlertCount, FiringCount: d.FiringCount,
		DetectedAt: d.DetectedAt.UTC(), AcknowledgedAt: utcPtr(d.AcknowledgedAt),
		MitigatedAt: utcPtr(d.MitigatedAt), ResolvedAt: utcPtr(d.ResolvedAt),
		UpdatedAt: d.UpdatedAt.UTC(), StatusAt: d.StatusAt.UTC(), AlertsClearAt: d.AlertsClearAt.UTC(),
	}
	if len(d.Alerts) > 0 {
		inc.Alerts = make(map[string]incidents.Alert, len(d.Alerts))
		for fp, a := range d.Alerts {
			inc.Alerts[fp] = a.alert(fp)
		}
	}
	for _, a := range d.Actions {
		inc.Actions = append(inc.Actions, incidents.Action{ID: a.ID, Text: a.Text, Owner: a.Owner, Done: a.Done, At: a.At.UTC(), Due: utcTime(a.Due), DoneAt: utcTime(a.DoneAt)})
	}
	inc.CountAlerts()
	return inc, nil
}

const incidentCols = `number, version, status, declared_at, body`

func scanIncident(row interface{ Scan(...any) error }) (*incidents.Incident, error) {
	var (
		number, version, declaredAt int64
		status                      string
		body                        []byte
	)
	if err := row.Scan(&number, &version, &status, &declaredAt, &body); err != nil {
		return nil, err
	}
	return decodeIncident(number, version, status, declaredAt, body)
}

// GetIncident implements incidents.Store.
func (s *Store) GetIncident(ctx context.Context, number int64) (*incidents.Incident, error) {
	inc, err := scanIncident(s.r.QueryRowContext(ctx, `SELECT `+incidentCols+` FROM incidents WHERE number = ?`, number))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get incident #%d: %w", number, incidents.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get incident #%d: %w", number, err)
	}
	return inc, nil
}

// updateIncidentSQL is UpdateIncident's conditional write.
const updateIncidentSQL = `UPDATE incidents SET version = version + 1, status = ?, declared_at = ?, body = ?,
	group_key = ?, severity = ?, service = ?, open_actions = ? WHERE number = ? AND version = ?`

// ListIncidents implements incidents.Store: newest (highest number) first,
// every filter read from an index (listQuery); with none it walks the
// primary key from the newest, up to Limit.
func (s *Store) ListIncidents(ctx context.Context, o incidents.ListOptions) ([]*incidents.Incident, error) {
	q, args := listQuery(o)
	return queryAll(ctx, s, []*incidents.Incident{}, "list incidents", scanIncident, q, args...)
}

// Timeline implements incidents.Store: oldest first, ties broken by event ID,
// one range scan of the table's (incident, at, id) primary key.
func (s *Store) Timeline(ctx context.Context, number int64) ([]incidents.Event, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+eventCols+` FROM events WHERE incident = ? ORDER BY at, id`, number)
	if err != nil {
		return nil, fmt.Errorf("timeline of incident #%d: %w", number, err)
	}
	defer rows.Close()
	out := []incidents.Event{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("timeline of incident #%d: %w", number, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("timeline of incident #%d: %w", number, err)
	}
	return out, nil
}

// TimelineChain implements incidents.Store: in Seq order, through the
// unique (incident, seq) index.
func (s *Store) TimelineChain(ctx context.Context, number int64) ([]incidents.Event, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+eventCols+` FROM events WHERE incident = ? ORDER BY seq`, number)
	if err != nil {
		return nil, fmt.Errorf("chain of incident #%d: %w", number, err)
	}
	defer rows.Close()
	out := []incidents.Event{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("chain of incident #%d: %w", number, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// eventCols are the columns scanEvent reads.
const eventCols = `incident, id, at, type, actor, text, fields, seq, hash`

func scanEvent(row interface{ Scan(...any) error }) (incidents.Event, error) {
	var (
		e      incidents.Event
		at     int64
		typ    string
		fields []byte
	)
	if err := row.Scan(&e.Incident, &e.ID, &at, &typ, &e.Actor, &e.Text, &fields, &e.Seq, &e.Hash); err != nil {
		return e, err
	}
	e.At, e.Type = fromTS(at), incidents.EventType(typ)
	if len(fields) > 0 {
		var err error
		if e.Fields, err = decodeFields(fields); err != nil {
			return e, fmt.Errorf("event %s: %w", e.ID, err)
		}
	}
	return e, nil
}

// encodeFields writes an event's fields as (uvarint length, bytes) pairs,
// sorted by key: a 10,000-event timeline decodes several times faster than
// from JSON, and any string round-trips.
func encodeFields(m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	n := 0
	for k, v := range m {
		keys = append(keys, k)
		n += len(k) + len(v) + 2*binary.MaxVarintLen32
	}
	sort.Strings(keys)
	b := make([]byte, 0, n)
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(m[k])))
		b = append(b, m[k]...)
	}
	return b
}

var errFields = errors.New("malformed event fields")

// decodeFields reverses encodeFields.
func decodeFields(b []byte) (map[string]string, error) {
	m := map[string]string{}
	next := func() (string, error) {
		n, w := binary.Uvarint(b)
		if w <= 0 || uint64(len(b)-w) < n {
			return "", errFields
		}
		s := string(b[w : w+int(n)])
		b = b[w+int(n):]
		return s, nil
	}
	for len(b) > 0 {
		k, err := next()
		if err != nil {
			return nil, err
		}
		v, err := next()
		if err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, nil
}

// GetGroup implements incidents.Store.
func (s *Store) GetGroup(ctx context.Context, groupKey string) (incidents.Group, error) {
	g := incidents.Group{Key: groupKey}
	err := s.r.QueryRowContext(ctx, `SELECT incident FROM alert_groups WHERE key = ?`, groupKey).Scan(&g.Incident)
	if errors.Is(err, sql.ErrNoRows) {
		return incidents.Group{}, fmt.Errorf("get alert group: %w", incidents.ErrNotFound)
	}
	if err != nil {
		return incidents.Group{}, fmt.Errorf("get alert group: %w", err)
	}
	return g, nil
}

// stormDoc is the stored storm guard state.
type stormDoc struct {
	Opened   []time.Time `json:"opened,omitempty"`
	Incident int64       `json:"incident,omitempty"`
}

// GetStorm implements incidents.Store; the zero state if none was stored.
func (s *Store) GetStorm(ctx context.Context) (incidents.StormState, error) {
	var body []byte
	err := s.r.QueryRowContext(ctx, `SELECT body FROM state WHERE name = 'storm'`).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return incidents.StormState{}, nil
	}
	var d stormDoc
	if err == nil {
		err = json.Unmarshal(body, &d)
	}
	if err != nil {
		return incidents.StormState{}, fmt.Errorf("get storm state: %w", err)
	}
	st := incidents.StormState{Incident: d.Incident}
	for _, t := range d.Opened {
		st.Opened = append(st.Opened, t.UTC())
	}
	return st, nil
}

// putStorm replaces the storm guard's state within tx.
func putStorm(ctx context.Context, tx *sql.Tx, st incidents.StormState) error {
	d := stormDoc{Incident: st.Incident}
	for _, t := range st.Opened {
		d.Opened = append(d.Opened, t.UTC())
	}
	body, err := json.Marshal(d)
	if err == nil {
		_, err = tx.ExecContext(ctx, `INSERT INTO state (name, body) VALUES ('storm', ?)
			ON CONFLICT (name) DO UPDATE SET body = excluded.body`, string(body))
	}
	if err != nil {
		return fmt.Errorf("put storm state: %w", err)
	}
	return nil
}

// alertsPageSQL is AlertsPage's SELECT.
const alertsPageSQL = `SELECT fingerprint, body FROM alerts WHERE incident = ? AND fingerprint > ? ORDER BY fingerprint LIMIT ?`

// AlertsPage implements incidents.Store: a range read of the alerts table's
// (incident, fingerprint) primary key.
func (s *Store) AlertsPage(ctx context.Context, number int64, after string, limit int) ([]incidents.Alert, string, error) {
	out := []incidents.Alert{}
	if limit <= 0 {
		return out, "", nil
	}
	rows, err := s.r.QueryContext(ctx, alertsPageSQL, number, after, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("alerts of incident #%d: %w", number, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			fp   string
			body []byte
		)
		if err := rows.Scan(&fp, &body); err != nil {
			return nil, "", fmt.Errorf("alerts of incident #%d: %w", number, err)
		}
		var d alertDoc
		if err := json.Unmarshal(body, &d); err != nil {
			return nil, "", fmt.Errorf("alert %s of incident #%d: %w", fp, number, err)
		}
		out = append(out, d.alert(fp))
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("alerts of incident #%d: %w", number, err)
	}
	if len(out) <= limit {
		return out, "", nil
	}
	out = out[:limit]
	return out, out[limit-1].Fingerprint, nil
}

// timelinePageQuery is TimelinePage's SELECT: one event more than the page,
// to tell whether there are more.
func timelinePageQuery(number int64, from incidents.Cursor, limit int) (string, []any) {
	q, args := `SELECT `+eventCols+` FROM events WHERE incident = ?`, []any{number}
	switch {
	case from.IsZero() && from.Back:
		q += ` ORDER BY at DESC, id DESC`
	case from.IsZero():
		q += ` ORDER BY at, id`
	case from.Back:
		q += ` AND (at, id) < (?, ?) ORDER BY at DESC, id DESC`
		args = append(args, ts(from.At), from.ID)
	default:
		q += ` AND (at, id) > (?, ?) ORDER BY at, id`
		args = append(args, ts(from.At), from.ID)
	}
	return q + ` LIMIT ?`, append(args, limit+1)
}

// TimelinePage implements incidents.Store: a range read of the events
// table's (incident, at, id) primary key, forward or backward.
func (s *Store) TimelinePage(ctx context.Context, number int64, from incidents.Cursor, limit int) ([]incidents.Event, incidents.Cursor, error) {
	out := []incidents.Event{}
	if limit <= 0 {
		return out, incidents.Cursor{}, nil
	}
	q, args := timelinePageQuery(number, from, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, incidents.Cursor{}, fmt.Errorf("timeline of incident #%d: %w", number, err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, incidents.Cursor{}, fmt.Errorf("timeline of incident #%d: %w", number, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, incidents.Cursor{}, fmt.Errorf("timeline of incident #%d: %w", number, err)
	}
	more := len(out) > limit
	out = out[:min(len(out), limit)]
	if !from.Back {
		if !more {
			return out, incidents.Cursor{}, nil
		}
		last := out[len(out)-1]
		return out, incidents.Cursor{At: last.At, ID: last.ID}, nil
	}
	slices.Reverse(out)
	if !more {
		return out, incidents.Cursor{}, nil
	}
	return out, incidents.Cursor{At: out[0].At, ID: out[0].ID, Back: true}, nil
}

// countOpenSQL is CountOpen's SELECT. The partial index holds only the open
// incidents, so the count reads as many rows as are open, not as are stored.
const countOpenSQL = `SELECT severity, count(*) FROM incidents INDEXED BY incidents_open
	WHERE status <> 'resolved' GROUP BY severity`

// CountOpen implements incidents.Store: the partial index of open
// incidents, and each one's severity column.
func (s *Store) CountOpen(ctx context.Context) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, countOpenSQL)
	if err != nil {
		return nil, fmt.Errorf("count open incidents: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			sev string
			n   int
		)
		if err := rows.Scan(&sev, &n); err != nil {
			return nil, fmt.Errorf("count open incidents: %w", err)
		}
		out[sev] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count open incidents: %w", err)
	}
	return out, nil
}
