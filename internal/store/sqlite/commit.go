package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/jobs"
)

// chainSchema is migration 9: events get their place and hash in their
// incident's chain (sealEvents fills them for the events already stored,
// then makes the place unique), every alert gets a row of its own (filled
// from the bodies, which keep at most incidents.MaxInlineAlerts from now
// on), and jobs a priority with the claim index ordered by it.
const chainSchema = `
ALTER TABLE events ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE TABLE alerts (
	incident    INTEGER NOT NULL,
	fingerprint TEXT NOT NULL,
	body        TEXT NOT NULL,
	PRIMARY KEY (incident, fingerprint)
) STRICT, WITHOUT ROWID;
INSERT INTO alerts (incident, fingerprint, body)
	SELECT i.number, a.key, a.value FROM incidents AS i, json_each(i.body, '$.alerts') AS a;
ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs (priority, run_at, key);
`

// sealEvents chains the events stored before the chain existed, in
// timeline order (at, id) per incident, and makes (incident, seq) unique.
func sealEvents(ctx context.Context, tx *sql.Tx) (string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+eventCols+` FROM events ORDER BY incident, at, id`)
	if err != nil {
		return "", fmt.Errorf("seal events: %w", err)
	}
	var all []incidents.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			rows.Close()
			return "", fmt.Errorf("seal events: %w", err)
		}
		all = append(all, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("seal events: %w", err)
	}
	heads := map[int64]incidents.Event{}
	for _, e := range all {
		prev := heads[e.Incident]
		e = incidents.Seal(e.Incident, incidents.ChainHead{Seq: prev.Seq, Hash: prev.Hash}, e)[0]
		heads[e.Incident] = e
		if _, err := tx.ExecContext(ctx, `UPDATE events SET seq = ?, hash = ? WHERE id = ?`, e.Seq, e.Hash, e.ID); err != nil {
			return "", fmt.Errorf("seal event %s: %w", e.ID, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE UNIQUE INDEX events_seq ON events (incident, seq)`); err != nil {
		return "", fmt.Errorf("seal events: %w", err)
	}
	return fmt.Sprintf("sealed the %d timeline events of %d incidents recorded before the hash chain: "+
		"each now carries its place and hash, so `incidentbot verify` can tell a changed record from then on", len(all), len(heads)), nil
}

// LastNumber implements incidents.Store.
func (s *Store) LastNumber(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'incident'`).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the incident counter: %w", err)
	}
	return n, nil
}

// GetAlerts implements incidents.Store: one primary-key lookup per fingerprint.
func (s *Store) GetAlerts(ctx context.Context, number int64, fingerprints []string) (map[string]incidents.Alert, error) {
	out := map[string]incidents.Alert{}
	for len(fingerprints) > 0 {
		chunk := fingerprints[:min(len(fingerprints), 500)]
		fingerprints = fingerprints[len(chunk):]
		args := []any{number}
		for _, fp := range chunk {
			args = append(args, fp)
		}
		rows, err := s.r.QueryContext(ctx, `SELECT fingerprint, body FROM alerts WHERE incident = ? AND fingerprint IN (?`+
			strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("alerts of incident #%d: %w", number, err)
		}
		for rows.Next() {
			var (
				fp   string
				body []byte
			)
			if err := rows.Scan(&fp, &body); err != nil {
				rows.Close()
				return nil, fmt.Errorf("alerts of incident #%d: %w", number, err)
			}
			var d alertDoc
			if err := json.Unmarshal(body, &d); err != nil {
				rows.Close()
				return nil, fmt.Errorf("alert %s of incident #%d: %w", fp, number, err)
			}
			out[fp] = d.alert(fp)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("alerts of incident #%d: %w", number, err)
		}
	}
	return out, nil
}

