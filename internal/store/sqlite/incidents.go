package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
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
	Service          string              `json:"service,omitempty"`
	EscalationPolicy string              `json:"escalation_policy,omitempty"`
	GroupKey         string              `json:"group_key,omitempty"`
	Alerts           map[string]alertDoc `json:"alerts,omitempty"`
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
		Roles: inc.Roles, Labels: inc.Labels, Service: inc.Service, EscalationPolicy: inc.EscalationPolicy,
		GroupKey: inc.GroupKey, Storm: inc.Storm, StormGroups: inc.StormGroups, Previous: inc.Previous,
		DeclaredBy: inc.DeclaredBy, Summary: inc.Summary,
		DetectedAt: inc.DetectedAt.UTC(), AcknowledgedAt: utcPtr(inc.AcknowledgedAt),
		MitigatedAt: utcPtr(inc.MitigatedAt), ResolvedAt: utcPtr(inc.ResolvedAt),
		UpdatedAt: inc.UpdatedAt.UTC(), StatusAt: inc.StatusAt.UTC(), AlertsClearAt: inc.AlertsClearAt.UTC(),
	}
	if len(inc.Alerts) > 0 {
		d.Alerts = make(map[string]alertDoc, len(inc.Alerts))
		for fp, a := range inc.Alerts {
			d.Alerts[fp] = alertDoc{
				Status: a.Status, Labels: a.Labels, Annotations: a.Annotations,
				StartsAt: a.StartsAt.UTC(), EndsAt: a.EndsAt.UTC(), GeneratorURL: a.GeneratorURL, GroupKey: a.GroupKey,
			}
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
		Roles: d.Roles, Labels: d.Labels, Service: d.Service, EscalationPolicy: d.EscalationPolicy,
		GroupKey: d.GroupKey, Storm: d.Storm, StormGroups: d.StormGroups, Previous: d.Previous,
		DeclaredBy: d.DeclaredBy, Summary: d.Summary,
		DetectedAt: d.DetectedAt.UTC(), AcknowledgedAt: utcPtr(d.AcknowledgedAt),
		MitigatedAt: utcPtr(d.MitigatedAt), ResolvedAt: utcPtr(d.ResolvedAt),
		UpdatedAt: d.UpdatedAt.UTC(), StatusAt: d.StatusAt.UTC(), AlertsClearAt: d.AlertsClearAt.UTC(),
	}
	if len(d.Alerts) > 0 {
		inc.Alerts = make(map[string]incidents.Alert, len(d.Alerts))
		for fp, a := range d.Alerts {
			inc.Alerts[fp] = incidents.Alert{
				Fingerprint: fp, Status: a.Status, Labels: a.Labels, Annotations: a.Annotations,
				StartsAt: a.StartsAt.UTC(), EndsAt: a.EndsAt.UTC(), GeneratorURL: a.GeneratorURL, GroupKey: a.GroupKey,
			}
		}
	}
	for _, a := range d.Actions {
		inc.Actions = append(inc.Actions, incidents.Action{ID: a.ID, Text: a.Text, Owner: a.Owner, Done: a.Done, At: a.At.UTC(), Due: utcTime(a.Due), DoneAt: utcTime(a.DoneAt)})
	}
	return inc, nil
}

// NextNumber implements incidents.Store with one upsert of the counter row.
func (s *Store) NextNumber(ctx context.Context) (int64, error) {
	var n int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO counters (name, value) VALUES ('incident', 1)
		ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("next incident number: %w", err)
	}
	return n, nil
}

