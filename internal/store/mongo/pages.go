package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/incidentbot/incidentbot/oncall"
)

// colPages keeps the on-call pages sent, one document per page (step × target).
const colPages = "pages"

var _ oncall.PageStore = (*Store)(nil)

type pageDoc struct {
	ID       string    `bson:"_id"`
	Incident int64     `bson:"incident"`
	Step     string    `bson:"step"`
	Target   string    `bson:"target"`
	User     string    `bson:"user,omitempty"`
	Schedule string    `bson:"schedule,omitempty"`
	Policy   string    `bson:"policy,omitempty"`
	Level    int       `bson:"level"`
	Round    int       `bson:"round"`
	Channel  string    `bson:"channel,omitempty"`
	TS       string    `bson:"ts,omitempty"`
	State    string    `bson:"state"`
	At       time.Time `bson:"at"`
	ClosedAt time.Time `bson:"closed_at,omitempty"`
	ClosedBy string    `bson:"closed_by,omitempty"`
	// Unlinked marks a page posted before the incident's channel existed
	// (so pages stored before this field read as linked).
	Unlinked bool `bson:"unlinked,omitempty"`
}

func (d pageDoc) page() oncall.PageRecord {
	return oncall.PageRecord{ID: d.ID, Incident: d.Incident, Step: d.Step, Target: d.Target, User: d.User,
		Schedule: d.Schedule, Policy: d.Policy, Level: d.Level, Round: d.Round, Channel: d.Channel, TS: d.TS,
		State: oncall.PageState(d.State), At: d.At.UTC(), ClosedBy: d.ClosedBy, Linked: !d.Unlinked, ClosedAt: utc(d.ClosedAt)}
}

// ensurePageIndexes creates the indexes of the pages and overrides collections; Open calls it.
func (s *Store) ensurePageIndexes(ctx context.Context) error {
	for _, m := range []mongo.IndexModel{
		{Keys: bson.D{{Key: "incident", Value: 1}, {Key: "at", Value: 1}}, Options: options.Index().SetName("incident_at")},
		{Keys: bson.D{{Key: "at", Value: 1}}, Options: options.Index().SetName("at")},
	} {
		if _, err := s.db.Collection(colPages).Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("create index on %s: %w", colPages, err)
		}
	}
	_, err := s.db.Collection(colOverrides).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "to", Value: 1}}, Options: options.Index().SetName("to")})
	if err != nil {
		return fmt.Errorf("create index on %s: %w", colOverrides, err)
	}
	return nil
}

// AddPage implements oncall.PageStore: an insert, where a duplicate _id
// means the page was already recorded.
func (s *Store) AddPage(ctx context.Context, p oncall.PageRecord) (oncall.PageRecord, bool, error) {
	if p.State == "" {
		p.State = oncall.PageOpen
	}
	doc := pageDoc{ID: p.ID, Incident: p.Incident, Step: p.Step, Target: p.Target, User: p.User, Schedule: p.Schedule,
		Policy: p.Policy, Level: p.Level, Round: p.Round, Channel: p.Channel, TS: p.TS, State: string(p.State),
		At: p.At.UTC(), ClosedBy: p.ClosedBy, Unlinked: !p.Linked, ClosedAt: utc(p.ClosedAt)}
	added, err := insertOnce(ctx, s.db.Collection(colPages), doc, "record page "+p.ID)
	if err != nil {
		return oncall.PageRecord{}, false, err
	}
	if added {
		return doc.page(), true, nil
	}
	var old pageDoc
	if err := s.db.Collection(colPages).FindOne(ctx, byID(p.ID)).Decode(&old); err != nil {
		return oncall.PageRecord{}, false, fmt.Errorf("read page %s: %w", p.ID, err)
	}
	return old.page(), false, nil
}

// SetPageMessage implements oncall.PageStore.
func (s *Store) SetPageMessage(ctx context.Context, id, channel, ts string) error {
	res, err := s.db.Collection(colPages).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "channel", Value: channel}, {Key: "ts", Value: ts}}}})
	if err != nil {
		return fmt.Errorf("record the message of page %s: %w", id, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("page %s: %w", id, oncall.ErrNotFound)
	}
	return nil
}

// SetPageLinked implements paging.Store.
func (s *Store) SetPageLinked(ctx context.Context, id string) error {
	res, err := s.db.Collection(colPages).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "unlinked", Value: ""}}}})
	if err != nil {
		return fmt.Errorf("record the channel link of page %s: %w", id, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("page %s: %w", id, oncall.ErrNotFound)
	}
	return nil
}

// ClosePage implements oncall.PageStore: a conditional update on the open state.
func (s *Store) ClosePage(ctx context.Context, id string, state oncall.PageState, at time.Time, by string) (bool, error) {
	res, err := s.db.Collection(colPages).UpdateOne(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: "state", Value: string(oncall.PageOpen)}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: string(state)}, {Key: "closed_at", Value: at.UTC()}, {Key: "closed_by", Value: by}}}})
	if err != nil {
		return false, fmt.Errorf("close page %s: %w", id, err)
	}
	if res.MatchedCount == 1 {
		return true, nil
	}
	err = s.db.Collection(colPages).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, fmt.Errorf("page %s: %w", id, oncall.ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("read page %s: %w", id, err)
	}
	return false, nil
}

// Pages implements oncall.PageStore.
func (s *Store) Pages(ctx context.Context, incident int64) ([]oncall.PageRecord, error) {
	return s.findPages(ctx, bson.D{{Key: "incident", Value: incident}})
}

// PagesBetween implements oncall.PageStore.
func (s *Store) PagesBetween(ctx context.Context, from, to time.Time) ([]oncall.PageRecord, error) {
	return s.findPages(ctx, bson.D{{Key: "at", Value: bson.D{{Key: "$gte", Value: from.UTC()}, {Key: "$lt", Value: to.UTC()}}}})
}

func (s *Store) findPages(ctx context.Context, filter bson.D) ([]oncall.PageRecord, error) {
	return findAll(ctx, s.db.Collection(colPages), filter,
		options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}), "list pages", pageDoc.page)
}
