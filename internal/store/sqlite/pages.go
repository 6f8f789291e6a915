package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/oncall"
)

var _ oncall.PageStore = (*Store)(nil)

// pagesSchema is migration 5: one row per page (step × target).
const pagesSchema = `
CREATE TABLE pages (
	id        TEXT PRIMARY KEY,
	incident  INTEGER NOT NULL,
	step      TEXT NOT NULL,
	target    TEXT NOT NULL,
	user_id   TEXT NOT NULL,
	schedule  TEXT NOT NULL,
	policy    TEXT NOT NULL,
	level     INTEGER NOT NULL,
	round     INTEGER NOT NULL,
	channel   TEXT NOT NULL,
	ts        TEXT NOT NULL,
	state     TEXT NOT NULL,
	at        INTEGER NOT NULL,
	closed_at INTEGER NOT NULL,
	closed_by TEXT NOT NULL
) STRICT;
CREATE INDEX pages_incident ON pages (incident, at, id);
CREATE INDEX pages_at ON pages (at, id);
`

const pageCols = `id, incident, step, target, user_id, schedule, policy, level, round, channel, ts, state, at, closed_at, closed_by, linked`

func scanPage(row interface{ Scan(...any) error }) (oncall.PageRecord, error) {
	var (
		p        oncall.PageRecord
		state    string
		at, clAt int64
	)
	err := row.Scan(&p.ID, &p.Incident, &p.Step, &p.Target, &p.User, &p.Schedule, &p.Policy, &p.Level, &p.Round,
		&p.Channel, &p.TS, &state, &at, &clAt, &p.ClosedBy, &p.Linked)
	p.State, p.At, p.ClosedAt = oncall.PageState(state), fromTS(at), fromTS(clAt)
	return p, err
}

// AddPage implements oncall.PageStore: an insert that keeps what is stored
// under an ID already taken.
func (s *Store) AddPage(ctx context.Context, p oncall.PageRecord) (oncall.PageRecord, bool, error) {
	if p.State == "" {
		p.State = oncall.PageOpen
	}
	ok, err := s.exec(ctx, `INSERT INTO pages (`+pageCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, p.ID, p.Incident, p.Step, p.Target, p.User, p.Schedule, p.Policy, p.Level, p.Round,
		p.Channel, p.TS, string(p.State), ts(p.At), ts(p.ClosedAt), p.ClosedBy, p.Linked)
	if err != nil {
		return oncall.PageRecord{}, false, fmt.Errorf("record page %s: %w", p.ID, err)
	}
	stored, err := scanPage(s.w.QueryRowContext(ctx, `SELECT `+pageCols+` FROM pages WHERE id = ?`, p.ID))
	if err != nil {
		return oncall.PageRecord{}, false, fmt.Errorf("read page %s: %w", p.ID, err)
	}
	return stored, ok, nil
}

// SetPageMessage implements oncall.PageStore.
func (s *Store) SetPageMessage(ctx context.Context, id, channel, tsText string) error {
	ok, err := s.exec(ctx, `UPDATE pages SET channel = ?, ts = ? WHERE id = ?`, channel, tsText, id)
	if err != nil {
		return fmt.Errorf("record the message of page %s: %w", id, err)
	}
	if !ok {
		return fmt.Errorf("page %s: %w", id, oncall.ErrNotFound)
	}
	return nil
}

// SetPageLinked implements paging.Store.
func (s *Store) SetPageLinked(ctx context.Context, id string) error {
	ok, err := s.exec(ctx, `UPDATE pages SET linked = 1 WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("record the channel link of page %s: %w", id, err)
	}
	if !ok {
		return fmt.Errorf("page %s: %w", id, oncall.ErrNotFound)
	}
	return nil
}

// ClosePage implements oncall.PageStore: an update conditional on the open state.
func (s *Store) ClosePage(ctx context.Context, id string, state oncall.PageState, at time.Time, by string) (bool, error) {
	ok, err := s.exec(ctx, `UPDATE pages SET state = ?, closed_at = ?, closed_by = ? WHERE id = ? AND state = ?`,
		string(state), ts(at), by, id, string(oncall.PageOpen))
	if err != nil {
		return false, fmt.Errorf("close page %s: %w", id, err)
	}
	if ok {
		return true, nil
	}
	var one int
	err = s.w.QueryRowContext(ctx, `SELECT 1 FROM pages WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("page %s: %w", id, oncall.ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("read page %s: %w", id, err)
	}
	return false, nil
}

// Pages implements oncall.PageStore.
func (s *Store) Pages(ctx context.Context, incident int64) ([]oncall.PageRecord, error) {
	return s.queryPages(ctx, `SELECT `+pageCols+` FROM pages WHERE incident = ? ORDER BY at, id`, incident)
}

// PagesBetween implements oncall.PageStore.
func (s *Store) PagesBetween(ctx context.Context, from, to time.Time) ([]oncall.PageRecord, error) {
	return s.queryPages(ctx, `SELECT `+pageCols+` FROM pages WHERE at >= ? AND at < ? ORDER BY at, id`, ts(from), ts(to))
}

func (s *Store) queryPages(ctx context.Context, q string, args ...any) ([]oncall.PageRecord, error) {
	return queryAll(ctx, s, nil, "list pages", scanPage, q, args...)
}
