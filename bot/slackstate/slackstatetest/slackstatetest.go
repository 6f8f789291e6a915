// Package slackstatetest is the conformance suite of slackstate.Store and an
// in-memory implementation that passes it, for tests of the bot.
package slackstatetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/slackstate"
	"github.com/incidentbot/incidentbot/incidents"
)

// Mem is an in-memory slackstate.Store.
type Mem struct {
	mu sync.Mutex
	m  map[int64]slackstate.Incident
}

var _ slackstate.Store = (*Mem)(nil)

// NewMem returns an empty Mem.
func NewMem() *Mem { return &Mem{m: map[int64]slackstate.Incident{}} }

// SlackState implements slackstate.Store.
func (s *Mem) SlackState(_ context.Context, number int64) (slackstate.Incident, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[number]
	if !ok {
		return slackstate.Incident{Number: number}, nil
	}
	return st, nil
}

// PutSlackState implements slackstate.Store.
func (s *Mem) PutSlackState(_ context.Context, st *slackstate.Incident) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[st.Number].Version != st.Version {
		return incidents.ErrConflict
	}
	st.Version++
	c := *st
	c.AnnouncedResolvedAt = c.AnnouncedResolvedAt.UTC()
	c.NudgedAt = c.NudgedAt.UTC()
	s.m[st.Number] = c
	return nil
}

// SlackStateByChannel implements slackstate.Store.
func (s *Mem) SlackStateByChannel(_ context.Context, channelID string) (slackstate.Incident, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.m {
		if st.ChannelID == channelID && channelID != "" {
			return st, nil
		}
	}
	return slackstate.Incident{}, slackstate.ErrNotFound
}

// Run runs the conformance suite; open returns a new, empty store.
func Run(t *testing.T, open func(t *testing.T) slackstate.Store) {
	ctx := context.Background()
	at := time.Date(2026, 11, 30, 5, 6, 7, 8_000_000, time.FixedZone("x", 5*3600))

	t.Run("missing is the zero state", func(t *testing.T) {
		s := open(t)
		got, err := s.SlackState(ctx, 7)
		if err != nil {
			t.Fatal(err)
		}
		if got != (slackstate.Incident{Number: 7}) {
			t.Errorf("got %+v, want the zero state of #7", got)
		}
	})

	t.Run("round trip", func(t *testing.T) {
		s := open(t)
		want := slackstate.Incident{
			Number: 3, ChannelID: "C0003", ChannelName: "inc-3-db", SummaryTS: "1.000100", SummaryPinned: true,
			AnnouncedOpen: "2.000200", AnnouncedResolved: "3.000300", AnnouncedResolvedAt: at,
			Topic: "topic", Purpose: "purpose", Invited: "U1,U2", NudgedAt: at.Add(time.Hour),
		}
		st := want
		if err := s.PutSlackState(ctx, &st); err != nil {
			t.Fatal(err)
		}
		if st.Version != 1 {
			t.Errorf("version after the first put = %d, want 1", st.Version)
		}
		want.Version = 1
		want.AnnouncedResolvedAt = at.UTC()
		want.NudgedAt = at.Add(time.Hour).UTC()
		for name, get := range map[string]func() (slackstate.Incident, error){
			"by number":  func() (slackstate.Incident, error) { return s.SlackState(ctx, 3) },
			"by channel": func() (slackstate.Incident, error) { return s.SlackStateByChannel(ctx, "C0003") },
		} {
			got, err := get()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !got.AnnouncedResolvedAt.Equal(want.AnnouncedResolvedAt) || got.AnnouncedResolvedAt.Location() != time.UTC ||
				!got.NudgedAt.Equal(want.NudgedAt) || got.NudgedAt.Location() != time.UTC {
				t.Errorf("%s: times %v, %v; want %v, %v in UTC", name, got.AnnouncedResolvedAt, got.NudgedAt, want.AnnouncedResolvedAt, want.NudgedAt)
			}
			got.AnnouncedResolvedAt, got.NudgedAt = want.AnnouncedResolvedAt, want.NudgedAt
			if got != want {
				t.Errorf("%s: got %+v, want %+v", name, got, want)
			}
		}
	})

	t.Run("unknown channel", func(t *testing.T) {
		s := open(t)
		st := slackstate.Incident{Number: 1, ChannelID: "C1"}
		if err := s.PutSlackState(ctx, &st); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SlackStateByChannel(ctx, "C2"); !errors.Is(err, slackstate.ErrNotFound) {
			t.Errorf("unknown channel: err = %v, want ErrNotFound", err)
		}
		if _, err := s.SlackStateByChannel(ctx, ""); !errors.Is(err, slackstate.ErrNotFound) {
			t.Errorf("empty channel: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("stale version conflicts", func(t *testing.T) {
		s := open(t)
		st := slackstate.Incident{Number: 2}
		if err := s.PutSlackState(ctx, &st); err != nil {
			t.Fatal(err)
		}
		again := slackstate.Incident{Number: 2, Topic: "lost"}
		if err := s.PutSlackState(ctx, &again); !errors.Is(err, incidents.ErrConflict) {
			t.Errorf("second put at version 0: err = %v, want ErrConflict", err)
		}
		st.Topic = "kept"
		if err := s.PutSlackState(ctx, &st); err != nil {
			t.Fatalf("put at the current version: %v", err)
		}
		got, _ := s.SlackState(ctx, 2)
		if got.Topic != "kept" || got.Version != 2 {
			t.Errorf("got topic %q version %d, want kept at 2", got.Topic, got.Version)
		}
	})

	t.Run("concurrent puts: one wins each version", func(t *testing.T) {
		s := open(t)
		const writers = 8
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				st := slackstate.Incident{Number: 9, Topic: string(rune('a' + i))}
				err := s.PutSlackState(ctx, &st)
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, incidents.ErrConflict):
					t.Errorf("writer %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d writers won version 0, want 1", wins.Load())
		}
		if got, _ := s.SlackState(ctx, 9); got.Version != 1 {
			t.Errorf("version = %d, want 1", got.Version)
		}
	})
}
