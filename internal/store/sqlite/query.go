package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// rowScanner is a row to scan: a *sql.Row or the current row of *sql.Rows.
// An alias, so that the scanX functions, which name the interface literally,
// fit queryAll and removeByID.
type rowScanner = interface{ Scan(dest ...any) error }

// queryAll runs q on the reader and appends every row, read by scan, to out:
// the caller passes nil or an empty slice for what no row gives. An error
// is wrapped in "what: ".
func queryAll[T any](ctx context.Context, s *Store, out []T, what string, scan func(rowScanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// removeByID reads the row of table with the given id, as scan reads cols,
// and deletes it, in one transaction. No such row is notFound (the domain
// package's ErrNotFound) wrapped in "what id: "; any other error is wrapped
// in "remove what id: ".
func removeByID[T any](ctx context.Context, s *Store, table, cols string, scan func(rowScanner) (T, error),
	id, what string, notFound error) (T, error) {
	var v T
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if v, err = scan(tx.QueryRowContext(ctx, `SELECT `+cols+` FROM `+table+` WHERE id = ?`, id)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE id = ?`, id)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		var zero T
		return zero, fmt.Errorf("%s %s: %w", what, id, notFound)
	}
	if err != nil {
		var zero T
		return zero, fmt.Errorf("remove %s %s: %w", what, id, err)
	}
	return v, nil
}
