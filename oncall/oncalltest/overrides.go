package oncalltest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/oncall"
)

// MemOverrides is an in-memory oncall.OverrideStore.
type MemOverrides struct {
	mu   sync.Mutex
	byID map[string]oncall.Override
}

var _ oncall.OverrideStore = (*MemOverrides)(nil)

// NewMemOverrides returns an empty MemOverrides.
func NewMemOverrides() *MemOverrides { return &MemOverrides{byID: map[string]oncall.Override{}} }

// AddOverride implements oncall.OverrideStore.
func (m *MemOverrides) AddOverride(_ context.Context, o oncall.Override) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byID[o.ID]; ok {
		return false, nil
	}
	o.From, o.To, o.CreatedAt = o.From.UTC(), o.To.UTC(), utc(o.CreatedAt)
	m.byID[o.ID] = o
	return true, nil
}

// RemoveOverride implements oncall.OverrideStore.
func (m *MemOverrides) RemoveOverride(_ context.Context, id string) (oncall.Override, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.byID[id]
	if !ok {
		return oncall.Override{}, oncall.ErrNotFound
	}
	delete(m.byID, id)
	return o, nil
}

// Overrides implements oncall.OverrideStore.
func (m *MemOverrides) Overrides(_ context.Context, schedule string, endsAfter time.Time) ([]oncall.Override, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []oncall.Override
	for _, o := range m.byID {
		if (schedule == "" || o.Schedule == schedule) && o.To.After(endsAfter) {
			out = append(out, o)
		}
	}
	oncall.SortOverrides(out)
	return out, nil
}

// RunOverrides is the conformance suite of oncall.OverrideStore; open
// returns an empty store for each subtest.
func RunOverrides(t *testing.T, open func(t *testing.T) oncall.OverrideStore) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	ov := func(id, sched string, from, to time.Duration) oncall.Override {
		return oncall.Override{ID: id, Schedule: sched, Kind: oncall.OverrideReplace, User: "U1", From: t0.Add(from), To: t0.Add(to),
			CreatedBy: "U9", CreatedAt: t0}
	}
	t.Run("AddOnceAndRoundTrip", func(t *testing.T) {
		s := open(t)
		o := ov("a1", "primary", 0, 8*time.Hour)
		o.Kind, o.Replaces, o.From = oncall.OverrideAdd, "", o.From.In(time.FixedZone("x", 5*3600))
		if ok, err := s.AddOverride(ctx, o); err != nil || !ok {
			t.Fatalf("AddOverride = %v, %v; want stored", ok, err)
		}
		dup := ov("a1", "other", 0, time.Hour)
		if ok, err := s.AddOverride(ctx, dup); err != nil || ok {
			t.Fatalf("AddOverride of a taken ID = %v, %v; want false", ok, err)
		}
		got, err := s.Overrides(ctx, "", t0)
		if err != nil || len(got) != 1 {
			t.Fatalf("Overrides = %v, %v; want one", got, err)
		}
		g := got[0]
		if g.ID != "a1" || g.Schedule != "primary" || g.Kind != oncall.OverrideAdd || g.User != "U1" || g.CreatedBy != "U9" ||
			!g.From.Equal(t0) || g.From.Location() != time.UTC || !g.To.Equal(t0.Add(8*time.Hour)) || !g.CreatedAt.Equal(t0) {
			t.Errorf("stored override = %+v, want %+v in UTC", g, o)
		}
	})
	t.Run("ReplacesRoundTrips", func(t *testing.T) {
		s := open(t)
		o := ov("r1", "primary", 0, time.Hour)
		o.Replaces = "U2"
		if _, err := s.AddOverride(ctx, o); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Overrides(ctx, "primary", t0)
		if len(got) != 1 || got[0].Replaces != "U2" {
			t.Errorf("Overrides = %+v, want Replaces U2", got)
		}
	})
	t.Run("FiltersAndSorts", func(t *testing.T) {
		s := open(t)
		for _, o := range []oncall.Override{
			ov("c", "primary", 2*time.Hour, 3*time.Hour),
			ov("b", "primary", 0, time.Hour),
			ov("a", "primary", 2*time.Hour, 4*time.Hour),
			ov("d", "secondary", 0, 5*time.Hour),
			ov("old", "primary", -2*time.Hour, -time.Hour),
			ov("edge", "primary", -time.Hour, 0), // ends exactly at t0: not after
		} {
			if _, err := s.AddOverride(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Overrides(ctx, "primary", t0)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, o := range got {
			ids = append(ids, o.ID)
		}
		if want := "b a c"; join(ids) != want {
			t.Errorf("Overrides(primary, t0) = %q, want %q", join(ids), want)
		}
		all, _ := s.Overrides(ctx, "", t0)
		if len(all) != 4 {
			t.Errorf("Overrides(all, t0) = %d, want 4", len(all))
		}
	})
	t.Run("Remove", func(t *testing.T) {
		s := open(t)
		if _, err := s.AddOverride(ctx, ov("x", "primary", 0, time.Hour)); err != nil {
			t.Fatal(err)
		}
		o, err := s.RemoveOverride(ctx, "x")
		if err != nil || o.ID != "x" || o.Schedule != "primary" {
			t.Fatalf("RemoveOverride = %+v, %v; want the override", o, err)
		}
		if _, err := s.RemoveOverride(ctx, "x"); !errors.Is(err, oncall.ErrNotFound) {
			t.Errorf("second RemoveOverride error = %v, want ErrNotFound", err)
		}
		if got, _ := s.Overrides(ctx, "", t0.Add(-time.Hour)); len(got) != 0 {
			t.Errorf("Overrides after remove = %v, want none", got)
		}
	})
}

func join(ids []string) string {
	out := ""
	for i, id := range ids {
		if i > 0 {
			out += " "
		}
		out += id
	}
	return out
}
