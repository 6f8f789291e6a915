package app

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/clocktest"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/jobs"
)

func noStorm(c *config.Config) { c.Storm.MaxNew = 100000 }

func TestConcurrentPostsForOneGroupMakeOneIncident(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{manual: true})
	start := h.clock.Now().Add(-time.Minute)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each post carries one more alert than a fixed base, as re-sends with new members would.
			body := payload("{}:{alertname=\"HighLatency\"}", testAlert{fp(0), "firing", "HighLatency", start}, testAlert{fp(i + 1), "firing", "HighLatency", start})
			if h.post(body) != http.StatusOK {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d posts were not answered 200", failed.Load())
	}
	h.applyAll()
	list := h.incidents()
	if len(list) != 1 {
		t.Fatalf("incidents = %d, want 1", len(list))
	}
	if got, inline := list[0].AlertCount, len(list[0].Alerts); got != 201 || inline != incidents.MaxInlineAlerts {
		t.Fatalf("alerts on the incident = %d (%d inline), want 201 (%d inline)", got, inline, incidents.MaxInlineAlerts)
	}
	if got := countEvents(h.timeline(list[0].Number), incidents.EventAlertFired); got != 201 {
		t.Errorf("alert_fired events = %d, want 201", got)
	}
}

func TestConcurrentPostsForManyGroupsMakeDistinctIncidents(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{manual: true, config: noStorm})
	start := h.clock.Now()
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := payload(fmt.Sprintf("group-%d", i), testAlert{fp(i), "firing", "DiskFull", start})
			if code := h.post(body); code != http.StatusOK {
				t.Errorf("post %d answered %d", i, code)
			}
		}()
	}
	wg.Wait()
	h.applyAll()
	list := h.incidents()
	if len(list) != 200 {
		t.Fatalf("incidents = %d, want 200", len(list))
	}
	seen := map[int64]bool{}
	groups := map[string]bool{}
	for _, inc := range list {
		if seen[inc.Number] || inc.Number < 1 || inc.Number > 200 {
			t.Fatalf("incident number %d repeated or out of 1..200", inc.Number)
		}
		seen[inc.Number] = true
		groups[inc.GroupKey] = true
	}
	if len(groups) != 200 {
		t.Errorf("distinct groups = %d, want 200", len(groups))
	}
}

func TestRepeatedAndResolvedNotificationsThenAutoResolve(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{manual: true})
	start := h.clock.Now()
	a, b := testAlert{fp(1), "firing", "HighLatency", start}, testAlert{fp(2), "firing", "HighLatency", start}
	h.mustPost(payload("g", a, b))
	h.mustPost(payload("g", a, b)) // Alertmanager re-sends the group
	h.applyAll()
	h.clock.Advance(time.Minute)
	a.status = "resolved"
	h.mustPost(payload("g", a, b))
	h.mustPost(payload("g", a, b))
	b.status = "resolved"
	h.mustPost(payload("g", a, b))
	h.applyAll()
	list := h.incidents()
	if len(list) != 1 {
		t.Fatalf("incidents = %d, want 1", len(list))
	}
	num := list[0].Number
	evs := h.timeline(num)
	if countEvents(evs, incidents.EventAlertFired) != 2 || countEvents(evs, incidents.EventAlertResolved) != 2 {
		t.Fatalf("timeline has %d fired and %d resolved, want 2 and 2", countEvents(evs, incidents.EventAlertFired), countEvents(evs, incidents.EventAlertResolved))
	}
	h.runJobs()
	if inc, _ := h.app.Service().Get(context.Background(), num); inc.Status == incidents.StatusResolved {
		t.Fatal("resolved before auto_resolve.after passed")
	}
	h.clock.Advance(15 * time.Minute)
	h.runJobs()
	inc, _ := h.app.Service().Get(context.Background(), num)
	if inc.Status != incidents.StatusResolved {
		t.Fatalf("status = %s after 15m, want resolved", inc.Status)
	}
	if n, _ := h.app.Jobs().Count(context.Background()); n != 0 {
		t.Errorf("%d jobs left after everything ran, want 0", n)
	}
}

