package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/oncall"
)

var _ oncall.OverrideStore = (*Store)(nil)

// overridesSchema is migration 6: on-call overrides made by command.
const overridesSchema = `
CREATE TABLE overrides (
	id         TEXT PRIMARY KEY,
	schedule   TEXT NOT NULL,
	kind       TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	replaces   TEXT NOT NULL,
	from_at    INTEGER NOT NULL,
	to_at      INTEGER NOT NULL,
	created_by TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX overrides_to ON overrides (to_at);
`

const overrideCols = `id, schedule, kind, user_id, replaces, from_at, to_at, created_by, created_at`

func scanOverride(row interface{ Scan(...any) error }) (oncall.Override, error) {
	var (
		o                 oncall.Override
		kind              string
		from, to, created int64
	)
	err := row.Scan(&o.ID, &o.Schedule, &kind, &o.User, &o.Replaces, &from, &to, &o.CreatedBy, &created)
	o.Kind, o.From, o.To, o.CreatedAt = oncall.OverrideKind(kind), fromTS(from), fromTS(to), fromTS(created)
	return o, err
}

// AddOverride implements oncall.OverrideStore.
func (s *Store) AddOverride(ctx context.Context, o oncall.Override) (bool, error) {
	ok, err := s.exec(ctx, `INSERT INTO overrides (`+overrideCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		o.ID, o.Schedule, string(o.Kind), o.User, o.Replaces, ts(o.From), ts(o.To), o.CreatedBy, ts(o.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("store override %s: %w", o.ID, err)
	}
	return ok, nil
}

// RemoveOverride implements oncall.OverrideStore.
func (s *Store) RemoveOverride(ctx context.Context, id string) (oncall.Override, error) {
	return removeByID(ctx, s, "overrides", overrideCols, scanOverride, id, "override", oncall.ErrNotFound)
}

// Overrides implements oncall.OverrideStore.
func (s *Store) Overrides(ctx context.Context, schedule string, endsAfter time.Time) ([]oncall.Override, error) {
	out, err := queryAll(ctx, s, nil, "list overrides", scanOverride, `SELECT `+overrideCols+` FROM overrides
		WHERE to_at > ? AND (? = '' OR schedule = ?) ORDER BY from_at, id`, ts(endsAfter), schedule, schedule)
	if err != nil {
		return nil, err
	}
	oncall.SortOverrides(out)
	return out, nil
}
