// Package oncalltest is the conformance suite of oncall.PageStore and an
// in-memory implementation that passes it.
package oncalltest

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/oncall"
)

// Mem is an in-memory oncall.PageStore.
type Mem struct {
	mu    sync.Mutex
	pages map[string]oncall.PageRecord
}

var _ oncall.PageStore = (*Mem)(nil)

// NewMem returns an empty Mem.
func NewMem() *Mem { return &Mem{pages: map[string]oncall.PageRecord{}} }

// AddPage implements oncall.PageStore.
func (m *Mem) AddPage(_ context.Context, p oncall.PageRecord) (oncall.PageRecord, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.pages[p.ID]; ok {
		return old, false, nil
	}
	p.At, p.ClosedAt = utc(p.At), utc(p.ClosedAt)
	if p.State == "" {
		p.State = oncall.PageOpen
	}
	m.pages[p.ID] = p
	return p, true, nil
}

// SetPageMessage implements oncall.PageStore.
func (m *Mem) SetPageMessage(_ context.Context, id, channel, ts string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.pages[id]
	if !ok {
		return oncall.ErrNotFound
	}
	p.Channel, p.TS = channel, ts
	m.pages[id] = p
	return nil
}

// ClosePage implements oncall.PageStore.
func (m *Mem) ClosePage(_ context.Context, id string, state oncall.PageState, at time.Time, by string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.pages[id]
	if !ok {
		return false, oncall.ErrNotFound
	}
	if p.State != oncall.PageOpen {
		return false, nil
	}
	p.State, p.ClosedAt, p.ClosedBy = state, at.UTC(), by
	m.pages[id] = p
	return true, nil
}

// Pages implements oncall.PageStore.
func (m *Mem) Pages(_ context.Context, incident int64) ([]oncall.PageRecord, error) {
	return m.filter(func(p oncall.PageRecord) bool { return p.Incident == incident }), nil
}

// PagesBetween implements oncall.PageStore.
func (m *Mem) PagesBetween(_ context.Context, from, to time.Time) ([]oncall.PageRecord, error) {
	return m.filter(func(p oncall.PageRecord) bool { return !p.At.Before(from) && p.At.Before(to) }), nil
}

func (m *Mem) filter(keep func(oncall.PageRecord) bool) []oncall.PageRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []oncall.PageRecord
	for _, p := range m.pages {
		if keep(p) {
			out = append(out, p)
		}
	}
	SortPages(out)
	return out
}

