package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/incidentbot/incidentbot/heartbeats"
	"github.com/incidentbot/incidentbot/maintenance"
)

// Collections of maintenance windows and heartbeats.
const (
	colMaintenance = "maintenance_windows"
	colHeartbeats  = "heartbeats"
)

var (
	_ maintenance.Store = (*Store)(nil)
	_ heartbeats.Store  = (*Store)(nil)
)

type windowDoc struct {
	ID        string    `bson:"_id"`
	Service   string    `bson:"service,omitempty"`
	Matchers  []string  `bson:"matchers,omitempty"`
	From      time.Time `bson:"from"`
	To        time.Time `bson:"to"`
	Reason    string    `bson:"reason,omitempty"`
	CreatedBy string    `bson:"created_by,omitempty"`
	CreatedAt time.Time `bson:"created_at,omitempty"`
	Silences  []string  `bson:"silences,omitempty"`
	Recurring string    `bson:"recurring,omitempty"`
}

func (d windowDoc) window() maintenance.Window {
	w := maintenance.Window{ID: d.ID, Service: d.Service, Matchers: d.Matchers, From: d.From.UTC(), To: d.To.UTC(), Reason: d.Reason,
		CreatedBy: d.CreatedBy, CreatedAt: utc(d.CreatedAt), Silences: d.Silences, Recurring: d.Recurring}
	if len(w.Matchers) == 0 {
		w.Matchers = nil
	}
	if len(w.Silences) == 0 {
		w.Silences = nil
	}
	return w
}

// ensureMaintenanceIndexes creates the windows' index by end; Open calls it.
func (s *Store) ensureMaintenanceIndexes(ctx context.Context) error {
	_, err := s.db.Collection(colMaintenance).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "to", Value: 1}}, Options: options.Index().SetName("to")})
	if err != nil {
		return fmt.Errorf("create index on %s: %w", colMaintenance, err)
	}
	return nil
}

// AddWindow implements maintenance.Store: an insert; a duplicate _id stores nothing.
func (s *Store) AddWindow(ctx context.Context, w maintenance.Window) (bool, error) {
	doc := windowDoc{ID: w.ID, Service: w.Service, Matchers: w.Matchers, From: w.From.UTC(), To: w.To.UTC(), Reason: w.Reason,
		CreatedBy: w.CreatedBy, CreatedAt: utc(w.CreatedAt), Silences: w.Silences, Recurring: w.Recurring}
	return insertOnce(ctx, s.db.Collection(colMaintenance), doc, "store maintenance window "+w.ID)
}

// RemoveWindow implements maintenance.Store.
func (s *Store) RemoveWindow(ctx context.Context, id string) (maintenance.Window, error) {
	return removeByID(ctx, s.db.Collection(colMaintenance), id, "maintenance window", maintenance.ErrNotFound, windowDoc.window)
}

// Windows implements maintenance.Store.
func (s *Store) Windows(ctx context.Context, endsAfter time.Time) ([]maintenance.Window, error) {
	filter := bson.D{{Key: "to", Value: bson.D{{Key: "$gt", Value: endsAfter.UTC()}}}}
	out, err := findAll(ctx, s.db.Collection(colMaintenance), filter,
		options.Find().SetSort(bson.D{{Key: "from", Value: 1}, {Key: "_id", Value: 1}}), "list maintenance windows", windowDoc.window)
	if err != nil {
		return nil, err
	}
	maintenance.Sort(out)
	return out, nil
}

type heartbeatDoc struct {
	Name     string    `bson:"_id"`
	Last     time.Time `bson:"last"`
	Armed    time.Time `bson:"armed"`
	Incident int64     `bson:"incident"`
}

func (d heartbeatDoc) record() heartbeats.Record {
	r := heartbeats.Record{Name: d.Name, Incident: d.Incident}
	if !d.Last.IsZero() && d.Last.After(zeroTime) {
		r.Last = d.Last.UTC()
	}
	if !d.Armed.IsZero() && d.Armed.After(zeroTime) {
		r.Armed = d.Armed.UTC()
	}
	return r
}

// zeroTime stands for "none" in a heartbeat's times, so $max and $min
// compare dates with dates.
var zeroTime = time.Unix(0, 0).UTC()

// Beat implements heartbeats.Store: one upsert with $max and $min, atomic
// on the document.
func (s *Store) Beat(ctx context.Context, name string, at time.Time) (heartbeats.Record, error) {
	at = at.UTC()
	var doc heartbeatDoc
	err := s.db.Collection(colHeartbeats).FindOneAndUpdate(ctx, byID(name), bson.D{
		{Key: "$max", Value: bson.D{{Key: "last", Value: at}}},
		{Key: "$min", Value: bson.D{{Key: "armed", Value: at}}},
		{Key: "$setOnInsert", Value: bson.D{{Key: "incident", Value: int64(0)}}},
	}, options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	if err != nil {
		return heartbeats.Record{}, fmt.Errorf("record a beat of %s: %w", name, err)
	}
	return doc.record(), nil
}

// ArmHeartbeat implements heartbeats.Store.
func (s *Store) ArmHeartbeat(ctx context.Context, name string, at time.Time) (heartbeats.Record, error) {
	var doc heartbeatDoc
	err := s.db.Collection(colHeartbeats).FindOneAndUpdate(ctx, byID(name), bson.D{
		{Key: "$setOnInsert", Value: bson.D{{Key: "last", Value: zeroTime}, {Key: "armed", Value: at.UTC()}, {Key: "incident", Value: int64(0)}}},
	}, options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	if err != nil {
		return heartbeats.Record{}, fmt.Errorf("arm heartbeat %s: %w", name, err)
	}
	return doc.record(), nil
}

// SetHeartbeatIncident implements heartbeats.Store.
func (s *Store) SetHeartbeatIncident(ctx context.Context, name string, incident int64) error {
	res, err := s.db.Collection(colHeartbeats).UpdateOne(ctx, byID(name), bson.D{{Key: "$set", Value: bson.D{{Key: "incident", Value: incident}}}})
	if err != nil {
		return fmt.Errorf("heartbeat %s: %w", name, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("heartbeat %s: %w", name, heartbeats.ErrNotFound)
	}
	return nil
}

// Heartbeats implements heartbeats.Store.
func (s *Store) Heartbeats(ctx context.Context) ([]heartbeats.Record, error) {
	return findAll(ctx, s.db.Collection(colHeartbeats), bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}),
		"list heartbeats", heartbeatDoc.record)
}
