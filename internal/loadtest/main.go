// Command loadtest measures the Alertmanager webhook: sustained posts per second
// and acknowledgement latency with the embedded (SQLite) store, next to a bare net/http
// handler that only decodes the same JSON, in the same run. Then it sends an
// alert storm and checks that every group landed in exactly the right incident.
//
//	go run ./internal/loadtest [-posts 20000] [-groups 2000] [-concurrency 32]
//	go run ./internal/loadtest -hold-applier   # the webhook alone: the applier starts after the last post
//	go run ./internal/loadtest -target http://127.0.0.1:8080/webhooks/alertmanager -data-dir DIR
//	go run ./internal/loadtest flood [-groups 60000] [-clients 16]   # issue 17's flood (flood.go)
//
// Everything listens on 127.0.0.1 and stops by itself. -cpuprofile FILE
// profiles the run; LOADTEST_LOG=FILE keeps the bot's warnings and errors.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/app"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/store/sqlite"
)

const token = "loadtest-token"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "flood" {
		if err := floodMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest flood:", err)
			os.Exit(1)
		}
		return
	}
	posts := flag.Int("posts", 20000, "webhook posts to send")
	groups := flag.Int("groups", 2000, "distinct alert groups among them")
	conc := flag.Int("concurrency", 32, "concurrent senders")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	target := flag.String("target", "", "post to this running bot's webhook URL instead of starting one (with -data-dir: wait until its inbox drains)")
	hold := flag.Bool("hold-applier", false, "start the applier only once every post is acknowledged: the webhook's own capacity")
	dataDir := flag.String("data-dir", "", "the -target bot's INCIDENTBOT_DATA_DIR, read (not locked) to see its inbox drain")
	flag.Parse()
	if *target != "" {
		if err := runTarget(*target, *dataDir, *posts, *groups, *conc); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
			os.Exit(1)
		}
		return
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(*posts, *groups, *conc, *hold); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(posts, groups, conc int, hold bool) error {
	bodies := makeBodies(posts, groups)

	// Baseline: a bare handler that decodes the same JSON and answers 200.
	bare := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v map[string]any
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&v); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		w.Write([]byte(`{"status":"ok"}`))
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go bare.Serve(ln)
	base := load("http://"+ln.Addr().String()+"/webhooks/alertmanager", bodies, conc)
	bare.Close()

	// The bot, embedded store, storm guard at its defaults.
	dir, err := os.MkdirTemp("", "incidentbot-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env := config.LoadEnv(func(k string) string {
		return map[string]string{"INCIDENTBOT_DATA_DIR": dir, "INCIDENTBOT_LISTEN": "127.0.0.1:0", "ALERTMANAGER_WEBHOOK_TOKEN": token}[k]
	}, func(string) bool { return false })
	log := discard.Logger().Logger
	if path := os.Getenv("LOADTEST_LOG"); path != "" {
		if f, err := os.Create(path); err == nil {
			log.SetOutput(f)
			log.SetLevel(logrus.WarnLevel)
		}
	}
	ctx := context.Background()
	cfg := config.Default()
	a, err := app.New(ctx, app.Options{Env: env, Config: cfg, Logger: log, Manual: hold})
	if err != nil {
		return err
	}
	a.Start()
	defer a.Shutdown(ctx)
	idleRSS, _ := memory()
	started := time.Now()
	bot := load(a.URL()+"/webhooks/alertmanager", bodies, conc)
	acked := time.Now()
	if hold { // now the background loops Manual left stopped; stopped before Shutdown
		bg, stop := context.WithCancel(ctx)
		var loops sync.WaitGroup
		defer func() { stop(); loops.Wait() }()
		loops.Go(func() { a.Applier().Run(bg) })
		loops.Go(func() { a.Runner().Run(bg) })
	}
	fmt.Fprintf(os.Stderr, "all %d posts acknowledged after %.1fs\n", posts, acked.Sub(started).Seconds())

	// Wait (bounded) for the applier to drain the inbox.
	deadline := time.Now().Add(10 * time.Minute)
	lastReport := time.Now()
	for {
		if time.Since(lastReport) > 10*time.Second {
			left, _ := a.Store().PendingInbox(ctx, 0)
			fmt.Fprintf(os.Stderr, "applying: %d posts still in the inbox\n", len(left))
			lastReport = time.Now()
		}
		pending, err := a.Store().PendingInbox(ctx, 1)
		if err != nil {
			return err
		}
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("inbox not drained after 10 minutes")
		}
		time.Sleep(50 * time.Millisecond)
	}
	drained := time.Since(started)
	afterLast := time.Since(acked)
	_, peakRSS := memory()

	fmt.Printf("posts=%d groups=%d concurrency=%d GOMAXPROCS=%d\n\n", posts, groups, conc, runtimeProcs())
	fmt.Printf("%-28s %10s %10s %10s %10s\n", "handler", "posts/s", "p50", "p99", "errors")
	base.print("bare net/http (decode only)")
	bot.print("incidentbot webhook")
	fmt.Printf("\nall %d posts applied to incidents %.1fs after the first post, %.1fs after the last\n", posts, drained.Seconds(), afterLast.Seconds())
	fmt.Printf("process RSS (bot and load client): %d MiB idle, peak %d MiB after the storm\n", idleRSS>>10, peakRSS>>10)
	return verify(ctx, a, groups, cfg.Storm.MaxNew)
}

