package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the runner's Prometheus collectors. They always exist, so the code records
// without nil checks; they are exported only when a Registerer is given.
type metrics struct {
	runs     *prometheus.CounterVec
	duration *prometheus.HistogramVec
	enqueued *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, store Store, now func() time.Time) *metrics {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_jobs_runs_total",
			Help: "Job runs by kind and outcome (ok, retry, permanent, dead, unknown_kind).",
		}, []string{"kind", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "incidentbot_jobs_run_duration_seconds",
			Help:    "How long job handlers ran.",
			Buckets: prometheus.DefBuckets,
		}, []string{"kind"}),
		enqueued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_jobs_enqueued_total",
			Help: "Jobs enqueued through the runner, by kind (including duplicates that collapsed).",
		}, []string{"kind"}),
	}
	if reg == nil {
		return m
	}
	m.runs = register(reg, m.runs)
	m.duration = register(reg, m.duration)
	m.enqueued = register(reg, m.enqueued)
	register(reg, &queueCollector{store: store, now: now})
	return m
}

// The queue as the store holds it, read once per scrape (finished jobs are
// deleted, so the list stays short).
var (
	storedDesc  = prometheus.NewDesc("incidentbot_jobs_stored", "Jobs in the store: pending, running or waiting for a retry.", nil, nil)
	runningDesc = prometheus.NewDesc("incidentbot_jobs_running", "Jobs a runner holds a lease on.", nil, nil)
	retryDesc   = prometheus.NewDesc("incidentbot_jobs_retrying", "Jobs waiting for a retry after a failed attempt.", nil, nil)
	oldestDesc  = prometheus.NewDesc("incidentbot_jobs_oldest_due_age_seconds", "How long the job that has been due the longest has waited; 0 when none is due.", nil, nil)
)

type queueCollector struct {
	store Store
	now   func() time.Time
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- storedDesc
	ch <- runningDesc
	ch <- retryDesc
	ch <- oldestDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	list, err := c.store.List(ctx)
	if err != nil {
		for _, d := range []*prometheus.Desc{storedDesc, runningDesc, retryDesc, oldestDesc} {
			ch <- prometheus.NewInvalidMetric(d, err)
		}
		return
	}
	now := c.now()
	var running, retrying int
	var oldest time.Duration
	for _, j := range list {
		switch {
		case j.Leased(now):
			running++
		case j.RunAt.After(now):
			if j.Attempts > 0 {
				retrying++
			}
		default:
			oldest = max(oldest, now.Sub(j.RunAt))
		}
	}
	ch <- prometheus.MustNewConstMetric(storedDesc, prometheus.GaugeValue, float64(len(list)))
	ch <- prometheus.MustNewConstMetric(runningDesc, prometheus.GaugeValue, float64(running))
	ch <- prometheus.MustNewConstMetric(retryDesc, prometheus.GaugeValue, float64(retrying))
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, oldest.Seconds())
}

// register registers c, or returns the collector already registered under the same
// description (several runners in one process, as in the scenario tests, share the metrics).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	return c
}
