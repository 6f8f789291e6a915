package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/app"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/web"
)

// The flood is issue 17's probe of a very bad day: distinct alert groups
// posted as fast as clients can, the storm guard at its defaults, and
// meanwhile a genuine resolved notification of an incident of its own.
//
//	go run ./internal/loadtest flood [-groups 60000] [-clients 16] [-cpuprofile FILE]
//
// It starts the bot in this process (embedded store in a temp dir, default
// config, no Slack), posts group 0 and waits for its incident, then posts
// the other groups from -clients senders; when half of them are
// acknowledged it posts group 0's resolved notification. Then it waits for
// the inbox to drain and reports: every post 2xx; the time from the last
// post to everything applied; the incidents opened; the storm incident's
// page and API answer (size, time); 20 concurrent /metrics scrapes (twice:
// the first reads the store's count); the peak RSS of the process (bot
// and senders together: VmHWM); how long the resolved waited.

// floodOptions configure a flood.
type floodOptions struct {
	Groups  int
	Clients int
	// Manual leaves the applier stopped until every post is acknowledged,
	// then applies the inbox synchronously: what the test suite runs,
	// without waiting on a clock.
	Manual bool
	Now    func() time.Time // nil: time.Now
	Log    io.Writer        // the bot's warnings and errors; nil discards
	// Check, when set, runs against the bot at base after the report is
	// made, before the bot stops.
	Check func(ctx context.Context, base string, r *floodReport) error
}

// floodReport is what a flood measured.
type floodReport struct {
	Groups, Posts, Non2xx  int
	PostsFor               time.Duration // from the first post to the last acknowledgement
	P50, P99               time.Duration
	AppliedAfter           time.Duration // from the last acknowledgement to an empty inbox
	MaxNew                 int
	Own, Storms            int
	Storm                  *incidents.Incident
	PageBytes, APIBytes    int
	PageTime, APITime      time.Duration // the slowest of pageReads
	PageMedian, APIMedian  time.Duration
	APIEvents, APIAlerts   int
	APIAlertsNext          bool
	FirstScrape, Scrape    time.Duration // the slowest of 20 concurrent, the first time and again
	ScrapeErrors           int
	OpenGauge              float64 // incidentbot_incidents_open, summed over severities
	Open                   int     // open incidents, listed
	ResolvedWait           time.Duration
	ResolvedApplied        bool
	IdleRSSKiB, PeakRSSKiB int64
}

const (
	floodToken = "flood-token"
	pageReads  = 20
	scrapes    = 20
)

func floodMain(args []string) error {
	fs := flag.NewFlagSet("flood", flag.ExitOnError)
	groups := fs.Int("groups", 60000, "distinct alert groups to post, one post each")
	clients := fs.Int("clients", 16, "concurrent senders")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.Parse(args)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var log io.Writer
	if path := os.Getenv("LOADTEST_LOG"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		log = f
	}
	r, err := flood(context.Background(), floodOptions{Groups: *groups, Clients: *clients, Log: log})
	if err != nil {
		return err
	}
	r.print(os.Stdout)
	return nil
}

