package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/metriclabel"
)

// countingLister holds open incidents and counts the reads of their count.
// A read may be held at its start (hold) to change incidents meanwhile.
type countingLister struct {
	mu     sync.Mutex
	open   map[int64]*incidents.Incident
	lists  atomic.Int64
	listed chan struct{} // a read began
	hold   chan struct{} // nil: reads go on at once
}

func newCountingLister(n int) *countingLister {
	l := &countingLister{open: map[int64]*incidents.Incident{}, listed: make(chan struct{}, 100)}
	for i := range n {
		num := int64(i + 1)
		l.open[num] = &incidents.Incident{Number: num, Severity: fmt.Sprintf("sev%d", i%4+1), Status: incidents.StatusTriggered}
	}
	return l
}

func (l *countingLister) CountOpen(context.Context) (map[string]int, error) {
	l.lists.Add(1)
	l.listed <- struct{}{}
	l.mu.Lock()
	out := map[string]int{}
	for _, inc := range l.open {
		out[inc.Severity]++
	}
	hold := l.hold
	l.mu.Unlock()
	if hold != nil {
		<-hold
	}
	return out, nil
}

func (l *countingLister) Severities() []incidents.Severity {
	return []incidents.Severity{{Name: "sev1"}, {Name: "sev2"}, {Name: "sev3"}, {Name: "sev4"}}
}

// openGauge gathers reg and returns incidentbot_incidents_open by severity.
func openGauge(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != "incidentbot_incidents_open" {
			continue
		}
		for _, m := range f.Metric {
			out[m.Label[0].GetValue()] = m.Gauge.GetValue()
		}
	}
	return out
}

// 20 concurrent scrapes with 10,000 open incidents stored read none of
// them: the gauge asks the store for its count once, at the first scrape,
// and follows the changes the service stores after that.
func TestOpenIncidentsScrapesDoNotReadIncidents(t *testing.T) {
	lister := newCountingLister(10_000)
	reg := prometheus.NewRegistry()
	m := newIncidentMetricsFrom(reg, func() openLister { return lister })
	now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	m.open.now = func() time.Time { return now }

	scrape20 := func() time.Duration {
		began := time.Now()
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if _, err := reg.Gather(); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		return time.Since(began)
	}
	first := scrape20()
	if n := lister.lists.Load(); n != 1 {
		t.Fatalf("20 concurrent first scrapes read the store %d times, want once", n)
	}
	again := scrape20()
	if n := lister.lists.Load(); n != 1 {
		t.Errorf("20 more scrapes read the store: %d reads in all, want 1", n)
	}
	t.Logf("20 concurrent scrapes with 10,000 open incidents: %v the first time (one read of the store), then %v (no read)", first, again)
	if got := openGauge(t, reg); got["sev1"] != 2500 || got["sev4"] != 2500 {
		t.Errorf("open = %v, want 2500 of each severity", got)
	}

	// Changes move the gauge without a read.
	m.IncidentChanged(openInc(1, "sev1"), resolvedInc(1, "sev1"))
	m.IncidentChanged(nil, openInc(10_001, "sev2"))
	m.IncidentChanged(openInc(3, "sev3"), openInc(3, "sev1"))
	m.IncidentChanged(resolvedInc(7, "sev4"), resolvedInc(7, "sev4")) // a resolved incident changed: no move
	got := openGauge(t, reg)
	if got["sev1"] != 2500 || got["sev2"] != 2501 || got["sev3"] != 2499 {
		t.Errorf("open after changes = %v, want sev1 2500, sev2 2501, sev3 2499", got)
	}
	if n := lister.lists.Load(); n != 1 {
		t.Errorf("changes read the store: %d reads, want 1", n)
	}

	// After openResync one scrape starts one background read; the scrapes
	// do not wait for it.
	now = now.Add(openResync)
	scrape20()
	<-lister.listed
	<-lister.listed
	if n := lister.lists.Load(); n != 2 {
		t.Errorf("after %v: %d reads in all, want 2", openResync, n)
	}
}

// openInc and resolvedInc are incidents as the service's Observer hears of them.
func openInc(n int64, sev string) *incidents.Incident {
	return &incidents.Incident{Number: n, Severity: sev, Status: incidents.StatusInvestigating}
}

func resolvedInc(n int64, sev string) *incidents.Incident {
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	return &incidents.Incident{Number: n, Severity: sev, Status: incidents.StatusResolved, ResolvedAt: &at}
}

