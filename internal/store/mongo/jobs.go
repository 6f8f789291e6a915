package mongo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/incidentbot/incidentbot/internal/jobs"
)

// Collections of the jobs store.
const (
	colJobs     = "jobs"
	colJobTicks = "job_ticks"
)

// enqueueRetries bounds Enqueue's loop over a job that keeps being inserted and finished
// between its steps.
const enqueueRetries = 5

// Jobs is the MongoDB jobs.Store. Every change is one conditional findOneAndUpdate,
// findOneAndDelete or insert addressed by _id (the claim excepted, which scans the small jobs
// collection), so runners in several replicas never take the same lease.
type Jobs struct {
	jobs  *mongo.Collection
	ticks *mongo.Collection
}

var _ jobs.Store = (*Jobs)(nil)

// jobDoc is a stored job; _id is the idempotency key. The payload is stored as key/value pairs
// because FerretDB rejects field names with '.' or a leading '$', which a payload key may have.
type jobDoc struct {
	Key        string    `bson:"_id"`
	Kind       string    `bson:"kind"`
	Payload    []kvDoc   `bson:"payload,omitempty"`
	RunAt      time.Time `bson:"run_at"`
	Attempts   int       `bson:"attempts"`
	LastError  string    `bson:"last_error"`
	LeaseOwner string    `bson:"lease_owner"`
	LeaseUntil time.Time `bson:"lease_until"` // the zero time when not leased
	Rerun      bool      `bson:"rerun"`
	CreatedAt  time.Time `bson:"created_at"`
	Priority   int       `bson:"priority"`
}

type kvDoc struct {
	K string `bson:"k"`
	V string `bson:"v"`
}

type tickDoc struct {
	Key string    `bson:"_id"`
	At  time.Time `bson:"at"`
}

// newJobs returns the jobs store in db and creates its index on run_at.
func newJobs(ctx context.Context, db *mongo.Database) (*Jobs, error) {
	j := &Jobs{jobs: db.Collection(colJobs), ticks: db.Collection(colJobTicks)}
	_, err := j.jobs.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "priority", Value: 1}, {Key: "run_at", Value: 1}, {Key: "_id", Value: 1}},
		Options: options.Index().SetName("priority_run_at"),
	})
	if err != nil {
		return nil, fmt.Errorf("jobs store: create index on %s: %w", colJobs, err)
	}
	_, err = j.ticks.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "at", Value: 1}},
		Options: options.Index().SetName("at"),
	})
	if err != nil {
		return nil, fmt.Errorf("jobs store: create index on %s: %w", colJobTicks, err)
	}
	return j, nil
}

func toJobDoc(j jobs.Job) jobDoc {
	d := jobDoc{
		Key:       j.Key,
		Kind:      j.Kind,
		RunAt:     j.RunAt.UTC(),
		CreatedAt: j.CreatedAt.UTC(),
		Priority:  j.Priority,
	}
	for k, v := range j.Payload {
		d.Payload = append(d.Payload, kvDoc{K: k, V: v})
	}
	slices.SortFunc(d.Payload, func(a, b kvDoc) int { return strings.Compare(a.K, b.K) })
	return d
}

func (d *jobDoc) job() *jobs.Job {
	j := &jobs.Job{
		Key:        d.Key,
		Kind:       d.Kind,
		RunAt:      d.RunAt.UTC(),
		Attempts:   d.Attempts,
		LastError:  d.LastError,
		LeaseOwner: d.LeaseOwner,
		Rerun:      d.Rerun,
		CreatedAt:  d.CreatedAt.UTC(),
		Priority:   d.Priority,
	}
	if d.LeaseOwner != "" {
		j.LeaseUntil = d.LeaseUntil.UTC()
	}
	if len(d.Payload) > 0 {
		j.Payload = make(map[string]string, len(d.Payload))
		for _, kv := range d.Payload {
			j.Payload[kv.K] = kv.V
		}
	}
	return j
}

func byKey(key string) bson.E { return bson.E{Key: "_id", Value: key} }

// touch runs a conditional findOneAndUpdate and reports whether a document matched.
func (s *Jobs) touch(ctx context.Context, filter, update bson.D) (bool, error) {
	// No projection: FerretDB v1 rejects findAndModify's "fields" as not implemented.
	err := s.jobs.FindOneAndUpdate(ctx, filter, update).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	return err == nil, err
}

