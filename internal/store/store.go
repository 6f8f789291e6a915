// Package store opens incidentbot's store: the embedded SQLite store in the
// data dir (package sqlite) when no MongoDB URI is set, else MongoDB
// (package mongo) for several replicas. Both implement every store interface
// the domain and adapter packages declare, and pass the same conformance
// suites (storetest).
package store

import (
	"context"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/alertmanager"
	"github.com/incidentbot/incidentbot/bot/slackstate"
	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/heartbeats"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/internal/store/mongo"
	"github.com/incidentbot/incidentbot/internal/store/sqlite"
	"github.com/incidentbot/incidentbot/maintenance"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
	"github.com/incidentbot/incidentbot/postmortem"
)

// Store is what the app needs of a store.
type Store interface {
	incidents.Store
	alertmanager.Inbox
	slackstate.Store
	deploys.Store
	paging.Store
	oncall.OverrideStore
	postmortem.Store
	maintenance.Store
	heartbeats.Store
	Leases
	// Jobs returns the jobs store on the same database.
	Jobs() jobs.Store
	// Secret returns the secret called name, made at random the first
	// time: one per store, shared by its replicas (acknowledge links).
	Secret(ctx context.Context, name string) ([]byte, error)
	// Ping runs a real query; /readyz uses it.
	Ping(ctx context.Context) error
	// Embedded reports whether this is the embedded store, which one process
	// serves at a time (the data-dir lock).
	Embedded() bool
	// Close releases the store; calling it again returns the first result.
	Close(ctx context.Context) error
}

// Leases are named, expiring locks (one alert applier among replicas).
type Leases interface {
	// AcquireLease takes or renews the lease name for holder until now+ttl.
	// It succeeds when the lease is free, expired (until < now) or already
	// held by holder, and reports false when someone else holds it.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error)
	// ReleaseLease gives up the lease name if holder holds it; otherwise it does nothing.
	ReleaseLease(ctx context.Context, name, holder string) error
}

var (
	_ Store = (*sqlite.Store)(nil)
	_ Store = (*mongo.Store)(nil)
)

// defaultDataDir is the embedded store's directory when Options.DataDir is empty.
const defaultDataDir = "./data"

// ErrDataDirInUse is matched (errors.Is) by the error Open returns when
// another process holds the embedded store's data dir.
var ErrDataDirInUse = sqlite.ErrDataDirInUse

// Options choose and configure the store.
type Options struct {
	// URI is a MongoDB connection string (MONGODB_URI); empty opens the embedded store.
	URI string
	// Database is the MongoDB database name; default "incidentbot".
	Database string
	// DataDir is the embedded store's directory; default "./data". Unused with URI.
	DataDir string
	// Logger receives the store's logs; nil discards them.
	Logger *logrus.Entry
}

// Open opens MongoDB when o.URI is set, else the embedded store in o.DataDir.
func Open(ctx context.Context, o Options) (Store, error) {
	// Return a nil interface on error, not a typed nil pointer.
	if o.URI != "" {
		s, err := mongo.Open(ctx, mongo.Options{URI: o.URI, Database: o.Database, Logger: o.Logger})
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	if o.DataDir == "" {
		o.DataDir = defaultDataDir
	}
	s, err := sqlite.Open(ctx, sqlite.Options{DataDir: o.DataDir, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// OpenReadOnly opens a store for reading beside a running serve: MongoDB as
// usual, the embedded store without its lock (see sqlite.OpenReadOnly).
func OpenReadOnly(ctx context.Context, o Options) (Store, error) {
	if o.URI != "" {
		return Open(ctx, o)
	}
	if o.DataDir == "" {
		o.DataDir = defaultDataDir
	}
	s, err := sqlite.OpenReadOnly(ctx, o.DataDir)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Backup writes a consistent copy of the embedded store in dataDir to the
// new file to, beside a running serve. See sqlite.Backup.
func Backup(ctx context.Context, dataDir, to string) error {
	if dataDir == "" {
		dataDir = defaultDataDir
	}
	return sqlite.Backup(ctx, dataDir, to)
}
