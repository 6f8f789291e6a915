package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/incidentbot/incidentbot/alertmanager"
)

var _ alertmanager.Inbox = (*Store)(nil)

// inboxDoc is one stored webhook body; the body is BSON binary.
type inboxDoc struct {
	ID         string    `bson:"_id"`
	ReceivedAt time.Time `bson:"received_at"`
	Body       []byte    `bson:"body"`
}

// AppendInbox implements alertmanager.Inbox with one unordered insertMany;
// items whose ID is already stored are skipped.
func (s *Store) AppendInbox(ctx context.Context, items []alertmanager.InboxItem) error {
	if len(items) == 0 {
		return nil
	}
	docs := make([]any, len(items))
	for i, it := range items {
		docs[i] = inboxDoc{ID: it.ID, ReceivedAt: it.ReceivedAt, Body: it.Body}
	}
	_, err := s.db.Collection(colInbox).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err != nil && !isDuplicateOnly(err) {
		return fmt.Errorf("append %d inbox items: %w", len(items), unavailable(err))
	}
	return nil
}

// PendingInbox implements alertmanager.Inbox: up to limit items (all if limit <= 0), oldest ID first.
func (s *Store) PendingInbox(ctx context.Context, limit int) ([]alertmanager.InboxItem, error) {
	// The _id index gives the order.
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}})
	if limit > 0 {
		opts.SetLimit(int64(limit))
	}
	return findAll(ctx, s.db.Collection(colInbox), bson.D{}, opts, "read inbox", func(d inboxDoc) alertmanager.InboxItem {
		return alertmanager.InboxItem{ID: d.ID, ReceivedAt: d.ReceivedAt.UTC(), Body: d.Body}
	})
}

// RemoveInbox implements alertmanager.Inbox; unknown IDs are ignored.
func (s *Store) RemoveInbox(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.db.Collection(colInbox).DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return fmt.Errorf("remove %d inbox items: %w", len(ids), err)
	}
	return nil
}
