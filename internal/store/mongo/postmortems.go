package mongo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/postmortem"
)

// colPostmortems keeps one postmortem record per incident.
const colPostmortems = "postmortems"

var _ postmortem.Store = (*Store)(nil)

// postmortemDoc is the stored form of a postmortem.Record; the _id is the
// incident number as a string (FerretDB v1 finds only string _ids by index).
type postmortemDoc struct {
	ID        string    `bson:"_id"`
	Version   int64     `bson:"version"`
	Status    string    `bson:"status"`
	Owner     string    `bson:"owner,omitempty"`
	Title     string    `bson:"title,omitempty"`
	Severity  string    `bson:"severity,omitempty"`
	Date      time.Time `bson:"date,omitempty"`
	Duration  int64     `bson:"duration_ns,omitempty"`
	Ongoing   bool      `bson:"ongoing,omitempty"`
	Services  []string  `bson:"services,omitempty"`
	Storm     bool      `bson:"storm,omitempty"`
	Markdown  []byte    `bson:"markdown,omitempty"`
	WrittenAt time.Time `bson:"written_at,omitempty"`
	Source    string    `bson:"source,omitempty"`
	MessageTS string    `bson:"message_ts,omitempty"`
}

func postmortemDocOf(r *postmortem.Record) postmortemDoc {
	return postmortemDoc{
		ID: strconv.FormatInt(r.Number, 10), Version: r.Version, Status: string(r.Status), Owner: r.Owner,
		Title: r.Title, Severity: r.Severity, Date: r.Date.UTC(), Duration: int64(r.Duration), Ongoing: r.Ongoing,
		Services: r.Services, Storm: r.Storm, Markdown: r.Markdown, WrittenAt: r.WrittenAt.UTC(),
		Source: r.Source, MessageTS: r.MessageTS,
	}
}

func (d postmortemDoc) record() (postmortem.Record, error) {
	n, err := strconv.ParseInt(d.ID, 10, 64)
	if err != nil {
		return postmortem.Record{}, fmt.Errorf("postmortem with _id %q: %w", d.ID, err)
	}
	return postmortem.Record{
		Number: n, Version: d.Version, Status: postmortem.Status(d.Status), Owner: d.Owner,
		Title: d.Title, Severity: d.Severity, Date: utc(d.Date), Duration: time.Duration(d.Duration), Ongoing: d.Ongoing,
		Services: d.Services, Storm: d.Storm, Markdown: d.Markdown, WrittenAt: utc(d.WrittenAt),
		Source: d.Source, MessageTS: d.MessageTS,
	}, nil
}

// ensurePostmortemIndexes creates the index Postmortems sorts by; Open calls it.
func (s *Store) ensurePostmortemIndexes(ctx context.Context) error {
	_, err := s.db.Collection(colPostmortems).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "date", Value: -1}, {Key: "_id", Value: -1}},
	})
	if err != nil {
		return fmt.Errorf("create the postmortems index: %w", err)
	}
	return nil
}

// Postmortem implements postmortem.Store.
func (s *Store) Postmortem(ctx context.Context, number int64) (postmortem.Record, error) {
	var d postmortemDoc
	err := s.db.Collection(colPostmortems).FindOne(ctx, bson.D{{Key: "_id", Value: strconv.FormatInt(number, 10)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return postmortem.Record{}, fmt.Errorf("postmortem of incident #%d: %w", number, postmortem.ErrNotFound)
	}
	if err != nil {
		return postmortem.Record{}, fmt.Errorf("read the postmortem of incident #%d: %w", number, err)
	}
	return d.record()
}

// PutPostmortem implements postmortem.Store: an insert for the first version
// (a duplicate key means another writer was first), else a replace
// conditional on the version.
func (s *Store) PutPostmortem(ctx context.Context, r *postmortem.Record) error {
	d := postmortemDocOf(r)
	d.Version++
	coll := s.db.Collection(colPostmortems)
	if r.Version == 0 {
		_, err := coll.InsertOne(ctx, d)
		if mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("postmortem of incident #%d: %w", r.Number, incidents.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store the postmortem of incident #%d: %w", r.Number, err)
		}
	} else {
		res, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: d.ID}, {Key: "version", Value: r.Version}}, d)
		if err != nil {
			return fmt.Errorf("store the postmortem of incident #%d: %w", r.Number, err)
		}
		if res.MatchedCount == 0 {
			return fmt.Errorf("postmortem of incident #%d: %w", r.Number, incidents.ErrConflict)
		}
	}
	r.Version = d.Version
	return nil
}

// Postmortems implements postmortem.Store. The _id is a string, so the
// tie-break on the number is done in Go.
func (s *Store) Postmortems(ctx context.Context, markdown bool) ([]postmortem.Record, error) {
	opts := options.Find().SetSort(bson.D{{Key: "date", Value: -1}})
	if !markdown {
		opts.SetProjection(bson.D{{Key: "markdown", Value: 0}})
	}
	cur, err := s.db.Collection(colPostmortems).Find(ctx, bson.D{}, opts)
	if err != nil {
		return nil, fmt.Errorf("list postmortems: %w", err)
	}
	var docs []postmortemDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list postmortems: %w", err)
	}
	out := make([]postmortem.Record, 0, len(docs))
	for _, d := range docs {
		r, err := d.record()
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	sortPostmortems(out)
	return out, nil
}

func sortPostmortems(rs []postmortem.Record) {
	// insertion order from the sort above is kept; fix ties on the date
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].Date.Equal(rs[j-1].Date) && rs[j].Number > rs[j-1].Number; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}
