package store

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/incidentbot/incidentbot/incidents"
)

const colChannels = "channels"

type channelDoc struct {
	ID       string `bson:"_id"`
	Incident int64  `bson:"incident"`
}

// PutChannel implements incidents.Store: commands in a channel find their incident by _id.
func (s *Store) PutChannel(ctx context.Context, channelID string, number int64) error {
	_, err := s.db.Collection(colChannels).ReplaceOne(ctx, bson.D{{Key: "_id", Value: channelID}},
		channelDoc{ID: channelID, Incident: number}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("index channel %s: %w", channelID, err)
	}
	return nil
}

// IncidentByChannel implements incidents.Store. The channel index is written
// after the incident; when it is missing (a crash in between) the incidents
// are searched and the index repaired.
func (s *Store) IncidentByChannel(ctx context.Context, channelID string) (*incidents.Incident, error) {
	var doc channelDoc
	err := s.db.Collection(colChannels).FindOne(ctx, bson.D{{Key: "_id", Value: channelID}}).Decode(&doc)
	if err == nil {
		return s.GetIncident(ctx, doc.Incident)
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("look up channel %s: %w", channelID, err)
	}
	var inc incidents.Incident
	err = s.db.Collection(colIncidents).FindOne(ctx, bson.D{{Key: "slack.channel_id", Value: channelID}}).Decode(&inc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("channel %s: %w", channelID, incidents.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("look up channel %s: %w", channelID, err)
	}
	normalizeIncident(&inc)
	if err := s.PutChannel(ctx, channelID, inc.Number); err != nil {
		return nil, err
	}
	return &inc, nil
}