// Enqueue implements jobs.Store. It reads the job by _id and then changes it only with a
// compare-and-set on the fields it read (equality on _id and the lease), looping when the job moved
// on in between; whichever state the job passes through (claimed, finished, deleted), a change
// persisted before Enqueue is seen by a run that starts after it, or by the rerun it asks for.
// Reading first keeps the common paths on FerretDB fast: there a findAndModify whose filter
// misses costs a scan of the collection, a hit by _id does not.
func (s *Jobs) Enqueue(ctx context.Context, j jobs.Job) error {
	if j.Key == "" {
		return errors.New("enqueue job: empty key")
	}
	doc := toJobDoc(j)
	for range enqueueRetries {
		var cur jobDoc
		err := s.jobs.FindOne(ctx, bson.D{byKey(j.Key)}).Decode(&cur)
		if errors.Is(err, mongo.ErrNoDocuments) {
			_, err = s.jobs.InsertOne(ctx, doc)
			if mongo.IsDuplicateKeyError(err) {
				continue // inserted by someone else just now: look again
			}
			if err != nil {
				return fmt.Errorf("enqueue job %s: %w", j.Key, err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("enqueue job %s: %w", j.Key, err)
		}
		var filter, set bson.D
		switch {
		case cur.LeaseOwner != "":
			// Running: ask for one more run after this one.
			filter = bson.D{byKey(j.Key), {Key: "lease_owner", Value: cur.LeaseOwner}}
			set = bson.D{{Key: "rerun", Value: true}, {Key: "priority", Value: min(cur.Priority, j.Priority)}}
		case cur.Attempts == 0 && cur.RunAt.After(doc.RunAt):
			// A pending timer that has not failed yet: move it earlier.
			filter = bson.D{byKey(j.Key), {Key: "lease_owner", Value: ""}, {Key: "attempts", Value: 0}, {Key: "run_at", Value: cur.RunAt}}
			set = bson.D{{Key: "run_at", Value: doc.RunAt}, {Key: "priority", Value: min(cur.Priority, j.Priority)}}
		case j.Priority < cur.Priority:
			filter = bson.D{byKey(j.Key), {Key: "priority", Value: cur.Priority}}
			set = bson.D{{Key: "priority", Value: j.Priority}}
		default:
			return nil // pending or in backoff: it will run and see the change
		}
		ok, err := s.touch(ctx, filter, bson.D{{Key: "$set", Value: set}})
		if err != nil {
			return fmt.Errorf("enqueue job %s: %w", j.Key, err)
		}
		if ok {
			return nil
		}
		// It moved on between the read and the write: look again.
	}
	return fmt.Errorf("enqueue job %s: it kept changing; gave up after %d tries", j.Key, enqueueRetries)
}

// Claim implements jobs.Store with one findOneAndUpdate whose filter requires the lease to be
// free or expired, so of two concurrent claims of one job only one matches.
func (s *Jobs) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, upTo int) (*jobs.Job, error) {
	now = now.UTC()
	filter := bson.D{
		{Key: "priority", Value: bson.D{{Key: "$lte", Value: upTo}}},
		{Key: "run_at", Value: bson.D{{Key: "$lte", Value: now}}},
		{Key: "lease_until", Value: bson.D{{Key: "$lte", Value: now}}},
	}
	update := bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "lease_owner", Value: owner},
			{Key: "lease_until", Value: now.Add(lease)},
			{Key: "rerun", Value: false},
		}},
		{Key: "$inc", Value: bson.D{{Key: "attempts", Value: 1}}},
	}
	var d jobDoc
	err := s.jobs.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().
		SetSort(bson.D{{Key: "priority", Value: 1}, {Key: "run_at", Value: 1}, {Key: "_id", Value: 1}}).
		SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim job for %s: %w", owner, err)
	}
	if d.LeaseOwner != owner {
		// Cannot happen on a server that applies the update atomically; refuse rather than run twice.
		return nil, fmt.Errorf("claim job %s for %s: stored lease owner is %q", d.Key, owner, d.LeaseOwner)
	}
	return d.job(), nil
}

// owned is the filter of a job key held by owner.
func owned(key, owner string) bson.D {
	return bson.D{byKey(key), {Key: "lease_owner", Value: owner}}
}

// Extend implements jobs.Store.
func (s *Jobs) Extend(ctx context.Context, key, owner string, until time.Time) error {
	if owner == "" {
		return jobs.ErrLeaseLost
	}
	ok, err := s.touch(ctx, owned(key, owner),
		bson.D{{Key: "$set", Value: bson.D{{Key: "lease_until", Value: until.UTC()}}}})
	if err != nil {
		return fmt.Errorf("extend lease of job %s: %w", key, err)
	}
	if !ok {
		return fmt.Errorf("extend lease of job %s for %s: %w", key, owner, jobs.ErrLeaseLost)
	}
	return nil
}

