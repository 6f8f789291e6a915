package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/incidentbot/incidentbot/incidents"
)

// colTimelines holds, on the embedded store only, one document per incident
// with its whole timeline. FerretDB v1 answers a find on any field but a
// string _id by decoding the whole collection in Go (1.5 s for one timeline
// among 10,000 events), so the embedded store keeps each timeline under its
// incident's _id instead of one document per event. MongoDB keeps the
// indexed events collection.
const colTimelines = "timelines"

type timelineDoc struct {
	ID     string            `bson:"_id"`
	Events []incidents.Event `bson:"events"`
}

// appendTimelines adds events to their incidents' timeline documents,
// skipping IDs already there. Read-modify-write is safe here: the embedded
// store serves one process (the data-dir lock) and timelineMu serializes it.
func (s *Store) appendTimelines(ctx context.Context, events []incidents.Event) error {
	s.timelineMu.Lock()
	defer s.timelineMu.Unlock()
	var order []int64
	byIncident := map[int64][]incidents.Event{}
	for _, ev := range events {
		if _, ok := byIncident[ev.Incident]; !ok {
			order = append(order, ev.Incident)
		}
		byIncident[ev.Incident] = append(byIncident[ev.Incident], ev)
	}
	coll := s.db.Collection(colTimelines)
	for _, n := range order {
		doc, err := s.timelineDoc(ctx, n)
		if err != nil {
			return err
		}
		seen := make(map[string]bool, len(doc.Events))
		for _, ev := range doc.Events {
			seen[ev.ID] = true
		}
		added := false
		for _, ev := range byIncident[n] {
			if !seen[ev.ID] {
				seen[ev.ID] = true
				doc.Events = append(doc.Events, ev)
				added = true
			}
		}
		if !added {
			continue
		}
		_, err = coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: doc.ID}}, doc, options.Replace().SetUpsert(true))
		if err != nil {
			return fmt.Errorf("append events to the timeline of incident #%d: %w", n, err)
		}
	}
	return nil
}

func (s *Store) timelineDoc(ctx context.Context, number int64) (timelineDoc, error) {
	doc := timelineDoc{ID: strconv.FormatInt(number, 10)}
	err := s.db.Collection(colTimelines).FindOne(ctx, bson.D{{Key: "_id", Value: doc.ID}}).Decode(&doc)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return doc, fmt.Errorf("read the timeline of incident #%d: %w", number, err)
	}
	return doc, nil
}

// embeddedTimeline returns an incident's events from its timeline document.
func (s *Store) embeddedTimeline(ctx context.Context, number int64) ([]incidents.Event, error) {
	doc, err := s.timelineDoc(ctx, number)
	if err != nil {
		return nil, err
	}
	out := append([]incidents.Event{}, doc.Events...)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}
