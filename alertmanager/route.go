package alertmanager

import (
	"strings"
	"time"
	"unicode"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/routing"
)

// notification converts a decoded message into the routed notification the
// incidents service ingests. Routes are tried in order against the group's
// commonLabels, or against the first firing alert's labels when
// commonLabels is empty; the first match wins (routing.Table.Match). All
// times are UTC.
func notification(routes routing.Table, msg *Message, receivedAt time.Time) incidents.Notification {
	first := representative(msg.Alerts)
	labels := msg.CommonLabels
	if len(labels) == 0 && first != nil {
		labels = first.Labels
	}

	n := incidents.Notification{
		GroupKey:          msg.GroupKey,
		Status:            msg.Status,
		Receiver:          msg.Receiver,
		Alerts:            make([]incidents.Alert, 0, len(msg.Alerts)),
		GroupLabels:       msg.GroupLabels,
		CommonLabels:      msg.CommonLabels,
		CommonAnnotations: msg.CommonAnnotations,
		ExternalURL:       msg.ExternalURL,
		ReceivedAt:        receivedAt.UTC(),
	}
	for _, a := range msg.Alerts {
		n.Alerts = append(n.Alerts, incidents.Alert{
			Fingerprint:  a.Fingerprint,
			Status:       a.Status,
			Labels:       a.Labels,
			Annotations:  a.Annotations,
			StartsAt:     utc(a.StartsAt),
			EndsAt:       utc(a.EndsAt),
			GeneratorURL: a.GeneratorURL,
			GroupKey:     msg.GroupKey,
		})
	}

	route := routes.Match(labels)
	n.Severity, n.Service, n.EscalationPolicy = route.Severity, route.Service, route.EscalationPolicy
	if n.Service == "" {
		n.Service = labels["service"]
	}
	if n.Service == "" {
		n.Service = labels["job"]
	}
	n.Title = title(msg, first, labels, n.Service)
	return n
}

// representative is the alert whose labels and annotations speak for the
// group: the first firing one, else the first one.
func representative(alerts []Alert) *Alert {
	for i := range alerts {
		if alerts[i].Status == incidents.AlertFiring {
			return &alerts[i]
		}
	}
	if len(alerts) > 0 {
		return &alerts[0]
	}
	return nil
}

func title(msg *Message, first *Alert, labels map[string]string, service string) string {
	if t := oneLine(msg.CommonAnnotations["summary"]); t != "" {
		return t
	}
	if first != nil {
		if t := oneLine(first.Annotations["summary"]); t != "" {
			return t
		}
	}
	name := labels["alertname"]
	if name == "" && first != nil {
		name = first.Labels["alertname"]
	}
	if t := oneLine(name); t != "" {
		if service != "" {
			t = oneLine(t + " on " + service)
		}
		return t
	}
	return "Alert group"
}

// oneLine collapses whitespace and control characters (summaries are often
// multi-line templates) and cuts the text to incidents.MaxTitle characters.
func oneLine(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
	if r := []rune(s); len(r) > incidents.MaxTitle {
		s = strings.TrimSpace(string(r[:incidents.MaxTitle-1])) + "…"
	}
	return s
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
