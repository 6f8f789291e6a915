package mongo

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/store/mongo/ferrettest"
)

// `incidentbot verify` catches each way of changing a stored timeline by
// hand: an event's text changed, an event deleted, one inserted, two
// swapped.
func TestVerifyCatchesTamperingByHand(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	set := func(id string, fields bson.D) func(context.Context, *Store) error {
		return func(ctx context.Context, s *Store) error {
			_, err := s.db.Collection(colEvents).UpdateOne(ctx, byID(id), bson.D{{Key: "$set", Value: fields}})
			return err
		}
	}
	tests := []struct {
		name    string
		tamper  []func(context.Context, *Store) error
		problem incidents.ChainProblem
		seq     int64
	}{
		{"text changed", []func(context.Context, *Store) error{set("1:e3", bson.D{{Key: "text", Value: "all fine"}})}, incidents.ChainChanged, 3},
		{"event deleted", []func(context.Context, *Store) error{func(ctx context.Context, s *Store) error {
			_, err := s.db.Collection(colEvents).DeleteOne(ctx, byID("1:e2"))
			return err
		}}, incidents.ChainRemoved, 2},
		{"event inserted", []func(context.Context, *Store) error{
			set("1:e5", bson.D{{Key: "seq", Value: int64(6)}}), set("1:e4", bson.D{{Key: "seq", Value: int64(5)}}), set("1:e3", bson.D{{Key: "seq", Value: int64(4)}}),
			func(ctx context.Context, s *Store) error {
				_, err := s.db.Collection(colEvents).InsertOne(ctx, eventDocOf(incidents.Event{ID: "1:forged", Incident: 1,
					Type: incidents.EventNote, At: at, Text: "forged", Seq: 3, Hash: "00"}))
				return err
			}}, incidents.ChainInserted, 3},
		{"two swapped", []func(context.Context, *Store) error{
			set("1:e2", bson.D{{Key: "seq", Value: int64(3)}}), set("1:e3", bson.D{{Key: "seq", Value: int64(2)}}),
		}, incidents.ChainSwapped, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			s := openTest(t, Options{URI: ferrettest.Start(t), MaxPoolSize: 1})
			var evs []incidents.Event
			for i := 1; i <= 5; i++ {
				evs = append(evs, incidents.Event{ID: fmt.Sprintf("1:e%d", i), Incident: 1, Type: incidents.EventNote, At: at, Actor: "U1", Text: fmt.Sprint("note ", i)})
			}
			if err := s.Commit(ctx, &incidents.Change{Create: []*incidents.Incident{{Number: 1, Title: "t"}}, Events: evs}); err != nil {
				t.Fatal(err)
			}
			chain, _ := s.TimelineChain(ctx, 1)
			if n, err := incidents.VerifyChain(1, chain); err != nil || n != 5 {
				t.Fatalf("before: %d events, %v", n, err)
			}
			if err := s.db.Collection(colEvents).Indexes().DropOne(ctx, "incident_seq"); err != nil { // as a database admin could
				t.Fatal(err)
			}
			for _, f := range tt.tamper {
				if err := f(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			chain, err := s.TimelineChain(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			_, err = incidents.VerifyChain(1, chain)
			var ce *incidents.ChainError
			if !errors.As(err, &ce) || ce.Problem != tt.problem || ce.Seq != tt.seq {
				t.Fatalf("verify after %s = %v, want %s at event %d", tt.name, err, tt.problem, tt.seq)
			}
		})
	}
}
