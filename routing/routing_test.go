package routing

import (
	"testing"

	"github.com/incidentbot/incidentbot/labels"
)

func TestMatch(t *testing.T) {
	ms := func(ss ...string) labels.Matchers {
		t.Helper()
		m, err := labels.ParseMatchers(ss)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	table := Table{
		Routes: []Route{
			{Matchers: ms(`severity="critical"`), Severity: "sev1", EscalationPolicy: "default"},
			{Matchers: ms(`service=~"pay.*"`), Service: "payments"},
			{Matchers: ms(`team="db"`), Severity: "sev3"},
		},
		DefaultSeverity: "sev2",
	}
	tests := []struct {
		name   string
		labels map[string]string
		want   Route
	}{
		{"first match wins", map[string]string{"severity": "critical", "service": "payments"}, Route{Severity: "sev1", EscalationPolicy: "default"}},
		{"route without a severity takes the default", map[string]string{"service": "payments"}, Route{Severity: "sev2", Service: "payments"}},
		{"later route", map[string]string{"team": "db"}, Route{Severity: "sev3"}},
		{"no match", map[string]string{"team": "web"}, Route{Severity: "sev2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := table.Match(tt.labels)
			if got.Severity != tt.want.Severity || got.Service != tt.want.Service || got.EscalationPolicy != tt.want.EscalationPolicy {
				t.Errorf("Match(%v) = %+v, want %+v", tt.labels, got, tt.want)
			}
		})
	}
}
