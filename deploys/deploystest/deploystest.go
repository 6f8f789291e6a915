// Package deploystest is the conformance suite of deploys.Store and an
// in-memory implementation that passes it.
package deploystest

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/deploys"
)

// Mem is an in-memory deploys.Store.
type Mem struct {
	mu     sync.Mutex
	byID   map[string]deploys.Deployment
	causes map[int64]string
}

var _ deploys.Store = (*Mem)(nil)

// NewMem returns an empty Mem.
func NewMem() *Mem {
	return &Mem{byID: map[string]deploys.Deployment{}, causes: map[int64]string{}}
}

// AddDeployment implements deploys.Store.
func (m *Mem) AddDeployment(_ context.Context, d deploys.Deployment) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byID[d.ID]; ok {
		return false, nil
	}
	d.At, d.CommitAt = d.At.UTC(), utc(d.CommitAt)
	m.byID[d.ID] = d
	return true, nil
}

// Deployment implements deploys.Store.
func (m *Mem) Deployment(_ context.Context, id string) (deploys.Deployment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.byID[id]
	if !ok {
		return deploys.Deployment{}, deploys.ErrNotFound
	}
	return d, nil
}

// Deployments implements deploys.Store.
func (m *Mem) Deployments(_ context.Context, from, to time.Time) ([]deploys.Deployment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []deploys.Deployment
	for _, d := range m.byID {
		if !d.At.Before(from) && d.At.Before(to) {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// SetCause implements deploys.Store.
func (m *Mem) SetCause(_ context.Context, incident int64, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.causes[incident] = id
	return nil
}

// Causes implements deploys.Store.
func (m *Mem) Causes(context.Context) (map[int64]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[int64]string, len(m.causes))
	for k, v := range m.causes {
		out[k] = v
	}
	return out, nil
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// Run runs the conformance suite; open returns a new, empty store.
func Run(t *testing.T, open func(t *testing.T) deploys.Store) {
	ctx := context.Background()
	zone := time.FixedZone("UTC+5", 5*3600)
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, zone)
	dep := func(id string, at time.Duration) deploys.Deployment {
		return deploys.Deployment{ID: id, Service: "checkout", Version: "v" + id, Environment: "production",
			Status: deploys.StatusSuccess, At: t0.Add(at)}
	}

	t.Run("round trip in UTC", func(t *testing.T) {
		s := open(t)
		want := dep("a", 0)
		want.Status, want.Commit, want.CommitAt = deploys.StatusFailure, "abc123", t0.Add(-time.Hour)
		if added, err := s.AddDeployment(ctx, want); err != nil || !added {
			t.Fatalf("AddDeployment = %v, %v; want added", added, err)
		}
		got, err := s.Deployment(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if got.At.Location() != time.UTC || !got.At.Equal(want.At) || !got.CommitAt.Equal(want.CommitAt) {
			t.Errorf("times %v, %v; want %v, %v in UTC", got.At, got.CommitAt, want.At, want.CommitAt)
		}
		got.At, got.CommitAt = want.At, want.CommitAt
		if got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
		if _, err := s.Deployment(ctx, "nope"); !errors.Is(err, deploys.ErrNotFound) {
			t.Errorf("unknown ID: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("an ID is stored once", func(t *testing.T) {
		s := open(t)
		if _, err := s.AddDeployment(ctx, dep("a", 0)); err != nil {
			t.Fatal(err)
		}
		again := dep("a", time.Hour)
		again.Version = "changed"
		if added, err := s.AddDeployment(ctx, again); err != nil || added {
			t.Fatalf("second AddDeployment = %v, %v; want kept, not added", added, err)
		}
		if got, _ := s.Deployment(ctx, "a"); got.Version != "va" {
			t.Errorf("version = %q, want the first one kept", got.Version)
		}
	})

	t.Run("a window, oldest first", func(t *testing.T) {
		s := open(t)
		for _, d := range []deploys.Deployment{dep("c", 2*time.Hour), dep("a", 0), dep("b", time.Hour), dep("d", 3*time.Hour)} {
			if _, err := s.AddDeployment(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Deployments(ctx, t0, t0.Add(3*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, d := range got {
			ids = append(ids, d.ID)
		}
		if len(ids) != 3 || ids[0] != "a" || ids[1] != "b" || ids[2] != "c" {
			t.Errorf("deployments in [t0, t0+3h) = %v, want [a b c]", ids)
		}
	})

	t.Run("causes", func(t *testing.T) {
		s := open(t)
		for _, c := range []struct {
			n  int64
			id string
		}{{1, "a"}, {2, "b"}, {1, "c"}} {
			if err := s.SetCause(ctx, c.n, c.id); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Causes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[1] != "c" || got[2] != "b" {
			t.Errorf("causes = %v, want map[1:c 2:b]", got)
		}
	})

	t.Run("concurrent adds of one ID: one wins", func(t *testing.T) {
		s := open(t)
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 8 {
			wg.Go(func() {
				added, err := s.AddDeployment(ctx, dep("same", 0))
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if added {
					wins++
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d concurrent adds reported added, want 1", wins)
		}
	})
}