// flood runs one flood and reports what it measured.
func flood(ctx context.Context, o floodOptions) (*floodReport, error) {
	if o.Groups < 2 || o.Clients < 1 {
		return nil, errors.New("flood: at least 2 groups and 1 client")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	dir, err := os.MkdirTemp("", "incidentbot-flood-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	env := config.LoadEnv(func(k string) string {
		return map[string]string{"INCIDENTBOT_DATA_DIR": dir, "INCIDENTBOT_LISTEN": "127.0.0.1:0", "ALERTMANAGER_WEBHOOK_TOKEN": floodToken}[k]
	}, func(string) bool { return false })
	logger := discard.Logger().Logger
	if o.Log != nil {
		logger.SetOutput(o.Log)
		logger.SetLevel(logrus.WarnLevel)
	}
	cfg := config.Default()
	a, err := app.New(ctx, app.Options{Env: env, Config: cfg, Logger: logger, Manual: o.Manual, Now: o.Now})
	if err != nil {
		return nil, err
	}
	a.Start()
	defer a.Shutdown(ctx)
	r := &floodReport{Groups: o.Groups, MaxNew: cfg.Storm.MaxNew}
	r.IdleRSSKiB, _ = memory()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Clients + 1}, Timeout: time.Minute}
	hook := a.URL() + "/webhooks/alertmanager"
	start := o.Now().Add(-time.Minute).UTC()

	// Group 0 opens an incident of its own first: the resolved comes for it.
	if code, err := post(client, hook, floodBody(0, start, false)); err != nil || code/100 != 2 {
		return nil, fmt.Errorf("post group 0: %d %v", code, err)
	}
	if err := drain(ctx, a, o.Manual); err != nil {
		return nil, err
	}
	g0, err := a.Store().GetGroup(ctx, groupKey(0))
	if err != nil {
		return nil, fmt.Errorf("group 0's incident: %w", err)
	}

	// The flood, and group 0's resolved once half of it is acknowledged.
	var (
		acked      atomic.Int64
		resolvedAt time.Time
		resolvedWG sync.WaitGroup
		resolveErr error
		half       = make(chan struct{})
		halfOnce   sync.Once
	)
	resolvedWG.Go(func() {
		<-half
		resolvedAt = time.Now()
		code, err := post(client, hook, floodBody(0, start, true))
		if err == nil && code/100 != 2 {
			err = fmt.Errorf("answered %d", code)
		}
		resolveErr = err
	})
	// Watch (outside the test's synchronous mode) for the resolved to be applied.
	resolvedApplied := make(chan time.Time, 1)
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	if !o.Manual {
		go watchResolved(watchCtx, a, g0.Incident, half, resolvedApplied)
	}
	res := send(client, hook, o.Groups-1, o.Clients, func(i int) []byte { return floodBody(i+1, start, false) }, func() {
		if acked.Add(1) == int64(o.Groups/2) {
			halfOnce.Do(func() { close(half) })
		}
	})
	halfOnce.Do(func() { close(half) })
	resolvedWG.Wait()
	lastAck := time.Now()
	if resolveErr != nil {
		return nil, fmt.Errorf("post group 0's resolved: %w", resolveErr)
	}
	r.Posts, r.Non2xx, r.PostsFor = res.n+2, int(res.errors), res.elapsed
	r.P50, r.P99 = res.quantile(0.50), res.quantile(0.99)

	if err := drain(ctx, a, o.Manual); err != nil {
		return nil, err
	}
	r.AppliedAfter = time.Since(lastAck)
	select {
	case at := <-resolvedApplied:
		r.ResolvedWait, r.ResolvedApplied = at.Sub(resolvedAt), true
	default:
		inc, err := a.Service().Get(ctx, g0.Incident)
		if err != nil {
			return nil, err
		}
		r.ResolvedApplied = inc.FiringCount == 0 && !inc.AnyFiring()
		r.ResolvedWait = time.Since(resolvedAt)
	}
	stopWatch()

	// What the flood left.
	list, err := a.Service().List(ctx, incidents.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, inc := range list {
		if inc.Storm {
			r.Storms++
			r.Storm = inc
		} else {
			r.Own++
		}
		if inc.Open() {
			r.Open++
		}
	}
	if r.Storm != nil {
		if err := r.readStorm(client, a.URL()); err != nil {
			return nil, err
		}
	}
	r.FirstScrape, err = r.scrape(client, a.URL())
	if err != nil {
		return nil, err
	}
	if r.Scrape, err = r.scrape(client, a.URL()); err != nil {
		return nil, err
	}
	_, r.PeakRSSKiB = memory()
	if o.Check != nil {
		if err := o.Check(ctx, a.URL(), r); err != nil {
			return r, err
		}
	}
	return r, nil
}

