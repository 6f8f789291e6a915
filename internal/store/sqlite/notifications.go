package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
)

var _ paging.Store = (*Store)(nil)

// pagingSchema is migration 10: pages learn whether their message links
// the incident's channel (every page before was posted after the channel),
// notifications keep each step of each person's rules, and escalations
// what declines did to an incident's plan.
const pagingSchema = `
ALTER TABLE pages ADD COLUMN linked INTEGER NOT NULL DEFAULT 1;
CREATE TABLE notifications (
	id          TEXT PRIMARY KEY,
	page        TEXT NOT NULL,
	incident    INTEGER NOT NULL,
	person      TEXT NOT NULL,
	user_id     TEXT NOT NULL,
	method      TEXT NOT NULL,
	step        INTEGER NOT NULL,
	kind        TEXT NOT NULL,
	note        TEXT NOT NULL,
	state       TEXT NOT NULL,
	due_at      INTEGER NOT NULL,
	provider    TEXT NOT NULL,
	provider_id TEXT NOT NULL,
	status      TEXT NOT NULL,
	error       TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX notifications_incident ON notifications (incident, due_at, id);
CREATE INDEX notifications_user ON notifications (user_id, created_at);
CREATE TABLE escalations (
	incident INTEGER PRIMARY KEY,
	version  INTEGER NOT NULL,
	body     TEXT NOT NULL
) STRICT;
`

const notificationCols = `id, page, incident, person, user_id, method, step, kind, note, state, due_at, provider, provider_id, status, error, created_at, updated_at`

func notificationArgs(n paging.Notification) []any {
	return []any{n.ID, n.Page, n.Incident, n.Person, n.User, string(n.Method), n.Step, string(n.Kind), n.Note, string(n.State), ts(n.DueAt),
		n.Provider, n.ProviderID, n.Status, n.Error, ts(n.CreatedAt), ts(n.UpdatedAt)}
}

func scanNotification(row interface{ Scan(...any) error }) (paging.Notification, error) {
	var (
		n                    paging.Notification
		method, state, kind  string
		due, created, update int64
	)
	err := row.Scan(&n.ID, &n.Page, &n.Incident, &n.Person, &n.User, &method, &n.Step, &kind, &n.Note, &state, &due,
		&n.Provider, &n.ProviderID, &n.Status, &n.Error, &created, &update)
	n.Method, n.State, n.Kind = oncall.Method(method), paging.NotificationState(state), paging.NotificationKind(kind)
	n.DueAt, n.CreatedAt, n.UpdatedAt = fromTS(due), fromTS(created), fromTS(update)
	return n, err
}

// AddNotification implements paging.Store.
func (s *Store) AddNotification(ctx context.Context, n paging.Notification) (paging.Notification, bool, error) {
	if n.State == "" {
		n.State = paging.NotifyPending
	}
	ok, err := s.exec(ctx, `INSERT INTO notifications (`+notificationCols+`) VALUES (?`+strings.Repeat(", ?", 16)+`)
		ON CONFLICT (id) DO NOTHING`, notificationArgs(n)...)
	if err != nil {
		return paging.Notification{}, false, fmt.Errorf("record notification %s: %w", n.ID, err)
	}
	stored, err := scanNotification(s.w.QueryRowContext(ctx, `SELECT `+notificationCols+` FROM notifications WHERE id = ?`, n.ID))
	if err != nil {
		return paging.Notification{}, false, fmt.Errorf("read notification %s: %w", n.ID, err)
	}
	return stored, ok, nil
}

