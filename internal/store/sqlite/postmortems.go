package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/postmortem"
)

var _ postmortem.Store = (*Store)(nil)

// postmortemsSchema is migration 7: one postmortem record per incident.
const postmortemsSchema = `
CREATE TABLE postmortems (
	number      INTEGER PRIMARY KEY,
	version     INTEGER NOT NULL,
	status      TEXT NOT NULL,
	owner       TEXT NOT NULL,
	title       TEXT NOT NULL,
	severity    TEXT NOT NULL,
	date        INTEGER NOT NULL,
	duration_ns INTEGER NOT NULL,
	ongoing     INTEGER NOT NULL,
	services    TEXT NOT NULL,
	storm       INTEGER NOT NULL,
	markdown    BLOB NOT NULL,
	written_at  INTEGER NOT NULL,
	source      TEXT NOT NULL,
	message_ts  TEXT NOT NULL
) STRICT;
CREATE INDEX postmortems_date ON postmortems (date DESC, number DESC);
`

// servicesSep joins a record's services in one column; it never appears in a service name.
const servicesSep = "\x1f"

const postmortemCols = `number, version, status, owner, title, severity, date, duration_ns, ongoing, services, storm, written_at, source, message_ts`

func scanPostmortem(row rowScanner, markdown bool) (postmortem.Record, error) {
	var (
		r                  postmortem.Record
		status, services   string
		date, dur, written int64
		ongoing, storm     int
		md                 []byte
	)
	dest := []any{&r.Number, &r.Version, &status, &r.Owner, &r.Title, &r.Severity, &date, &dur, &ongoing, &services, &storm, &written, &r.Source, &r.MessageTS}
	if markdown {
		dest = append(dest, &md)
	}
	if err := row.Scan(dest...); err != nil {
		return postmortem.Record{}, err
	}
	r.Status, r.Date, r.Duration, r.Ongoing, r.Storm, r.WrittenAt = postmortem.Status(status), fromTS(date), time.Duration(dur), ongoing != 0, storm != 0, fromTS(written)
	if services != "" {
		r.Services = strings.Split(services, servicesSep)
	}
	if len(md) > 0 {
		r.Markdown = md
	}
	return r, nil
}

// Postmortem implements postmortem.Store.
func (s *Store) Postmortem(ctx context.Context, number int64) (postmortem.Record, error) {
	r, err := scanPostmortem(s.r.QueryRowContext(ctx, `SELECT `+postmortemCols+`, markdown FROM postmortems WHERE number = ?`, number), true)
	if errors.Is(err, sql.ErrNoRows) {
		return postmortem.Record{}, fmt.Errorf("postmortem of incident #%d: %w", number, postmortem.ErrNotFound)
	}
	if err != nil {
		return postmortem.Record{}, fmt.Errorf("postmortem of incident #%d: %w", number, err)
	}
	return r, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// PutPostmortem implements postmortem.Store: an insert that fails on an
// existing row for version 0, else an UPDATE conditional on the version.
func (s *Store) PutPostmortem(ctx context.Context, r *postmortem.Record) error {
	md := r.Markdown
	if md == nil {
		md = []byte{}
	}
	args := []any{string(r.Status), r.Owner, r.Title, r.Severity, ts(r.Date), int64(r.Duration), boolInt(r.Ongoing),
		strings.Join(r.Services, servicesSep), boolInt(r.Storm), md, ts(r.WrittenAt), r.Source, r.MessageTS, r.Number}
	var (
		ok  bool
		err error
	)
	if r.Version == 0 {
		ok, err = s.exec(ctx, `INSERT INTO postmortems (status, owner, title, severity, date, duration_ns, ongoing, services,
			storm, markdown, written_at, source, message_ts, number, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (number) DO NOTHING`, args...)
	} else {
		ok, err = s.exec(ctx, `UPDATE postmortems SET status = ?, owner = ?, title = ?, severity = ?, date = ?, duration_ns = ?,
			ongoing = ?, services = ?, storm = ?, markdown = ?, written_at = ?, source = ?, message_ts = ?, version = version + 1
			WHERE number = ? AND version = ?`, append(args, r.Version)...)
	}
	if err != nil {
		return fmt.Errorf("put the postmortem of incident #%d: %w", r.Number, err)
	}
	if !ok {
		return fmt.Errorf("put the postmortem of incident #%d at version %d: %w", r.Number, r.Version, incidents.ErrConflict)
	}
	r.Version++
	return nil
}

// Postmortems implements postmortem.Store through the date index.
func (s *Store) Postmortems(ctx context.Context, markdown bool) ([]postmortem.Record, error) {
	cols := postmortemCols
	if markdown {
		cols += ", markdown"
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+cols+` FROM postmortems ORDER BY date DESC, number DESC`)
	if err != nil {
		return nil, fmt.Errorf("list postmortems: %w", err)
	}
	defer rows.Close()
	var out []postmortem.Record
	for rows.Next() {
		r, err := scanPostmortem(rows, markdown)
		if err != nil {
			return nil, fmt.Errorf("list postmortems: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
