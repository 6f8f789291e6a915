package mongo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/incidentbot/incidentbot/incidents"
)

var _ incidents.Store = (*Store)(nil)

// NextNumber implements incidents.Store with one atomic $inc on the counter
// document {_id: "incident"}, created on first use.
func (s *Store) NextNumber(ctx context.Context) (int64, error) {
	var doc struct {
		Seq int64 `bson:"seq"`
	}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var err error
	for range upsertRetries {
		err = s.db.Collection(colCounters).FindOneAndUpdate(ctx,
			bson.D{{Key: "_id", Value: "incident"}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "seq", Value: int64(1)}}}},
			opts).Decode(&doc)
		if !mongo.IsDuplicateKeyError(err) { // two first-ever upserts raced; the loser retries
			break
		}
	}
	if err != nil {
		return 0, fmt.Errorf("next incident number: %w", err)
	}
	return doc.Seq, nil
}

// CreateIncident implements incidents.Store; incidents.ErrExists if the number is taken.
func (s *Store) CreateIncident(ctx context.Context, inc *incidents.Incident) error {
	if _, err := s.db.Collection(colIncidents).InsertOne(ctx, incidentDocOf(inc)); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("create incident #%d: %w", inc.Number, incidents.ErrExists)
		}
		return fmt.Errorf("create incident #%d: %w", inc.Number, err)
	}
	return nil
}

// GetIncident implements incidents.Store.
func (s *Store) GetIncident(ctx context.Context, number int64) (*incidents.Incident, error) {
	var d incidentDoc
	err := s.db.Collection(colIncidents).FindOne(ctx, byID(number)).Decode(&d)
	if err != nil {
		return nil, fmt.Errorf("get incident #%d: %w", number, notFound(err))
	}
	return d.incident(), nil
}

// UpdateIncident implements incidents.Store with one findOneAndReplace
// conditional on the stored version, writing version+1 in the same
// replacement: atomic against other replicas, no read-modify-write in Go.
func (s *Store) UpdateIncident(ctx context.Context, inc *incidents.Incident) error {
	next := incidentDocOf(inc)
	next.Version = inc.Version + 1
	coll := s.db.Collection(colIncidents)
	err := coll.FindOneAndReplace(ctx,
		bson.D{{Key: "_id", Value: inc.Number}, {Key: "version", Value: inc.Version}}, next).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		// Tell a stale version from a missing incident.
		ferr := coll.FindOne(ctx, byID(inc.Number), options.FindOne().SetProjection(bson.D{{Key: "version", Value: 1}})).Err()
		switch {
		case ferr == nil:
			return fmt.Errorf("update incident #%d at version %d: %w", inc.Number, inc.Version, incidents.ErrConflict)
		case errors.Is(ferr, mongo.ErrNoDocuments):
			return fmt.Errorf("update incident #%d: %w", inc.Number, incidents.ErrNotFound)
		default:
			return fmt.Errorf("update incident #%d: check existence: %w", inc.Number, ferr)
		}
	}
	if err != nil {
		return fmt.Errorf("update incident #%d: %w", inc.Number, err)
	}
	inc.Version = next.Version
	return nil
}

// ListIncidents implements incidents.Store: newest (highest number) first.
func (s *Store) ListIncidents(ctx context.Context, o incidents.ListOptions) ([]*incidents.Incident, error) {
	filter := bson.D{}
	if o.OpenOnly {
		filter = append(filter, bson.E{Key: "status", Value: bson.D{{Key: "$ne", Value: string(incidents.StatusResolved)}}})
	}
	if !o.Since.IsZero() {
		filter = append(filter, bson.E{Key: "declared_at", Value: bson.D{{Key: "$gte", Value: o.Since.UTC()}}})
	}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: -1}})
	if o.Limit > 0 {
		opts.SetLimit(int64(o.Limit))
	}
	cur, err := s.db.Collection(colIncidents).Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	var docs []incidentDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list incidents: read: %w", err)
	}
	out := make([]*incidents.Incident, len(docs))
	for i := range docs {
		out[i] = docs[i].incident()
	}
	return out, nil
}