// MoveNotification implements paging.Store with one conditional UPDATE.
func (s *Store) MoveNotification(ctx context.Context, n paging.Notification, from ...paging.NotificationState) (bool, error) {
	if len(from) == 0 {
		return false, errors.New("move notification: no state to move from")
	}
	args := append(notificationArgs(n)[1:], n.ID)
	for _, f := range from {
		args = append(args, string(f))
	}
	ok, err := s.exec(ctx, `UPDATE notifications SET page = ?, incident = ?, person = ?, user_id = ?, method = ?, step = ?, kind = ?,
		note = ?, state = ?, due_at = ?, provider = ?, provider_id = ?, status = ?, error = ?, created_at = ?, updated_at = ?
		WHERE id = ? AND state IN (?`+strings.Repeat(", ?", len(from)-1)+`)`, args...)
	if err != nil {
		return false, fmt.Errorf("update notification %s: %w", n.ID, err)
	}
	return ok, nil
}

// Notification implements paging.Store.
func (s *Store) Notification(ctx context.Context, id string) (paging.Notification, error) {
	n, err := scanNotification(s.r.QueryRowContext(ctx, `SELECT `+notificationCols+` FROM notifications WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return n, fmt.Errorf("notification %s: %w", id, paging.ErrNotFound)
	}
	if err != nil {
		return n, fmt.Errorf("notification %s: %w", id, err)
	}
	return n, nil
}

// Notifications implements paging.Store.
func (s *Store) Notifications(ctx context.Context, incident int64) ([]paging.Notification, error) {
	return s.queryNotifications(ctx, `SELECT `+notificationCols+` FROM notifications WHERE incident = ? ORDER BY due_at, id`, incident)
}

// NotificationsTo implements paging.Store.
func (s *Store) NotificationsTo(ctx context.Context, user string, since time.Time) ([]paging.Notification, error) {
	return s.queryNotifications(ctx, `SELECT `+notificationCols+` FROM notifications WHERE user_id = ? AND created_at >= ?
		ORDER BY created_at DESC, id DESC`, user, ts(since))
}

func (s *Store) queryNotifications(ctx context.Context, q string, args ...any) ([]paging.Notification, error) {
	return queryAll(ctx, s, nil, "list notifications", scanNotification, q, args...)
}

// escalationDoc is the stored body of an escalation.
type escalationDoc struct {
	Shift     time.Duration `json:"shift,omitempty"`
	Done      []string      `json:"done,omitempty"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// GetEscalation implements paging.Store.
func (s *Store) GetEscalation(ctx context.Context, incident int64) (paging.Escalation, error) {
	var (
		v    int64
		body []byte
	)
	err := s.r.QueryRowContext(ctx, `SELECT version, body FROM escalations WHERE incident = ?`, incident).Scan(&v, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return paging.Escalation{}, fmt.Errorf("escalation of incident #%d: %w", incident, paging.ErrNotFound)
	}
	var d escalationDoc
	if err == nil {
		err = json.Unmarshal(body, &d)
	}
	if err != nil {
		return paging.Escalation{}, fmt.Errorf("escalation of incident #%d: %w", incident, err)
	}
	return paging.Escalation{Incident: incident, Shift: d.Shift, Done: d.Done, Version: v, UpdatedAt: d.UpdatedAt.UTC()}, nil
}

// PutEscalation implements paging.Store: an insert for version 0, else an
// update conditional on the version.
func (s *Store) PutEscalation(ctx context.Context, e *paging.Escalation) error {
	body, err := json.Marshal(escalationDoc{Shift: e.Shift, Done: e.Done, UpdatedAt: e.UpdatedAt.UTC()})
	if err != nil {
		return err
	}
	var ok bool
	if e.Version == 0 {
		ok, err = s.exec(ctx, `INSERT INTO escalations (incident, version, body) VALUES (?, 1, ?) ON CONFLICT DO NOTHING`, e.Incident, string(body))
	} else {
		ok, err = s.exec(ctx, `UPDATE escalations SET version = version + 1, body = ? WHERE incident = ? AND version = ?`, string(body), e.Incident, e.Version)
	}
	if err != nil {
		return fmt.Errorf("store the escalation of incident #%d: %w", e.Incident, err)
	}
	if !ok {
		return fmt.Errorf("escalation of incident #%d at version %d: %w", e.Incident, e.Version, paging.ErrConflict)
	}
	e.Version++
	return nil
}
