package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/incidentbot/incidentbot/incidents"
)

// incidentIndexSchema is migration 8: what the ListOptions filters read,
// kept beside each incident's body so every filter is an index lookup.
// Columns of incidents: group_key, severity, service (Incident.ServiceName:
// the service, else the service label) and open_actions (1 while any
// follow-up is not done); the incident_alert_names table holds each
// incident's AlertNames. CreateIncident and UpdateIncident write them in the
// transaction that writes the body. The migration fills them from the stored
// bodies with SQLite's JSON functions (kept here, frozen, rather than in Go
// that later releases may change), by the same rules as the Go code:
// alertname labels of the alerts, else the incident's own alertname label.
const incidentIndexSchema = `
ALTER TABLE incidents ADD COLUMN group_key TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN severity TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN service TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN open_actions INTEGER NOT NULL DEFAULT 0;
UPDATE incidents SET
	group_key = coalesce(json_extract(body, '$.group_key'), ''),
	severity = coalesce(json_extract(body, '$.severity'), ''),
	service = coalesce(nullif(json_extract(body, '$.service'), ''), json_extract(body, '$.labels.service'), ''),
	open_actions = EXISTS (SELECT 1 FROM json_each(body, '$.actions') WHERE coalesce(json_extract(value, '$.done'), 0) = 0);
CREATE INDEX incidents_group_key ON incidents (group_key, number) WHERE group_key <> '';
CREATE INDEX incidents_severity ON incidents (severity, number);
CREATE INDEX incidents_service ON incidents (service, number) WHERE service <> '';
CREATE INDEX incidents_open_actions ON incidents (number) WHERE open_actions <> 0;
CREATE INDEX incidents_resolved ON incidents (number) WHERE status = 'resolved';
-- Clustered by (name, incident): the incidents of an alert name, newest
-- first, are one range read backwards.
CREATE TABLE incident_alert_names (
	name     TEXT NOT NULL,
	incident INTEGER NOT NULL,
	PRIMARY KEY (name, incident)
) STRICT, WITHOUT ROWID;
CREATE INDEX incident_alert_names_incident ON incident_alert_names (incident);
INSERT OR IGNORE INTO incident_alert_names (name, incident)
	SELECT json_extract(a.value, '$.labels.alertname'), i.number FROM incidents AS i, json_each(i.body, '$.alerts') AS a
	WHERE coalesce(json_extract(a.value, '$.labels.alertname'), '') <> '';
INSERT OR IGNORE INTO incident_alert_names (name, incident)
	SELECT json_extract(body, '$.labels.alertname'), number FROM incidents
	WHERE coalesce(json_extract(body, '$.labels.alertname'), '') <> ''
		AND NOT EXISTS (SELECT 1 FROM json_each(body, '$.alerts'));
`

// indexCols are the filter columns an incident is written with, in the
// order of indexArgs.
const indexCols = `group_key, severity, service, open_actions`

// indexArgs are the values of indexCols for inc.
func indexArgs(inc *incidents.Incident) []any {
	open := 0
	if inc.HasOpenActions() {
		open = 1
	}
	return []any{inc.GroupKey, inc.Severity, inc.ServiceName(), open}
}

// syncAlertNames makes the incident_alert_names rows of number be names
// (sorted, without repeats), writing only what changed: an update of an
// incident seldom changes its alert names.
func syncAlertNames(ctx context.Context, tx *sql.Tx, number int64, names []string) error {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM incident_alert_names WHERE incident = ?`, number)
	if err != nil {
		return err
	}
	var stored []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		stored = append(stored, n)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range stored {
		if _, found := slices.BinarySearch(names, n); !found {
			if _, err := tx.ExecContext(ctx, `DELETE FROM incident_alert_names WHERE name = ? AND incident = ?`, n, number); err != nil {
				return err
			}
		}
	}
	for _, n := range names {
		if !slices.Contains(stored, n) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO incident_alert_names (name, incident) VALUES (?, ?)`, n, number); err != nil {
				return err
			}
		}
	}
	return nil
}

// listQuery is the SELECT of ListIncidents for o. Without statistics the
// planner cannot know which filter is selective, so the query names the
// index it reads (the rest filter what it finds), the likely most selective
// first: the alert name's rows (walked newest first), the group key, open
// follow-ups, the declared_at range (then sorted: "since" is recent), the
// service, the severity, open or resolved, and else the primary key from the
// newest (from Before). Every one but declared_at yields incidents in number
// order, so a Limit stops the walk.
func listQuery(o incidents.ListOptions) (string, []any) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	from, number := "incidents AS i", "i.number"
	switch {
	case o.AlertName != "":
		// CROSS JOIN keeps the alert names the outer loop.
		from, number = "incident_alert_names AS a CROSS JOIN incidents AS i ON i.number = a.incident", "a.incident"
		add("a.name = ?", o.AlertName)
	case o.GroupKey != "":
		from += " INDEXED BY incidents_group_key"
	case o.OpenActions:
		from += " INDEXED BY incidents_open_actions"
	case !o.Since.IsZero():
		from += " INDEXED BY incidents_declared_at"
	case o.Service != "":
		from += " INDEXED BY incidents_service"
	case o.Severity != "":
		from += " INDEXED BY incidents_severity"
	case o.OpenOnly:
		from += " INDEXED BY incidents_open"
	case o.ResolvedOnly:
		from += " INDEXED BY incidents_resolved"
	}
	if o.Before != 0 {
		add(number+" < ?", o.Before)
	}
	if o.GroupKey != "" {
		add("i.group_key = ? AND i.group_key <> ''", o.GroupKey) // the second term lets the partial index serve
	}
	if o.OpenActions {
		add("i.open_actions <> 0")
	}
	if !o.Since.IsZero() {
		add("i.declared_at >= ?", ts(o.Since))
	}
	if o.Service != "" {
		add("i.service = ? AND i.service <> ''", o.Service)
	}
	if o.Severity != "" {
		add("i.severity = ?", o.Severity)
	}
	if o.OpenOnly {
		add("i.status <> 'resolved'")
	}
	if o.ResolvedOnly {
		add("i.status = 'resolved'")
	}
	q := `SELECT i.number, i.version, i.status, i.declared_at, i.body FROM ` + from
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY " + number + " DESC"
	if o.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, o.Limit)
	}
	return q, args
}
