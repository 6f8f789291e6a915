package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// leaseDoc is a named lease: who holds it and until when.
type leaseDoc struct {
	ID     string    `bson:"_id"`
	Holder string    `bson:"holder"`
	Until  time.Time `bson:"until"`
}

// AcquireLease takes or renews the lease name for holder until now+ttl. It
// succeeds when the lease is free, expired (until < now) or already held by
// holder, and reports false when someone else holds it. One conditional
// findOneAndUpdate with upsert: when the lease is held by another, the filter
// matches nothing and the upsert's insert of the same _id fails with a
// duplicate key, which means "not acquired"; so two holders racing on MongoDB
// never both win.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error) {
	filter := bson.D{
		{Key: "_id", Value: name},
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "holder", Value: holder}},
			bson.D{{Key: "until", Value: bson.D{{Key: "$lt", Value: now}}}},
		}},
	}
	update := bson.D{{Key: "$set", Value: bson.D{
		{Key: "holder", Value: holder},
		{Key: "until", Value: now.Add(ttl)},
	}}}
	var got leaseDoc
	err := s.db.Collection(colLeases).FindOneAndUpdate(ctx, filter, update,
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&got)
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("acquire lease %s for %s: %w", name, holder, err)
	}
	return got.Holder == holder, nil
}

// ReleaseLease gives up the lease name if holder holds it; otherwise it does nothing.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	err := s.db.Collection(colLeases).FindOneAndDelete(ctx,
		bson.D{{Key: "_id", Value: name}, {Key: "holder", Value: holder}}).Err()
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("release lease %s for %s: %w", name, holder, err)
	}
	return nil
}