// drain applies the inbox until it is empty: synchronously (Manual), or by
// waiting, bounded, for the running applier.
func drain(ctx context.Context, a *app.App, manual bool) error {
	if manual {
		for range 10_000 {
			n, err := a.Applier().ApplyPending(ctx)
			if err != nil {
				return err
			}
			if n == 0 {
				return nil
			}
		}
		return errors.New("the inbox does not drain")
	}
	deadline := time.Now().Add(15 * time.Minute)
	for time.Now().Before(deadline) {
		pending, err := a.Store().PendingInbox(ctx, 1)
		if err != nil {
			return err
		}
		if len(pending) == 0 {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("the inbox did not drain in 15 minutes")
}

// watchResolved reports when incident n has no alert firing, from when
// half is closed (the resolved is posted then).
func watchResolved(ctx context.Context, a *app.App, n int64, half <-chan struct{}, applied chan<- time.Time) {
	select {
	case <-half:
	case <-ctx.Done():
		return
	}
	for ctx.Err() == nil {
		if inc, err := a.Service().Get(ctx, n); err == nil && !inc.AnyFiring() {
			applied <- time.Now()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func groupKey(g int) string { return fmt.Sprintf("{}:{alertname=\"Flood%d\"}", g) }

// floodBody is group g's notification: one alert, firing, or resolved.
func floodBody(g int, start time.Time, resolved bool) []byte {
	status, ends := "firing", "0001-01-01T00:00:00Z"
	if resolved {
		status, ends = "resolved", start.Add(30*time.Second).Format(time.RFC3339)
	}
	name := fmt.Sprintf("Flood%d", g)
	b, _ := json.Marshal(map[string]any{
		"version": "4", "groupKey": groupKey(g), "status": status, "receiver": "incidentbot",
		"groupLabels": map[string]string{"alertname": name}, "commonLabels": map[string]string{"alertname": name, "severity": "warning"},
		"commonAnnotations": map[string]string{"summary": "flood"}, "externalURL": "http://alertmanager.local", "truncatedAlerts": 0,
		"alerts": []map[string]any{{
			"status": status, "fingerprint": fmt.Sprintf("%016x", g),
			"labels":      map[string]string{"alertname": name, "instance": fmt.Sprintf("host-%d:9100", g), "severity": "warning"},
			"annotations": map[string]string{"summary": "flood " + name}, "startsAt": start.Format(time.RFC3339),
			"endsAt": ends, "generatorURL": "http://prometheus.local/graph?g0.expr=up",
		}},
	})
	return b
}

func post(client *http.Client, url string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+floodToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// send posts body(0..n-1) from conc senders, each body made when sent;
// acked is called after each 2xx.
func send(client *http.Client, url string, n, conc int, body func(int) []byte, acked func()) result {
	lat := make([]time.Duration, n)
	var next, errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t := time.Now()
				code, err := post(client, url, body(i))
				lat[i] = time.Since(t)
				if err != nil || code/100 != 2 {
					errs.Add(1)
					continue
				}
				acked()
			}
		})
	}
	wg.Wait()
	return result{n: n, elapsed: time.Since(start), lat: lat, errors: errs.Load()}
}

func (r result) quantile(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	s := slices.Clone(r.lat)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// readStorm reads the storm incident's page and its API answer pageReads
// times each, one after the other, and keeps the sizes, the median and the
// slowest.
func (r *floodReport) readStorm(client *http.Client, base string) error {
	n := strconv.FormatInt(r.Storm.Number, 10)
	var page, api []time.Duration
	for range pageReads {
		body, took, err := get(client, base+"/incidents/"+n, "text/html")
		if err != nil {
			return err
		}
		r.PageBytes, page = len(body), append(page, took)
		body, took, err = get(client, base+"/api/v1/incidents/"+n, "application/json")
		if err != nil {
			return err
		}
		r.APIBytes, api = len(body), append(api, took)
		var d web.APIIncidentDetail
		if err := json.Unmarshal(body, &d); err != nil {
			return fmt.Errorf("the storm incident's API answer: %w", err)
		}
		r.APIEvents, r.APIAlerts, r.APIAlertsNext = len(d.Timeline), len(d.Alerts), d.AlertsNext != nil
	}
	slices.Sort(page)
	slices.Sort(api)
	r.PageMedian, r.PageTime = page[len(page)/2], page[len(page)-1]
	r.APIMedian, r.APITime = api[len(api)/2], api[len(api)-1]
	return nil
}

func get(client *http.Client, url, accept string) ([]byte, time.Duration, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", accept)
	t := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	took := time.Since(t)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %d %.200s", url, resp.StatusCode, body)
	}
	return body, took, err
}

// scrape runs 20 concurrent /metrics scrapes and returns the slowest; it
// keeps the open-incidents gauge of the last.
func (r *floodReport) scrape(client *http.Client, base string) (time.Duration, error) {
	var (
		mu      sync.Mutex
		slowest time.Duration
		body    []byte
		wg      sync.WaitGroup
	)
	for range scrapes {
		wg.Go(func() {
			b, took, err := get(client, base+"/metrics", "text/plain")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.ScrapeErrors++
				return
			}
			slowest, body = max(slowest, took), b
		})
	}
	wg.Wait()
	if body == nil {
		return 0, errors.New("no /metrics scrape answered")
	}
	r.OpenGauge = 0
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if ok && strings.HasPrefix(name, "incidentbot_incidents_open{") {
			v, _ := strconv.ParseFloat(value, 64)
			r.OpenGauge += v
		}
	}
	return slowest, sc.Err()
}

