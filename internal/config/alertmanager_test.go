package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/labels"
)

func TestAlertmanagerMaintenanceHeartbeatsParse(t *testing.T) {
	c := mustParse(t, `
timezone: Asia/Almaty
escalation_policies:
  - name: default
    levels: [{targets: ["user:U0001"]}]
alertmanager:
  urls: [http://am-0:9093/, https://am-1.example.com]
  auth: basic
  username: bot
  timeout: 3s
maintenance:
  - name: db-patching
    service: checkout-db
    days: [Sun, sat]
    from: "22:00"
    to: "02:00"
    reason: patching
  - name: search
    matchers: ['team="search", env=~"prod|stage"']
    days: [mon]
    from: "01:00"
    to: "24:00"
    timezone: UTC
heartbeats:
  - name: watchdog
    every: 5m
    escalation_policy: default
  - name: backup
    every: 25h
    escalation_policy: default
    severity: sev3
    matchers: ['job="backup"']
`)
	am := c.Alertmanager
	if !am.Enabled() || strings.Join(am.URLs, " ") != "http://am-0:9093 https://am-1.example.com" || am.Auth != "basic" || am.Username != "bot" || am.Timeout != 3*time.Second {
		t.Errorf("alertmanager = %+v", am)
	}
	if len(c.Maintenance) != 2 {
		t.Fatalf("maintenance = %+v", c.Maintenance)
	}
	db := c.Maintenance[0]
	if db.Zone.String() != "Asia/Almaty" || db.From != 22*60 || db.To != 2*60 || len(db.Days) != 2 || db.Service != "checkout-db" || db.Reason != "patching" {
		t.Errorf("maintenance[0] = %+v", db)
	}
	if s := c.Maintenance[1]; strings.Join(s.Matchers, ", ") != `team="search", env=~"prod|stage"` || s.To != 0 || s.Zone != time.UTC {
		t.Errorf("maintenance[1] = %+v", s)
	}
	w, ok := c.Heartbeat("watchdog")
	if !ok || w.Every != 5*time.Minute || w.EscalationPolicy != "default" || w.Matchers.String() != `{alertname="Watchdog"}` || w.Alert() != "Watchdog" {
		t.Errorf("watchdog = %+v (matchers %s): a heartbeat named watchdog takes the Watchdog alert", w, w.Matchers)
	}
	if b, _ := c.Heartbeat("backup"); b.Severity != "sev3" || b.Matchers.String() != `{job="backup"}` {
		t.Errorf("backup = %+v", b)
	}
}

func TestAlertmanagerMaintenanceHeartbeatsErrors(t *testing.T) {
	_, err := Parse("t.yaml", []byte(`alertmanager:
  urls: [ftp://x, "http://user:pw@am:9093"]
  auth: token
maintenance:
  - name: a
    service: s
    matchers: ['x="y"']
    days: [funday]
    from: "25:00"
    to: "02:00"
  - name: b
    matchers: ['x=~".*"']
    days: [mon]
    from: "01:00"
    to: "02:00"
heartbeats:
  - name: hb
    every: 30s
    escalation_policy: nope
  - name: hb
    every: 5m
    escalation_policy: nope
    matchers: ['a=~".*"']
`))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v", err)
	}
	got := errs.Error()
	for _, want := range []string{
		`t.yaml:2: alertmanager.urls[0]: "ftp://x" is not an http(s) URL`,
		`t.yaml:2: alertmanager.urls[1]: holds credentials; put the password or token in ALERTMANAGER_API_TOKEN`,
		`t.yaml:3: alertmanager.auth: unknown auth "token"`,
		`t.yaml:5: maintenance[0]: takes service or matchers, not both`,
		`t.yaml:8: maintenance[0].days[0]: unknown day "funday"`,
		`t.yaml:9: maintenance[0].from: invalid time of day "25:00"`,
		`t.yaml:11: maintenance[1]: its matchers match every alert`,
		`t.yaml:18: heartbeats[0].every: must be at least 2m0s`,
		`t.yaml:19: heartbeats[0].escalation_policy: unknown escalation policy "nope"`,
		`t.yaml:20: heartbeats[1].name: duplicate heartbeat "hb" (first defined on line 17)`,
		`t.yaml:23: heartbeats[1].matchers: match every alert`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "pw@") {
		t.Errorf("an error repeats the credentials of a URL:\n%s", got)
	}
}

