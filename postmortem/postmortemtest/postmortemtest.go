// Package postmortemtest is the conformance suite of postmortem.Store and an
// in-memory implementation that passes it, for tests.
package postmortemtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/postmortem"
)

// Mem is an in-memory postmortem.Store.
type Mem struct {
	mu sync.Mutex
	m  map[int64]postmortem.Record
}

var _ postmortem.Store = (*Mem)(nil)

// NewMem returns an empty Mem.
func NewMem() *Mem { return &Mem{m: map[int64]postmortem.Record{}} }

func clone(r postmortem.Record) postmortem.Record {
	r.Markdown = bytes.Clone(r.Markdown)
	r.Services = slices.Clone(r.Services)
	r.Date, r.WrittenAt = r.Date.UTC(), r.WrittenAt.UTC()
	return r
}

// Postmortem implements postmortem.Store.
func (s *Mem) Postmortem(_ context.Context, number int64) (postmortem.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.m[number]
	if !ok {
		return postmortem.Record{}, fmt.Errorf("postmortem of incident #%d: %w", number, postmortem.ErrNotFound)
	}
	return clone(r), nil
}

// PutPostmortem implements postmortem.Store.
func (s *Mem) PutPostmortem(_ context.Context, r *postmortem.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[r.Number].Version != r.Version {
		return fmt.Errorf("postmortem of incident #%d: %w", r.Number, incidents.ErrConflict)
	}
	r.Version++
	s.m[r.Number] = clone(*r)
	return nil
}

// Postmortems implements postmortem.Store.
func (s *Mem) Postmortems(_ context.Context, markdown bool) ([]postmortem.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]postmortem.Record, 0, len(s.m))
	for _, r := range s.m {
		c := clone(r)
		if !markdown {
			c.Markdown = nil
		}
		out = append(out, c)
	}
	SortNewestFirst(out)
	return out, nil
}

// SortNewestFirst orders records as Store.Postmortems returns them.
func SortNewestFirst(rs []postmortem.Record) {
	sort.Slice(rs, func(i, j int) bool {
		if !rs[i].Date.Equal(rs[j].Date) {
			return rs[i].Date.After(rs[j].Date)
		}
		return rs[i].Number > rs[j].Number
	})
}

