package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/metriclabel"
)

// Metric names follow Prometheus' conventions: the incidentbot_ prefix, base
// units, _total only on counters, and no label that grows with users or
// alerts (severity, service, endpoint and Slack method are bounded sets).

// responseBuckets span a minute to two days: how long people take.
var responseBuckets = []float64{60, 300, 600, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 48 * 3600}

// incidentMetrics turns stored incident changes into series; it is the
// service's Observer. Labels that come from data are bounded: the service
// (an alert's label) and the severity keep at most 100 values each, the
// rest counted as "other", each value cleaned (see metriclabel).
type incidentMetrics struct {
	opened, resolved     *prometheus.CounterVec
	toAck, toRestore     *prometheus.HistogramVec
	services, severities *metriclabel.Set
	open                 *openIncidents
}

func newIncidentMetrics(reg prometheus.Registerer, svc func() *incidents.Service) *incidentMetrics {
	return newIncidentMetricsFrom(reg, func() openLister {
		if s := svc(); s != nil {
			return s
		}
		return nil
	})
}

func newIncidentMetricsFrom(reg prometheus.Registerer, svc func() openLister) *incidentMetrics {
	m := &incidentMetrics{
		opened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_incidents_opened_total", Help: "Incidents opened, by severity at opening and service (the first 100 services seen; the rest are \"other\").",
		}, []string{"severity", "service"}),
		resolved: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_incidents_resolved_total", Help: "Incident resolutions (a reopened incident resolved again counts again), by severity and service.",
		}, []string{"severity", "service"}),
		toAck: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "incidentbot_incident_time_to_acknowledge_seconds", Help: "From detection to the first acknowledgement (MTTA).",
			Buckets: responseBuckets,
		}, []string{"severity"}),
		toRestore: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "incidentbot_incident_time_to_restore_seconds", Help: "From detection to mitigation, or to resolution when never mitigated (MTTR as time to restore).",
			Buckets: responseBuckets,
		}, []string{"severity"}),
		services:   metriclabel.NewSet(0),
		severities: metriclabel.NewSet(0),
	}
	m.open = newOpenIncidents(svc, m.severities)
	reg.MustRegister(m.opened, m.resolved, m.toAck, m.toRestore, m.open)
	return m
}

// IncidentChanged implements incidents.Observer.
func (m *incidentMetrics) IncidentChanged(before, after *incidents.Incident) {
	m.open.changed(before, after)
	sev := m.severities.Value(after.Severity)
	if before == nil {
		m.opened.WithLabelValues(sev, m.services.Value(after.Service)).Inc()
	}
	if after.AcknowledgedAt != nil && (before == nil || before.AcknowledgedAt == nil) {
		m.toAck.WithLabelValues(sev).Observe(after.AcknowledgedAt.Sub(after.DetectedAt).Seconds())
	}
	if at := restoredAt(after); at != nil && (before == nil || restoredAt(before) == nil) {
		m.toRestore.WithLabelValues(sev).Observe(at.Sub(after.DetectedAt).Seconds())
	}
	if after.ResolvedAt != nil && (before == nil || before.ResolvedAt == nil) {
		m.resolved.WithLabelValues(sev, m.services.Value(after.Service)).Inc()
	}
}

func restoredAt(inc *incidents.Incident) *time.Time {
	if inc.MitigatedAt != nil {
		return inc.MitigatedAt
	}
	return inc.ResolvedAt
}

// openLister is what the open-incidents gauge reads: the severities, and
// the count of open incidents by severity (one indexed count), to start
// from.
type openLister interface {
	CountOpen(ctx context.Context) (map[string]int, error)
	Severities() []incidents.Severity
}

// openResync is how often the gauge is read again from the store, in the
// background: other replicas change incidents this one does not hear of.
const openResync = 10 * time.Minute

// openIncidents is the gauge of open incidents by severity. A scrape costs
// the same whatever is stored: the gauge follows every change the service
// stores (IncidentChanged), and the store is asked only for its count of
// open incidents to start from — once, at the first scrape — and then
// every openResync in the background, never by a scrape waiting on it.
//
// The count is one indexed query and the gauge keeps only a number per
// severity, however many incidents are open. A change heard while the
// count is read is taken as newer than the count; one that raced it the
// other way (stored before the read, heard after it) is counted twice until
// the next read, openResync later.
type openIncidents struct {
	svc        func() openLister
	severities *metriclabel.Set
	now        func() time.Time

	mu      sync.Mutex
	counts  map[string]int // open incidents by severity label
	seeded  time.Time      // when the store was last read; zero: never
	syncing bool           // a read of the store is under way
	heard   map[string]int // changes heard while it is, by severity label
	seedMu  sync.Mutex     // one first read at a time
}

var openDesc = prometheus.NewDesc("incidentbot_incidents_open", "Open incidents by severity.", []string{"severity"}, nil)

func newOpenIncidents(svc func() openLister, severities *metriclabel.Set) *openIncidents {
	return &openIncidents{svc: svc, severities: severities, now: time.Now, counts: map[string]int{}}
}