// AppendEvents implements incidents.Store with one unordered insertMany;
// events whose ID is already stored are skipped (their duplicate-key errors
// ignored).
func (s *Store) AppendEvents(ctx context.Context, events ...incidents.Event) error {
	if len(events) == 0 {
		return nil
	}
	docs := make([]any, len(events))
	for i := range events {
		docs[i] = eventDocOf(events[i])
	}
	_, err := s.db.Collection(colEvents).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err != nil && !isDuplicateOnly(err) {
		return fmt.Errorf("append %d events: %w", len(events), err)
	}
	return nil
}

// Timeline implements incidents.Store: oldest first, ties broken by event
// ID, through the (incident, at, _id) index.
func (s *Store) Timeline(ctx context.Context, number int64) ([]incidents.Event, error) {
	cur, err := s.db.Collection(colEvents).Find(ctx,
		bson.D{{Key: "incident", Value: number}},
		options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("timeline of incident #%d: %w", number, err)
	}
	var docs []eventDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("timeline of incident #%d: read: %w", number, err)
	}
	out := make([]incidents.Event, len(docs))
	for i, d := range docs {
		out[i] = d.event()
	}
	return out, nil
}

// groupDoc is a groups document. Alertmanager group keys can be long, so the
// _id is their SHA-256; the key is kept for reading.
type groupDoc struct {
	ID       string `bson:"_id"`
	Key      string `bson:"key"`
	Incident int64  `bson:"incident"`
}

func groupID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// GetGroup implements incidents.Store.
func (s *Store) GetGroup(ctx context.Context, groupKey string) (incidents.Group, error) {
	var d groupDoc
	err := s.db.Collection(colGroups).FindOne(ctx, bson.D{{Key: "_id", Value: groupID(groupKey)}}).Decode(&d)
	if err != nil {
		return incidents.Group{}, fmt.Errorf("get alert group: %w", notFound(err))
	}
	return incidents.Group{Key: d.Key, Incident: d.Incident}, nil
}

// PutGroup implements incidents.Store (upsert by key).
func (s *Store) PutGroup(ctx context.Context, g incidents.Group) error {
	id := groupID(g.Key)
	if err := s.upsert(ctx, colGroups, id, groupDoc{ID: id, Key: g.Key, Incident: g.Incident}); err != nil {
		return fmt.Errorf("put alert group of incident #%d: %w", g.Incident, err)
	}
	return nil
}

// stormDoc is the storm guard's state document.
type stormDoc struct {
	ID       string      `bson:"_id"`
	Opened   []time.Time `bson:"opened"`
	Incident int64       `bson:"incident,omitempty"`
}

const stormID = "storm"

// GetStorm implements incidents.Store; the zero state if none was stored.
func (s *Store) GetStorm(ctx context.Context) (incidents.StormState, error) {
	var d stormDoc
	err := s.db.Collection(colState).FindOne(ctx, bson.D{{Key: "_id", Value: stormID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return incidents.StormState{}, nil
	}
	if err != nil {
		return incidents.StormState{}, fmt.Errorf("get storm state: %w", err)
	}
	st := incidents.StormState{Incident: d.Incident}
	for _, t := range d.Opened {
		st.Opened = append(st.Opened, t.UTC())
	}
	return st, nil
}

// PutStorm implements incidents.Store.
func (s *Store) PutStorm(ctx context.Context, st incidents.StormState) error {
	if err := s.upsert(ctx, colState, stormID, stormDocOf(st)); err != nil {
		return fmt.Errorf("put storm state: %w", err)
	}
	return nil
}

func stormDocOf(st incidents.StormState) stormDoc {
	d := stormDoc{ID: stormID, Incident: st.Incident}
	for _, t := range st.Opened {
		d.Opened = append(d.Opened, t.UTC())
	}
	return d
}

// upsert replaces (or inserts) the document with _id id.
func (s *Store) upsert(ctx context.Context, coll string, id, doc any) error {
	opts := options.FindOneAndReplace().SetUpsert(true)
	var err error
	for range upsertRetries {
		err = s.db.Collection(coll).FindOneAndReplace(ctx, bson.D{{Key: "_id", Value: id}}, doc, opts).Err()
		if errors.Is(err, mongo.ErrNoDocuments) { // inserted: there was no document before
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) { // a racing upsert inserted it first: replace again
			break
		}
	}
	return err
}

// byID is the filter {_id: id}.
func byID(id any) bson.D { return bson.D{{Key: "_id", Value: id}} }

// notFound maps the driver's "no document" to incidents.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return incidents.ErrNotFound
	}
	return err
}
