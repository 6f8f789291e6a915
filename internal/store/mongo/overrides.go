package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/incidentbot/incidentbot/oncall"
)

// colOverrides keeps the on-call overrides made by command.
const colOverrides = "overrides"

var _ oncall.OverrideStore = (*Store)(nil)

type overrideDoc struct {
	ID        string    `bson:"_id"`
	Schedule  string    `bson:"schedule"`
	Kind      string    `bson:"kind,omitempty"`
	User      string    `bson:"user"`
	Replaces  string    `bson:"replaces,omitempty"`
	From      time.Time `bson:"from"`
	To        time.Time `bson:"to"`
	CreatedBy string    `bson:"created_by,omitempty"`
	CreatedAt time.Time `bson:"created_at,omitempty"`
}

func (d overrideDoc) override() oncall.Override {
	return oncall.Override{ID: d.ID, Schedule: d.Schedule, Kind: oncall.OverrideKind(d.Kind), User: d.User, Replaces: d.Replaces,
		From: d.From.UTC(), To: d.To.UTC(), CreatedBy: d.CreatedBy, CreatedAt: utc(d.CreatedAt)}
}

// AddOverride implements oncall.OverrideStore: an insert; a duplicate _id stores nothing.
func (s *Store) AddOverride(ctx context.Context, o oncall.Override) (bool, error) {
	doc := overrideDoc{ID: o.ID, Schedule: o.Schedule, Kind: string(o.Kind), User: o.User, Replaces: o.Replaces,
		From: o.From.UTC(), To: o.To.UTC(), CreatedBy: o.CreatedBy, CreatedAt: utc(o.CreatedAt)}
	return insertOnce(ctx, s.db.Collection(colOverrides), doc, "store override "+o.ID)
}

// RemoveOverride implements oncall.OverrideStore.
func (s *Store) RemoveOverride(ctx context.Context, id string) (oncall.Override, error) {
	return removeByID(ctx, s.db.Collection(colOverrides), id, "override", oncall.ErrNotFound, overrideDoc.override)
}

// Overrides implements oncall.OverrideStore.
func (s *Store) Overrides(ctx context.Context, schedule string, endsAfter time.Time) ([]oncall.Override, error) {
	filter := bson.D{{Key: "to", Value: bson.D{{Key: "$gt", Value: endsAfter.UTC()}}}}
	if schedule != "" {
		filter = append(filter, bson.E{Key: "schedule", Value: schedule})
	}
	out, err := findAll(ctx, s.db.Collection(colOverrides), filter,
		options.Find().SetSort(bson.D{{Key: "from", Value: 1}, {Key: "_id", Value: 1}}), "list overrides", overrideDoc.override)
	if err != nil {
		return nil, err
	}
	oncall.SortOverrides(out)
	return out, nil
}
