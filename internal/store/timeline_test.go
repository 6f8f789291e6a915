package store_test

import (
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/store/storetest"
)

// A long timeline (an alert storm's) spans several documents and reads back
// whole, in order, with re-sent events skipped.
func TestLongTimeline(t *testing.T) {
	s := storetest.New(t)
	ctx := testCtx(t)
	t0 := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	ev := func(i int) incidents.Event {
		return incidents.Event{ID: fmt.Sprintf("7:e%05d", i), Incident: 7, Type: incidents.EventAlertFired,
			At: t0.Add(time.Duration(4500-i) * time.Second), Text: "Alert firing"}
	}
	var first, second []incidents.Event
	for i := range 3000 {
		first = append(first, ev(i))
	}
	for i := 2500; i < 4500; i++ { // 500 already stored
		second = append(second, ev(i))
	}
	for _, batch := range [][]incidents.Event{first, second, second} {
		if err := s.AppendEvents(ctx, batch...); err != nil {
			t.Fatal(err)
		}
	}
	// Another incident's events stay apart.
	if err := s.AppendEvents(ctx, incidents.Event{ID: "8:x", Incident: 8, Type: incidents.EventNote, At: t0, Text: "n"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Timeline(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4500 {
		t.Fatalf("timeline has %d events, want 4500", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].At.Before(got[i-1].At) {
			t.Fatalf("event %d (%s) is before event %d", i, got[i].At, i-1)
		}
	}
	if got[0].ID != "7:e04499" || got[4499].ID != "7:e00000" {
		t.Errorf("first and last = %s, %s; want 7:e04499, 7:e00000", got[0].ID, got[4499].ID)
	}
	if other, _ := s.Timeline(ctx, 8); len(other) != 1 {
		t.Errorf("incident 8 has %d events, want 1", len(other))
	}
	if s.Embedded() {
		docs, err := s.DB().Collection("timelines").CountDocuments(ctx, bson.D{})
		if err != nil || docs != 4 {
			t.Errorf("timeline documents = %d, %v; want 4 (3 chunks of at most 2,000 events for #7, 1 for #8)", docs, err)
		}
	}
}