// Commit implements incidents.Store in one immediate transaction: the
// checks (counter, versions, free numbers) come first, and any failure
// rolls the whole change back.
func (s *Store) Commit(ctx context.Context, c *incidents.Change) error {
	var bodies [][]byte
	for _, inc := range append(append([]*incidents.Incident(nil), c.Create...), c.Update...) {
		b, err := encodeIncident(inc)
		if err != nil {
			return fmt.Errorf("commit: incident #%d: %w", inc.Number, err)
		}
		bodies = append(bodies, b)
	}
	var sealed []incidents.Event
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := moveCounter(ctx, tx, c.Counter); err != nil {
			return err
		}
		for i, inc := range c.Create {
			if err := createIncident(ctx, tx, inc, bodies[i]); err != nil {
				return err
			}
		}
		for i, inc := range c.Update {
			if err := updateIncident(ctx, tx, inc, bodies[len(c.Create)+i]); err != nil {
				return err
			}
		}
		var err error
		if sealed, err = appendEvents(ctx, tx, c.Events); err != nil {
			return err
		}
		if err := putAlerts(ctx, tx, c.Alerts); err != nil {
			return err
		}
		for _, g := range c.Groups {
			if _, err := tx.ExecContext(ctx, `INSERT INTO alert_groups (key, incident) VALUES (?, ?)
				ON CONFLICT (key) DO UPDATE SET incident = excluded.incident`, g.Key, g.Incident); err != nil {
				return fmt.Errorf("record alert group of incident #%d: %w", g.Incident, err)
			}
		}
		if c.Storm != nil {
			if err := putStorm(ctx, tx, *c.Storm); err != nil {
				return err
			}
		}
		for _, t := range c.Tasks {
			if err := enqueue(ctx, tx, taskJob(t, c)); err != nil {
				return fmt.Errorf("schedule %s: %w", t.Key, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, inc := range c.Update {
		inc.Version++
	}
	copy(c.Events, sealed)
	return nil
}

// taskJob is the durable job of an incidents.Task: its payload is the
// incident number, as the app's job kinds for tasks decode it.
func taskJob(t incidents.Task, c *incidents.Change) jobs.Job {
	return jobs.Job{Key: t.Key, Kind: t.Kind, Payload: map[string]string{"incident": fmt.Sprint(t.Incident)},
		RunAt: t.RunAt, Priority: t.Priority, CreatedAt: c.At}
}

func moveCounter(ctx context.Context, tx *sql.Tx, c incidents.Counter) error {
	if c.To <= c.From {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO counters (name, value) VALUES ('incident', 0) ON CONFLICT (name) DO NOTHING`); err != nil {
		return fmt.Errorf("incident counter: %w", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE counters SET value = ? WHERE name = 'incident' AND value = ?`, c.To, c.From)
	if err != nil {
		return fmt.Errorf("incident counter: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("incident counter moved past %d: %w", c.From, incidents.ErrConflict)
	}
	return nil
}

func createIncident(ctx context.Context, tx *sql.Tx, inc *incidents.Incident, body []byte) error {
	args := append([]any{inc.Number, inc.Version, string(inc.Status), ts(inc.DeclaredAt), string(body)}, indexArgs(inc)...)
	if _, err := tx.ExecContext(ctx, `INSERT INTO incidents (`+incidentCols+`, `+indexCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...); err != nil {
		if isConstraint(err) {
			return fmt.Errorf("create incident #%d: %w", inc.Number, incidents.ErrExists)
		}
		return fmt.Errorf("create incident #%d: %w", inc.Number, err)
	}
	return syncAlertNames(ctx, tx, inc.Number, inc.AlertNames())
}

// updateIncident writes inc only if its stored version is still inc.Version.
func updateIncident(ctx context.Context, tx *sql.Tx, inc *incidents.Incident, body []byte) error {
	args := append([]any{string(inc.Status), ts(inc.DeclaredAt), string(body)}, indexArgs(inc)...)
	res, err := tx.ExecContext(ctx, updateIncidentSQL, append(args, inc.Number, inc.Version)...)
	if err != nil {
		return fmt.Errorf("update incident #%d: %w", inc.Number, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		// Tell a stale version from a missing incident.
		var v int64
		err := tx.QueryRowContext(ctx, `SELECT version FROM incidents WHERE number = ?`, inc.Number).Scan(&v)
		switch {
		case err == nil:
			return fmt.Errorf("update incident #%d at version %d: %w", inc.Number, inc.Version, incidents.ErrConflict)
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("update incident #%d: %w", inc.Number, incidents.ErrNotFound)
		default:
			return fmt.Errorf("update incident #%d: check existence: %w", inc.Number, err)
		}
	}
	return syncAlertNames(ctx, tx, inc.Number, inc.AlertNames())
}

// appendEvents inserts events not stored yet, each at the next place of its
// incident's chain with the chain's hash; it returns the events with Seq
// and Hash set (those skipped as stored already keep them zero).
func appendEvents(ctx context.Context, tx *sql.Tx, events []incidents.Event) ([]incidents.Event, error) {
	if len(events) == 0 {
		return nil, nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO events (id, incident, at, type, actor, text, fields, seq, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	heads := map[int64]incidents.Event{}
	out := make([]incidents.Event, len(events))
	for i, e := range events {
		prev, ok := heads[e.Incident]
		if !ok {
			err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM events WHERE incident = ? ORDER BY seq DESC LIMIT 1`, e.Incident).
				Scan(&prev.Seq, &prev.Hash)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, fmt.Errorf("chain head of incident #%d: %w", e.Incident, err)
			}
		}
		e = incidents.Seal(e.Incident, incidents.ChainHead{Seq: prev.Seq, Hash: prev.Hash}, e)[0]
		var fields any // NULL without fields
		if len(e.Fields) > 0 {
			fields = encodeFields(e.Fields)
		}
		res, err := st.ExecContext(ctx, e.ID, e.Incident, ts(e.At), string(e.Type), e.Actor, e.Text, fields, e.Seq, e.Hash)
		if err != nil {
			return nil, fmt.Errorf("append event %s: %w", e.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 { // stored already
			e.Seq, e.Hash = 0, ""
			heads[e.Incident] = prev
		} else {
			heads[e.Incident] = e
		}
		out[i] = e
	}
	return out, nil
}

func putAlerts(ctx context.Context, tx *sql.Tx, alerts []incidents.IncidentAlert) error {
	if len(alerts) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO alerts (incident, fingerprint, body) VALUES (?, ?, ?)
		ON CONFLICT (incident, fingerprint) DO UPDATE SET body = excluded.body`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, a := range alerts {
		body, err := json.Marshal(alertDocOf(a.Alert))
		if err != nil {
			return fmt.Errorf("alert %s: %w", a.Alert.Fingerprint, err)
		}
		if _, err := st.ExecContext(ctx, a.Incident, a.Alert.Fingerprint, string(body)); err != nil {
			return fmt.Errorf("store alert %s of incident #%d: %w", a.Alert.Fingerprint, a.Incident, err)
		}
	}
	return nil
}

// releaseLeases frees the job and applier leases a previous process left:
// the data-dir lock makes this process the only one on the store, so they
// are a dead process's, and waiting them out would only delay its work.
func (s *Store) releaseLeases(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE jobs SET lease_owner = '', lease_until = 0 WHERE lease_owner <> ''`); err != nil {
		return fmt.Errorf("release the job leases of a previous run: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM leases`); err != nil {
		return fmt.Errorf("release the leases of a previous run: %w", err)
	}
	return nil
}

// Secret returns the store's secret called name, made (32 random bytes) and
// stored the first time it is asked for, so every replica signs alike.
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO state (name, body) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
		"secret:"+name, hex.EncodeToString(fresh)); err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	var body string
	if err := s.w.QueryRowContext(ctx, `SELECT body FROM state WHERE name = ?`, "secret:"+name).Scan(&body); err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	return hex.DecodeString(body)
}
