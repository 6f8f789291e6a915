package mongo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/jobs"
)

// colAlerts holds every alert of every incident; _id is
// "<incident>/<fingerprint>".
const colAlerts = "alerts"

// alertRowDoc is an alerts document.
type alertRowDoc struct {
	ID       string   `bson:"_id"`
	Incident int64    `bson:"incident"`
	Alert    alertDoc `bson:"alert"`
}

func alertID(incident int64, fingerprint string) string {
	return fmt.Sprintf("%d/%s", incident, fingerprint)
}

// LastNumber implements incidents.Store.
func (s *Store) LastNumber(ctx context.Context) (int64, error) {
	var doc struct {
		Seq int64 `bson:"seq"`
	}
	err := s.db.Collection(colCounters).FindOne(ctx, byID("incident")).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the incident counter: %w", err)
	}
	return doc.Seq, nil
}

// GetAlerts implements incidents.Store: one find by _id.
func (s *Store) GetAlerts(ctx context.Context, number int64, fingerprints []string) (map[string]incidents.Alert, error) {
	out := map[string]incidents.Alert{}
	if len(fingerprints) == 0 {
		return out, nil
	}
	ids := make([]string, len(fingerprints))
	for i, fp := range fingerprints {
		ids[i] = alertID(number, fp)
	}
	cur, err := s.db.Collection(colAlerts).Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return nil, fmt.Errorf("alerts of incident #%d: %w", number, err)
	}
	var docs []alertRowDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("alerts of incident #%d: %w", number, err)
	}
	for _, d := range docs {
		a := d.Alert.alert()
		out[a.Fingerprint] = a
	}
	return out, nil
}

// Commit implements incidents.Store. On a replica set (or sharded cluster)
// the change is one multi-document transaction. A standalone server (and
// the tests' FerretDB) has none: there the writes go in an order that never
// leaves anything pointing at what is not stored — the counter, new
// incidents, then their events, alerts, groups, storm state and jobs, and
// the conditional updates of existing incidents last (their conflict comes
// after the rest was written, which a retry rewrites idempotently).
func (s *Store) Commit(ctx context.Context, c *incidents.Change) error {
	if !s.transactions {
		// Check what can be checked before writing anything, so that only
		// a race with another writer can leave part of a change.
		if err := s.precheck(ctx, c); err != nil {
			return unavailable(err)
		}
		return unavailable(s.commit(ctx, c))
	}
	sess, err := s.client.StartSession()
	if err != nil {
		return fmt.Errorf("commit: start session: %w", err)
	}
	defer sess.EndSession(ctx)
	sealed := make([]incidents.Event, len(c.Events))
	_, err = sess.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		copy(sealed, c.Events)
		cc := *c
		cc.Events = sealed
		return nil, s.commit(ctx, &cc)
	})
	if err != nil {
		if errors.Is(err, incidents.ErrConflict) || errors.Is(err, incidents.ErrExists) || errors.Is(err, incidents.ErrNotFound) {
			return err
		}
		if mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("commit: %w: %v", incidents.ErrConflict, err)
		}
		return fmt.Errorf("commit: %w", unavailable(err))
	}
	for _, inc := range c.Update {
		inc.Version++
	}
	copy(c.Events, sealed)
	return nil
}

// precheck fails a change whose counter or versions are stale.
func (s *Store) precheck(ctx context.Context, c *incidents.Change) error {
	if c.Counter.To > c.Counter.From {
		last, err := s.LastNumber(ctx)
		if err != nil {
			return err
		}
		if last != c.Counter.From {
			return fmt.Errorf("incident counter moved past %d: %w", c.Counter.From, incidents.ErrConflict)
		}
	}
	// New numbers need no check: none above the counter exists.
	coll := s.db.Collection(colIncidents)
	for _, inc := range c.Update {
		var d struct {
			Version int64 `bson:"version"`
		}
		err := coll.FindOne(ctx, byID(inc.Number), options.FindOne().SetProjection(bson.D{{Key: "version", Value: 1}})).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return fmt.Errorf("update incident #%d: %w", inc.Number, incidents.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("update incident #%d: %w", inc.Number, err)
		}
		if d.Version != inc.Version {
			return fmt.Errorf("update incident #%d at version %d: %w", inc.Number, inc.Version, incidents.ErrConflict)
		}
	}
	return nil
}