// verify checks the storm outcome: max_new incidents of their own, one storm
// incident holding every other group, and every alert of every group somewhere.
func verify(ctx context.Context, a *app.App, groups, maxNew int) error {
	list, err := a.Service().List(ctx, incidents.ListOptions{})
	if err != nil {
		return err
	}
	own, storms, alerts := 0, 0, 0
	var storm *incidents.Incident
	for _, inc := range list {
		alerts += inc.AlertCount
		if inc.Storm {
			storms++
			storm = inc
		} else {
			own++
		}
	}
	fmt.Printf("incidents: %d of their own, %d storm incident holding %d groups; %d alerts in all\n", own, storms, stormGroups(storm), alerts)
	switch {
	case own != min(groups, maxNew):
		return fmt.Errorf("%d incidents of their own, want %d", own, min(groups, maxNew))
	case groups > maxNew && (storms != 1 || storm.StormGroups != groups-maxNew):
		return fmt.Errorf("storm incidents = %d holding %d groups, want 1 holding %d", storms, stormGroups(storm), groups-maxNew)
	case alerts != groups*2:
		return fmt.Errorf("alerts = %d, want %d (two per group)", alerts, groups*2)
	}
	fmt.Println("verified: nothing lost, nothing duplicated")
	return nil
}

func stormGroups(inc *incidents.Incident) int {
	if inc == nil {
		return 0
	}
	return inc.StormGroups
}

// makeBodies builds the posts: each group is sent posts/groups times, first
// with one alert, then with two (as Alertmanager re-sends a growing group).
func makeBodies(posts, groups int) [][]byte {
	start := time.Now().Add(-time.Minute).UTC()
	out := make([][]byte, posts)
	for i := range posts {
		g := i % groups
		alerts := []map[string]any{alert(g, 0, start)}
		if i >= groups {
			alerts = append(alerts, alert(g, 1, start))
		}
		out[i], _ = json.Marshal(map[string]any{
			"version": "4", "groupKey": fmt.Sprintf("{}:{alertname=\"Load%d\"}", g), "status": "firing",
			"receiver": "incidentbot", "groupLabels": map[string]string{"alertname": fmt.Sprintf("Load%d", g)},
			"commonLabels": map[string]string{"alertname": fmt.Sprintf("Load%d", g)}, "commonAnnotations": map[string]string{},
			"externalURL": "http://alertmanager.local", "truncatedAlerts": 0, "alerts": alerts,
		})
	}
	return out
}

func alert(g, n int, start time.Time) map[string]any {
	return map[string]any{
		"status": "firing", "fingerprint": fmt.Sprintf("%08x%08x", g, n),
		"labels":      map[string]string{"alertname": fmt.Sprintf("Load%d", g), "instance": fmt.Sprintf("host-%d", n)},
		"annotations": map[string]string{"summary": "load test"}, "startsAt": start.Format(time.RFC3339),
		"endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus.local/graph",
	}
}

type result struct {
	n       int
	elapsed time.Duration
	lat     []time.Duration
	errors  int64
}

func (r result) print(name string) {
	sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
	q := func(p float64) time.Duration {
		if len(r.lat) == 0 {
			return 0
		}
		return r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))]
	}
	fmt.Printf("%-28s %10.0f %10s %10s %10d\n", name, float64(r.n)/r.elapsed.Seconds(),
		q(0.50).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond), r.errors)
}

// load sends every body once with conc senders and records each ack latency.
func load(url string, bodies [][]byte, conc int) result {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}, Timeout: 30 * time.Second}
	lat := make([]time.Duration, len(bodies))
	var next atomic.Int64
	var errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) {
					return
				}
				t := time.Now()
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(bodies[i]))
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				lat[i] = time.Since(t)
				if err != nil || resp.StatusCode != http.StatusOK {
					errs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return result{n: len(bodies), elapsed: time.Since(start), lat: lat, errors: errs.Load()}
}

// runTarget posts the storm to a bot running elsewhere (an `incidentbot
// serve`, to measure that process) and, given its data dir, waits (bounded)
// until its inbox is empty, reading the database without taking its lock.
func runTarget(url, dataDir string, posts, groups, conc int) error {
	res := load(url, makeBodies(posts, groups), conc)
	acked := time.Now()
	res.print("incidentbot webhook")
	if dataDir == "" {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, sqlite.DBFile)+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	defer db.Close()
	for range 6000 { // bounded: 10 minutes
		var n int
		if err := db.QueryRow("SELECT count(*) FROM inbox").Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			fmt.Printf("inbox drained %.1fs after the last post\n", time.Since(acked).Seconds())
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("inbox not drained after 10 minutes")
}

// memory returns this process's resident set and its peak (VmRSS, VmHWM) in
// KiB, from /proc; zeros where there is no /proc.
func memory() (rss, peak int64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var kb int64
		if _, err := fmt.Sscanf(line, "VmRSS: %d kB", &kb); err == nil {
			rss = kb
		}
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
			peak = kb
		}
	}
	return rss, peak
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
