package alertmanager

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/labels"
	"github.com/incidentbot/incidentbot/routing"
)

func mustMatchers(t testing.TB, ss ...string) labels.Matchers {
	t.Helper()
	ms, err := labels.ParseMatchers(ss)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// configRouter is the router of the config example in CONTRACT.md.
func configRouter(t testing.TB) routing.Table {
	return routing.Table{
		Routes: []routing.Route{
			{Matchers: mustMatchers(t, `severity="critical"`), Severity: "sev1", EscalationPolicy: "default"},
			{Matchers: mustMatchers(t, `severity="warning"`, `service=~"pay.*"`), Severity: "sev3", EscalationPolicy: "payments"},
			{Matchers: mustMatchers(t), Severity: "sev2", EscalationPolicy: "default"},
		},
		DefaultSeverity: "sev4",
	}
}

func TestRouterNotificationFromAlertmanager(t *testing.T) {
	msg, err := Decode(readTestdata(t, "partly_resolved.json"))
	if err != nil {
		t.Fatal(err)
	}
	almaty := time.FixedZone("Asia/Almaty", 5*3600)
	received := time.Date(2026, 11, 26, 0, 42, 20, 0, almaty)
	n := notification(configRouter(t), msg, received)

	if n.Severity != "sev1" || n.EscalationPolicy != "default" {
		t.Errorf("routed to %s/%s, want sev1/default", n.Severity, n.EscalationPolicy)
	}
	if n.Service != "payments" {
		t.Errorf("service %q, want the service label", n.Service)
	}
	if n.Title != "Payments API 5xx rate above 5%" {
		t.Errorf("title %q, want the common summary", n.Title)
	}
	if n.GroupKey != msg.GroupKey || n.Status != "firing" || n.Receiver != "bot" || n.ExternalURL != msg.ExternalURL {
		t.Errorf("group fields not copied: %+v", n)
	}
	if !n.ReceivedAt.Equal(received) || n.ReceivedAt.Location() != time.UTC {
		t.Errorf("receivedAt %v, want %v in UTC", n.ReceivedAt, received)
	}
	if len(n.Alerts) != 2 {
		t.Fatalf("got %d alerts, want 2", len(n.Alerts))
	}
	for i, a := range n.Alerts {
		if a.GroupKey != msg.GroupKey {
			t.Errorf("alerts[%d].GroupKey = %q", i, a.GroupKey)
		}
		if a.Fingerprint != msg.Alerts[i].Fingerprint || a.Status != msg.Alerts[i].Status || a.GeneratorURL != msg.Alerts[i].GeneratorURL {
			t.Errorf("alerts[%d] = %+v, not a copy of %+v", i, a, msg.Alerts[i])
		}
		if a.StartsAt.Location() != time.UTC {
			t.Errorf("alerts[%d].StartsAt not UTC", i)
		}
	}
	if !n.Alerts[1].EndsAt.IsZero() || n.Alerts[0].EndsAt.IsZero() || n.Alerts[0].EndsAt.Location() != time.UTC {
		t.Errorf("endsAt: resolved %v, firing %v", n.Alerts[0].EndsAt, n.Alerts[1].EndsAt)
	}
}

func TestRouterFirstMatchWins(t *testing.T) {
	r := configRouter(t)
	tests := []struct {
		name     string
		common   map[string]string
		severity string
		policy   string
	}{
		{"critical", map[string]string{"severity": "critical", "service": "payments"}, "sev1", "default"},
		{"warning payments", map[string]string{"severity": "warning", "service": "payments"}, "sev3", "payments"},
		{"warning elsewhere falls to the catch-all", map[string]string{"severity": "warning", "service": "search"}, "sev2", "default"},
		{"no labels", map[string]string{"alertname": "X"}, "sev2", "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := &Message{GroupKey: "g", Status: "firing", CommonLabels: tt.common,
				Alerts: []Alert{{Status: "firing", Labels: tt.common}}}
			n := notification(r, msg, time.Unix(0, 0))
			if n.Severity != tt.severity || n.EscalationPolicy != tt.policy {
				t.Errorf("got %s/%s, want %s/%s", n.Severity, n.EscalationPolicy, tt.severity, tt.policy)
			}
		})
	}
}

func TestRouterDefaults(t *testing.T) {
	r := routing.Table{
		Routes:          []routing.Route{{Matchers: mustMatchers(t, `team="db"`), Service: "postgres"}},
		DefaultSeverity: "sev3",
	}
	tests := []struct {
		name     string
		msg      *Message
		severity string
		service  string
		title    string
	}{
		{
			name: "no route matches: default severity, service label",
			msg: &Message{CommonLabels: map[string]string{"alertname": "HighLatency", "service": "checkout", "job": "checkout-api"},
				Alerts: []Alert{{Status: "firing"}}},
			severity: "sev3", service: "checkout", title: "HighLatency on checkout",
		},
		{
			name: "route without severity keeps the default; route service wins",
			msg: &Message{CommonLabels: map[string]string{"alertname": "ReplicationLag", "team": "db", "service": "x"},
				Alerts: []Alert{{Status: "firing"}}},
			severity: "sev3", service: "postgres", title: "ReplicationLag on postgres",
		},
		{
			name:     "job when there is no service label",
			msg:      &Message{CommonLabels: map[string]string{"alertname": "Down", "job": "node"}, Alerts: []Alert{{Status: "firing"}}},
			severity: "sev3", service: "node", title: "Down on node",
		},
		{
			name: "empty commonLabels: the first firing alert's labels route",
			msg: &Message{Alerts: []Alert{
				{Status: "resolved", Labels: map[string]string{"alertname": "Old", "team": "web"}},
				{Status: "firing", Labels: map[string]string{"alertname": "Lag", "team": "db"}},
			}},
			severity: "sev3", service: "postgres", title: "Lag on postgres",
		},
		{
			name: "first alert's summary before alertname",
			msg: &Message{CommonLabels: map[string]string{"alertname": "A"}, Alerts: []Alert{
				{Status: "firing", Annotations: map[string]string{"summary": "  Disk\n  almost full\t on\x00 node-1\r\n"}},
			}},
			severity: "sev3", title: "Disk almost full on node-1",
		},
		{
			name:     "nothing to name it by",
			msg:      &Message{Alerts: []Alert{{Status: "firing"}}},
			severity: "sev3", title: "Alert group",
		},
		{
			name: "long summary is cut",
			msg: &Message{CommonAnnotations: map[string]string{"summary": strings.Repeat("x", 500)},
				Alerts: []Alert{{Status: "firing"}}},
			severity: "sev3", title: strings.Repeat("x", incidents.MaxTitle-1) + "…",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := notification(r, tt.msg, time.Unix(0, 0))
			if n.Severity != tt.severity || n.Service != tt.service || n.Title != tt.title {
				t.Errorf("got severity %q service %q title %q, want %q %q %q", n.Severity, n.Service, n.Title, tt.severity, tt.service, tt.title)
			}
		})
	}
}

func TestRouterTruncatedGroup(t *testing.T) {
	msg, err := Decode(readTestdata(t, "truncated.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := notification(configRouter(t), msg, time.Now())
	// DiskFull has no common summary (it names the node), so the first alert's is used.
	if n.Title != "Disk almost full on node-1" || n.Severity != "sev2" || n.Service != "node" {
		t.Errorf("got title %q severity %q service %q", n.Title, n.Severity, n.Service)
	}
	if len(n.Alerts) != 2 {
		t.Errorf("got %d alerts, want the 2 sent", len(n.Alerts))
	}
}
