package jobs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/internal/jobs/jobstest"
)

func TestTickKey(t *testing.T) {
	almaty := time.FixedZone("+05", 5*3600)
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC), "handoff:primary:2026-11-30T05:00Z"},
		{time.Date(2026, 11, 30, 10, 0, 0, 0, almaty), "handoff:primary:2026-11-30T05:00Z"},
		{time.Date(2026, 11, 30, 5, 0, 30, 0, time.UTC), "handoff:primary:2026-11-30T05:00:30Z"},
	}
	for _, tt := range tests {
		if got := jobs.TickKey("handoff:primary", tt.at); got != tt.want {
			t.Errorf("TickKey(%s) = %q, want %q", tt.at, got, tt.want)
		}
	}
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s not available: %v", name, err)
	}
	return loc
}

// tickKeys runs TickDue at now and returns the keys of all stored jobs.
func tickKeys(t *testing.T, c *jobs.Cron, s jobs.Store, now time.Time) (int, []string) {
	t.Helper()
	n, err := c.TickDue(context.Background(), now)
	if err != nil {
		t.Fatalf("TickDue(%s): %v", now, err)
	}
	list, err := s.List(context.Background())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var keys []string
	for _, j := range list {
		keys = append(keys, j.Key)
	}
	return n, keys
}

func TestCronTickDue(t *testing.T) {
	almaty := mustLoad(t, "Asia/Almaty")
	berlin := mustLoad(t, "Europe/Berlin")
	tests := []struct {
		name    string
		spec    string
		loc     *time.Location
		catchUp time.Duration
		calls   []time.Time // TickDue at each
		want    []int       // jobs enqueued by each call
		keys    string      // stored job keys after the last call
	}{
		{
			name:  "daily in the schedule's zone",
			spec:  "0 9 * * *", // 09:00 Almaty is 04:00Z
			loc:   almaty,
			calls: []time.Time{t0.Add(-2 * time.Hour), t0.Add(-time.Hour), t0.Add(-59 * time.Minute), t0.Add(22 * time.Hour)},
			want:  []int{0, 1, 0, 0},
			keys:  "[p:2026-11-30T04:00Z]",
		},
		{
			name:  "CRON_TZ in the spec wins",
			spec:  "CRON_TZ=Asia/Almaty 0 9 * * *",
			loc:   berlin,
			calls: []time.Time{t0.Add(-2 * time.Hour), t0},
			want:  []int{0, 1},
			keys:  "[p:2026-11-30T04:00Z]",
		},
		{
			name:  "nil zone is UTC",
			spec:  "0 5 * * *",
			calls: []time.Time{t0.Add(-time.Second), t0},
			want:  []int{0, 1},
			keys:  "[p:2026-11-30T05:00Z]",
		},
		{
			name:  "bounded catch-up: only the latest missed tick",
			spec:  "*/5 * * * *",
			calls: []time.Time{t0.Add(-time.Second), t0.Add(32 * time.Minute)},
			want:  []int{1, 1}, // first call catches 04:55 within the default hour
			keys:  "[p:2026-11-30T04:55Z p:2026-11-30T05:30Z]",
		},
		{
			name:    "no catch-up at startup",
			spec:    "*/5 * * * *",
			catchUp: -1,
			calls:   []time.Time{t0.Add(-time.Second), t0},
			want:    []int{0, 1},
			keys:    "[p:2026-11-30T05:00Z]",
		},
		{
			name:    "first call includes a tick at exactly now",
			spec:    "0 5 * * *",
			catchUp: -1,
			calls:   []time.Time{t0},
			want:    []int{1},
			keys:    "[p:2026-11-30T05:00Z]",
		},
		{
			name:  "daylight saving time moves the UTC tick",
			spec:  "0 9 * * *",
			loc:   berlin,
			calls: []time.Time{time.Date(2026, 3, 28, 7, 59, 0, 0, time.UTC), time.Date(2026, 3, 28, 8, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC)},
			want:  []int{0, 1, 1},
			keys:  "[p:2026-03-28T08:00Z p:2026-03-29T07:00Z]",
		},
		{
			name:  "every is aligned",
			spec:  "@every 15m",
			calls: []time.Time{t0.Add(7*time.Minute - time.Hour), t0.Add(7 * time.Minute), t0.Add(16 * time.Minute)},
			want:  []int{1, 1, 1},
			keys:  "[p:2026-11-30T04:00Z p:2026-11-30T05:00Z p:2026-11-30T05:15Z]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := jobstest.NewMemStore()
			c := jobs.NewCron(jobs.New(s, jobs.Options{Owner: "a"}), jobs.CronOptions{CatchUp: tt.catchUp})
			if err := c.AddTick(tt.spec, tt.loc, "handoff", "p"); err != nil {
				t.Fatalf("AddTick: %v", err)
			}
			var keys []string
			for i, now := range tt.calls {
				var n int
				n, keys = tickKeys(t, c, s, now)
				if n != tt.want[i] {
					t.Errorf("TickDue(%s) = %d, want %d", now.Format(time.RFC3339), n, tt.want[i])
				}
			}
			if fmt.Sprint(keys) != tt.keys {
				t.Errorf("job keys = %v, want %s", keys, tt.keys)
			}
		})
	}
}

