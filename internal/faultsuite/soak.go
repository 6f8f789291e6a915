package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// soakOptions shape a soak.
type soakOptions struct {
	env      envOptions
	duration time.Duration
	kills    int
	seed     uint64
	logf     func(format string, args ...any)
}

// sample is one scrape of the bot's /metrics.
type sample struct {
	at      time.Duration // since the soak began
	segment int           // how many kills came before
	values  map[string]float64
}

// soakMetrics are the series a soak watches.
var soakMetrics = []string{"go_goroutines", "process_open_fds", "go_memstats_heap_inuse_bytes", "incidentbot_jobs_stored"}

type soakResult struct {
	report  *report
	samples []sample
	groups  int
}

// soak runs serve for o.duration under mixed traffic — alert groups that
// fire and resolve, notes, acknowledgements by button and by SMS reply —
// kills it o.kills times, samples its /metrics every 10 s, then sweeps as
// the kill loop does.
func soak(ctx context.Context, launch launcher, o soakOptions) (*soakResult, error) {
	rng := rand.New(rand.NewPCG(o.seed, o.seed^0x50a4))
	// Incidents keep opening all along (no storm incident absorbs them),
	// one every 4 s: within Slack's 20 channels a minute.
	o.env.autoResolveAfter = 30 * time.Second
	o.env.stormMaxNew, o.env.stormWindow = 1000, time.Minute
	e, err := newEnv(o.env)
	if err != nil {
		return nil, err
	}
	defer e.close()
	b, err := newBot(e, launch)
	if err != nil {
		return nil, err
	}
	defer b.close()
	res := &soakResult{report: &report{}}
	r := res.report
	begin := time.Now()
	if err := b.start(); err != nil {
		return nil, err
	}
	if _, err := b.waitReady(begin, time.Minute); err != nil {
		return nil, err
	}
	o.logf("soak: %s, %d kills, seed %d, data in %s", o.duration, o.kills, o.seed, o.env.dir)
	l := newLedger()
	run := fmt.Sprintf("%x", rng.Uint32()&0xffff)
	traffic, stopTraffic := context.WithCancel(ctx)
	defer stopTraffic()
	var wg sync.WaitGroup
	var groups atomic.Int64
	s := newSender(e.url(), l)
	// A group every 4 s: it fires, is re-sent, and resolves about 40 s later.
	wg.Go(func() {
		t := time.NewTicker(4 * time.Second)
		defer t.Stop()
		for g := 0; ; g++ {
			select {
			case <-traffic.Done():
				return
			case <-t.C:
			}
			groups.Add(1)
			group := fmt.Sprintf("{}:{alertname=\"SOAK%s-%d\"}", run, g)
			name := fmt.Sprintf("SOAK%s-%d", run, g)
			sev := "warning"
			if g%4 == 0 {
				sev = "critical"
			}
			fp := fmt.Sprintf("5%s%05x", run, g)
			starts := time.Now()
			firing := alertPost{group: group, fps: []string{fp}, body: amBody(group, name, sev, []string{fp}, starts)}
			wg.Go(func() {
				s.send(traffic, firing)
				for _, d := range []time.Duration{10 * time.Second, 30 * time.Second} {
					select {
					case <-traffic.Done():
						return
					case <-time.After(d):
					}
					s.send(traffic, firing) // repeat_interval
				}
				s.send(traffic, alertPost{group: group, body: resolvedBody(group, name, sev, fp, starts, time.Now())})
			})
		}
	})
	people := &people{e: e, l: l, rng: rand.New(rand.NewPCG(o.seed+1, 9)), run: run, note: time.Second, ack: 3 * time.Second}
	wg.Go(func() { people.play(traffic) })

	scrape := time.NewTicker(10 * time.Second)
	defer scrape.Stop()
	killAt := make([]time.Duration, o.kills)
	for i := range killAt {
		killAt[i] = o.duration*time.Duration(i+1)/time.Duration(o.kills+1) + time.Duration(rng.Int64N(int64(5*time.Second)))
	}
	for time.Since(begin) < o.duration && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-scrape.C:
			if v := scrapeMetrics(e.url()); v != nil {
				res.samples = append(res.samples, sample{at: time.Since(begin), segment: r.Kills, values: v})
			}
		case <-time.After(200 * time.Millisecond):
		}
		if r.Kills < len(killAt) && time.Since(begin) >= killAt[r.Kills] {
			b.kill()
			r.Kills++
			start := time.Now()
			if err := b.start(); err != nil {
				return res, err
			}
			d, err := b.waitReady(start, time.Minute)
			if err != nil {
				return res, err
			}
			r.Ready = append(r.Ready, d)
			o.logf("kill %d at %s; ready again in %s", r.Kills, time.Since(begin).Round(time.Second), d.Round(time.Millisecond))
		}
	}
	stopTraffic()
	wg.Wait()
	res.groups = int(groups.Load())
	if err := waitQuiet(ctx, e, 2*time.Minute); err != nil {
		r.problem("%v", err)
	}
	if err := b.stop(30 * time.Second); err != nil {
		r.problem("clean stop: %v", err)
	}
	r.Starts = b.starts
	// Alerts resolved by design: a group's resolution may follow the stop.
	if err := sweep(ctx, e, l, r); err != nil {
		return res, err
	}
	r.Errors = errorLines(e.logPath)
	return res, nil
}

