package store

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
	if _, err := s.db.Collection(colIncidents).InsertOne(ctx, inc); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("create incident #%d: %w", inc.Number, incidents.ErrExists)
		}
		return fmt.Errorf("create incident #%d: %w", inc.Number, err)
	}
	return nil
}

// GetIncident implements incidents.Store.
func (s *Store) GetIncident(ctx context.Context, number int64) (*incidents.Incident, error) {
	var inc incidents.Incident
	err := s.db.Collection(colIncidents).FindOne(ctx, byID(incidentID(number))).Decode(&inc)
	if err != nil {
		return nil, fmt.Errorf("get incident #%d: %w", number, notFound(err))
	}
	normalizeIncident(&inc)
	return &inc, nil
}

// UpdateIncident implements incidents.Store. It replaces the document only if
// its stored version still equals inc.Version, writing version+1 in the same
// replacement; fields left empty in inc are removed, as a replacement does.
//
// On MongoDB that is one conditional findOneAndReplace, atomic against other
// replicas. FerretDB v1 would scan the whole collection for that two-field
// filter, so the embedded store (one process, one connection, and this the
// only writer of existing incidents) checks the version and replaces by _id
// alone under a mutex.
func (s *Store) UpdateIncident(ctx context.Context, inc *incidents.Incident) error {
	next := *inc
	next.Version = inc.Version + 1
	coll := s.db.Collection(colIncidents)
	id := incidentID(inc.Number)

	var err error
	if s.emb != nil {
		err = s.replaceIfVersionSerialized(ctx, id, inc.Version, &next)
	} else {
		err = coll.FindOneAndReplace(ctx,
			bson.D{{Key: "_id", Value: id}, {Key: "version", Value: inc.Version}}, &next).Err()
	}
	if errors.Is(err, mongo.ErrNoDocuments) {
		// Tell a stale version from a missing incident.
		ferr := coll.FindOne(ctx, byID(id), options.FindOne().SetProjection(bson.D{{Key: "version", Value: 1}})).Err()
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

// replaceIfVersionSerialized is the embedded store's conditional replace: it
// returns mongo.ErrNoDocuments when the incident is missing or its version is
// not version. Every lookup is by _id alone, which FerretDB does not scan for.
func (s *Store) replaceIfVersionSerialized(ctx context.Context, id string, version int64, next *incidents.Incident) error {
	s.incidentMu.Lock()
	defer s.incidentMu.Unlock()
	coll := s.db.Collection(colIncidents)
	var cur struct {
		Version int64 `bson:"version"`
	}
	err := coll.FindOne(ctx, byID(id), options.FindOne().SetProjection(bson.D{{Key: "version", Value: 1}})).Decode(&cur)
	if err != nil {
		return err
	}
	if cur.Version != version {
		return mongo.ErrNoDocuments
	}
	return coll.FindOneAndReplace(ctx, byID(id), next).Err()
}

// ListIncidents implements incidents.Store: newest (highest number) first.
func (s *Store) ListIncidents(ctx context.Context, o incidents.ListOptions) ([]*incidents.Incident, error) {
	filter := bson.D{}
	if o.OpenOnly {
		filter = append(filter, bson.E{Key: "status", Value: bson.D{{Key: "$ne", Value: incidents.StatusResolved}}})
	}
	if !o.Since.IsZero() {
		filter = append(filter, bson.E{Key: "declared_at", Value: bson.D{{Key: "$gte", Value: o.Since}}})
	}
	opts := options.Find().SetSort(bson.D{{Key: "number", Value: -1}})
	if o.Limit > 0 {
		opts.SetLimit(int64(o.Limit))
	}
	cur, err := s.db.Collection(colIncidents).Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	out := []*incidents.Incident{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list incidents: read: %w", err)
	}
	for _, inc := range out {
		normalizeIncident(inc)
	}
	return out, nil
}

// AppendEvents implements incidents.Store: on MongoDB with one unordered
// insertMany, events whose ID is already stored skipped (their duplicate-key
// errors ignored); on the embedded store in per-incident timeline documents.
func (s *Store) AppendEvents(ctx context.Context, events ...incidents.Event) error {
	if len(events) == 0 {
		return nil
	}
	if s.emb != nil {
		return s.appendTimelines(ctx, events)
	}
	docs := make([]any, len(events))
	for i := range events {
		docs[i] = events[i]
	}
	_, err := s.db.Collection(colEvents).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err != nil && !isDuplicateOnly(err) {
		return fmt.Errorf("append %d events: %w", len(events), err)
	}
	return nil
}

// Timeline implements incidents.Store: oldest first, ties broken by event ID.
func (s *Store) Timeline(ctx context.Context, number int64) ([]incidents.Event, error) {
	if s.emb != nil {
		return s.embeddedTimeline(ctx, number)
	}
	cur, err := s.db.Collection(colEvents).Find(ctx,
		bson.D{{Key: "incident", Value: number}},
		options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("timeline of incident #%d: %w", number, err)
	}
	out := []incidents.Event{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("timeline of incident #%d: read: %w", number, err)
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
	ID                   string `bson:"_id"`
	incidents.StormState `bson:",inline"`
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
	return d.StormState, nil
}

// PutStorm implements incidents.Store.
func (s *Store) PutStorm(ctx context.Context, st incidents.StormState) error {
	if err := s.upsert(ctx, colState, stormID, stormDoc{ID: stormID, StormState: st}); err != nil {
		return fmt.Errorf("put storm state: %w", err)
	}
	return nil
}

// upsert replaces (or inserts) the document with _id id, by findOneAndReplace:
// on FerretDB that is much faster than replaceOne/updateOne.
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

// byID is the filter {_id: id}, the one FerretDB answers without a scan.
func byID(id any) bson.D { return bson.D{{Key: "_id", Value: id}} }

// notFound maps the driver's "no document" to incidents.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return incidents.ErrNotFound
	}
	return err
}

// normalizeIncident puts the incident's times in UTC. The driver already
// decodes BSON datetimes in UTC (see Open); this keeps the guarantee explicit
// for code that builds incidents from other sources.
func normalizeIncident(inc *incidents.Incident) {
	utc := func(t *time.Time) { *t = t.UTC() }
	utcPtr := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		u := t.UTC()
		return &u
	}
	utc(&inc.DetectedAt)
	utc(&inc.DeclaredAt)
	utc(&inc.UpdatedAt)
	utc(&inc.StatusAt)
	utc(&inc.AlertsClearAt)
	inc.AcknowledgedAt = utcPtr(inc.AcknowledgedAt)
	inc.MitigatedAt = utcPtr(inc.MitigatedAt)
	inc.ResolvedAt = utcPtr(inc.ResolvedAt)
	for k, a := range inc.Alerts {
		utc(&a.StartsAt)
		utc(&a.EndsAt)
		inc.Alerts[k] = a
	}
	for i := range inc.Actions {
		utc(&inc.Actions[i].At)
	}
}
