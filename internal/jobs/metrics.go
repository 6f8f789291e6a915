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

func newMetrics(reg prometheus.Registerer, store Store) *metrics {
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
	register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "incidentbot_jobs_stored",
		Help: "Jobs in the store: pending, running or waiting for a retry.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := store.Count(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
	return m
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
