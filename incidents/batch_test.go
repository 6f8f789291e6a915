package incidents

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
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
	joined := 0
	for id, e := range f.store.events {
		if strings.Contains(id, ":storm_joined:") {
			// A storm's joins are summarised once per batch: count the groups.
			n, _ := strconv.Atoi(e.Fields["groups"])
			joined += n
			continue
		}
		s.Events = append(s.Events, id)
	}
	s.Events = append(s.Events, fmt.Sprintf("storm joins: %d groups", joined))
	sort.Strings(s.Events)
	for k, g := range f.store.groups {
		s.Groups[k] = g.Incident
	}
	for k := range f.store.tasks.tasks {
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
	fired   bool
	commits int
}

func (c *conflictStore) Commit(ctx context.Context, ch *Change) error {
	c.commits++
	if !c.fired && len(ch.Update) > 0 {
		c.fired = true
		cur, _ := c.memStore.GetIncident(ctx, ch.Update[0].Number)
		cur.Commander = "U9"
		if err := c.memStore.Commit(ctx, &Change{Update: []*Incident{cur}}); err != nil {
			return err
		}
	}
	return c.memStore.Commit(ctx, ch)
}

func TestIngestBatchConflictIsRetriedWithoutLoss(t *testing.T) {
	f := newFixture(t, Options{})
	t0 := f.clock.Now()
	num := f.ingest(t, notification("g", alert("a", AlertFiring, t0)))
	cs := &conflictStore{memStore: f.store}
	svc := NewService(cs, f.store.tasks, Options{Now: f.clock.Now})
	batch := []Notification{notification("g", alert("a", AlertFiring, t0), alert("b", AlertFiring, t0))}
	if err := svc.IngestBatch(context.Background(), batch); err != nil {
		t.Fatalf("IngestBatch: %v", err)
	}
	if cs.commits != 2 {
		t.Errorf("commits = %d, want 2 (the conflict, then the batch read again)", cs.commits)
	}
	inc, _ := f.svc.Get(context.Background(), num)
	if len(inc.Alerts) != 2 || inc.Commander != "U9" {
		t.Fatalf("after retry: %d alerts, commander %q; want 2 and the concurrent change kept", len(inc.Alerts), inc.Commander)
	}
}
