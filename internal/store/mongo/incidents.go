package mongo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/incidentbot/incidentbot/incidents"
)

var _ incidents.Store = (*Store)(nil)

// GetIncident implements incidents.Store.
func (s *Store) GetIncident(ctx context.Context, number int64) (*incidents.Incident, error) {
	var d incidentDoc
	err := s.db.Collection(colIncidents).FindOne(ctx, byID(number)).Decode(&d)
	if err != nil {
		return nil, fmt.Errorf("get incident #%d: %w", number, notFound(err))
	}
	return d.incident(), nil
}

// ListIncidents implements incidents.Store: newest (highest number) first.
// Every filter's field has an index: status, group_key, alert_names,
// open_actions, severity and service_name end in _id descending, so the
// server reads the matching incidents in order and stops at Limit;
// declared_at is a range (then sorted), Before a range of _id.
func (s *Store) ListIncidents(ctx context.Context, o incidents.ListOptions) ([]*incidents.Incident, error) {
	if o.OpenOnly && o.ResolvedOnly {
		return []*incidents.Incident{}, nil
	}
	filter, opts := listQuery(o)
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

// listQuery is the find of ListIncidents for o.
func listQuery(o incidents.ListOptions) (bson.D, *options.FindOptionsBuilder) {
	filter := bson.D{}
	eq := func(key string, v any) { filter = append(filter, bson.E{Key: key, Value: v}) }
	if o.OpenOnly {
		eq("status", bson.D{{Key: "$ne", Value: string(incidents.StatusResolved)}})
	}
	if o.ResolvedOnly {
		eq("status", string(incidents.StatusResolved))
	}
	if !o.Since.IsZero() {
		eq("declared_at", bson.D{{Key: "$gte", Value: o.Since.UTC()}})
	}
	if o.Before != 0 {
		eq("_id", bson.D{{Key: "$lt", Value: o.Before}})
	}
	if o.OpenActions {
		eq("open_actions", true)
	}
	if o.GroupKey != "" {
		eq("group_key", o.GroupKey)
	}
	if o.AlertName != "" {
		eq("alert_names", o.AlertName) // matches an element of the array
	}
	if o.Severity != "" {
		eq("severity", o.Severity)
	}
	if o.Service != "" {
		eq("service_name", o.Service)
	}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: -1}})
	if o.Limit > 0 {
		opts.SetLimit(int64(o.Limit))
	}
	return filter, opts
}

// deriveIncidents fills in the derived fields of the incidents written by an
// earlier release (or with other rules: derivedVersion), found through the
// derived index. Each is one $set of those fields only, conditional on the
// version read, so it never undoes a concurrent update (which writes them
// itself). During a rolling upgrade a replica of the earlier release still
// replaces incidents without them; the next Open fills those in.
func (s *Store) deriveIncidents(ctx context.Context) error {
	coll := s.db.Collection(colIncidents)
	cur, err := coll.Find(ctx, bson.D{{Key: "derived", Value: bson.D{{Key: "$ne", Value: derivedVersion}}}})
	if err != nil {
		return fmt.Errorf("fill in derived incident fields: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d incidentDoc
		if err := cur.Decode(&d); err != nil {
			return fmt.Errorf("fill in derived incident fields: %w", err)
		}
		next := incidentDocOf(d.incident())
		_, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: d.Number}, {Key: "version", Value: d.Version}},
			bson.D{{Key: "$set", Value: bson.D{
				{Key: "alert_names", Value: next.AlertNames}, {Key: "open_actions", Value: next.OpenActions},
				{Key: "service_name", Value: next.ServiceName}, {Key: "derived", Value: next.Derived},
			}}})
		if err != nil {
			return fmt.Errorf("fill in derived fields of incident #%d: %w", d.Number, err)
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("fill in derived incident fields: %w", err)
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

// TimelineChain implements incidents.Store: in Seq order, through the
// unique (incident, seq) index.
func (s *Store) TimelineChain(ctx context.Context, number int64) ([]incidents.Event, error) {
	cur, err := s.db.Collection(colEvents).Find(ctx, bson.D{{Key: "incident", Value: number}},
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("chain of incident #%d: %w", number, err)
	}
	var docs []eventDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("chain of incident #%d: read: %w", number, err)
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

// AlertsPage implements incidents.Store: a range of the alerts' _id
// ("<incident>/<fingerprint>"), so fingerprint order is the _id index's.
// Every _id of incident n lies in ["n/", "n0"): '0' follows '/'.
func (s *Store) AlertsPage(ctx context.Context, number int64, after string, limit int) ([]incidents.Alert, string, error) {
	out := []incidents.Alert{}
	if limit <= 0 {
		return out, "", nil
	}
	filter := bson.D{{Key: "_id", Value: bson.D{
		{Key: "$gt", Value: alertID(number, after)}, {Key: "$lt", Value: fmt.Sprintf("%d0", number)},
	}}}
	cur, err := s.db.Collection(colAlerts).Find(ctx, filter,
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit+1)))
	if err != nil {
		return nil, "", fmt.Errorf("alerts of incident #%d: %w", number, err)
	}
	var docs []alertRowDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, "", fmt.Errorf("alerts of incident #%d: read: %w", number, err)
	}
	for _, d := range docs[:min(len(docs), limit)] {
		out = append(out, d.Alert.alert())
	}
	if len(docs) <= limit {
		return out, "", nil
	}
	return out, out[limit-1].Fingerprint, nil
}