// commit writes c in order (see Commit); in a transaction, any error aborts all.
func (s *Store) commit(ctx context.Context, c *incidents.Change) error {
	if err := s.moveCounter(ctx, c.Counter); err != nil {
		return err
	}
	for _, inc := range c.Create {
		if _, err := s.db.Collection(colIncidents).InsertOne(ctx, incidentDocOf(inc)); err != nil {
			if mongo.IsDuplicateKeyError(err) {
				return fmt.Errorf("create incident #%d: %w", inc.Number, incidents.ErrExists)
			}
			return fmt.Errorf("create incident #%d: %w", inc.Number, err)
		}
	}
	if err := s.appendEvents(ctx, c.Events); err != nil {
		return err
	}
	for _, a := range c.Alerts {
		id := alertID(a.Incident, a.Alert.Fingerprint)
		if err := s.upsert(ctx, colAlerts, id, alertRowDoc{ID: id, Incident: a.Incident, Alert: alertDocOf(a.Alert)}); err != nil {
			return fmt.Errorf("store alert of incident #%d: %w", a.Incident, err)
		}
	}
	for _, g := range c.Groups {
		id := groupID(g.Key)
		if err := s.upsert(ctx, colGroups, id, groupDoc{ID: id, Key: g.Key, Incident: g.Incident}); err != nil {
			return fmt.Errorf("record alert group of incident #%d: %w", g.Incident, err)
		}
	}
	if c.Storm != nil {
		if err := s.upsert(ctx, colState, stormID, stormDocOf(*c.Storm)); err != nil {
			return fmt.Errorf("put storm state: %w", err)
		}
	}
	for _, t := range c.Tasks {
		j := jobs.Job{Key: t.Key, Kind: t.Kind, Payload: map[string]string{"incident": fmt.Sprint(t.Incident)},
			RunAt: t.RunAt, Priority: t.Priority, CreatedAt: c.At}
		if err := s.jobs.Enqueue(ctx, j); err != nil {
			return fmt.Errorf("schedule %s: %w", t.Key, err)
		}
	}
	for _, inc := range c.Update {
		if err := s.updateIncident(ctx, inc); err != nil {
			return err
		}
	}
	if !s.transactions {
		for _, inc := range c.Update {
			inc.Version++
		}
	}
	return nil
}

// moveCounter moves the counter from c.From to c.To, or fails with
// ErrConflict when it is no longer at c.From.
func (s *Store) moveCounter(ctx context.Context, c incidents.Counter) error {
	if c.To <= c.From {
		return nil
	}
	coll := s.db.Collection(colCounters)
	if c.From == 0 {
		_, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "incident"}, {Key: "seq", Value: c.To}})
		if err == nil {
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("incident counter: %w", err)
		}
	}
	res, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: "incident"}, {Key: "seq", Value: c.From}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: c.To}}}})
	if err != nil {
		return fmt.Errorf("incident counter: %w", err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("incident counter moved past %d: %w", c.From, incidents.ErrConflict)
	}
	return nil
}

// updateIncident replaces inc only if its stored version is still
// inc.Version, writing version+1 in the same replacement.
func (s *Store) updateIncident(ctx context.Context, inc *incidents.Incident) error {
	next := incidentDocOf(inc)
	next.Version = inc.Version + 1
	coll := s.db.Collection(colIncidents)
	err := coll.FindOneAndReplace(ctx, bson.D{{Key: "_id", Value: inc.Number}, {Key: "version", Value: inc.Version}}, next).Err()
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
	return nil
}

// appendEvents inserts the events not stored yet, each at the next place of
// its incident's chain: one find of the IDs stored already, one read of
// each incident's head, one ordered insert. Two writers racing for one
// place collide on the unique (incident, seq) index: that is a conflict,
// and the change is applied again.
func (s *Store) appendEvents(ctx context.Context, events []incidents.Event) error {
	if len(events) == 0 {
		return nil
	}
	coll := s.db.Collection(colEvents)
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	cur, err := coll.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	var found []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &found); err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	stored := map[string]bool{}
	for _, f := range found {
		stored[f.ID] = true
	}
	heads := map[int64]incidents.Event{}
	var docs []any
	for i := range events {
		e := &events[i]
		if stored[e.ID] {
			e.Seq, e.Hash = 0, "" // stored already
			continue
		}
		stored[e.ID] = true // a repeat within the batch is skipped too
		prev, ok := heads[e.Incident]
		if !ok {
			if prev, err = s.chainHead(ctx, e.Incident); err != nil {
				return err
			}
		}
		// Hashed as it will read back: BSON keeps milliseconds.
		e.At = utc(e.At).Truncate(time.Millisecond)
		*e = incidents.Seal(e.Incident, incidents.ChainHead{Seq: prev.Seq, Hash: prev.Hash}, *e)[0]
		heads[e.Incident] = *e
		docs = append(docs, eventDocOf(*e))
	}
	if len(docs) == 0 {
		return nil
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("append events: %w", incidents.ErrConflict)
		}
		return fmt.Errorf("append events: %w", err)
	}
	return nil
}

