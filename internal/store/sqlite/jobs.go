package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/internal/jobs"
)

var _ jobs.Store = (*Store)(nil)

const jobCols = `key, kind, payload, run_at, attempts, last_error, lease_owner, lease_until, rerun, created_at, priority`

func scanJob(row interface{ Scan(...any) error }) (*jobs.Job, error) {
	var (
		j                               jobs.Job
		payload                         []byte
		runAt, leaseUntil, createdAt, r int64
	)
	if err := row.Scan(&j.Key, &j.Kind, &payload, &runAt, &j.Attempts, &j.LastError, &j.LeaseOwner, &leaseUntil, &r, &createdAt, &j.Priority); err != nil {
		return nil, err
	}
	j.RunAt, j.CreatedAt, j.Rerun = fromTS(runAt), fromTS(createdAt), r != 0
	if j.LeaseOwner != "" {
		j.LeaseUntil = fromTS(leaseUntil)
	}
	if len(payload) > 0 {
		if err := json.Unmarshal(payload, &j.Payload); err != nil {
			return nil, fmt.Errorf("job %s: payload: %w", j.Key, err)
		}
	}
	return &j, nil
}

// Enqueue implements jobs.Store in one transaction: insert, or ask a running
// job for a rerun, or move a pending timer earlier.
func (s *Store) Enqueue(ctx context.Context, j jobs.Job) error {
	if err := s.tx(ctx, func(tx *sql.Tx) error { return enqueue(ctx, tx, j) }); err != nil {
		return fmt.Errorf("enqueue job %s: %w", j.Key, err)
	}
	return nil
}

// enqueue is Enqueue within tx (Commit schedules a change's tasks with it).
func enqueue(ctx context.Context, tx *sql.Tx, j jobs.Job) error {
	if j.Key == "" {
		return errors.New("empty key")
	}
	var payload any // NULL without a payload
	if len(j.Payload) > 0 {
		b, err := json.Marshal(j.Payload)
		if err != nil {
			return err
		}
		payload = string(b)
	}
	var (
		owner              string
		attempts, priority int
		runAt              int64
	)
	err := tx.QueryRowContext(ctx, `SELECT lease_owner, attempts, run_at, priority FROM jobs WHERE key = ?`, j.Key).Scan(&owner, &attempts, &runAt, &priority)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO jobs (key, kind, payload, run_at, created_at, priority) VALUES (?, ?, ?, ?, ?, ?)`,
			j.Key, j.Kind, payload, ts(j.RunAt), ts(j.CreatedAt), j.Priority)
	case err != nil:
	case owner != "":
		// Running: ask for one more run after this one.
		_, err = tx.ExecContext(ctx, `UPDATE jobs SET rerun = 1, priority = min(priority, ?) WHERE key = ?`, j.Priority, j.Key)
	case attempts == 0 && runAt > ts(j.RunAt):
		// A pending timer that has not failed yet: move it earlier.
		_, err = tx.ExecContext(ctx, `UPDATE jobs SET run_at = ?, priority = min(priority, ?) WHERE key = ?`, ts(j.RunAt), j.Priority, j.Key)
	case j.Priority < priority:
		_, err = tx.ExecContext(ctx, `UPDATE jobs SET priority = ? WHERE key = ?`, j.Priority, j.Key)
	}
	return err
}

// Claim implements jobs.Store with one UPDATE of the most urgent due,
// unleased job (read through the (priority, run_at) index), so two claims
// never take one job.
func (s *Store) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, upTo int) (*jobs.Job, error) {
	j, err := scanJob(s.w.QueryRowContext(ctx, `UPDATE jobs SET lease_owner = ?1, lease_until = ?2, rerun = 0, attempts = attempts + 1
		WHERE key = (SELECT key FROM jobs WHERE priority <= ?4 AND run_at <= ?3 AND lease_until <= ?3 ORDER BY priority, run_at, key LIMIT 1)
		RETURNING `+jobCols, owner, ts(now.Add(lease)), ts(now), upTo))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim job for %s: %w", owner, unavailable(err))
	}
	return j, nil
}

// exec runs a statement on the writer and reports whether it changed a row.
func (s *Store) exec(ctx context.Context, q string, args ...any) (bool, error) {
	res, err := s.w.ExecContext(ctx, q, args...)
	if err != nil {
		return false, unavailable(err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Extend implements jobs.Store.
func (s *Store) Extend(ctx context.Context, key, owner string, until time.Time) error {
	if owner == "" {
		return jobs.ErrLeaseLost
	}
	ok, err := s.exec(ctx, `UPDATE jobs SET lease_until = ? WHERE key = ? AND lease_owner = ?`, ts(until), key, owner)
	if err != nil {
		return fmt.Errorf("extend lease of job %s: %w", key, err)
	}
	if !ok {
		return fmt.Errorf("extend lease of job %s for %s: %w", key, owner, jobs.ErrLeaseLost)
	}
	return nil
}

// Complete implements jobs.Store: delete when no rerun was asked for, else
// release for the rerun; one transaction.
func (s *Store) Complete(ctx context.Context, key, owner string, now time.Time) error {
	if owner == "" {
		return jobs.ErrLeaseLost
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var rerun int
		err := tx.QueryRowContext(ctx, `SELECT rerun FROM jobs WHERE key = ? AND lease_owner = ?`, key, owner).Scan(&rerun)
		if errors.Is(err, sql.ErrNoRows) {
			return jobs.ErrLeaseLost
		}
		if err != nil {
			return err
		}
		if rerun == 0 {
			_, err = tx.ExecContext(ctx, `DELETE FROM jobs WHERE key = ?`, key)
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE jobs SET lease_owner = '', lease_until = 0, rerun = 0, run_at = ?,
			attempts = 0, last_error = '' WHERE key = ?`, ts(now), key)
		return err
	})
	if errors.Is(err, jobs.ErrLeaseLost) {
		return fmt.Errorf("complete job %s for %s: %w", key, owner, err)
	}
	if err != nil {
		return fmt.Errorf("complete job %s: %w", key, err)
	}
	return nil
}

