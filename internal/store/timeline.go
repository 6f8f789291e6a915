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
	Chunks int               `bson:"chunks,omitempty"` // on the first chunk: how many there are
	Events []incidents.Event `bson:"events"`
}

// timelineChunk bounds the events of one timeline document, so an alert storm's
// timeline never nears the 16 MB document limit: later chunks are "<n>:2", "<n>:3", ….
const timelineChunk = 2000

func chunkID(number int64, i int) string {
	if i == 1 {
		return strconv.FormatInt(number, 10)
	}
	return fmt.Sprintf("%d:%d", number, i)
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
	for _, n := range order {
		if err := s.appendTimeline(ctx, n, byIncident[n]); err != nil {
			return fmt.Errorf("append events to the timeline of incident #%d: %w", n, err)
		}
	}
	return nil
}

func (s *Store) appendTimeline(ctx context.Context, number int64, events []incidents.Event) error {
	chunks, err := s.timelineChunks(ctx, number)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, c := range chunks {
		for _, ev := range c.Events {
			seen[ev.ID] = true
		}
	}
	last := len(chunks) - 1
	dirty := map[int]bool{}
	for _, ev := range events {
		if seen[ev.ID] {
			continue
		}
		seen[ev.ID] = true
		if len(chunks[last].Events) >= timelineChunk {
			chunks = append(chunks, timelineDoc{ID: chunkID(number, len(chunks)+1)})
			last++
			chunks[0].Chunks = len(chunks)
			dirty[0] = true
		}
		chunks[last].Events = append(chunks[last].Events, ev)
		dirty[last] = true
	}
	// Later chunks first: the first chunk's count is written last, so a crash
	// in between leaves at worst an unlisted chunk, whose events a replay
	// appends again.
	coll := s.db.Collection(colTimelines)
	for i := len(chunks) - 1; i >= 0; i-- {
		if !dirty[i] {
			continue
		}
		_, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: chunks[i].ID}}, chunks[i], options.Replace().SetUpsert(true))
		if err != nil {
			return err
		}
	}
	return nil
}

// timelineChunks reads every chunk of a timeline; a timeline never written is one empty chunk.
func (s *Store) timelineChunks(ctx context.Context, number int64) ([]timelineDoc, error) {
	coll := s.db.Collection(colTimelines)
	first := timelineDoc{ID: chunkID(number, 1)}
	err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: first.ID}}).Decode(&first)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("read the timeline of incident #%d: %w", number, err)
	}
	chunks := []timelineDoc{first}
	for i := 2; i <= first.Chunks; i++ {
		c := timelineDoc{ID: chunkID(number, i)}
		err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: c.ID}}).Decode(&c)
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return nil, fmt.Errorf("read the timeline of incident #%d: %w", number, err)
		}
		chunks = append(chunks, c)
	}
	return chunks, nil
}

// embeddedTimeline returns an incident's events from its timeline documents.
func (s *Store) embeddedTimeline(ctx context.Context, number int64) ([]incidents.Event, error) {
	chunks, err := s.timelineChunks(ctx, number)
	if err != nil {
		return nil, err
	}
	out := []incidents.Event{}
	for _, c := range chunks {
		out = append(out, c.Events...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}