// A change stored while the gauge reads the store is not undone by the
// read's older answer.
func TestOpenIncidentsChangesDuringTheRead(t *testing.T) {
	lister := newCountingLister(4)
	lister.hold = make(chan struct{})
	reg := prometheus.NewRegistry()
	m := newIncidentMetricsFrom(reg, func() openLister { return lister })
	done := make(chan map[string]float64)
	go func() { done <- openGauge(t, reg) }()
	<-lister.listed // the read has its answer: incidents 1–4 open
	m.IncidentChanged(openInc(1, "sev1"), resolvedInc(1, "sev1"))
	m.IncidentChanged(nil, openInc(5, "sev2"))
	close(lister.hold)
	got := <-done
	if want := map[string]float64{"sev1": 0, "sev2": 2, "sev3": 1, "sev4": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("open = %v, want %v", got, want)
	}
}

// Labels from data are cleaned and bounded: a 300 KB service and a NUL
// never reach /metrics, and the 101st distinct service is "other".
func TestIncidentLabelsAreBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := newIncidentMetricsFrom(reg, func() openLister { return newCountingLister(0) })
	huge := strings.Repeat("s", 300_000) + "\x00\x1b[31m"
	m.IncidentChanged(nil, &incidents.Incident{Number: 1, Severity: "sev1\x00", Service: huge})
	for i := range 100 {
		m.IncidentChanged(nil, &incidents.Incident{Number: int64(i + 2), Severity: "sev2", Service: fmt.Sprintf("svc-%03d", i)})
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	services := map[string]float64{}
	for _, f := range fams {
		for _, mt := range f.Metric {
			for _, l := range mt.Label {
				if v := l.GetValue(); len(v) > metriclabel.MaxLen || strings.ContainsAny(v, "\x00\x1b") {
					t.Errorf("%s{%s=%.40q…}: %d bytes", f.GetName(), l.GetName(), v, len(v))
				}
			}
			if f.GetName() == "incidentbot_incidents_opened_total" {
				services[labelOf(mt, "service")] += mt.Counter.GetValue()
			}
		}
	}
	if len(services) != 101 || services["other"] != 1 || services["svc-098"] != 1 {
		keys := make([]string, 0, len(services))
		for k := range services {
			keys = append(keys, fmt.Sprintf("%.20s", k))
		}
		sort.Strings(keys)
		t.Errorf("opened by service: %d series (%v), want 100 services and other (the 101st)", len(services), keys)
	}
}

func labelOf(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// Through the app: an alert whose service is 300 KB with a NUL, and 101
// deployed services; /metrics shows neither the value nor more than 100
// services.
func TestMetricsLabelsFromAlertsAndDeploys(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true})
	huge := strings.Repeat("s", 300_000) + "\x00"
	labels := map[string]string{"alertname": "Huge", "service": huge}
	body, _ := json.Marshal(map[string]any{
		"version": "4", "groupKey": "{}:{alertname=\"Huge\"}", "status": "firing", "receiver": "incidentbot",
		"groupLabels": map[string]string{"alertname": "Huge"}, "commonLabels": labels, "commonAnnotations": map[string]string{},
		"externalURL": "http://alertmanager.example",
		"alerts": []map[string]any{{"status": "firing", "fingerprint": fp(1), "labels": labels, "annotations": map[string]string{},
			"startsAt": h.clock.Now().Format(time.RFC3339), "endsAt": "0001-01-01T00:00:00Z"}},
	})
	h.mustPost(body)
	h.applyAll()
	for i := range 101 {
		h.postDeploy(fmt.Sprintf(`{"service":"svc-%03d","version":"v1","status":"success"}`, i))
	}
	resp, err := http.Get(h.app.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(text), strings.Repeat("s", metriclabel.MaxLen+1)) || strings.Contains(string(text), "\x00") || strings.Contains(string(text), `\x00`) {
		t.Error("/metrics shows the 300 KB service or its NUL")
	}
	if !strings.Contains(string(text), `incidentbot_incidents_opened_total{service="`+strings.Repeat("s", metriclabel.MaxLen)+`"`) {
		t.Error("/metrics lacks the opened incident under its service cut to 64 bytes")
	}
	fams := h.scrape()
	if got := sum(fams["incidentbot_deployments_total"], map[string]string{"service": "other"}); got != 1 {
		t.Errorf("deployments of service other = %v, want 1 (the 101st service)", got)
	}
	if n := len(fams["incidentbot_deployments_total"].GetMetric()); n != 101 {
		t.Errorf("deployment series = %d, want 101 (100 services and other)", n)
	}
	if got := sum(fams["incidentbot_incidents_open"], nil); got != 1 {
		t.Errorf("open incidents = %v, want 1", got)
	}
}
