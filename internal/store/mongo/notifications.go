package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
)

// Collections of the paging engine.
const (
	colNotifications = "notifications"
	colEscalations   = "escalations"
)

var _ paging.Store = (*Store)(nil)

type notificationDoc struct {
	ID         string    `bson:"_id"`
	Page       string    `bson:"page,omitempty"`
	Incident   int64     `bson:"incident"`
	Person     string    `bson:"person"`
	User       string    `bson:"user"`
	Method     string    `bson:"method"`
	Step       int       `bson:"step"`
	Kind       string    `bson:"kind"`
	Note       string    `bson:"note,omitempty"`
	State      string    `bson:"state"`
	DueAt      time.Time `bson:"due_at"`
	Provider   string    `bson:"provider,omitempty"`
	ProviderID string    `bson:"provider_id,omitempty"`
	Status     string    `bson:"status,omitempty"`
	Error      string    `bson:"error,omitempty"`
	CreatedAt  time.Time `bson:"created_at"`
	UpdatedAt  time.Time `bson:"updated_at"`
}

func notificationDocOf(n paging.Notification) notificationDoc {
	return notificationDoc{ID: n.ID, Page: n.Page, Incident: n.Incident, Person: n.Person, User: n.User, Method: string(n.Method),
		Step: n.Step, Kind: string(n.Kind), Note: n.Note, State: string(n.State), DueAt: utc(n.DueAt), Provider: n.Provider, ProviderID: n.ProviderID,
		Status: n.Status, Error: n.Error, CreatedAt: utc(n.CreatedAt), UpdatedAt: utc(n.UpdatedAt)}
}

func (d notificationDoc) notification() paging.Notification {
	return paging.Notification{ID: d.ID, Page: d.Page, Incident: d.Incident, Person: d.Person, User: d.User, Method: oncall.Method(d.Method),
		Step: d.Step, Kind: paging.NotificationKind(d.Kind), Note: d.Note, State: paging.NotificationState(d.State), DueAt: utc(d.DueAt), Provider: d.Provider,
		ProviderID: d.ProviderID, Status: d.Status, Error: d.Error, CreatedAt: utc(d.CreatedAt), UpdatedAt: utc(d.UpdatedAt)}
}

// ensureNotificationIndexes creates the paging engine's indexes; Open calls it.
func (s *Store) ensureNotificationIndexes(ctx context.Context) error {
	for _, m := range []mongo.IndexModel{
		{Keys: bson.D{{Key: "incident", Value: 1}, {Key: "due_at", Value: 1}, {Key: "_id", Value: 1}}, Options: options.Index().SetName("incident_due")},
		{Keys: bson.D{{Key: "user", Value: 1}, {Key: "created_at", Value: -1}}, Options: options.Index().SetName("user_created")},
	} {
		if _, err := s.db.Collection(colNotifications).Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("create index on %s: %w", colNotifications, err)
		}
	}
	return nil
}

// AddNotification implements paging.Store: an insert, where a duplicate
// _id means it was recorded before.
func (s *Store) AddNotification(ctx context.Context, n paging.Notification) (paging.Notification, bool, error) {
	if n.State == "" {
		n.State = paging.NotifyPending
	}
	added, err := insertOnce(ctx, s.db.Collection(colNotifications), notificationDocOf(n), "record notification "+n.ID)
	if err != nil {
		return paging.Notification{}, false, err
	}
	if added {
		return notificationDocOf(n).notification(), true, nil
	}
	stored, err := s.Notification(ctx, n.ID)
	return stored, false, err
}

// MoveNotification implements paging.Store with one replacement
// conditional on the state.
func (s *Store) MoveNotification(ctx context.Context, n paging.Notification, from ...paging.NotificationState) (bool, error) {
	states := make([]string, len(from))
	for i, f := range from {
		states[i] = string(f)
	}
	err := s.db.Collection(colNotifications).FindOneAndReplace(ctx,
		bson.D{{Key: "_id", Value: n.ID}, {Key: "state", Value: bson.D{{Key: "$in", Value: states}}}}, notificationDocOf(n)).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("update notification %s: %w", n.ID, err)
	}
	return true, nil
}

// Notification implements paging.Store.
func (s *Store) Notification(ctx context.Context, id string) (paging.Notification, error) {
	var d notificationDoc
	err := s.db.Collection(colNotifications).FindOne(ctx, byID(id)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return paging.Notification{}, fmt.Errorf("notification %s: %w", id, paging.ErrNotFound)
	}
	if err != nil {
		return paging.Notification{}, fmt.Errorf("notification %s: %w", id, err)
	}
	return d.notification(), nil
}

// Notifications implements paging.Store.
func (s *Store) Notifications(ctx context.Context, incident int64) ([]paging.Notification, error) {
	return s.findNotifications(ctx, bson.D{{Key: "incident", Value: incident}},
		bson.D{{Key: "due_at", Value: 1}, {Key: "_id", Value: 1}})
}

// NotificationsTo implements paging.Store.
func (s *Store) NotificationsTo(ctx context.Context, user string, since time.Time) ([]paging.Notification, error) {
	return s.findNotifications(ctx, bson.D{{Key: "user", Value: user}, {Key: "created_at", Value: bson.D{{Key: "$gte", Value: since.UTC()}}}},
		bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}})
}

func (s *Store) findNotifications(ctx context.Context, filter, sort bson.D) ([]paging.Notification, error) {
	return findAll(ctx, s.db.Collection(colNotifications), filter, options.Find().SetSort(sort), "list notifications", notificationDoc.notification)
}

type escalationDoc struct {
	Incident  int64         `bson:"_id"`
	Version   int64         `bson:"version"`
	Shift     time.Duration `bson:"shift"`
	Done      []string      `bson:"done,omitempty"`
	UpdatedAt time.Time     `bson:"updated_at"`
}

// GetEscalation implements paging.Store.
func (s *Store) GetEscalation(ctx context.Context, incident int64) (paging.Escalation, error) {
	var d escalationDoc
	err := s.db.Collection(colEscalations).FindOne(ctx, byID(incident)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return paging.Escalation{}, fmt.Errorf("escalation of incident #%d: %w", incident, paging.ErrNotFound)
	}
	if err != nil {
		return paging.Escalation{}, fmt.Errorf("escalation of incident #%d: %w", incident, err)
	}
	return paging.Escalation{Incident: incident, Shift: d.Shift, Done: d.Done, Version: d.Version, UpdatedAt: utc(d.UpdatedAt)}, nil
}

// PutEscalation implements paging.Store: an insert for version 0, else a
// replacement conditional on the version.
func (s *Store) PutEscalation(ctx context.Context, e *paging.Escalation) error {
	d := escalationDoc{Incident: e.Incident, Version: e.Version + 1, Shift: e.Shift, Done: e.Done, UpdatedAt: utc(e.UpdatedAt)}
	coll := s.db.Collection(colEscalations)
	var err error
	if e.Version == 0 {
		_, err = coll.InsertOne(ctx, d)
		if mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("escalation of incident #%d: %w", e.Incident, paging.ErrConflict)
		}
	} else {
		err = coll.FindOneAndReplace(ctx, bson.D{{Key: "_id", Value: e.Incident}, {Key: "version", Value: e.Version}}, d).Err()
		if errors.Is(err, mongo.ErrNoDocuments) {
			return fmt.Errorf("escalation of incident #%d at version %d: %w", e.Incident, e.Version, paging.ErrConflict)
		}
	}
	if err != nil {
		return fmt.Errorf("store the escalation of incident #%d: %w", e.Incident, err)
	}
	e.Version++
	return nil
}
