package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/incidentbot/incidentbot/deploys"
)

// Collections of deployments and of incident → deployment links.
const (
	colDeployments = "deployments"
	colCauses      = "causes"
)

var _ deploys.Store = (*Store)(nil)

type deployDoc struct {
	ID          string    `bson:"_id"`
	Service     string    `bson:"service"`
	Version     string    `bson:"version"`
	Environment string    `bson:"environment"`
	Status      string    `bson:"status"`
	At          time.Time `bson:"at"`
	Commit      string    `bson:"commit,omitempty"`
	CommitAt    time.Time `bson:"commit_at,omitempty"`
}

func (d deployDoc) deployment() deploys.Deployment {
	return deploys.Deployment{ID: d.ID, Service: d.Service, Version: d.Version, Environment: d.Environment,
		Status: deploys.Status(d.Status), At: d.At.UTC(), Commit: d.Commit, CommitAt: utc(d.CommitAt)}
}

// AddDeployment implements deploys.Store: an insert, where a duplicate _id
// means the deployment is already stored.
func (s *Store) AddDeployment(ctx context.Context, d deploys.Deployment) (bool, error) {
	doc := deployDoc{ID: d.ID, Service: d.Service, Version: d.Version, Environment: d.Environment,
		Status: string(d.Status), At: d.At.UTC(), Commit: d.Commit, CommitAt: utc(d.CommitAt)}
	return insertOnce(ctx, s.db.Collection(colDeployments), doc, "store deployment "+d.ID)
}

// Deployment implements deploys.Store.
func (s *Store) Deployment(ctx context.Context, id string) (deploys.Deployment, error) {
	var doc deployDoc
	err := s.db.Collection(colDeployments).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return deploys.Deployment{}, fmt.Errorf("deployment %s: %w", id, deploys.ErrNotFound)
	}
	if err != nil {
		return deploys.Deployment{}, fmt.Errorf("read deployment %s: %w", id, err)
	}
	return doc.deployment(), nil
}

// Deployments implements deploys.Store.
func (s *Store) Deployments(ctx context.Context, from, to time.Time) ([]deploys.Deployment, error) {
	filter := bson.D{{Key: "at", Value: bson.D{{Key: "$gte", Value: from.UTC()}, {Key: "$lt", Value: to.UTC()}}}}
	return findAll(ctx, s.db.Collection(colDeployments), filter,
		options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}), "list deployments", deployDoc.deployment)
}

type causeDoc struct {
	ID         int64  `bson:"_id"` // the incident number
	Deployment string `bson:"deployment"`
}

// SetCause implements deploys.Store.
func (s *Store) SetCause(ctx context.Context, incident int64, id string) error {
	_, err := s.db.Collection(colCauses).ReplaceOne(ctx, bson.D{{Key: "_id", Value: incident}},
		causeDoc{ID: incident, Deployment: id}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("link incident #%d to deployment %s: %w", incident, id, err)
	}
	return nil
}

// Causes implements deploys.Store.
func (s *Store) Causes(ctx context.Context) (map[int64]string, error) {
	cur, err := s.db.Collection(colCauses).Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list causes: %w", err)
	}
	var docs []causeDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list causes: %w", err)
	}
	out := make(map[int64]string, len(docs))
	for _, d := range docs {
		out[d.ID] = d.Deployment
	}
	return out, nil
}