// TimelinePage implements incidents.Store through the (incident, at, _id)
// index, forward or backward: past a cursor is "a later time, or the same
// time and a later _id", which the server reads as two ranges of the index.
func (s *Store) TimelinePage(ctx context.Context, number int64, from incidents.Cursor, limit int) ([]incidents.Event, incidents.Cursor, error) {
	out := []incidents.Event{}
	if limit <= 0 {
		return out, incidents.Cursor{}, nil
	}
	dir, op := 1, "$gt"
	if from.Back {
		dir, op = -1, "$lt"
	}
	filter := bson.D{{Key: "incident", Value: number}}
	if !from.IsZero() {
		at := from.At.UTC()
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "at", Value: bson.D{{Key: op, Value: at}}}},
			bson.D{{Key: "at", Value: at}, {Key: "_id", Value: bson.D{{Key: op, Value: from.ID}}}},
		}})
	}
	cur, err := s.db.Collection(colEvents).Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "at", Value: dir}, {Key: "_id", Value: dir}}).SetLimit(int64(limit+1)))
	if err != nil {
		return nil, incidents.Cursor{}, fmt.Errorf("timeline of incident #%d: %w", number, err)
	}
	var docs []eventDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, incidents.Cursor{}, fmt.Errorf("timeline of incident #%d: read: %w", number, err)
	}
	more := len(docs) > limit
	for _, d := range docs[:min(len(docs), limit)] {
		out = append(out, d.event())
	}
	if !from.Back {
		if !more {
			return out, incidents.Cursor{}, nil
		}
		last := out[len(out)-1]
		return out, incidents.Cursor{At: last.At, ID: last.ID}, nil
	}
	slices.Reverse(out)
	if !more {
		return out, incidents.Cursor{}, nil
	}
	return out, incidents.Cursor{At: out[0].At, ID: out[0].ID, Back: true}, nil
}

// CountOpen implements incidents.Store: the incidents not resolved, read
// from the (status, _id) index, grouped by severity on the server.
func (s *Store) CountOpen(ctx context.Context) (map[string]int, error) {
	cur, err := s.db.Collection(colIncidents).Aggregate(ctx, bson.A{
		bson.D{{Key: "$match", Value: bson.D{{Key: "status", Value: bson.D{{Key: "$ne", Value: string(incidents.StatusResolved)}}}}}},
		bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$severity"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
	})
	if err != nil {
		return nil, fmt.Errorf("count open incidents: %w", err)
	}
	var docs []struct {
		Severity string `bson:"_id"`
		N        int    `bson:"n"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("count open incidents: read: %w", err)
	}
	out := make(map[string]int, len(docs))
	for _, d := range docs {
		out[d.Severity] += d.N
	}
	return out, nil
}