// Run runs the conformance suite; open returns a new, empty store.
func Run(t *testing.T, open func(t *testing.T) postmortem.Store) {
	ctx := context.Background()
	zone := time.FixedZone("x", 5*3600)
	at := time.Date(2026, 11, 30, 5, 6, 7, 8_000_000, zone)

	t.Run("missing is not found", func(t *testing.T) {
		s := open(t)
		if _, err := s.Postmortem(ctx, 7); !errors.Is(err, postmortem.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
		list, err := s.Postmortems(ctx, true)
		if err != nil || len(list) != 0 {
			t.Errorf("empty store lists %d records (err %v), want none", len(list), err)
		}
	})

	t.Run("round trip", func(t *testing.T) {
		s := open(t)
		big := bytes.Repeat([]byte("| 05:06 | alert fired <script> & co |\n"), 40_000) // ~1.5 MB
		want := postmortem.Record{
			Number: 3, Status: postmortem.StatusInReview, Owner: "U0002",
			Title: "DB down", Severity: "sev1", Date: at, Duration: 90*time.Minute + time.Second,
			Ongoing: true, Services: []string{"db", "api"}, Storm: true, Markdown: big,
			WrittenAt: at.Add(time.Hour), Source: "v7/e12/in-review/U0002", MessageTS: "1.000100",
		}
		r := want
		if err := s.PutPostmortem(ctx, &r); err != nil {
			t.Fatal(err)
		}
		if r.Version != 1 {
			t.Errorf("version after the first put = %d, want 1", r.Version)
		}
		want.Version = 1
		got, err := s.Postmortem(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		check(t, "get", got, want)
		list, err := s.Postmortems(ctx, true)
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %d records, err %v; want 1", len(list), err)
		}
		check(t, "list", list[0], want)
		list, err = s.Postmortems(ctx, false)
		if err != nil || len(list) != 1 {
			t.Fatalf("list without markdown: %d records, err %v; want 1", len(list), err)
		}
		if list[0].Markdown != nil {
			t.Errorf("list without markdown carries %d bytes of it", len(list[0].Markdown))
		}
		list[0].Markdown = want.Markdown
		check(t, "list without markdown", list[0], want)
	})

	t.Run("zero fields", func(t *testing.T) {
		s := open(t)
		r := postmortem.Record{Number: 1, Status: postmortem.StatusDraft}
		if err := s.PutPostmortem(ctx, &r); err != nil {
			t.Fatal(err)
		}
		got, err := s.Postmortem(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Date.IsZero() || !got.WrittenAt.IsZero() || len(got.Markdown) != 0 || len(got.Services) != 0 || got.Ongoing || got.MessageTS != "" {
			t.Errorf("zero fields came back as %+v", got)
		}
	})

	t.Run("stale version conflicts", func(t *testing.T) {
		s := open(t)
		r := postmortem.Record{Number: 2, Status: postmortem.StatusDraft}
		if err := s.PutPostmortem(ctx, &r); err != nil {
			t.Fatal(err)
		}
		first := postmortem.Record{Number: 2, Status: postmortem.StatusFinal}
		if err := s.PutPostmortem(ctx, &first); !errors.Is(err, incidents.ErrConflict) {
			t.Errorf("second insert: err = %v, want ErrConflict", err)
		}
		stale := r
		r.Status = postmortem.StatusInReview
		if err := s.PutPostmortem(ctx, &r); err != nil {
			t.Fatal(err)
		}
		stale.Status = postmortem.StatusFinal
		if err := s.PutPostmortem(ctx, &stale); !errors.Is(err, incidents.ErrConflict) {
			t.Errorf("stale put: err = %v, want ErrConflict", err)
		}
		got, _ := s.Postmortem(ctx, 2)
		if got.Status != postmortem.StatusInReview || got.Version != 2 {
			t.Errorf("after a lost update: status %s version %d, want in-review 2", got.Status, got.Version)
		}
	})

	t.Run("newest first", func(t *testing.T) {
		s := open(t)
		for i, d := range []time.Time{at, at.Add(48 * time.Hour), at.Add(-48 * time.Hour), at} {
			r := postmortem.Record{Number: int64(i + 1), Status: postmortem.StatusDraft, Date: d, Markdown: []byte("x")}
			if err := s.PutPostmortem(ctx, &r); err != nil {
				t.Fatal(err)
			}
		}
		list, err := s.Postmortems(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range list {
			got = append(got, r.Number)
		}
		if want := []int64{2, 4, 1, 3}; !slices.Equal(got, want) {
			t.Errorf("order = %v, want %v", got, want)
		}
	})

	t.Run("concurrent first writes keep one", func(t *testing.T) {
		s := open(t)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				r := postmortem.Record{Number: 9, Status: postmortem.StatusDraft, Source: fmt.Sprint(i)}
				errs[i] = s.PutPostmortem(ctx, &r)
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, incidents.ErrConflict):
				t.Errorf("err = %v, want nil or ErrConflict", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d first writes succeeded, want 1", ok)
		}
	})
}

func check(t *testing.T, name string, got, want postmortem.Record) {
	t.Helper()
	for _, tm := range []struct {
		what      string
		got, want time.Time
	}{{"date", got.Date, want.Date}, {"written at", got.WrittenAt, want.WrittenAt}} {
		if !tm.got.Equal(tm.want) || tm.got.Location() != time.UTC {
			t.Errorf("%s: %s = %v, want %v in UTC", name, tm.what, tm.got, tm.want)
		}
	}
	if !bytes.Equal(got.Markdown, want.Markdown) {
		t.Errorf("%s: markdown of %d bytes, want %d", name, len(got.Markdown), len(want.Markdown))
	}
	if !slices.Equal(got.Services, want.Services) {
		t.Errorf("%s: services %v, want %v", name, got.Services, want.Services)
	}
	// Compared above; formatting 1.5 MB of Markdown as numbers took seconds.
	got.Date, got.WrittenAt, got.Services = want.Date, want.WrittenAt, want.Services
	got.Markdown, want.Markdown = nil, nil
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("%s: got %+v\nwant %+v", name, got, want)
	}
}
