package incidents

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"
)

// scenario returns notifications mixing new groups, re-sends, resolutions,
// a storm and a group firing again after its incident resolved.
func scenario(t0 time.Time) []Notification {
	var ns []Notification
	for i := range 8 {
		g := fmt.Sprintf("g%d", i)
		ns = append(ns, notification(g, alert(g+"a", AlertFiring, t0)))
		ns = append(ns, notification(g, alert(g+"a", AlertFiring, t0))) // re-send
		ns = append(ns, notification(g, alert(g+"a", AlertFiring, t0), alert(g+"b", AlertFiring, t0)))
	}
	ns = append(ns, notification("g0", alert("g0a", AlertResolved, t0), alert("g0b", AlertResolved, t0)))
	ns = append(ns, notification("g7", alert("g7a", AlertResolved, t0), alert("g7b", AlertFiring, t0)))
	ns = append(ns, notification("g1", alert("g1a", AlertResolved, t0), alert("g1b", AlertResolved, t0)))
	ns = append(ns, notification("g1", alert("g1a", AlertFiring, t0.Add(time.Minute)))) // fires again
	return ns
}

type snapshot struct {
	Incidents map[int64]string
	Events    []string
	Groups    map[string]int64
	Tasks     []string
}

func snap(t *testing.T, f *fixture) snapshot {
	t.Helper()
	s := snapshot{Incidents: map[int64]string{}, Groups: map[string]int64{}}
	for n, inc := range f.store.incidents {
		var alerts []string
		for fp, a := range inc.Alerts {
			alerts = append(alerts, fp+"="+a.Status)
		}
		sort.Strings(alerts)
		s.Incidents[n] = fmt.Sprintf("%s %s storm=%v groups=%d prev=%d alerts=%v clear=%v", inc.Title, inc.Status, inc.Storm, inc.StormGroups, inc.Previous, alerts, inc.AlertsClearAt)
	}
	for id := range f.store.events {
		s.Events = append(s.Events, id)
	}
	sort.Strings(s.Events)
	for k, g := range f.store.groups {
		s.Groups[k] = g.Incident
	}
	for k := range f.tasks.tasks {
		s.Tasks = append(s.Tasks, k)
	}
	sort.Strings(s.Tasks)
	return s
}

func TestIngestBatchEqualsOneByOne(t *testing.T) {
	opts := Options{AutoResolve: true, StormMaxNew: 5}
	one := newFixture(t, opts)
	ns := scenario(one.clock.Now())
	for _, n := range ns {
		one.ingest(t, n)
	}
	want := snap(t, one)
	if len(want.Incidents) != 6 {
		t.Fatalf("scenario made %d incidents, want 6 (5 own, 1 storm)", len(want.Incidents))
	}
	for _, size := range []int{1, 3, 7, len(ns)} {
		t.Run(fmt.Sprintf("batches of %d", size), func(t *testing.T) {
			f := newFixture(t, opts)
			for i := 0; i < len(ns); i += size {
				if err := f.svc.IngestBatch(context.Background(), ns[i:min(i+size, len(ns))]); err != nil {
					t.Fatal(err)
				}
			}
			if got := snap(t, f); !reflect.DeepEqual(got, want) {
				t.Errorf("batched result differs from one by one:\n got  %+v\n want %+v", got, want)
			}
			// Replaying the whole input (a crash before the inbox was cleared) changes nothing.
			if err := f.svc.IngestBatch(context.Background(), ns); err != nil {
				t.Fatal(err)
			}
			if got := snap(t, f); !reflect.DeepEqual(got, want) {
				t.Errorf("replay changed the result:\n got  %+v\n want %+v", got, want)
			}
		})
	}
}

// conflictStore changes an incident behind the batch's back once, as a
// concurrent /incident command on another replica would.
type conflictStore struct {
	*memStore
	fired bool
}

func (c *conflictStore) UpdateIncident(ctx context.Context, inc *Incident) error {
	if !c.fired {
		c.fired = true
		cur, _ := c.memStore.GetIncident(ctx, inc.Number)
		cur.Commander = "U9"
		c.memStore.UpdateIncident(ctx, cur)
	}
	return c.memStore.UpdateIncident(ctx, inc)
}

func TestIngestBatchConflictIsRetriedWithoutLoss(t *testing.T) {
	f := newFixture(t, Options{})
	t0 := f.clock.Now()
	num := f.ingest(t, notification("g", alert("a", AlertFiring, t0)))
	cs := &conflictStore{memStore: f.store}
	svc := NewService(cs, f.tasks, Options{Now: f.clock.Now})
	batch := []Notification{notification("g", alert("a", AlertFiring, t0), alert("b", AlertFiring, t0))}
	if err := svc.IngestBatch(context.Background(), batch); !errors.Is(err, ErrConflict) {
		t.Fatalf("first attempt err = %v, want ErrConflict", err)
	}
	if err := svc.IngestBatch(context.Background(), batch); err != nil {
		t.Fatalf("retry: %v", err)
	}
	inc, _ := f.svc.Get(context.Background(), num)
	if len(inc.Alerts) != 2 || inc.Commander != "U9" {
		t.Fatalf("after retry: %d alerts, commander %q; want 2 and the concurrent change kept", len(inc.Alerts), inc.Commander)
	}
}
