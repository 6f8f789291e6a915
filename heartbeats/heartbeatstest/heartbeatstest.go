// Package heartbeatstest is the conformance suite of heartbeats.Store: the
// same tests run against every store.
package heartbeatstest

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/heartbeats"
)

// Run runs the suite; open returns a new, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) heartbeats.Store) {
	tests := []struct {
		name string
		f    func(t *testing.T, s heartbeats.Store)
	}{
		{"BeatKeepsTheLatest", testBeat},
		{"ArmOnce", testArm},
		{"Incident", testIncident},
		{"ConcurrentBeats", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.f(t, open(t))
		})
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var (
	t0     = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	almaty = time.FixedZone("Asia/Almaty", 5*3600)
)

func testBeat(t *testing.T, s heartbeats.Store) {
	ctx := testCtx(t)
	r, err := s.Beat(ctx, "watchdog", t0.Add(time.Minute).In(almaty))
	if err != nil {
		t.Fatal(err)
	}
	want := heartbeats.Record{Name: "watchdog", Last: t0.Add(time.Minute), Armed: t0.Add(time.Minute)}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("first beat: %+v, want %+v", r, want)
	}
	// An older beat (a retried webhook) does not move Last back.
	if r, err = s.Beat(ctx, "watchdog", t0); err != nil || !r.Last.Equal(t0.Add(time.Minute)) {
		t.Errorf("older beat: %+v, %v; want Last kept", r, err)
	}
	if r, _ = s.Beat(ctx, "watchdog", t0.Add(5*time.Minute)); !r.Last.Equal(t0.Add(5*time.Minute)) || !r.Armed.Equal(t0) {
		t.Errorf("newer beat: %+v", r)
	}
	if _, err := s.Beat(ctx, "backup", t0.Add(time.Second+123*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	all, err := s.Heartbeats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Name != "backup" || all[1].Name != "watchdog" {
		t.Fatalf("Heartbeats = %+v, want backup then watchdog", all)
	}
	if got := all[0].Last; !got.Equal(t0.Add(time.Second+123*time.Millisecond)) || got.Location() != time.UTC {
		t.Errorf("backup's Last = %v, want %v in UTC (milliseconds kept)", got, t0.Add(time.Second+123*time.Millisecond))
	}
}

func testArm(t *testing.T, s heartbeats.Store) {
	ctx := testCtx(t)
	r, err := s.ArmHeartbeat(ctx, "backup", t0)
	if err != nil || !r.Armed.Equal(t0) || !r.Last.IsZero() || r.Name != "backup" {
		t.Fatalf("ArmHeartbeat = %+v, %v", r, err)
	}
	if r, _ = s.ArmHeartbeat(ctx, "backup", t0.Add(time.Hour)); !r.Armed.Equal(t0) {
		t.Errorf("arming again moved Armed to %v", r.Armed)
	}
	if r, _ = s.Beat(ctx, "backup", t0.Add(2*time.Hour)); !r.Armed.Equal(t0) || !r.Last.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("beat after arming: %+v", r)
	}
	if r, _ = s.ArmHeartbeat(ctx, "backup", t0.Add(3*time.Hour)); !r.Last.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("arming a beating heartbeat: %+v, want the record as stored", r)
	}
}

func testIncident(t *testing.T, s heartbeats.Store) {
	ctx := testCtx(t)
	if err := s.SetHeartbeatIncident(ctx, "nope", 3); !errors.Is(err, heartbeats.ErrNotFound) {
		t.Errorf("SetHeartbeatIncident without a record: %v, want ErrNotFound", err)
	}
	if _, err := s.ArmHeartbeat(ctx, "watchdog", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.SetHeartbeatIncident(ctx, "watchdog", 42); err != nil {
		t.Fatal(err)
	}
	r, err := s.Beat(ctx, "watchdog", t0.Add(time.Minute))
	if err != nil || r.Incident != 42 {
		t.Fatalf("beat returns %+v, %v; want the open incident 42 with it", r, err)
	}
	if err := s.SetHeartbeatIncident(ctx, "watchdog", 0); err != nil {
		t.Fatal(err)
	}
	all, _ := s.Heartbeats(ctx)
	if len(all) != 1 || all[0].Incident != 0 {
		t.Errorf("after clearing: %+v", all)
	}
}

func testConcurrent(t *testing.T, s heartbeats.Store) {
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			if _, err := s.Beat(ctx, "watchdog", t0.Add(time.Duration(i)*time.Second)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	all, err := s.Heartbeats(ctx)
	if err != nil || len(all) != 1 || !all[0].Last.Equal(t0.Add(9*time.Second)) || !all[0].Armed.Equal(t0) {
		t.Errorf("after 10 concurrent beats: %+v, %v; want one record, Last the latest, Armed the earliest", all, err)
	}
}