// SortPages sorts pages oldest first, then by ID: the order PageStore returns.
func SortPages(ps []oncall.PageRecord) {
	sort.Slice(ps, func(i, j int) bool {
		if !ps[i].At.Equal(ps[j].At) {
			return ps[i].At.Before(ps[j].At)
		}
		return ps[i].ID < ps[j].ID
	})
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// Run is the conformance suite of oncall.PageStore; open returns an empty
// store for each subtest.
func Run(t *testing.T, open func(t *testing.T) oncall.PageStore) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	page := func(n int64, step, user string, at time.Time) oncall.PageRecord {
		return oncall.PageRecord{
			ID: oncall.PageID(step, "user:"+user), Incident: n, Step: step, Target: "user:" + user, User: user,
			Schedule: "primary", Policy: "default", Level: 1, State: oncall.PageOpen, At: at,
		}
	}
	t.Run("AddPageOnce", func(t *testing.T) {
		s := open(t)
		p := page(1, "page:1:0:0", "U1", t0)
		got, created, err := s.AddPage(ctx, p)
		if err != nil || !created {
			t.Fatalf("first AddPage = %v, %v; want created", created, err)
		}
		if got.ID != p.ID || got.User != "U1" || !got.At.Equal(t0) {
			t.Errorf("AddPage returned %+v, want the page", got)
		}
		if err := s.SetPageMessage(ctx, p.ID, "D1", "100.1"); err != nil {
			t.Fatal(err)
		}
		again := p
		again.User = "U9"
		got, created, err = s.AddPage(ctx, again)
		if err != nil || created {
			t.Fatalf("second AddPage = %v, %v; want not created", created, err)
		}
		if got.User != "U1" || got.Channel != "D1" || got.TS != "100.1" {
			t.Errorf("second AddPage returned %+v, want the stored page with its message", got)
		}
	})
	t.Run("FieldsRoundTrip", func(t *testing.T) {
		s := open(t)
		p := oncall.PageRecord{ID: "page:7:1:2:channel:#sre", Incident: 7, Step: "page:7:1:2", Target: "channel:#sre",
			Policy: "critical", Level: 3, Round: 1, State: oncall.PageOpen, At: t0.In(time.FixedZone("x", 3600))}
		if _, _, err := s.AddPage(ctx, p); err != nil {
			t.Fatal(err)
		}
		ps, err := s.Pages(ctx, 7)
		if err != nil || len(ps) != 1 {
			t.Fatalf("Pages = %v, %v; want one", ps, err)
		}
		g := ps[0]
		if g.ID != p.ID || g.Incident != 7 || g.Step != p.Step || g.Target != p.Target || g.Policy != "critical" ||
			g.Level != 3 || g.Round != 1 || g.State != oncall.PageOpen || !g.At.Equal(t0) || g.At.Location() != time.UTC ||
			!g.ClosedAt.IsZero() || g.Channel != "" || g.TS != "" {
			t.Errorf("stored page = %+v, want %+v in UTC", g, p)
		}
	})
	t.Run("ClosePageOnce", func(t *testing.T) {
		s := open(t)
		p := page(2, "page:2:0:0", "U1", t0)
		if _, _, err := s.AddPage(ctx, p); err != nil {
			t.Fatal(err)
		}
		ok, err := s.ClosePage(ctx, p.ID, oncall.PageDeclined, t0.Add(time.Minute), "U1")
		if err != nil || !ok {
			t.Fatalf("ClosePage = %v, %v; want closed", ok, err)
		}
		ok, err = s.ClosePage(ctx, p.ID, oncall.PageAcknowledged, t0.Add(2*time.Minute), "U2")
		if err != nil || ok {
			t.Fatalf("second ClosePage = %v, %v; want false (already closed)", ok, err)
		}
		ps, _ := s.Pages(ctx, 2)
		if len(ps) != 1 || ps[0].State != oncall.PageDeclined || ps[0].ClosedBy != "U1" || !ps[0].ClosedAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("page after closes = %+v, want declined by U1 at +1m", ps)
		}
		if _, err := s.ClosePage(ctx, "nope", oncall.PageClosed, t0, ""); err == nil {
			t.Error("ClosePage of a missing page succeeded, want an error")
		}
		if err := s.SetPageMessage(ctx, "nope", "D", "1"); err == nil {
			t.Error("SetPageMessage of a missing page succeeded, want an error")
		}
	})
	t.Run("ListsInOrder", func(t *testing.T) {
		s := open(t)
		for _, p := range []oncall.PageRecord{
			page(3, "page:3:0:1", "U2", t0.Add(5*time.Minute)),
			page(3, "page:3:0:0", "U1", t0),
			page(4, "page:4:0:0", "U1", t0.Add(time.Minute)),
			page(3, "page:3:0:0", "U0", t0),
		} {
			if _, _, err := s.AddPage(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		ps, err := s.Pages(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		want := []string{"page:3:0:0:user:U0", "page:3:0:0:user:U1", "page:3:0:1:user:U2"}
		if len(ids) != len(want) || ids[0] != want[0] || ids[1] != want[1] || ids[2] != want[2] {
			t.Errorf("Pages(3) = %v, want %v", ids, want)
		}
		if ps, _ := s.Pages(ctx, 99); len(ps) != 0 {
			t.Errorf("Pages(99) = %v, want none", ps)
		}
		between, err := s.PagesBetween(ctx, t0.Add(time.Minute), t0.Add(5*time.Minute))
		if err != nil || len(between) != 1 || between[0].Incident != 4 {
			t.Errorf("PagesBetween(+1m, +5m) = %v, %v; want only incident 4's page ([from, to))", between, err)
		}
	})
}
