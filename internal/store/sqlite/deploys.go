package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/deploys"
)

var _ deploys.Store = (*Store)(nil)

const deployCols = `id, service, version, environment, status, at, commit_sha, commit_at`

func scanDeployment(row interface{ Scan(...any) error }) (deploys.Deployment, error) {
	var (
		d            deploys.Deployment
		status       string
		at, commitAt int64
	)
	err := row.Scan(&d.ID, &d.Service, &d.Version, &d.Environment, &status, &at, &d.Commit, &commitAt)
	d.Status, d.At, d.CommitAt = deploys.Status(status), fromTS(at), fromTS(commitAt)
	return d, err
}

// AddDeployment implements deploys.Store: an insert that keeps what is
// stored under an ID already taken.
func (s *Store) AddDeployment(ctx context.Context, d deploys.Deployment) (bool, error) {
	ok, err := s.exec(ctx, `INSERT INTO deployments (`+deployCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, d.ID, d.Service, d.Version, d.Environment, string(d.Status), ts(d.At), d.Commit, ts(d.CommitAt))
	if err != nil {
		return false, fmt.Errorf("store deployment %s: %w", d.ID, err)
	}
	return ok, nil
}

// Deployment implements deploys.Store.
func (s *Store) Deployment(ctx context.Context, id string) (deploys.Deployment, error) {
	d, err := scanDeployment(s.r.QueryRowContext(ctx, `SELECT `+deployCols+` FROM deployments WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return deploys.Deployment{}, fmt.Errorf("deployment %s: %w", id, deploys.ErrNotFound)
	}
	if err != nil {
		return deploys.Deployment{}, fmt.Errorf("read deployment %s: %w", id, err)
	}
	return d, nil
}

// deploymentsQuery is the SELECT of Deployments, through the (at, id) index.
const deploymentsQuery = `SELECT ` + deployCols + ` FROM deployments WHERE at >= ? AND at < ? ORDER BY at, id`

// Deployments implements deploys.Store: At in [from, to), oldest first.
func (s *Store) Deployments(ctx context.Context, from, to time.Time) ([]deploys.Deployment, error) {
	return queryAll(ctx, s, []deploys.Deployment{}, "list deployments", scanDeployment, deploymentsQuery, ts(from), ts(to))
}

// SetCause implements deploys.Store (upsert by incident).
func (s *Store) SetCause(ctx context.Context, incident int64, id string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO causes (incident, deployment) VALUES (?, ?)
		ON CONFLICT (incident) DO UPDATE SET deployment = excluded.deployment`, incident, id)
	if err != nil {
		return fmt.Errorf("link incident #%d to deployment %s: %w", incident, id, unavailable(err))
	}
	return nil
}

// Causes implements deploys.Store. One row per incident with a known cause,
// so the table grows with incidents; the statistics read it all anyway.
func (s *Store) Causes(ctx context.Context) (map[int64]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT incident, deployment FROM causes`)
	if err != nil {
		return nil, fmt.Errorf("list causes: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var (
			n  int64
			id string
		)
		if err := rows.Scan(&n, &id); err != nil {
			return nil, fmt.Errorf("list causes: %w", err)
		}
		out[n] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list causes: %w", err)
	}
	return out, nil
}