// resolvedBody is a webhook body with the group's one alert resolved.
func resolvedBody(group, name, severity, fp string, starts, ends time.Time) []byte {
	b := string(amBody(group, name, severity, []string{fp}, starts))
	b = strings.Replace(b, `"status":"firing"`, `"status":"resolved"`, -1)
	return []byte(strings.Replace(b, `"endsAt":"0001-01-01T00:00:00Z"`, `"endsAt":"`+ends.UTC().Format(time.RFC3339Nano)+`"`, 1))
}

// scrapeMetrics reads soakMetrics from /metrics; nil while the bot is down.
func scrapeMetrics(botURL string) map[string]float64 {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(botURL + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	return parseMetrics(resp.Body)
}

func parseMetrics(r io.Reader) map[string]float64 {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		for _, m := range soakMetrics {
			if name == m {
				if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
					out[m] = v
				}
			}
		}
	}
	return out
}

func printSoak(w io.Writer, s *soakResult) {
	r := s.report
	fmt.Fprintf(w, "soak: %d groups, %d kills; %d samples\n", s.groups, r.Kills, len(s.samples))
	fmt.Fprintf(w, "\n| minute | segment | goroutines | open fds | heap in use (MiB) | jobs stored |\n|---:|---:|---:|---:|---:|---:|\n")
	lastMinute := -1
	for _, sm := range s.samples {
		minute := int(sm.at / time.Minute)
		if minute == lastMinute {
			continue
		}
		lastMinute = minute
		fmt.Fprintf(w, "| %d | %d | %.0f | %.0f | %.1f | %.0f |\n", minute, sm.segment, sm.values["go_goroutines"],
			sm.values["process_open_fds"], sm.values["go_memstats_heap_inuse_bytes"]/(1<<20), sm.values["incidentbot_jobs_stored"])
	}
	// Flat: the mean of minutes 1–3 (after warm-up) against the last two.
	var end time.Duration
	if len(s.samples) > 0 {
		end = s.samples[len(s.samples)-1].at
	}
	mean := func(m string, from, to time.Duration) float64 {
		sum, n := 0.0, 0
		for _, sm := range s.samples {
			if sm.at >= from && sm.at < to {
				sum += sm.values[m]
				n++
			}
		}
		if n == 0 {
			return 0
		}
		return sum / float64(n)
	}
	for _, m := range soakMetrics {
		fmt.Fprintf(w, "%s: mean of minutes 1-3 %.1f, of the last two %.1f\n", m, mean(m, time.Minute, 3*time.Minute), mean(m, end-2*time.Minute, end+time.Second))
	}
	for _, m := range soakMetrics {
		lo, hi := 0.0, 0.0
		for i, sm := range s.samples {
			v := sm.values[m]
			if i == 0 || v < lo {
				lo = v
			}
			if i == 0 || v > hi {
				hi = v
			}
		}
		fmt.Fprintf(w, "%s: min %.0f, max %.0f\n", m, lo, hi)
	}
	fmt.Fprintln(w)
	printKill(w, r)
}
