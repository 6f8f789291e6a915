package incidents

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestFindAndLinkPrevious(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	now := f.clock.Now()
	if _, err := f.svc.IngestAlerts(ctx, notification("g1", alert("a1", AlertFiring, now))); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	other := notification("g2", Alert{Fingerprint: "b1", Status: AlertFiring, StartsAt: now, Labels: map[string]string{"alertname": "DiskFull"}})
	if _, err := f.svc.IngestAlerts(ctx, other); err != nil {
		t.Fatal(err)
	}
	third := notification("g3", Alert{Fingerprint: "c1", Status: AlertFiring, StartsAt: now, Labels: map[string]string{"alertname": "HighLatency"}})
	if _, err := f.svc.IngestAlerts(ctx, third); err != nil {
		t.Fatal(err)
	}
	list, _ := f.svc.List(ctx, ListOptions{})
	if len(list) != 3 {
		t.Fatalf("incidents = %d, want 3", len(list))
	}
	newest := list[0]
	prev, err := f.svc.FindPrevious(ctx, newest, 100)
	if err != nil || prev != list[2].Number {
		t.Fatalf("FindPrevious(#%d) = %d, %v; want #%d (same alert name, another group)", newest.Number, prev, err, list[2].Number)
	}
	if p, _ := f.svc.FindPrevious(ctx, list[1], 100); p != 0 {
		t.Errorf("DiskFull has no earlier incident, got #%d", p)
	}
	got, err := f.svc.LinkPrevious(ctx, newest.Number, prev)
	if err != nil || got.Previous != prev {
		t.Fatalf("LinkPrevious: %+v, %v", got, err)
	}
	if got, _ := f.svc.LinkPrevious(ctx, newest.Number, list[1].Number); got.Previous != prev {
		t.Errorf("a second link replaced the first: %d", got.Previous)
	}
}

// countingStore records the ListIncidents queries of FindPrevious.
type countingStore struct {
	*memStore
	queries []ListOptions
}

func (c *countingStore) ListIncidents(ctx context.Context, o ListOptions) ([]*Incident, error) {
	c.queries = append(c.queries, o)
	return c.memStore.ListIncidents(ctx, o)
}

// An earlier incident is found however many others came between (the old
// scan read the newest 1000), with one query of one incident for the group
// and one per alert name; the latest match wins.
func TestFindPreviousAmongMany(t *testing.T) {
	ctx := context.Background()
	cs := &countingStore{memStore: newMemStore()}
	svc := NewService(cs, &memTasks{}, Options{Now: newClock().Now})
	mk := func(n int64, group string, names ...string) *Incident {
		inc := &Incident{Number: n, Title: "t", Status: StatusResolved, GroupKey: group, Alerts: map[string]Alert{}}
		for i, name := range names {
			fp := fmt.Sprintf("%d-%d", n, i)
			inc.Alerts[fp] = Alert{Fingerprint: fp, Labels: map[string]string{"alertname": name}}
		}
		if err := cs.create(inc); err != nil {
			t.Fatal(err)
		}
		return inc
	}
	mk(1, "g-disk", "DiskFull")
	mk(2, "g-cpu", "HighCPU")
	for n := int64(3); n <= 1502; n++ {
		mk(n, fmt.Sprintf("g-other-%d", n), "Other")
	}
	// A manual incident with only its own alertname label.
	manual := &Incident{Number: 1503, Title: "by hand", Status: StatusResolved, Labels: map[string]string{"alertname": "Latency"}}
	if err := cs.create(manual); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		inc  *Incident
		max  int
		want int64
	}{
		{"same group, 1500 incidents later", &Incident{Number: 2000, GroupKey: "g-disk"}, 0, 1},
		{"same alert name, other group", mk(2001, "g-new", "HighCPU"), 0, 2},
		{"latest of group and names wins", &Incident{Number: 2002, GroupKey: "g-disk", Alerts: map[string]Alert{
			"x": {Labels: map[string]string{"alertname": "HighCPU"}}, "y": {Labels: map[string]string{"alertname": "Other"}}}}, 0, 2001},
		{"only earlier ones", &Incident{Number: 2, GroupKey: "g-cpu", Labels: map[string]string{"alertname": "HighCPU"}}, 0, 0},
		{"own alertname label of a manual incident", &Incident{Number: 2003, Labels: map[string]string{"alertname": "Latency"}}, 0, 1503},
		{"names bounded", &Incident{Number: 2004, Alerts: map[string]Alert{
			"a": {Labels: map[string]string{"alertname": "AAA"}}, "d": {Labels: map[string]string{"alertname": "DiskFull"}}}}, 1, 0},
		{"nothing to match", &Incident{Number: 2005}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs.queries = nil
			got, err := svc.FindPrevious(ctx, tt.inc, tt.max)
			if err != nil || got != tt.want {
				t.Fatalf("FindPrevious(#%d) = %d, %v; want %d", tt.inc.Number, got, err, tt.want)
			}
			names := tt.inc.AlertNames()
			if tt.max > 0 && len(names) > tt.max {
				names = names[:tt.max]
			}
			want := len(names)
			if tt.inc.GroupKey != "" {
				want++
			}
			if len(cs.queries) != want {
				t.Errorf("%d queries %+v, want %d", len(cs.queries), cs.queries, want)
			}
			for _, q := range cs.queries {
				if q.Limit != 1 || q.Before != tt.inc.Number || (q.GroupKey == "") == (q.AlertName == "") {
					t.Errorf("query %+v, want one group key or alert name, Limit 1, Before %d", q, tt.inc.Number)
				}
			}
		})
	}
}