// CreateIncident implements incidents.Store; incidents.ErrExists if the
// number is taken. The filter columns and alert names are written in the
// same transaction.
func (s *Store) CreateIncident(ctx context.Context, inc *incidents.Incident) error {
	body, err := encodeIncident(inc)
	if err != nil {
		return fmt.Errorf("create incident #%d: %w", inc.Number, err)
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		args := append([]any{inc.Number, inc.Version, string(inc.Status), ts(inc.DeclaredAt), string(body)}, indexArgs(inc)...)
		if _, err := tx.ExecContext(ctx, `INSERT INTO incidents (`+incidentCols+`, `+indexCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...); err != nil {
			return err
		}
		return syncAlertNames(ctx, tx, inc.Number, inc.AlertNames())
	})
	if isConstraint(err) {
		return fmt.Errorf("create incident #%d: %w", inc.Number, incidents.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("create incident #%d: %w", inc.Number, err)
	}
	return nil
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

// errStale ends UpdateIncident's transaction when no row was updated.
var errStale = errors.New("no row at that version")

// UpdateIncident implements incidents.Store with one UPDATE conditional on
// the version, so concurrent writers need no lock: one wins, the others get
// incidents.ErrConflict. The filter columns are in the same UPDATE, the
// alert names in the same transaction.
func (s *Store) UpdateIncident(ctx context.Context, inc *incidents.Incident) error {
	body, err := encodeIncident(inc)
	if err != nil {
		return fmt.Errorf("update incident #%d: %w", inc.Number, err)
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		args := append([]any{string(inc.Status), ts(inc.DeclaredAt), string(body)}, indexArgs(inc)...)
		res, err := tx.ExecContext(ctx, updateIncidentSQL, append(args, inc.Number, inc.Version)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errStale
		}
		return syncAlertNames(ctx, tx, inc.Number, inc.AlertNames())
	})
	if errors.Is(err, errStale) {
		// Tell a stale version from a missing incident.
		var v int64
		err := s.w.QueryRowContext(ctx, `SELECT version FROM incidents WHERE number = ?`, inc.Number).Scan(&v)
		switch {
		case err == nil:
			return fmt.Errorf("update incident #%d at version %d: %w", inc.Number, inc.Version, incidents.ErrConflict)
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("update incident #%d: %w", inc.Number, incidents.ErrNotFound)
		default:
			return fmt.Errorf("update incident #%d: check existence: %w", inc.Number, err)
		}
	}
	if err != nil {
		return fmt.Errorf("update incident #%d: %w", inc.Number, err)
	}
	inc.Version++
	return nil
}

// ListIncidents implements incidents.Store: newest (highest number) first,
// every filter read from an index (listQuery); with none it walks the
// primary key from the newest, up to Limit.
func (s *Store) ListIncidents(ctx context.Context, o incidents.ListOptions) ([]*incidents.Incident, error) {
	q, args := listQuery(o)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	defer rows.Close()
	out := []*incidents.Incident{}
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("list incidents: %w", err)
		}
		out = append(out, inc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return out, nil
}

// AppendEvents implements incidents.Store in one transaction; an event whose
// ID is stored already (the unique events_id index) is skipped.
func (s *Store) AppendEvents(ctx context.Context, events ...incidents.Event) error {
	if len(events) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO events (id, incident, at, type, actor, text, fields)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, e := range events {
			var fields any // NULL without fields
			if len(e.Fields) > 0 {
				fields = encodeFields(e.Fields)
			}
			if _, err := st.ExecContext(ctx, e.ID, e.Incident, ts(e.At), string(e.Type), e.Actor, e.Text, fields); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("append %d events: %w", len(events), err)
	}
	return nil
}

// Timeline implements incidents.Store: oldest first, ties broken by event ID,
// one range scan of the table's (incident, at, id) primary key.
func (s *Store) Timeline(ctx context.Context, number int64) ([]incidents.Event, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, at, type, actor, text, fields FROM events
		WHERE incident = ? ORDER BY at, id`, number)
	if err != nil {
		return nil, fmt.Errorf("timeline of incident #%d: %w", number, err)
	}
	defer rows.Close()
	out := []incidents.Event{}
	for rows.Next() {
		e := incidents.Event{Incident: number}
		var (
			at     int64
			typ    string
			fields []byte
		)
		if err := rows.Scan(&e.ID, &at, &typ, &e.Actor, &e.Text, &fields); err != nil {
			return nil, fmt.Errorf("timeline of incident #%d: %w", number, err)
		}
		e.At, e.Type = fromTS(at), incidents.EventType(typ)
		if len(fields) > 0 {
			if e.Fields, err = decodeFields(fields); err != nil {
				return nil, fmt.Errorf("timeline of incident #%d: event %s: %w", number, e.ID, err)
			}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("timeline of incident #%d: %w", number, err)
	}
	return out, nil
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

// PutGroup implements incidents.Store (upsert by key).
func (s *Store) PutGroup(ctx context.Context, g incidents.Group) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO alert_groups (key, incident) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET incident = excluded.incident`, g.Key, g.Incident)
	if err != nil {
		return fmt.Errorf("put alert group of incident #%d: %w", g.Incident, err)
	}
	return nil
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

// PutStorm implements incidents.Store.
func (s *Store) PutStorm(ctx context.Context, st incidents.StormState) error {
	d := stormDoc{Incident: st.Incident}
	for _, t := range st.Opened {
		d.Opened = append(d.Opened, t.UTC())
	}
	body, err := json.Marshal(d)
	if err == nil {
		_, err = s.w.ExecContext(ctx, `INSERT INTO state (name, body) VALUES ('storm', ?)
			ON CONFLICT (name) DO UPDATE SET body = excluded.body`, string(body))
	}
	if err != nil {
		return fmt.Errorf("put storm state: %w", err)
	}
	return nil
}
