package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/alertmanager"
)

var _ alertmanager.Inbox = (*Store)(nil)

// AppendInbox implements alertmanager.Inbox in one transaction (one fsync
// for the whole batch); an item whose ID is stored already is skipped.
func (s *Store) AppendInbox(ctx context.Context, items []alertmanager.InboxItem) error {
	if len(items) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO inbox (id, received_at, body) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, it := range items {
			if _, err := st.ExecContext(ctx, it.ID, ts(it.ReceivedAt), it.Body); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("append %d inbox items: %w", len(items), err)
	}
	return nil
}

// PendingInbox implements alertmanager.Inbox: up to limit items (all if
// limit <= 0), oldest ID first, read in primary-key order.
func (s *Store) PendingInbox(ctx context.Context, limit int) ([]alertmanager.InboxItem, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	return queryAll(ctx, s, nil, "read inbox", func(row rowScanner) (alertmanager.InboxItem, error) {
		var (
			it alertmanager.InboxItem
			at int64
		)
		err := row.Scan(&it.ID, &at, &it.Body)
		it.ReceivedAt = fromTS(at)
		return it, err
	}, `SELECT id, received_at, body FROM inbox ORDER BY id LIMIT ?`, limit)
}

// removeChunk keeps each DELETE well under SQLite's limit on bound parameters.
const removeChunk = 500

// RemoveInbox implements alertmanager.Inbox; unknown IDs are ignored.
func (s *Store) RemoveInbox(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for len(ids) > 0 {
			n := min(len(ids), removeChunk)
			args := make([]any, n)
			for i, id := range ids[:n] {
				args[i] = id
			}
			q := `DELETE FROM inbox WHERE id IN (?` + strings.Repeat(", ?", n-1) + `)`
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
			ids = ids[n:]
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove inbox items: %w", err)
	}
	return nil
}

// AcquireLease takes or renews the lease name for holder until now+ttl. It
// succeeds when the lease is free, expired (until < now) or already held by
// holder, and reports false when someone else holds it: one upsert whose
// update applies only under those conditions.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error) {
	ok, err := s.exec(ctx, `INSERT INTO leases (name, holder, until) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE leases.holder = excluded.holder OR leases.until < ?`, name, holder, ts(now.Add(ttl)), ts(now))
	if err != nil {
		return false, fmt.Errorf("acquire lease %s for %s: %w", name, holder, err)
	}
	return ok, nil
}

// ReleaseLease gives up the lease name if holder holds it; otherwise it does nothing.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
		return fmt.Errorf("release lease %s for %s: %w", name, holder, err)
	}
	return nil
}