func matchers(t *testing.T, ss ...string) labels.Matchers {
	t.Helper()
	ms, err := labels.ParseMatchers(ss)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestHiddenSchedules(t *testing.T) {
	c := mustParse(t, `
schedules:
  - {name: db, rotations: [{name: r, type: weekly, start: "2026-01-05T09:00:00Z", members: [U0001]}]}
  - {name: web, rotations: [{name: r, type: weekly, start: "2026-01-05T09:00:00Z", members: [U0002]}]}
escalation_policies:
  - {name: db, levels: [{targets: ["schedule:db"]}]}
  - {name: web, levels: [{targets: ["schedule:web"]}, {delay: 5m, targets: ["user:U0003"]}]}
routes:
  - {matchers: ['team="db"', 'env="prod"'], severity: sev1, escalation_policy: db}
  - {matchers: ['team="db"', 'env="stage"'], severity: sev3, escalation_policy: db}
  - {matchers: ['service="shop"'], severity: sev2, escalation_policy: web, service: shop}
  - {matchers: [], severity: sev4}
`)
	for _, tc := range []struct {
		name    string
		sel     labels.Matchers
		service string
		want    string
	}{
		{"every db route", matchers(t, `team="db"`), "", "db"},
		{"a regexp that takes both envs", matchers(t, `team=~"d.*"`, `env=~"prod|stage"`), "", "db"},
		{"only prod: stage still pages", matchers(t, `team="db"`, `env="prod"`), "", ""},
		{"a label no route names", matchers(t, `instance="x"`), "", ""},
		{"service window of the route's service", matchers(t, `service="shop"`), "shop", "web"},
		{"a negative matcher the routes satisfy", matchers(t, `team!="web"`), "", "db"},
		{"a negative matcher they do not", matchers(t, `env!="stage"`), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Join(c.HiddenSchedules(tc.sel, tc.service), ","); got != tc.want {
				t.Errorf("HiddenSchedules(%s) = %q, want %q", tc.sel, got, tc.want)
			}
		})
	}
}

func TestCheckConfigWarnsOfAWindowThatHidesASchedule(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	data := `schedules:
  - {name: db, rotations: [{name: r, type: weekly, start: "2026-01-05T09:00:00Z", members: [U0001]}]}
escalation_policies:
  - {name: db, levels: [{targets: ["schedule:db"]}]}
routes:
  - {matchers: ['team="db"'], severity: sev1, escalation_policy: db}
  - {matchers: [], severity: sev4}
maintenance:
  - name: all-db
    matchers: ['team="db"']
    days: [sun]
    from: "00:00"
    to: "06:00"
`
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if code := CheckConfig(path, &out, func() time.Time { return time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) }); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	want := path + `:9: maintenance[0] (all-db) matches every route that pages schedule db: during it, none of db's alerts page anyone`
	if !strings.Contains(out.String(), "warning: "+want) {
		t.Errorf("check-config output lacks the warning\n%s\ngot:\n%s", want, out.String())
	}
}

// TestContractAlertmanagerAndHeartbeats parses the alertmanager: and
// heartbeats: blocks exactly as CONTRACT.md sketches them.
func TestContractAlertmanagerAndHeartbeats(t *testing.T) {
	c := mustParse(t, `
escalation_policies:
  - name: default
    levels: [{targets: ["user:U0001"]}]

alertmanager:                    # for silences from Slack and maintenance windows (API v2)
  urls: [http://alertmanager-0:9093, http://alertmanager-1:9093]

heartbeats:                      # a heartbeat that stops opens an incident and pages
  - name: watchdog               # Alertmanager's always-firing Watchdog alert counts as its beat
    every: 5m
    escalation_policy: default
`)
	if len(c.Alertmanager.URLs) != 2 || c.Alertmanager.Auth != AlertmanagerAuthNone || c.Alertmanager.Timeout != DefaultAlertmanagerTimeout {
		t.Errorf("alertmanager = %+v", c.Alertmanager)
	}
	if h, ok := c.Heartbeat("watchdog"); !ok || h.Every != 5*time.Minute || h.Alert() != "Watchdog" {
		t.Errorf("watchdog = %+v", h)
	}
}
