package alertmanager

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecode(t *testing.T) {
	// Files recorded from Alertmanager v0.28.1 delivering to a webhook receiver.
	tests := []struct {
		file      string
		status    string
		alerts    []string // alert statuses in order
		truncated uint64
	}{
		{"firing.json", "firing", []string{"firing", "firing"}, 0},
		{"repeated.json", "firing", []string{"firing", "firing"}, 0},
		{"partly_resolved.json", "firing", []string{"resolved", "firing"}, 0},
		{"resolved.json", "resolved", []string{"resolved", "resolved"}, 0},
		{"truncated.json", "firing", []string{"firing", "firing"}, 3},
		{"no_fingerprint_no_version.json", "firing", []string{"firing", "firing"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m, err := Decode(readTestdata(t, tt.file))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if m.Status != tt.status || m.TruncatedAlerts != tt.truncated {
				t.Errorf("status %q truncated %d, want %q %d", m.Status, m.TruncatedAlerts, tt.status, tt.truncated)
			}
			if len(m.Alerts) != len(tt.alerts) {
				t.Fatalf("got %d alerts, want %d", len(m.Alerts), len(tt.alerts))
			}
			for i, a := range m.Alerts {
				if a.Status != tt.alerts[i] {
					t.Errorf("alerts[%d].status = %q, want %q", i, a.Status, tt.alerts[i])
				}
				// Alertmanager's own fingerprints equal ours; missing ones are filled in.
				if want := Fingerprint(a.Labels); a.Fingerprint != want {
					t.Errorf("alerts[%d].fingerprint = %q, Fingerprint(labels) = %q", i, a.Fingerprint, want)
				}
				if a.StartsAt.IsZero() {
					t.Errorf("alerts[%d].startsAt is zero", i)
				}
				if (a.Status == "resolved") == a.EndsAt.IsZero() {
					t.Errorf("alerts[%d] %s has endsAt %v", i, a.Status, a.EndsAt)
				}
			}
			if m.GroupKey == "" || m.Receiver == "" || m.ExternalURL == "" || len(m.GroupLabels) == 0 {
				t.Errorf("group fields missing: %+v", m)
			}
		})
	}
}

func TestDecodeFirstAlertFields(t *testing.T) {
	m, err := Decode(readTestdata(t, "partly_resolved.json"))
	if err != nil {
		t.Fatal(err)
	}
	a := m.Alerts[0]
	if got, want := a.Fingerprint, "cf20411496f45416"; got != want {
		t.Errorf("fingerprint %q, want %q", got, want)
	}
	if got, want := a.Labels["instance"], "pay-api-1:8080"; got != want {
		t.Errorf("instance %q, want %q", got, want)
	}
	if got, want := a.Annotations["description"], "Instance pay-api-1:8080 returns 5xx for 7.2% of requests.\nCheck the \"payments-db\" pool."; got != want {
		t.Errorf("description %q, want %q", got, want)
	}
	if want := time.Date(2026, 11, 25, 19, 39, 11, 123e6, time.UTC); !a.StartsAt.Equal(want) {
		t.Errorf("startsAt %v, want %v", a.StartsAt, want)
	}
	if got, want := m.GroupKey, `{}/{severity="critical"}:{alertname="PaymentsHighErrorRate", service="payments"}`; got != want {
		t.Errorf("groupKey %q, want %q", got, want)
	}
	if !strings.Contains(a.GeneratorURL, "&g0.tab=1") {
		t.Errorf("generatorURL %q lost its \\u0026", a.GeneratorURL)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"empty body", nil, "the body is empty"},
		{"whitespace", []byte(" \n"), "the body is empty"},
		{"array", []byte(`[{"groupKey":"x"}]`), "must be a JSON object"},
		{"null", []byte(`null`), "must be a JSON object"},
		{"truncated JSON", readTestdata(t, "bad_truncated_json.json"), "invalid JSON at line 1"},
		{"trailing garbage", []byte(`{"groupKey":"g"} x`), "invalid JSON at line 1, column 18"},
		{"no groupKey", readTestdata(t, "bad_no_groupkey.json"), "groupKey is missing or empty"},
		{"empty groupKey", readTestdata(t, "bad_empty_groupkey.json"), "groupKey is missing or empty"},
		{"version 1", readTestdata(t, "bad_version.json"), `version "1" is not supported (want "4")`},
		{"group status", readTestdata(t, "bad_status.json"), `status "FIRING" must be "firing" or "resolved"`},
		{"alert status", readTestdata(t, "bad_alert_status.json"), `alerts[1].status "pending" must be`},
		{"no alerts", readTestdata(t, "bad_no_alerts.json"), "alerts is empty"},
		{"fingerprint", readTestdata(t, "bad_fingerprint.json"), `alerts[0].fingerprint "$where.x" is not a hexadecimal fingerprint`},
		{"time", readTestdata(t, "bad_time.json"), "not in RFC 3339 form"},
		{"type", readTestdata(t, "bad_type.json"), "field commonLabels must be an object of strings, not JSON array"},
		{"label value number", []byte(`{"groupKey":"g","status":"firing","alerts":[{"status":"firing","labels":{"a":1}}]}`), "field alerts.labels must be a string, not JSON number"},
		{"negative truncated", []byte(`{"groupKey":"g","truncatedAlerts":-1}`), "field truncatedAlerts must be a non-negative integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(tt.body)
			if err == nil {
				t.Fatalf("Decode = %+v, want an error containing %q", m, tt.want)
			}
			if !errors.Is(err, ErrBadPayload) {
				t.Errorf("error %v does not wrap ErrBadPayload", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	// Values Alertmanager computed (model.LabelSet.Fingerprint).
	tests := []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{
			"alertname": "DiskFull", "instance": "node-1:9100", "job": "node",
			"mountpoint": "/var/lib/data", "severity": "warning",
		}, "1e74857b78472b5b"},
		{map[string]string{
			"alertname": "PaymentsHighErrorRate", "instance": "pay-api-2:8080", "job": "payments-api",
			"namespace": "prod", "service": "payments", "severity": "critical",
		}, "9937869f92c4305d"},
		{nil, "cbf29ce484222325"}, // FNV-1a offset basis: the empty label set
	}
	for _, tt := range tests {
		if got := Fingerprint(tt.labels); got != tt.want {
			t.Errorf("Fingerprint(%v) = %s, want %s", tt.labels, got, tt.want)
		}
	}
}
