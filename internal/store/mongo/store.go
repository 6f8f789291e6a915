// Package mongo keeps incidentbot's data in MongoDB through mongo-driver v2,
// for teams that run several replicas on one database. Every change relies
// only on what MongoDB makes atomic: single-document operators and updates
// conditional on a document's state or version; unique indexes make appends
// idempotent. The store owns its documents (incidentDoc, eventDoc, …): the
// domain types carry no storage tags.
//
// The tests also run this code over FerretDB v1 (package ferrettest), which
// does not make single-document updates atomic; there the store is opened
// with one connection (Options.MaxPoolSize 1), which serializes commands.
// Map keys are escaped (codec.go) because FerretDB rejects '.' and a leading
// '$' in field names.
package mongo

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/sirupsen/logrus"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/jobs"
)

// Collection names.
const (
	colIncidents = "incidents"
	colEvents    = "events"
	colGroups    = "groups"
	colCounters  = "counters"
	colState     = "state"
	colInbox     = "inbox"
	colLeases    = "leases"
)

// defaultDatabase is the database name when Options.Database is empty.
const defaultDatabase = "incidentbot"

// Options configure Open.
type Options struct {
	// URI is a MongoDB connection string (MONGODB_URI). Required.
	URI string
	// Database is the database name; default "incidentbot".
	Database string
	// MaxPoolSize bounds the connection pool; 0 is the driver's default.
	// FerretDB v1 needs 1 (see the package doc).
	MaxPoolSize uint64
	// Logger receives the store's logs. Nil discards them.
	Logger *logrus.Entry
}

// Store is the MongoDB store of every domain package.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
	jobs   *Jobs
	// transactions is true on a replica set or mongos: Commit is then one
	// multi-document transaction.
	transactions bool

	closeOnce sync.Once
	closeErr  error
}

// Open connects to MongoDB, pings it, creates the indexes and fills in the
// derived fields of incidents an earlier release wrote. Close releases the
// connections.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.URI == "" {
		return nil, errors.New("open mongo store: no URI")
	}
	if o.Database == "" {
		o.Database = defaultDatabase
	}
	log := discard.IfNil(o.Logger)
	// Times: BSON datetimes keep milliseconds; the driver decodes them in UTC
	// (UseLocalTimeZone stays false), so every time read from the store is UTC.
	copts := options.Client().SetAppName("incidentbot").SetRegistry(newRegistry()).
		SetBSONOptions(&options.BSONOptions{UseLocalTimeZone: false}).ApplyURI(o.URI)
	if o.MaxPoolSize > 0 {
		copts.SetMaxPoolSize(o.MaxPoolSize)
	}
	client, err := mongo.Connect(copts)
	if err != nil {
		// The driver's parse errors do not echo the URI, so no password leaks here.
		return nil, fmt.Errorf("open store: connect: %w", err)
	}
	s := &Store{client: client, db: client.Database(o.Database)}
	if err := s.Ping(ctx); err != nil {
		_ = s.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("open store: %w", err)
	}
	err = errors.Join(s.ensureIndexes(ctx), s.ensurePageIndexes(ctx), s.ensurePostmortemIndexes(ctx), s.ensureNotificationIndexes(ctx), s.ensureMaintenanceIndexes(ctx))
	if err == nil {
		err = s.deriveIncidents(ctx)
	}
	if err == nil {
		err = s.ensureChain(ctx, log)
	}
	if err != nil {
		_ = s.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("open store: %w", err)
	}
	if s.jobs, err = newJobs(ctx, s.db); err != nil {
		_ = s.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.transactions = s.supportsTransactions(ctx)
	if !s.transactions {
		log.Warn("MongoDB is a standalone server: changes are written in a safe order but not as one transaction; run a replica set (a single-node one will do) for atomic changes")
	}
	log.WithField("database", o.Database).Info("store connected")
	return s, nil
}

// ensureChain seals the events written before the hash chain, then makes
// each incident's chain places unique.
func (s *Store) ensureChain(ctx context.Context, log *logrus.Entry) error {
	n, err := s.sealEvents(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		log.Infof("sealed %d timeline events recorded before the hash chain: each now carries its place and hash, so `incidentbot verify` can tell a changed record from then on", n)
	}
	_, err = s.db.Collection(colEvents).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "incident", Value: 1}, {Key: "seq", Value: 1}},
		Options: options.Index().SetName("incident_seq").SetUnique(true),
	})
	if err != nil {
		return fmt.Errorf("create index on %s: %w", colEvents, err)
	}
	return nil
}

