// Package jobstest provides an in-memory jobs.Store for tests and a conformance suite that every
// jobs.Store implementation must pass, so the fake and the MongoDB store keep the same semantics.
package jobstest

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/internal/jobs"
)

// MemStore is an in-memory jobs.Store with the same semantics as the MongoDB one, including
// millisecond time precision. It is safe for concurrent use.
type MemStore struct {
	mu    sync.Mutex
	jobs  map[string]jobs.Job
	ticks map[string]time.Time
}

var _ jobs.Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{jobs: make(map[string]jobs.Job), ticks: make(map[string]time.Time)}
}

// ms truncates t to the precision of a BSON date, in UTC, as the MongoDB store stores it.
func ms(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.Truncate(time.Millisecond).UTC()
}

func clone(j jobs.Job) jobs.Job {
	j.Payload = maps.Clone(j.Payload)
	return j
}

// Enqueue implements jobs.Store.
func (s *MemStore) Enqueue(_ context.Context, j jobs.Job) error {
	if j.Key == "" {
		return errors.New("jobstest: enqueue: empty key")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.jobs[j.Key]
	switch {
	case !ok:
		s.jobs[j.Key] = jobs.Job{
			Key:       j.Key,
			Kind:      j.Kind,
			Payload:   maps.Clone(j.Payload),
			RunAt:     ms(j.RunAt),
			CreatedAt: ms(j.CreatedAt),
			Priority:  j.Priority,
		}
	case cur.LeaseOwner != "":
		cur.Rerun, cur.Priority = true, min(cur.Priority, j.Priority)
		s.jobs[j.Key] = cur
	case cur.Attempts == 0 && cur.RunAt.After(ms(j.RunAt)):
		cur.RunAt, cur.Priority = ms(j.RunAt), min(cur.Priority, j.Priority)
		s.jobs[j.Key] = cur
	case j.Priority < cur.Priority:
		cur.Priority = j.Priority
		s.jobs[j.Key] = cur
	}
	return nil
}

// Claim implements jobs.Store.
func (s *MemStore) Claim(_ context.Context, owner string, now time.Time, lease time.Duration, upTo int) (*jobs.Job, error) {
	now = ms(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *jobs.Job
	for _, j := range s.jobs {
		if j.RunAt.After(now) || j.LeaseUntil.After(now) || j.Priority > upTo {
			continue
		}
		if best == nil || j.Priority < best.Priority || (j.Priority == best.Priority &&
			(j.RunAt.Before(best.RunAt) || (j.RunAt.Equal(best.RunAt) && j.Key < best.Key))) {
			best = &j
		}
	}
	if best == nil {
		return nil, nil
	}
	j := *best
	j.LeaseOwner = owner
	j.LeaseUntil = ms(now.Add(lease))
	j.Rerun = false
	j.Attempts++
	s.jobs[j.Key] = j
	out := clone(j)
	return &out, nil
}

// Extend implements jobs.Store.
func (s *MemStore) Extend(_ context.Context, key, owner string, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[key]
	if !ok || j.LeaseOwner != owner || owner == "" {
		return jobs.ErrLeaseLost
	}
	j.LeaseUntil = ms(until)
	s.jobs[key] = j
	return nil
}

// Complete implements jobs.Store.
func (s *MemStore) Complete(_ context.Context, key, owner string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[key]
	if !ok || j.LeaseOwner != owner || owner == "" {
		return jobs.ErrLeaseLost
	}
	if !j.Rerun {
		delete(s.jobs, key)
		return nil
	}
	j.LeaseOwner, j.LeaseUntil, j.Rerun = "", time.Time{}, false
	j.RunAt, j.Attempts, j.LastError = ms(now), 0, ""
	s.jobs[key] = j
	return nil
}

// Retry implements jobs.Store.
func (s *MemStore) Retry(_ context.Context, key, owner string, runAt time.Time, errText string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[key]
	if !ok || j.LeaseOwner != owner || owner == "" {
		return jobs.ErrLeaseLost
	}
	j.LeaseOwner, j.LeaseUntil, j.Rerun = "", time.Time{}, false
	j.RunAt, j.LastError = ms(runAt), errText
	s.jobs[key] = j
	return nil
}

// Cancel implements jobs.Store.
func (s *MemStore) Cancel(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.jobs, key)
	return nil
}

// Get implements jobs.Store.
func (s *MemStore) Get(_ context.Context, key string) (*jobs.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[key]
	if !ok {
		return nil, jobs.ErrNotFound
	}
	out := clone(j)
	return &out, nil
}

// Count implements jobs.Store.
func (s *MemStore) Count(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jobs), nil
}

// List implements jobs.Store.
func (s *MemStore) List(context.Context) ([]jobs.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]jobs.Job, 0, len(s.jobs))
	for _, j := range s.jobs {
		out = append(out, clone(j))
	}
	slices.SortFunc(out, func(a, b jobs.Job) int {
		return cmp.Or(a.RunAt.Compare(b.RunAt), cmp.Compare(a.Key, b.Key))
	})
	return out, nil
}

// MarkTick implements jobs.Store.
func (s *MemStore) MarkTick(_ context.Context, key string, at time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ticks[key]; ok {
		return false, nil
	}
	s.ticks[key] = ms(at)
	return true, nil
}

// UnmarkTick implements jobs.Store.
func (s *MemStore) UnmarkTick(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ticks, key)
	return nil
}

// PruneTicks implements jobs.Store.
func (s *MemStore) PruneTicks(_ context.Context, before time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	maps.DeleteFunc(s.ticks, func(_ string, at time.Time) bool { return at.Before(before) })
	return nil
}