// Complete implements jobs.Store: delete when no rerun was asked for, else release for the rerun.
// Like Enqueue it reads first and then writes conditionally on what it read (the owner and Rerun),
// looping if a rerun request lands in between.
func (s *Jobs) Complete(ctx context.Context, key, owner string, now time.Time) error {
	if owner == "" {
		return jobs.ErrLeaseLost
	}
	for range enqueueRetries {
		var cur jobDoc
		err := s.jobs.FindOne(ctx, bson.D{byKey(key)}).Decode(&cur)
		if errors.Is(err, mongo.ErrNoDocuments) || (err == nil && cur.LeaseOwner != owner) {
			return fmt.Errorf("complete job %s for %s: %w", key, owner, jobs.ErrLeaseLost)
		}
		if err != nil {
			return fmt.Errorf("complete job %s: %w", key, err)
		}
		filter := append(owned(key, owner), bson.E{Key: "rerun", Value: cur.Rerun})
		if !cur.Rerun {
			err := s.jobs.FindOneAndDelete(ctx, filter).Err()
			if err == nil {
				return nil
			}
			if !errors.Is(err, mongo.ErrNoDocuments) {
				return fmt.Errorf("complete job %s: %w", key, err)
			}
			continue
		}
		ok, err := s.touch(ctx, filter, bson.D{{Key: "$set", Value: bson.D{
			{Key: "lease_owner", Value: ""},
			{Key: "lease_until", Value: time.Time{}},
			{Key: "rerun", Value: false},
			{Key: "run_at", Value: now.UTC()},
			{Key: "attempts", Value: 0},
			{Key: "last_error", Value: ""},
		}}})
		if err != nil {
			return fmt.Errorf("complete job %s: release for rerun: %w", key, err)
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("complete job %s: it kept changing; gave up after %d tries", key, enqueueRetries)
}

// Retry implements jobs.Store.
func (s *Jobs) Retry(ctx context.Context, key, owner string, runAt time.Time, errText string) error {
	if owner == "" {
		return jobs.ErrLeaseLost
	}
	ok, err := s.touch(ctx, owned(key, owner),
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "lease_owner", Value: ""},
			{Key: "lease_until", Value: time.Time{}},
			{Key: "rerun", Value: false},
			{Key: "run_at", Value: runAt.UTC()},
			{Key: "last_error", Value: errText},
		}}})
	if err != nil {
		return fmt.Errorf("retry job %s: %w", key, err)
	}
	if !ok {
		return fmt.Errorf("retry job %s for %s: %w", key, owner, jobs.ErrLeaseLost)
	}
	return nil
}

// Cancel implements jobs.Store. It looks first because on FerretDB a findAndModify that finds
// nothing scans the collection, and cancelling a job that already ran is common.
func (s *Jobs) Cancel(ctx context.Context, key string) error {
	err := s.jobs.FindOne(ctx, bson.D{byKey(key)}, options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil
	}
	if err == nil {
		err = s.jobs.FindOneAndDelete(ctx, bson.D{byKey(key)}).Err()
	}
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("cancel job %s: %w", key, err)
	}
	return nil
}

// Get implements jobs.Store.
func (s *Jobs) Get(ctx context.Context, key string) (*jobs.Job, error) {
	var d jobDoc
	err := s.jobs.FindOne(ctx, bson.D{byKey(key)}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("get job %s: %w", key, jobs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", key, err)
	}
	return d.job(), nil
}

// Count implements jobs.Store.
func (s *Jobs) Count(ctx context.Context) (int, error) {
	n, err := s.jobs.CountDocuments(ctx, bson.D{})
	if err != nil {
		return 0, fmt.Errorf("count jobs: %w", err)
	}
	return int(n), nil
}

// List implements jobs.Store.
func (s *Jobs) List(ctx context.Context) ([]jobs.Job, error) {
	cur, err := s.jobs.Find(ctx, bson.D{},
		options.Find().SetSort(bson.D{{Key: "run_at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	var docs []jobDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	out := make([]jobs.Job, 0, len(docs))
	for i := range docs {
		out = append(out, *docs[i].job())
	}
	return out, nil
}

// MarkTick implements jobs.Store: the unique _id makes exactly one insert win.
func (s *Jobs) MarkTick(ctx context.Context, key string, at time.Time) (bool, error) {
	_, err := s.ticks.InsertOne(ctx, tickDoc{Key: key, At: at.UTC()})
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mark tick %s: %w", key, err)
	}
	return true, nil
}

// UnmarkTick implements jobs.Store.
func (s *Jobs) UnmarkTick(ctx context.Context, key string) error {
	err := s.ticks.FindOneAndDelete(ctx, bson.D{byKey(key)}).Err()
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("unmark tick %s: %w", key, err)
	}
	return nil
}

// PruneTicks implements jobs.Store.
func (s *Jobs) PruneTicks(ctx context.Context, before time.Time) error {
	_, err := s.ticks.DeleteMany(ctx, bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: before.UTC()}}}})
	if err != nil {
		return fmt.Errorf("prune tick marks before %s: %w", before.UTC().Format(time.RFC3339), err)
	}
	return nil
}
