package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/incidentbot/incidentbot/bot/slackstate"
	"github.com/incidentbot/incidentbot/incidents"
)

// colSlack keeps the bot's Slack state, one document per incident.
const colSlack = "slack"

var _ slackstate.Store = (*Store)(nil)

// slackDoc is the stored form of a slackstate.Incident; _id is the incident number.
type slackDoc struct {
	ID                  int64     `bson:"_id"`
	Version             int64     `bson:"version"`
	ChannelID           string    `bson:"channel_id,omitempty"`
	ChannelName         string    `bson:"channel_name,omitempty"`
	SummaryTS           string    `bson:"summary_ts,omitempty"`
	SummaryPinned       bool      `bson:"summary_pinned,omitempty"`
	AnnouncedOpen       string    `bson:"announced_open,omitempty"`
	AnnouncedResolved   string    `bson:"announced_resolved,omitempty"`
	AnnouncedResolvedAt time.Time `bson:"announced_resolved_at,omitempty"`
	Topic               string    `bson:"topic,omitempty"`
	Purpose             string    `bson:"purpose,omitempty"`
	Invited             string    `bson:"invited,omitempty"`
	NudgedAt            time.Time `bson:"nudged_at,omitempty"`
}

func slackDocOf(st *slackstate.Incident) slackDoc {
	return slackDoc{
		ID: st.Number, Version: st.Version,
		ChannelID: st.ChannelID, ChannelName: st.ChannelName, SummaryTS: st.SummaryTS, SummaryPinned: st.SummaryPinned,
		AnnouncedOpen: st.AnnouncedOpen, AnnouncedResolved: st.AnnouncedResolved, AnnouncedResolvedAt: st.AnnouncedResolvedAt.UTC(),
		Topic: st.Topic, Purpose: st.Purpose, Invited: st.Invited, NudgedAt: st.NudgedAt.UTC(),
	}
}

func (d slackDoc) state() (slackstate.Incident, error) {
	return slackstate.Incident{
		Number: d.ID, Version: d.Version,
		ChannelID: d.ChannelID, ChannelName: d.ChannelName, SummaryTS: d.SummaryTS, SummaryPinned: d.SummaryPinned,
		AnnouncedOpen: d.AnnouncedOpen, AnnouncedResolved: d.AnnouncedResolved, AnnouncedResolvedAt: utc(d.AnnouncedResolvedAt),
		Topic: d.Topic, Purpose: d.Purpose, Invited: d.Invited, NudgedAt: utc(d.NudgedAt),
	}, nil
}

// SlackState implements slackstate.Store.
func (s *Store) SlackState(ctx context.Context, number int64) (slackstate.Incident, error) {
	var d slackDoc
	err := s.db.Collection(colSlack).FindOne(ctx, bson.D{{Key: "_id", Value: number}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return slackstate.Incident{Number: number}, nil
	}
	if err != nil {
		return slackstate.Incident{}, fmt.Errorf("read Slack state of incident #%d: %w", number, err)
	}
	return d.state()
}

// PutSlackState implements slackstate.Store: an insert for the first
// version (a duplicate key means another writer was first), else a replace
// conditional on the version.
func (s *Store) PutSlackState(ctx context.Context, st *slackstate.Incident) error {
	d := slackDocOf(st)
	d.Version++
	coll := s.db.Collection(colSlack)
	if st.Version == 0 {
		_, err := coll.InsertOne(ctx, d)
		if mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("store Slack state of incident #%d: %w", st.Number, incidents.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store Slack state of incident #%d: %w", st.Number, err)
		}
	} else {
		res, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: d.ID}, {Key: "version", Value: st.Version}}, d)
		if err != nil {
			return fmt.Errorf("store Slack state of incident #%d: %w", st.Number, err)
		}
		if res.MatchedCount == 0 {
			return fmt.Errorf("store Slack state of incident #%d: %w", st.Number, incidents.ErrConflict)
		}
	}
	st.Version = d.Version
	return nil
}

// SlackStateByChannel implements slackstate.Store.
func (s *Store) SlackStateByChannel(ctx context.Context, channelID string) (slackstate.Incident, error) {
	if channelID == "" {
		return slackstate.Incident{}, fmt.Errorf("no channel: %w", slackstate.ErrNotFound)
	}
	var d slackDoc
	err := s.db.Collection(colSlack).FindOne(ctx, bson.D{{Key: "channel_id", Value: channelID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return slackstate.Incident{}, fmt.Errorf("channel %s: %w", channelID, slackstate.ErrNotFound)
	}
	if err != nil {
		return slackstate.Incident{}, fmt.Errorf("look up channel %s: %w", channelID, err)
	}
	return d.state()
}
