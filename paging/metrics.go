package paging

import "github.com/prometheus/client_golang/prometheus"

// metrics count pages and notifications; no label carries a person.
type metrics struct {
	pagesSent, pagesClosed, notifications *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		pagesSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_pages_sent_total", Help: "Pages sent, by kind: first (the policy's first level), escalation (a later level or round), manual, repage (acknowledged, no status update).",
		}, []string{"kind"}),
		pagesClosed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_pages_closed_total", Help: "Pages closed, by how: acknowledged, declined, or closed (resolved, or nobody acknowledged).",
		}, []string{"state"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_notifications_total", Help: "Notifications of pages, by method and outcome (sent, failed).",
		}, []string{"method", "outcome"}),
	}
	if reg != nil {
		reg.MustRegister(m.pagesSent, m.pagesClosed, m.notifications)
	}
	return m
}