func TestTwoInstancesShareOneStore(t *testing.T) {
	t.Parallel()
	first := newHarness(t, harnessOptions{manual: true, config: noStorm})
	second := newHarness(t, harnessOptions{manual: true, config: noStorm, store: first.app.Store(), clock: first.clock})
	start := first.clock.Now()

	// Both receive every notification for 50 groups, as two replicas behind a load balancer
	// receiving Alertmanager's retries would.
	var wg sync.WaitGroup
	for i := range 50 {
		for _, h := range []*harness{first, second} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code := h.post(payload(fmt.Sprintf("g%d", i), testAlert{fp(i), "firing", "X", start})); code != 200 {
					t.Errorf("post answered %d", code)
				}
			}()
		}
	}
	wg.Wait()
	// Both appliers run at once; the lease lets one apply.
	for range 5 {
		wg.Add(2)
		go func() { defer wg.Done(); first.app.Applier().ApplyPending(context.Background()) }()
		go func() { defer wg.Done(); second.app.Applier().ApplyPending(context.Background()) }()
		wg.Wait()
	}
	if got := len(first.incidents()); got != 50 {
		t.Fatalf("incidents = %d, want 50", got)
	}

	// 100 jobs run by both runners at once: each exactly once.
	var mu sync.Mutex
	runs := map[string]int{}
	count := func(ctx context.Context, j jobs.Job) error {
		mu.Lock()
		runs[j.Key]++
		mu.Unlock()
		return nil
	}
	first.app.Runner().Handle("test.count", count)
	second.app.Runner().Handle("test.count", count)
	for i := range 100 {
		if err := first.app.Runner().Enqueue(context.Background(), jobs.Job{Key: "count:" + strconv.Itoa(i), Kind: "test.count"}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Add(2)
	go func() { defer wg.Done(); first.runJobs() }()
	go func() { defer wg.Done(); second.runJobs() }()
	wg.Wait()
	if len(runs) != 100 {
		t.Fatalf("jobs run = %d, want 100", len(runs))
	}
	for k, n := range runs {
		if n != 1 {
			t.Errorf("job %s ran %d times", k, n)
		}
	}
}

func TestCrashLosesNothingAnsweredAndRunsPendingJobs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := clocktest.New(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))
	h := newHarness(t, harnessOptions{dir: dir, clock: clock, config: noStorm}) // background applier running
	ctx := context.Background()

	// A job pending before the crash.
	if err := h.app.Runner().Enqueue(ctx, jobs.Job{Key: "before-crash", Kind: "test.count", RunAt: clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	start := clock.Now()
	var mu sync.Mutex
	answered := map[string]bool{}
	var oks atomic.Int32
	killed := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			group := fmt.Sprintf("crash-%d", i)
			if h.post(payload(group, testAlert{fp(i), "firing", "X", start})) == http.StatusOK {
				mu.Lock()
				answered[group] = true
				mu.Unlock()
				if oks.Add(1) == 60 {
					once.Do(func() { close(killed) })
				}
			}
		}()
	}
	<-killed
	h.kill()
	wg.Wait()
	if len(answered) < 60 {
		t.Fatalf("only %d posts answered before the kill", len(answered))
	}

	// Restart on the same data dir.
	h2 := newHarness(t, harnessOptions{dir: dir, clock: clock, manual: true, config: noStorm})
	h2.applyAll()
	byGroup := map[string]int{}
	for _, inc := range h2.incidents() {
		byGroup[inc.GroupKey]++
	}
	for g := range answered {
		if byGroup[g] != 1 {
			t.Errorf("group %s answered 200 has %d incidents, want 1", g, byGroup[g])
		}
	}
	for g, n := range byGroup {
		if n != 1 {
			t.Errorf("group %s has %d incidents", g, n)
		}
	}
	ran := 0
	h2.app.Runner().Handle("test.count", func(ctx context.Context, j jobs.Job) error { ran++; return nil })
	clock.Advance(2 * time.Hour)
	h2.runJobs()
	if ran != 1 {
		t.Errorf("job pending before the crash ran %d times after it, want 1", ran)
	}
	t.Logf("%d of 200 posts answered before the kill; %d incidents after restart", len(answered), len(byGroup))
}

func TestWebhookRejectsBadRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{manual: true})
	cases := []struct {
		name, auth, body string
		want             int
	}{
		{"no auth", "", `{}`, 401},
		{"wrong token", "Bearer nope", `{}`, 401},
		{"bad json", "Bearer " + testToken, `{"version":`, 400},
		{"no group key", "Bearer " + testToken, `{"version":"4","status":"firing","alerts":[]}`, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, h.app.URL()+"/webhooks/alertmanager", stringsReader(c.body))
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, c.want)
			}
		})
	}
	h.applyAll()
	if got := len(h.incidents()); got != 0 {
		t.Errorf("bad requests made %d incidents", got)
	}
}

func TestStoreGoneAnswers503AndNotReady(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{manual: true})
	get := func(path string) int {
		resp, err := http.Get(h.app.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("/readyz"); code != 200 {
		t.Fatalf("/readyz = %d while the store answers, want 200", code)
	}
	if err := h.app.Store().Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code := get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d with the store gone, want 503", code)
	}
	if code := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d with the store gone, want 200 (the process runs)", code)
	}
	// Alertmanager retries a 5xx, so nothing is lost: the webhook must not say 200.
	if code := h.post(payload("g", testAlert{fp(1), "firing", "X", h.clock.Now()})); code != http.StatusServiceUnavailable {
		t.Errorf("webhook = %d with the store gone, want 503", code)
	}
}
