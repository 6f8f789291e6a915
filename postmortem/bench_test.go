package postmortem

import (
	"fmt"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/templates"
)

// bigIncident is the multi-day sev1 with n more timeline events, every
// one listed (notes, pins, status changes, pages) — the slow case, since
// alert events past AlertLines are only counted.
func bigIncident(n int) Input {
	in := multiDaySev1(templates.EN)
	tl := &timeline{number: 42, events: in.Timeline}
	kinds := []incidents.EventType{incidents.EventNote, incidents.EventMessagePinned, incidents.EventStatusChanged, incidents.EventPaged, incidents.EventNote}
	users := []string{"U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"}
	for i := 0; i < n; i++ {
		k := kinds[i%len(kinds)]
		f := map[string]string{}
		if k == incidents.EventMessagePinned {
			f["permalink"] = fmt.Sprintf("https://example.slack.com/archives/C0042/p%d", 1764351300000100+i)
		}
		if k == incidents.EventPaged {
			f["user"], f["schedule"], f["level"] = users[i%4], "primary", "1"
		}
		tl.add(k, t0.Add(time.Duration(i)*17*time.Second), users[i%4],
			fmt.Sprintf("update %d: error rate on <@U0BOB>'s node *gw-%d* is [%d%%] & falling", i, i%7, i%100), f)
	}
	in.Timeline = tl.events
	return in
}

func benchmarkDraftHTML(b *testing.B, in Input) {
	dr := newDrafter(b, t0.Add(72*time.Hour))
	b.ReportAllocs()
	var size int
	cpu0 := cpuTime()
	for b.Loop() {
		d, err := dr.Draft(in)
		if err != nil {
			b.Fatal(err)
		}
		page, err := HTMLPage(d, "en")
		if err != nil {
			b.Fatal(err)
		}
		size = len(d.Markdown) + len(page)
	}
	// CPU time used, GC included: on a shared machine wall time also
	// counts the time spent waiting for a core.
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(size)/1e6, "MB-out")
}

// BenchmarkDraftHTML10k: draft + HTML page for 10,000 listed timeline events
// (the target: under 100 ms and 64 MB allocated per op).
func BenchmarkDraftHTML10k(b *testing.B) { benchmarkDraftHTML(b, bigIncident(10000)) }

// BenchmarkDraftHTML10kRussian: the same in Russian, where every event's
// sentence is written from its fields by a template.
func BenchmarkDraftHTML10kRussian(b *testing.B) {
	in := bigIncident(10000)
	in.Locale = templates.RU
	benchmarkDraftHTML(b, in)
}

// BenchmarkDraftHTMLStorm10k: the same with 10,000 alert events, which are counted.
func BenchmarkDraftHTMLStorm10k(b *testing.B) {
	in := stormIncident()
	tl := &timeline{number: in.Incident.Number, events: in.Timeline}
	for i := len(in.Timeline); i < 10000; i++ {
		tl.add(incidents.EventAlertFired, t0.Add(time.Duration(i)*time.Second), incidents.ActorAlertmanager, "Alert firing: X",
			map[string]string{"fingerprint": fmt.Sprintf("x%d", i), "labels": fmt.Sprintf("alertname=Extra%d, instance=n%d", i%9, i)})
	}
	in.Timeline = tl.events
	benchmarkDraftHTML(b, in)
}

// TestDraftBudget keeps the benchmark's promise in the ordinary test run:
// 10,000 events stay within the 64 MB allocation budget (time is left to
// the benchmark, as it depends on the machine).
func TestDraftBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	if raceDetector {
		t.Skip("the race detector's allocations count in B/op; go test ./postmortem checks the budget")
	}
	for _, loc := range []templates.Locale{templates.EN, templates.RU} {
		in := bigIncident(10000)
		in.Locale = loc // Russian writes every event's sentence from its fields
		res := testing.Benchmark(func(b *testing.B) { benchmarkDraftHTML(b, in) })
		if mb := float64(res.AllocedBytesPerOp()) / (1 << 20); mb > 64 {
			t.Errorf("%s draft + HTML of 10,000 events allocates %.1f MB, budget 64 MB", loc, mb)
		}
		t.Logf("%s draft + HTML of 10,000 events: %v, %.1f MB allocated per op", loc, time.Duration(res.NsPerOp()), float64(res.AllocedBytesPerOp())/(1<<20))
	}
}
