// Package store keeps incidentbot's data in MongoDB through mongo-driver v2.
//
// With a MONGODB_URI it talks to that server. Without one it starts FerretDB
// (SQLite handler) in-process on a loopback port and talks to it over the same
// wire protocol, so there is one storage code path. FerretDB v1 does not make
// single-document updates atomic, so the embedded store is used over a single
// connection (which serializes commands) and by a single process (a lock file
// in the data directory). All code here relies only on what MongoDB makes
// atomic: single-document operators and conditional updates.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/sirupsen/logrus"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
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

// Defaults for Options.
const (
	DefaultDatabase = "incidentbot"
	DefaultDataDir  = "./data"
)

// Options configure Open. The zero value opens the embedded store in ./data.
type Options struct {
	// URI is a MongoDB connection string (MONGODB_URI). Empty starts the embedded store.
	URI string
	// Database is the database name; default "incidentbot".
	Database string
	// DataDir is where the embedded store keeps its files; default "./data". Unused with URI.
	DataDir string
	// Logger receives the store's logs; FerretDB's own logs go to it at debug level.
	// Nil discards them.
	Logger *logrus.Entry
}

// Store is the MongoDB-backed store of every domain package.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
	log    *logrus.Entry
	emb    *embedded // nil when connected to an external MongoDB
	// inbox is where webhook bodies are appended. On the embedded store it is a
	// second connection, so acknowledging a webhook never waits behind the
	// applier's slower commands on the first; appends need no atomic
	// read-modify-write, so the one-connection rule does not apply to them.
	inbox       *mongo.Collection
	inboxClient *mongo.Client

	// incidentMu serializes UpdateIncident on the embedded store.
	incidentMu sync.Mutex
	// timelineMu serializes timeline appends on the embedded store.
	timelineMu sync.Mutex

	closeOnce sync.Once
	closeErr  error
}

// Open connects to MongoDB (or starts the embedded server), pings it and
// creates the indexes. Close releases everything it took.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Database == "" {
		o.Database = DefaultDatabase
	}
	if o.DataDir == "" {
		o.DataDir = DefaultDataDir
	}
	log := o.Logger
	if log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		log = logrus.NewEntry(l)
	}
	log = log.WithField("component", "store")

	s := &Store{log: log}
	// Times: BSON datetimes keep milliseconds; the driver decodes them in UTC
	// (UseLocalTimeZone stays false), so every time read from the store is UTC.
	copts := options.Client().SetAppName("incidentbot").SetRegistry(newRegistry()).
		SetBSONOptions(&options.BSONOptions{UseLocalTimeZone: false})
	if o.URI == "" {
		emb, err := startEmbedded(o.DataDir, log)
		if err != nil {
			return nil, fmt.Errorf("open embedded store: %w", err)
		}
		s.emb = emb
		// One connection: FerretDB v1 then runs one command at a time, which
		// makes its read-modify-write updates effectively atomic.
		copts.ApplyURI(emb.uri).SetMaxPoolSize(1)
	} else {
		copts.ApplyURI(o.URI)
	}

	client, err := mongo.Connect(copts)
	if err != nil {
		s.stopEmbedded()
		// The driver's parse errors do not echo the URI, so no password leaks here.
		return nil, fmt.Errorf("open store: connect: %w", err)
	}
	s.client = client
	s.db = client.Database(o.Database)
	s.inbox = s.db.Collection(colInbox)
	if s.emb != nil {
		ic, err := mongo.Connect(copts)
		if err != nil {
			_ = s.Close(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("open store: connect the inbox: %w", err)
		}
		s.inboxClient = ic
		s.inbox = ic.Database(o.Database).Collection(colInbox)
	}

	if err := s.Ping(ctx); err != nil {
		_ = s.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := s.ensureIndexes(ctx); err != nil {
		_ = s.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("open store: %w", err)
	}
	if s.emb != nil {
		log.WithFields(logrus.Fields{"data_dir": s.emb.dir, "database": o.Database}).Info("embedded store opened")
	} else {
		log.WithField("database", o.Database).Info("store connected")
	}
	return s, nil
}

// Ping checks that the database answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx, nil); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// DB returns the database, for the other store files that build on it.
func (s *Store) DB() *mongo.Database { return s.db }

// Embedded reports whether the store runs the in-process FerretDB
// (one connection, one process) rather than an external MongoDB.
func (s *Store) Embedded() bool { return s.emb != nil }

// Close disconnects, stops the embedded server and releases the data dir lock.
// Calling it again returns the first result.
func (s *Store) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.inboxClient != nil {
			if err := s.inboxClient.Disconnect(ctx); err != nil {
				errs = append(errs, fmt.Errorf("disconnect the inbox: %w", err))
			}
		}
		if s.client != nil {
			if err := s.client.Disconnect(ctx); err != nil {
				errs = append(errs, fmt.Errorf("disconnect: %w", err))
			}
		}
		if err := s.stopEmbedded(); err != nil {
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("close store: %w", err)
		}
	})
	return s.closeErr
}

func (s *Store) stopEmbedded() error {
	if s.emb == nil {
		return nil
	}
	return s.emb.stop()
}

// ensureIndexes creates the secondary indexes; creating an existing index is a no-op.
func (s *Store) ensureIndexes(ctx context.Context) error {
	idx := []struct {
		coll  string
		model mongo.IndexModel
	}{
		{colEvents, mongo.IndexModel{
			Keys:    bson.D{{Key: "incident", Value: 1}, {Key: "at", Value: 1}},
			Options: options.Index().SetName("incident_at"),
		}},
		{colIncidents, mongo.IndexModel{
			Keys:    bson.D{{Key: "number", Value: -1}},
			Options: options.Index().SetName("number").SetUnique(true),
		}},
		{colDeployments, mongo.IndexModel{
			Keys:    bson.D{{Key: "at", Value: 1}},
			Options: options.Index().SetName("at"),
		}},
		{colSlack, mongo.IndexModel{
			Keys:    bson.D{{Key: "channel_id", Value: 1}},
			Options: options.Index().SetName("channel_id"),
		}},
		{colIncidents, mongo.IndexModel{
			Keys:    bson.D{{Key: "declared_at", Value: 1}},
			Options: options.Index().SetName("declared_at"),
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
