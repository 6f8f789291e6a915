package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/heartbeats"
	"github.com/incidentbot/incidentbot/maintenance"
)

var (
	_ maintenance.Store = (*Store)(nil)
	_ heartbeats.Store  = (*Store)(nil)
)

// maintenanceSchema is migration 11: maintenance windows (ad hoc, and the
// occurrences of recurring ones whose silences were made) and the
// heartbeats' last beats.
const maintenanceSchema = `
CREATE TABLE maintenance_windows (
	id         TEXT PRIMARY KEY,
	service    TEXT NOT NULL,
	matchers   TEXT NOT NULL, -- JSON array of matchers, Alertmanager syntax
	from_at    INTEGER NOT NULL,
	to_at      INTEGER NOT NULL,
	reason     TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	silences   TEXT NOT NULL, -- JSON array of Alertmanager silence IDs
	recurring  TEXT NOT NULL
) STRICT;
CREATE INDEX maintenance_windows_to ON maintenance_windows (to_at);
CREATE TABLE heartbeats (
	name     TEXT PRIMARY KEY,
	last_at  INTEGER NOT NULL, -- 0: no beat yet
	armed_at INTEGER NOT NULL,
	incident INTEGER NOT NULL
) STRICT;
`

const windowCols = `id, service, matchers, from_at, to_at, reason, created_by, created_at, silences, recurring`

func encodeList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func decodeList(s string) ([]string, error) {
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l, nil
}

func scanWindow(row interface{ Scan(...any) error }) (maintenance.Window, error) {
	var (
		w                 maintenance.Window
		matchers, sils    string
		from, to, created int64
	)
	if err := row.Scan(&w.ID, &w.Service, &matchers, &from, &to, &w.Reason, &w.CreatedBy, &created, &sils, &w.Recurring); err != nil {
		return w, err
	}
	w.From, w.To, w.CreatedAt = fromTS(from), fromTS(to), fromTS(created)
	var err error
	if w.Matchers, err = decodeList(matchers); err != nil {
		return w, fmt.Errorf("window %s: matchers: %w", w.ID, err)
	}
	if w.Silences, err = decodeList(sils); err != nil {
		return w, fmt.Errorf("window %s: silences: %w", w.ID, err)
	}
	return w, nil
}

// AddWindow implements maintenance.Store.
func (s *Store) AddWindow(ctx context.Context, w maintenance.Window) (bool, error) {
	ok, err := s.exec(ctx, `INSERT INTO maintenance_windows (`+windowCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		w.ID, w.Service, encodeList(w.Matchers), ts(w.From), ts(w.To), w.Reason, w.CreatedBy, ts(w.CreatedAt), encodeList(w.Silences), w.Recurring)
	if err != nil {
		return false, fmt.Errorf("store maintenance window %s: %w", w.ID, err)
	}
	return ok, nil
}

// RemoveWindow implements maintenance.Store.
func (s *Store) RemoveWindow(ctx context.Context, id string) (maintenance.Window, error) {
	return removeByID(ctx, s, "maintenance_windows", windowCols, scanWindow, id, "maintenance window", maintenance.ErrNotFound)
}

// Windows implements maintenance.Store.
func (s *Store) Windows(ctx context.Context, endsAfter time.Time) ([]maintenance.Window, error) {
	out, err := queryAll(ctx, s, nil, "list maintenance windows", scanWindow,
		`SELECT `+windowCols+` FROM maintenance_windows WHERE to_at > ?`, ts(endsAfter))
	if err != nil {
		return nil, err
	}
	maintenance.Sort(out) // the windows still to end are few: sorted here, not by a second index
	return out, nil
}

const heartbeatCols = `name, last_at, armed_at, incident`

func scanHeartbeat(row interface{ Scan(...any) error }) (heartbeats.Record, error) {
	var (
		r           heartbeats.Record
		last, armed int64
	)
	err := row.Scan(&r.Name, &last, &armed, &r.Incident)
	r.Last, r.Armed = fromTS(last), fromTS(armed)
	return r, err
}

// Beat implements heartbeats.Store: one upsert keeps the latest beat and
// the earliest time.
func (s *Store) Beat(ctx context.Context, name string, at time.Time) (heartbeats.Record, error) {
	r, err := scanHeartbeat(s.w.QueryRowContext(ctx, `INSERT INTO heartbeats (`+heartbeatCols+`) VALUES (?, ?, ?, 0)
		ON CONFLICT (name) DO UPDATE SET last_at = max(last_at, excluded.last_at),
			armed_at = CASE WHEN armed_at = 0 THEN excluded.armed_at ELSE min(armed_at, excluded.armed_at) END
		RETURNING `+heartbeatCols, name, ts(at), ts(at)))
	if err != nil {
		return r, fmt.Errorf("record a beat of %s: %w", name, err)
	}
	return r, nil
}

// ArmHeartbeat implements heartbeats.Store.
func (s *Store) ArmHeartbeat(ctx context.Context, name string, at time.Time) (heartbeats.Record, error) {
	if _, err := s.exec(ctx, `INSERT INTO heartbeats (`+heartbeatCols+`) VALUES (?, 0, ?, 0) ON CONFLICT (name) DO NOTHING`, name, ts(at)); err != nil {
		return heartbeats.Record{}, fmt.Errorf("arm heartbeat %s: %w", name, err)
	}
	r, err := scanHeartbeat(s.w.QueryRowContext(ctx, `SELECT `+heartbeatCols+` FROM heartbeats WHERE name = ?`, name))
	if err != nil {
		return r, fmt.Errorf("arm heartbeat %s: %w", name, err)
	}
	return r, nil
}

// SetHeartbeatIncident implements heartbeats.Store.
func (s *Store) SetHeartbeatIncident(ctx context.Context, name string, incident int64) error {
	ok, err := s.exec(ctx, `UPDATE heartbeats SET incident = ? WHERE name = ?`, incident, name)
	if err != nil {
		return fmt.Errorf("heartbeat %s: %w", name, err)
	}
	if !ok {
		return fmt.Errorf("heartbeat %s: %w", name, heartbeats.ErrNotFound)
	}
	return nil
}

// Heartbeats implements heartbeats.Store.
func (s *Store) Heartbeats(ctx context.Context) ([]heartbeats.Record, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+heartbeatCols+` FROM heartbeats ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list heartbeats: %w", err)
	}
	defer rows.Close()
	var out []heartbeats.Record
	for rows.Next() {
		r, err := scanHeartbeat(rows)
		if err != nil {
			return nil, fmt.Errorf("list heartbeats: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