// print writes the report with the targets.
func (r *floodReport) print(w io.Writer) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
	check := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	fmt.Fprintf(w, "flood: %d distinct alert groups, %d posts, GOMAXPROCS=%d\n\n", r.Groups, r.Posts, runtimeProcs())
	fmt.Fprintf(w, "posts answered 2xx:           %d of %d (%s); %.1f s for all, %.0f posts/s, p50 %s, p99 %s\n",
		r.Posts-r.Non2xx, r.Posts, check(r.Non2xx == 0), r.PostsFor.Seconds(), float64(r.Posts-2)/r.PostsFor.Seconds(), ms(r.P50), ms(r.P99))
	fmt.Fprintf(w, "applied after the last post:  %.1f s (target ≤ 30 s: %s)\n", r.AppliedAfter.Seconds(), check(r.AppliedAfter <= 30*time.Second))
	stormGroups, alerts := 0, 0
	if r.Storm != nil {
		stormGroups, alerts = r.Storm.StormGroups, r.Storm.AlertCount
	}
	fmt.Fprintf(w, "incidents opened:             %d of their own + %d storm incident holding %d groups and %d alerts (target ≤ %d + 1: %s)\n",
		r.Own, r.Storms, stormGroups, alerts, r.MaxNew, check(r.Own <= r.MaxNew && r.Storms <= 1))
	fmt.Fprintf(w, "storm incident's page:        %d bytes, median of %d reads %s, slowest %s (targets < 1 MB, < 100 ms: %s)\n",
		r.PageBytes, pageReads, ms(r.PageMedian), ms(r.PageTime), check(r.PageBytes < 1<<20 && r.PageTime < 100*time.Millisecond))
	fmt.Fprintf(w, "storm incident's API answer:  %d bytes (%d events, %d alerts, more: %v), median %s, slowest %s (%s)\n",
		r.APIBytes, r.APIEvents, r.APIAlerts, r.APIAlertsNext, ms(r.APIMedian), ms(r.APITime), check(r.APIBytes < 1<<20 && r.APITime < 100*time.Millisecond))
	fmt.Fprintf(w, "20 concurrent /metrics:       slowest %s the first time (the store's count), %s again; %d errors; open gauge %.0f, open incidents %d (target < 100 ms: %s)\n",
		ms(r.FirstScrape), ms(r.Scrape), r.ScrapeErrors, r.OpenGauge, r.Open, check(max(r.FirstScrape, r.Scrape) < 100*time.Millisecond && r.ScrapeErrors == 0))
	fmt.Fprintf(w, "peak RSS (bot and senders):   %d MiB, idle %d MiB (target < 300 MB: %s)\n",
		r.PeakRSSKiB>>10, r.IdleRSSKiB>>10, check(r.PeakRSSKiB*1024 < 300_000_000))
	fmt.Fprintf(w, "resolved posted mid-flood:    applied %.1f s after it was posted (applied: %v)\n", r.ResolvedWait.Seconds(), r.ResolvedApplied)
}
