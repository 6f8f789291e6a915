package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sirupsen/logrus"
)

// migrations build the schema; migrations[i] takes a database from version i
// to i+1. Forward only: a released migration is never edited, a change is a
// new one at the end.
//
// No foreign key ties events, groups or Slack state to incidents: the service
// persists events before the incident they belong to (so a crash in between
// is replayed, not lost), which such a key would refuse.
var migrations = []string{
	// 1: incidents, timelines, alert groups, the storm guard, the inbox, leases.
	`
CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) STRICT;
CREATE TABLE incidents (
	number      INTEGER PRIMARY KEY,
	version     INTEGER NOT NULL,
	status      TEXT NOT NULL,
	declared_at INTEGER NOT NULL,
	body        TEXT NOT NULL
) STRICT;
CREATE INDEX incidents_open ON incidents (number) WHERE status <> 'resolved';
CREATE INDEX incidents_declared_at ON incidents (declared_at);
-- Clustered by (incident, at, id): a timeline is one range scan.
CREATE TABLE events (
	incident INTEGER NOT NULL,
	at       INTEGER NOT NULL,
	id       TEXT NOT NULL,
	type     TEXT NOT NULL,
	actor    TEXT NOT NULL,
	text     TEXT NOT NULL,
	fields   BLOB, -- encodeFields
	PRIMARY KEY (incident, at, id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX events_id ON events (id);
CREATE TABLE alert_groups (
	key      TEXT PRIMARY KEY,
	incident INTEGER NOT NULL
) STRICT;
CREATE TABLE state (
	name TEXT PRIMARY KEY,
	body TEXT NOT NULL
) STRICT;
CREATE TABLE inbox (
	id          TEXT PRIMARY KEY,
	received_at INTEGER NOT NULL,
	body        BLOB NOT NULL
) STRICT;
CREATE TABLE leases (
	name   TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	until  INTEGER NOT NULL
) STRICT;
`,
	// 2: durable jobs and cron tick marks.
	`
CREATE TABLE jobs (
	key         TEXT PRIMARY KEY,
	kind        TEXT NOT NULL,
	payload     TEXT,
	run_at      INTEGER NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT '',
	lease_owner TEXT NOT NULL DEFAULT '',
	lease_until INTEGER NOT NULL DEFAULT 0,
	rerun       INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX jobs_due ON jobs (run_at, key);
CREATE TABLE job_ticks (
	key TEXT PRIMARY KEY,
	at  INTEGER NOT NULL
) STRICT;
CREATE INDEX job_ticks_at ON job_ticks (at);
`,
	// 3: the Slack adapter's bookkeeping (bot/slackstate).
	`
CREATE TABLE slack_state (
	number                INTEGER PRIMARY KEY,
	version               INTEGER NOT NULL,
	channel_id            TEXT NOT NULL,
	channel_name          TEXT NOT NULL,
	summary_ts            TEXT NOT NULL,
	summary_pinned        INTEGER NOT NULL,
	announced_open        TEXT NOT NULL,
	announced_resolved    TEXT NOT NULL,
	announced_resolved_at INTEGER NOT NULL,
	topic                 TEXT NOT NULL,
	purpose               TEXT NOT NULL,
	invited               TEXT NOT NULL,
	nudged_at             INTEGER NOT NULL
) STRICT;
CREATE INDEX slack_state_channel ON slack_state (channel_id) WHERE channel_id <> '';
`,
	// 4: deployments (package deploys) and which one caused which incident.
	`
CREATE TABLE deployments (
	id          TEXT PRIMARY KEY,
	service     TEXT NOT NULL,
	version     TEXT NOT NULL,
	environment TEXT NOT NULL,
	status      TEXT NOT NULL,
	at          INTEGER NOT NULL,
	commit_sha  TEXT NOT NULL,
	commit_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX deployments_at ON deployments (at, id);
CREATE TABLE causes (
	incident   INTEGER PRIMARY KEY,
	deployment TEXT NOT NULL
) STRICT;
`,
	// 5: on-call pages sent (oncall.PageStore).
	pagesSchema,
	// 6: on-call overrides (oncall.OverrideStore).
	overridesSchema,
	// 7: postmortem records (postmortem.Store).
	postmortemsSchema,
	// 8: the incidents' filter columns and alert names (incidents.ListOptions).
	incidentIndexSchema,
	// 9: the timeline's hash chain (sealed by sealEvents), every alert in
	// its own row, job priorities.
	chainSchema,
	// 10: each person's notifications and each incident's escalation (package paging).
	pagingSchema,
	// 11: maintenance windows and heartbeats (packages maintenance, heartbeats).
	maintenanceSchema,
}

// migrationSteps run Go after a migration's SQL, in its transaction, for
// what SQL cannot do; each returns a line for the log.
var migrationSteps = map[int]func(ctx context.Context, tx *sql.Tx) (string, error){
	9: sealEvents,
}

// schemaVersion is the version Open migrates to.
var schemaVersion = len(migrations)

// migrate brings db to version to, one transaction per migration, so a crash
// leaves the database at some whole version.
func migrate(ctx context.Context, db *sql.DB, to int, log *logrus.Entry) error {
	if _, err := db.ExecContext(ctx,
		`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	for {
		done, err := migrateOne(ctx, db, to, log)
		if err != nil || done {
			return err
		}
	}
}

func migrateOne(ctx context.Context, db *sql.DB, to int, log *logrus.Entry) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrate: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var v int
	err = tx.QueryRowContext(ctx, "SELECT version FROM schema_version").Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err = tx.ExecContext(ctx, "INSERT INTO schema_version (version) VALUES (0)"); err != nil {
			return false, fmt.Errorf("migrate: %w", err)
		}
		v, err = 0, nil
	}
	if err != nil {
		return false, fmt.Errorf("migrate: read schema version: %w", err)
	}
	switch {
	case v > len(migrations):
		return false, fmt.Errorf("schema version %d is newer than this incidentbot knows (%d): run a newer release", v, len(migrations))
	case v >= to:
		return true, tx.Rollback()
	}
	if _, err = tx.ExecContext(ctx, migrations[v]); err != nil {
		return false, fmt.Errorf("migrate to schema version %d: %w", v+1, err)
	}
	if step := migrationSteps[v+1]; step != nil {
		note, err := step(ctx, tx)
		if err != nil {
			return false, fmt.Errorf("migrate to schema version %d: %w", v+1, err)
		}
		log.WithField("schema_version", v+1).Info(note)
	}
	if _, err = tx.ExecContext(ctx, "UPDATE schema_version SET version = ?", v+1); err != nil {
		return false, fmt.Errorf("migrate to schema version %d: %w", v+1, err)
	}
	if err = tx.Commit(); err != nil {
		return false, fmt.Errorf("migrate to schema version %d: commit: %w", v+1, err)
	}
	return false, nil
}