// Retry implements jobs.Store.
func (s *Store) Retry(ctx context.Context, key, owner string, runAt time.Time, errText string) error {
	if owner == "" {
		return jobs.ErrLeaseLost
	}
	ok, err := s.exec(ctx, `UPDATE jobs SET lease_owner = '', lease_until = 0, rerun = 0, run_at = ?, last_error = ?
		WHERE key = ? AND lease_owner = ?`, ts(runAt), errText, key, owner)
	if err != nil {
		return fmt.Errorf("retry job %s: %w", key, err)
	}
	if !ok {
		return fmt.Errorf("retry job %s for %s: %w", key, owner, jobs.ErrLeaseLost)
	}
	return nil
}

// Cancel implements jobs.Store.
func (s *Store) Cancel(ctx context.Context, key string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM jobs WHERE key = ?`, key); err != nil {
		return fmt.Errorf("cancel job %s: %w", key, unavailable(err))
	}
	return nil
}

// Get implements jobs.Store.
func (s *Store) Get(ctx context.Context, key string) (*jobs.Job, error) {
	j, err := scanJob(s.r.QueryRowContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get job %s: %w", key, jobs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", key, err)
	}
	return j, nil
}

// Count implements jobs.Store.
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM jobs`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count jobs: %w", err)
	}
	return n, nil
}

// List implements jobs.Store.
func (s *Store) List(ctx context.Context) ([]jobs.Job, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+jobCols+` FROM jobs ORDER BY run_at, key`)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	out := []jobs.Job{}
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		out = append(out, *j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}

// MarkTick implements jobs.Store: the primary key makes exactly one insert win.
func (s *Store) MarkTick(ctx context.Context, key string, at time.Time) (bool, error) {
	ok, err := s.exec(ctx, `INSERT INTO job_ticks (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, ts(at))
	if err != nil {
		return false, fmt.Errorf("mark tick %s: %w", key, err)
	}
	return ok, nil
}

// UnmarkTick implements jobs.Store.
func (s *Store) UnmarkTick(ctx context.Context, key string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM job_ticks WHERE key = ?`, key); err != nil {
		return fmt.Errorf("unmark tick %s: %w", key, err)
	}
	return nil
}

// PruneTicks implements jobs.Store.
func (s *Store) PruneTicks(ctx context.Context, before time.Time) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM job_ticks WHERE at < ?`, ts(before)); err != nil {
		return fmt.Errorf("prune tick marks before %s: %w", before.UTC().Format(time.RFC3339), err)
	}
	return nil
}

// Jobs returns the store itself: jobs live in the same database.
func (s *Store) Jobs() jobs.Store { return s }