func TestCronTickJob(t *testing.T) {
	s := jobstest.NewMemStore()
	c := jobs.NewCron(jobs.New(s, jobs.Options{Owner: "a"}), jobs.CronOptions{})
	if err := c.AddTick("0 5 * * *", nil, "handoff", "handoff:primary"); err != nil {
		t.Fatalf("AddTick: %v", err)
	}
	if _, err := c.TickDue(context.Background(), t0.Add(time.Second)); err != nil {
		t.Fatalf("TickDue: %v", err)
	}
	j, err := s.Get(context.Background(), "handoff:primary:2026-11-30T05:00Z")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if j.Kind != "handoff" || !j.RunAt.Equal(t0) || j.Payload["tick"] != "2026-11-30T05:00:00Z" || !j.CreatedAt.Equal(t0.Add(time.Second)) {
		t.Errorf("tick job = %+v, want kind handoff, RunAt and payload tick %s", *j, t0)
	}
	if next := c.Next(t0); !next.Equal(t0.Add(24 * time.Hour)) {
		t.Errorf("Next = %s, want %s", next, t0.Add(24*time.Hour))
	}
}

func TestCronRejectsBadSpecs(t *testing.T) {
	c := jobs.NewCron(jobs.New(jobstest.NewMemStore(), jobs.Options{}), jobs.CronOptions{})
	for _, spec := range []string{"", "61 * * * *", "@every 1x", "@weekly-ish", "CRON_TZ=Nowhere/City 0 9 * * *"} {
		if err := c.AddTick(spec, nil, "k", "p"); err == nil {
			t.Errorf("AddTick(%q) = nil, want an error", spec)
		}
	}
	if err := c.AddTick("@daily", nil, "", "p"); err == nil {
		t.Error("AddTick without kind = nil, want an error")
	}
}

// Two replicas tick the same schedule on one store: one job, run once, also when the second
// replica ticks after the job has finished, and after a restart.
func TestCronTicksCollapseAcrossReplicas(t *testing.T) {
	s := jobstest.NewMemStore()
	clk := newClock(t0)
	runs := 0
	newReplica := func(owner string) (*jobs.Runner, *jobs.Cron) {
		r := jobs.New(s, jobs.Options{Owner: owner, Now: clk.Now})
		r.Handle("handoff", func(context.Context, jobs.Job) error { runs++; return nil })
		c := jobs.NewCron(r, jobs.CronOptions{})
		if err := c.AddTick("0 5 * * *", nil, "handoff", "handoff:primary"); err != nil {
			t.Fatalf("AddTick: %v", err)
		}
		return r, c
	}
	ctx := context.Background()
	ra, ca := newReplica("a")
	_, cb := newReplica("b")
	tick := func(c *jobs.Cron) int {
		t.Helper()
		n, err := c.TickDue(ctx, clk.Now())
		if err != nil {
			t.Fatalf("TickDue: %v", err)
		}
		return n
	}
	if a, b := tick(ca), tick(cb); a+b != 1 {
		t.Errorf("jobs enqueued by the two replicas = %d+%d, want 1 in all", a, b)
	}
	if _, err := ra.RunDue(ctx); err != nil {
		t.Fatalf("RunDue: %v", err)
	}
	clk.Advance(time.Second)
	_, cc := newReplica("a-restarted") // catches up within the hour, finds the mark
	if b, c := tick(cb), tick(cc); b+c != 0 {
		t.Errorf("jobs enqueued after the tick ran = %d+%d, want 0", b, c)
	}
	if _, err := ra.RunDue(ctx); err != nil {
		t.Fatalf("RunDue: %v", err)
	}
	if runs != 1 {
		t.Errorf("handoff ran %d times, want 1", runs)
	}
}
