package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/incidentbot/incidentbot/incidents"
)

// Metric names follow Prometheus' conventions: the incidentbot_ prefix, base
// units, _total only on counters, and no label that grows with users or
// alerts (severity, service, endpoint and Slack method are bounded sets).

// responseBuckets span a minute to two days: how long people take.
var responseBuckets = []float64{60, 300, 600, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 48 * 3600}

// incidentMetrics turns stored incident changes into series; it is the
// service's Observer.
type incidentMetrics struct {
	opened, resolved *prometheus.CounterVec
	toAck, toRestore *prometheus.HistogramVec
}

func newIncidentMetrics(reg prometheus.Registerer, svc func() *incidents.Service) *incidentMetrics {
	m := &incidentMetrics{
		opened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_incidents_opened_total", Help: "Incidents opened, by severity at opening and service.",
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
	}
	reg.MustRegister(m.opened, m.resolved, m.toAck, m.toRestore, &openIncidents{svc: svc})
	return m
}

// IncidentChanged implements incidents.Observer.
func (m *incidentMetrics) IncidentChanged(before, after *incidents.Incident) {
	if before == nil {
		m.opened.WithLabelValues(after.Severity, after.Service).Inc()
	}
	if after.AcknowledgedAt != nil && (before == nil || before.AcknowledgedAt == nil) {
		m.toAck.WithLabelValues(after.Severity).Observe(after.AcknowledgedAt.Sub(after.DetectedAt).Seconds())
	}
	if at := restoredAt(after); at != nil && (before == nil || restoredAt(before) == nil) {
		m.toRestore.WithLabelValues(after.Severity).Observe(at.Sub(after.DetectedAt).Seconds())
	}
	if after.ResolvedAt != nil && (before == nil || before.ResolvedAt == nil) {
		m.resolved.WithLabelValues(after.Severity, after.Service).Inc()
	}
}

func restoredAt(inc *incidents.Incident) *time.Time {
	if inc.MitigatedAt != nil {
		return inc.MitigatedAt
	}
	return inc.ResolvedAt
}

// openIncidents reports the open incidents by severity at each scrape, from
// the store, so the gauge is right after a restart too.
type openIncidents struct{ svc func() *incidents.Service }

var openDesc = prometheus.NewDesc("incidentbot_incidents_open", "Open incidents by severity.", []string{"severity"}, nil)

func (o *openIncidents) Describe(ch chan<- *prometheus.Desc) { ch <- openDesc }

func (o *openIncidents) Collect(ch chan<- prometheus.Metric) {
	svc := o.svc()
	if svc == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	open, err := svc.List(ctx, incidents.ListOptions{OpenOnly: true})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(openDesc, err)
		return
	}
	counts := map[string]int{}
	for _, s := range svc.Severities() {
		counts[s.Name] = 0
	}
	for _, inc := range open {
		counts[inc.Severity]++
	}
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