// changed moves the gauge from before (nil: a new incident) to after.
func (o *openIncidents) changed(before, after *incidents.Incident) {
	o.mu.Lock()
	defer o.mu.Unlock()
	move := func(inc *incidents.Incident, d int) {
		if inc == nil || !inc.Open() {
			return
		}
		sev := o.severities.Value(inc.Severity)
		o.counts[sev] += d
		if o.syncing {
			o.heard[sev] += d
		}
	}
	move(before, -1)
	move(after, +1)
}

// sync reads the count of open incidents from the store and makes it the
// gauge's, plus the changes heard meanwhile.
func (o *openIncidents) sync(ctx context.Context, svc openLister) error {
	o.mu.Lock()
	if o.syncing {
		o.mu.Unlock()
		return nil
	}
	o.syncing, o.heard = true, map[string]int{}
	o.mu.Unlock()

	stored, err := svc.CountOpen(ctx)

	o.mu.Lock()
	defer o.mu.Unlock()
	o.syncing = false
	heard := o.heard
	o.heard = nil
	if err != nil {
		return err
	}
	o.counts = make(map[string]int, len(stored))
	for sev, n := range stored {
		o.counts[o.severities.Value(sev)] += n
	}
	for sev, d := range heard {
		o.counts[sev] += d
	}
	o.seeded = o.now()
	return nil
}

func (o *openIncidents) Describe(ch chan<- *prometheus.Desc) { ch <- openDesc }

func (o *openIncidents) Collect(ch chan<- prometheus.Metric) {
	svc := o.svc()
	if svc == nil {
		return
	}
	o.mu.Lock()
	seeded := o.seeded
	o.mu.Unlock()
	switch {
	case seeded.IsZero():
		// The first scrape waits for the one read the gauge starts from;
		// scrapes at the same time wait for that one read too.
		o.seedMu.Lock()
		o.mu.Lock()
		seeded = o.seeded
		o.mu.Unlock()
		var err error
		if seeded.IsZero() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err = o.sync(ctx, svc)
			cancel()
		}
		o.seedMu.Unlock()
		if err != nil {
			ch <- prometheus.NewInvalidMetric(openDesc, err)
			return
		}
	case o.now().Sub(seeded) >= openResync:
		o.mu.Lock()
		o.seeded = o.now() // one background read per interval, however many scrapes
		o.mu.Unlock()
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_ = o.sync(ctx, svc) // on failure the changes heard keep the gauge going
		}()
	}
	o.mu.Lock()
	counts := make(map[string]int, len(o.counts))
	for _, s := range svc.Severities() {
		counts[o.severities.Value(s.Name)] = 0
	}
	for sev, n := range o.counts {
		if n > 0 {
			counts[sev] += n
		}
	}
	o.mu.Unlock()
	for sev, n := range counts {
		ch <- prometheus.MustNewConstMetric(openDesc, prometheus.GaugeValue, float64(n), sev)
	}
}

// instrumentHTTP counts requests by route pattern (a bounded set) and status
// code, and times them.
func instrumentHTTP(reg prometheus.Registerer, next http.Handler) http.Handler {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "incidentbot_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "incidentbot_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"route"})
	reg.MustRegister(requests, latency)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		route := r.Pattern // set by the ServeMux on the request it routed
		if route == "" {
			route = "unmatched"
		}
		requests.WithLabelValues(route, strconv.Itoa(rec.code)).Inc()
		latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// slackTransport counts Slack Web API calls by method and outcome: ok,
// rate_limited (429), server_error (5xx), slack_error (ok:false) or
// network_error.
type slackTransport struct {
	next  http.RoundTripper
	calls *prometheus.CounterVec
}

func newSlackTransport(reg prometheus.Registerer, next http.RoundTripper) *slackTransport {
	t := &slackTransport{next: next, calls: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "incidentbot_slack_api_calls_total", Help: "Slack Web API calls by method and outcome.",
	}, []string{"method", "outcome"})}
	reg.MustRegister(t.calls)
	return t
}

// maxSlackAnswer bounds how much of an answer is read to find its "ok".
const maxSlackAnswer = 4 << 20

func (t *slackTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	method := slackMethod(r.URL.Path)
	resp, err := t.next.RoundTrip(r)
	switch {
	case err != nil:
		t.calls.WithLabelValues(method, "network_error").Inc()
		return resp, err
	case resp.StatusCode == http.StatusTooManyRequests:
		t.calls.WithLabelValues(method, "rate_limited").Inc()
		return resp, nil
	case resp.StatusCode >= 500:
		t.calls.WithLabelValues(method, "server_error").Inc()
		return resp, nil
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxSlackAnswer))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		t.calls.WithLabelValues(method, "network_error").Inc()
		return nil, rerr
	}
	var answer struct {
		OK bool `json:"ok"`
	}
	outcome := "ok"
	if json.Unmarshal(body, &answer) != nil || !answer.OK {
		outcome = "slack_error"
	}
	t.calls.WithLabelValues(method, outcome).Inc()
	return resp, nil
}

// slackMethod is the Web API method of a request path (/api/chat.postMessage);
// anything that does not look like one is "other", keeping the label bounded.
func slackMethod(path string) string {
	m := path[strings.LastIndexByte(path, '/')+1:]
	if m == "" || len(m) > 64 || strings.IndexFunc(m, func(r rune) bool {
		return !(r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) >= 0 {
		return "other"
	}
	return m
}