// Ping runs a real query (the incident counter, by _id); /readyz uses it.
func (s *Store) Ping(ctx context.Context) error {
	err := s.db.Collection(colCounters).FindOne(ctx, byID("incident")).Err()
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// DB returns the database.
func (s *Store) DB() *mongo.Database { return s.db }

// Jobs returns the jobs store in the same database.
func (s *Store) Jobs() jobs.Store { return s.jobs }

// Embedded reports false: several processes may share the database.
func (s *Store) Embedded() bool { return false }

// Close disconnects. Calling it again returns the first result.
func (s *Store) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		if err := s.client.Disconnect(ctx); err != nil {
			s.closeErr = fmt.Errorf("close store: %w", err)
		}
	})
	return s.closeErr
}

// ensureIndexes creates the secondary indexes; creating an existing index is a no-op.
func (s *Store) ensureIndexes(ctx context.Context) error {
	idx := []struct {
		coll  string
		model mongo.IndexModel
	}{
		{colEvents, mongo.IndexModel{
			Keys:    bson.D{{Key: "incident", Value: 1}, {Key: "at", Value: 1}, {Key: "_id", Value: 1}},
			Options: options.Index().SetName("incident_at_id"),
		}},
		{colIncidents, mongo.IndexModel{
			Keys:    bson.D{{Key: "status", Value: 1}, {Key: "_id", Value: -1}},
			Options: options.Index().SetName("status_id"),
		}},
		{colDeployments, mongo.IndexModel{
			Keys:    bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}},
			Options: options.Index().SetName("at_id"),
		}},
		{colSlack, mongo.IndexModel{
			Keys:    bson.D{{Key: "channel_id", Value: 1}},
			Options: options.Index().SetName("channel_id"),
		}},
		{colIncidents, mongo.IndexModel{
			Keys:    bson.D{{Key: "declared_at", Value: 1}},
			Options: options.Index().SetName("declared_at"),
		}},
		// The ListOptions filters, each newest first.
		{colIncidents, mongo.IndexModel{
			Keys:    bson.D{{Key: "group_key", Value: 1}, {Key: "_id", Value: -1}},
			Options: options.Index().SetName("group_key_id"),
		}},
		{colIncidents, mongo.IndexModel{
			Keys:    bson.D{{Key: "alert_names", Value: 1}, {Key: "_id", Value: -1}}, // multikey
			Options: options.Index().SetName("alert_names_id"),
		}},
		{colIncidents, mongo.IndexModel{
			Keys:    bson.D{{Key: "open_actions", Value: 1}, {Key: "_id", Value: -1}},
			Options: options.Index().SetName("open_actions_id"),
		}},
		{colIncidents, mongo.IndexModel{
			Keys:    bson.D{{Key: "severity", Value: 1}, {Key: "_id", Value: -1}},
			Options: options.Index().SetName("severity_id"),
		}},
		{colIncidents, mongo.IndexModel{
			Keys:    bson.D{{Key: "service_name", Value: 1}, {Key: "_id", Value: -1}},
			Options: options.Index().SetName("service_name_id"),
		}},
		// Incidents whose derived fields Open must fill in (deriveIncidents).
		{colIncidents, mongo.IndexModel{
			Keys:    bson.D{{Key: "derived", Value: 1}},
			Options: options.Index().SetName("derived"),
		}},
	}
	for _, ix := range idx {
		if _, err := s.db.Collection(ix.coll).Indexes().CreateOne(ctx, ix.model); err != nil {
			return fmt.Errorf("create index on %s: %w", ix.coll, err)
		}
	}
	return nil
}

// isDuplicateOnly reports whether err consists only of duplicate-key write errors,
// as insertMany returns when some documents were already stored.
func isDuplicateOnly(err error) bool {
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) {
		if bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
			return false
		}
		for _, we := range bwe.WriteErrors {
			if !isDupCode(we.Code) {
				return false
			}
		}
		return true
	}
	var we mongo.WriteException
	if errors.As(err, &we) {
		if we.WriteConcernError != nil || len(we.WriteErrors) == 0 {
			return false
		}
		for _, e := range we.WriteErrors {
			if !isDupCode(e.Code) {
				return false
			}
		}
		return true
	}
	return false
}

func isDupCode(code int) bool { return code == 11000 || code == 11001 || code == 12582 }

// upsertRetries bounds retries of an upsert that lost a race to insert the same _id.
// MongoDB retries such upserts itself since 4.2; this covers older servers and FerretDB.
const upsertRetries = 3