// chainHead returns the last event of an incident's chain (zero when none).
func (s *Store) chainHead(ctx context.Context, incident int64) (incidents.Event, error) {
	var d eventDoc
	err := s.db.Collection(colEvents).FindOne(ctx, bson.D{{Key: "incident", Value: incident}},
		options.FindOne().SetSort(bson.D{{Key: "seq", Value: -1}})).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return incidents.Event{}, nil
	}
	if err != nil {
		return incidents.Event{}, fmt.Errorf("chain head of incident #%d: %w", incident, err)
	}
	return d.event(), nil
}

// sealEvents chains the events written before the chain existed (they have
// no seq), per incident in timeline order after its chain's head; Open runs
// it before the (incident, seq) index is made unique.
func (s *Store) sealEvents(ctx context.Context) (int, error) {
	coll := s.db.Collection(colEvents)
	cur, err := coll.Find(ctx, bson.D{{Key: "seq", Value: bson.D{{Key: "$exists", Value: false}}}},
		options.Find().SetSort(bson.D{{Key: "incident", Value: 1}, {Key: "at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return 0, fmt.Errorf("seal events: %w", err)
	}
	var docs []eventDoc
	if err := cur.All(ctx, &docs); err != nil {
		return 0, fmt.Errorf("seal events: %w", err)
	}
	heads := map[int64]incidents.Event{}
	for _, d := range docs {
		e := d.event()
		prev, ok := heads[e.Incident]
		if !ok {
			if prev, err = s.chainHead(ctx, e.Incident); err != nil {
				return 0, err
			}
		}
		e = incidents.Seal(e.Incident, incidents.ChainHead{Seq: prev.Seq, Hash: prev.Hash}, e)[0]
		if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: e.ID}, {Key: "seq", Value: bson.D{{Key: "$exists", Value: false}}}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: e.Seq}, {Key: "hash", Value: e.Hash}}}}); err != nil {
			return 0, fmt.Errorf("seal event %s: %w", e.ID, err)
		}
		heads[e.Incident] = e
	}
	return len(docs), nil
}

// Atomic reports whether Commit is all or nothing (a replica set); a
// standalone server writes in a safe order, and a failure part way leaves
// what was written before it.
func (s *Store) Atomic() bool { return s.transactions }

// supportsTransactions reports whether the server is a replica set member
// or a mongos (multi-document transactions need one).
func (s *Store) supportsTransactions(ctx context.Context) bool {
	var hello struct {
		SetName string `bson:"setName"`
		Msg     string `bson:"msg"`
	}
	if err := s.db.RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello); err != nil {
		return false
	}
	return hello.SetName != "" || hello.Msg == "isdbgrid"
}

// Secret returns the store's secret called name, made (32 random bytes) and
// stored the first time it is asked for, so every replica signs alike.
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	coll := s.db.Collection(colState)
	id := "secret:" + name
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "value", Value: hex.EncodeToString(fresh)}}); err != nil && !mongo.IsDuplicateKeyError(err) {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	var d struct {
		Value string `bson:"value"`
	}
	if err := coll.FindOne(ctx, byID(id)).Decode(&d); err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	return hex.DecodeString(d.Value)
}

// unavailable marks err with incidents.ErrUnavailable when MongoDB could not
// be reached in time (network errors, server selection and other timeouts).
func unavailable(err error) error {
	if err != nil && !errors.Is(err, incidents.ErrUnavailable) && (mongo.IsNetworkError(err) || mongo.IsTimeout(err)) {
		return fmt.Errorf("%w: %w", incidents.ErrUnavailable, err)
	}
	return err
}
