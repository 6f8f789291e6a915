package config

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/clocktest"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustParse(t *testing.T, data string) *Config {
	t.Helper()
	c, err := Parse("test.yaml", []byte(data))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func TestDefaults(t *testing.T) {
	for _, tt := range []struct{ name, data string }{
		{"empty", ""},
		{"comments only", "# nothing here\n"},
		{"null document", "---\n"},
		{"tilde", "~\n"},
		{"trailing document marker", "---\n---\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.data)
			if !reflect.DeepEqual(c, Default()) {
				t.Errorf("got %+v\nwant %+v", c, Default())
			}
		})
	}

	c := Default()
	if c.Timezone != time.UTC || c.Locale != "en" || c.Slack.ChannelPrefix != "inc" {
		t.Errorf("timezone %v, locale %q, prefix %q", c.Timezone, c.Locale, c.Slack.ChannelPrefix)
	}
	wantSev := []Severity{
		{Name: "sev1", Description: "Critical, customer-facing outage", UpdateEvery: 30 * time.Minute},
		{Name: "sev2", Description: "Major degradation", UpdateEvery: time.Hour},
		{Name: "sev3", Description: "Minor issue"},
		{Name: "sev4", Description: "Cosmetic or internal"},
	}
	if !reflect.DeepEqual(c.Severities, wantSev) {
		t.Errorf("severities = %+v, want %+v", c.Severities, wantSev)
	}
	if len(c.Routes) != 1 || len(c.Routes[0].Matchers) != 0 || c.Routes[0].Severity != "sev2" || c.Routes[0].EscalationPolicy != "" {
		t.Errorf("routes = %+v, want one catch-all to sev2", c.Routes)
	}
	if c.DefaultSeverity != "sev2" {
		t.Errorf("DefaultSeverity = %q, want sev2", c.DefaultSeverity)
	}
	if c.Storm != (Storm{10, 5 * time.Minute}) || c.AutoResolve != (AutoResolve{true, 15 * time.Minute}) {
		t.Errorf("storm %+v, auto_resolve %+v", c.Storm, c.AutoResolve)
	}
	if len(c.Warnings) != 0 || len(c.Schedules) != 0 || len(c.EscalationPolicies) != 0 {
		t.Errorf("unexpected warnings, schedules or policies: %+v", c)
	}
}

// TestPartialDefaults: keys present in part keep the defaults of the rest.
func TestPartialDefaults(t *testing.T) {
	c := mustParse(t, `
timezone: Asia/Almaty
storm: {window: 1m}
auto_resolve: {enabled: false}
slack: {announce_channel: "#incidents"}
`)
	if c.Timezone.String() != "Asia/Almaty" {
		t.Errorf("timezone = %v", c.Timezone)
	}
	if c.Storm != (Storm{10, time.Minute}) {
		t.Errorf("storm = %+v", c.Storm)
	}
	if c.AutoResolve != (AutoResolve{false, 15 * time.Minute}) {
		t.Errorf("auto_resolve = %+v", c.AutoResolve)
	}
	if !reflect.DeepEqual(c.Slack, Slack{AnnounceChannel: "#incidents", ChannelPrefix: "inc"}) {
		t.Errorf("slack = %+v", c.Slack)
	}
	if len(c.Severities) != 4 || len(c.Routes) != 1 || c.Routes[0].Severity != "sev2" {
		t.Errorf("severities %v routes %v: want the built-in ones", c.Severities, c.Routes)
	}
}

func TestDefaultSeverity(t *testing.T) {
	tests := []struct {
		names []string
		want  string
	}{
		{[]string{"p1"}, "p1"},
		{[]string{"p1", "p2"}, "p1"},
		{[]string{"p1", "p2", "p3"}, "p2"},
		{[]string{"sev1", "sev2", "sev3", "sev4"}, "sev2"},
		{[]string{"p1", "p2", "p3", "p4", "p5"}, "p3"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.names, ","), func(t *testing.T) {
			var b strings.Builder
			b.WriteString("severities:\n")
			for _, n := range tt.names {
				b.WriteString("  - name: " + n + "\n")
			}
			c := mustParse(t, b.String())
			if c.DefaultSeverity != tt.want {
				t.Errorf("DefaultSeverity = %q, want %q", c.DefaultSeverity, tt.want)
			}
			// With no routes key, the one default route goes there too.
			if len(c.Routes) != 1 || c.Routes[0].Severity != tt.want || !c.Routes[0].Matchers.Matches(map[string]string{"a": "b"}) {
				t.Errorf("routes = %+v", c.Routes)
			}
			if r := c.Routing(); r.DefaultSeverity != tt.want {
				t.Errorf("Routing().DefaultSeverity = %q", r.DefaultSeverity)
			}
		})
	}
}

func TestNoCatchAllWarns(t *testing.T) {
	c := mustParse(t, `
routes:
  - matchers: ['severity="critical"']
    severity: sev1
`)
	want := `test.yaml:2: routes: no catch-all route (one with matchers: []) at the end; alert groups that match no route open incidents of the default severity and page nobody`
	if len(c.Warnings) != 1 || c.Warnings[0].Error() != want {
		t.Errorf("warnings = %v, want %s", c.Warnings, want)
	}
	// A route without a matchers key is a catch-all too.
	c = mustParse(t, "routes:\n  - severity: sev3\n")
	if len(c.Warnings) != 0 || c.Routes[0].Severity != "sev3" || len(c.Routes[0].Matchers) != 0 {
		t.Errorf("warnings %v routes %+v", c.Warnings, c.Routes)
	}
}

// TestContractExample parses the example block of CONTRACT.md, copied to
// testdata/contract.yaml, and checks every typed value.
func TestContractExample(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "contract.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	almaty, err := time.LoadLocation("Asia/Almaty")
	if err != nil {
		t.Fatal(err)
	}
	if c.Timezone.String() != "Asia/Almaty" || c.Locale != "en" || !reflect.DeepEqual(c.Admins, []string{"U0001"}) {
		t.Errorf("timezone %v locale %q admins %v", c.Timezone, c.Locale, c.Admins)
	}
	if want := (Slack{"#incidents", "inc", []string{"U0001"}}); !reflect.DeepEqual(c.Slack, want) {
		t.Errorf("slack = %+v, want %+v", c.Slack, want)
	}
	if !reflect.DeepEqual(c.Severities, defaultSeverities()) {
		t.Errorf("severities = %+v", c.Severities)
	}

	// Routes: matchers are parsed, first match wins.
	if len(c.Routes) != 3 {
		t.Fatalf("routes = %+v", c.Routes)
	}
	if got := c.Routes[1].Matchers.String(); got != `{severity="warning", service=~"pay.*"}` {
		t.Errorf("routes[1].matchers = %s", got)
	}
	router := c.Routing()
	for _, tt := range []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{"severity": "critical"}, "sev1"},
		{map[string]string{"severity": "warning", "service": "payments"}, "sev3"},
		{map[string]string{"severity": "warning", "service": "search"}, "sev2"},
		{map[string]string{}, "sev2"},
	} {
		var got string
		for _, r := range router.Routes {
			if r.Matchers.Matches(tt.labels) {
				got = r.Severity
				break
			}
		}
		if got != tt.want {
			t.Errorf("labels %v routed to %q, want %q", tt.labels, got, tt.want)
		}
	}
	if c.Routes[0].EscalationPolicy != "default" {
		t.Errorf("routes[0].escalation_policy = %q", c.Routes[0].EscalationPolicy)
	}

	if c.Storm != (Storm{10, 5 * time.Minute}) || c.AutoResolve != (AutoResolve{true, 15 * time.Minute}) {
		t.Errorf("storm %+v auto_resolve %+v", c.Storm, c.AutoResolve)
	}

	s, ok := c.Schedule("primary")
	if !ok {
		t.Fatalf("no schedule primary")
	}
	if s.Timezone.String() != "Asia/Almaty" || s.Channel != "#oncall" || s.Usergroup != "oncall-primary" || len(s.Rotations) != 2 {
		t.Errorf("schedule = %+v", s)
	}
	weekly, cover := s.Rotations[0], s.Rotations[1]
	wantStart := time.Date(2026, 1, 5, 9, 0, 0, 0, almaty)
	if weekly.Name != "weekly" || weekly.Type != RotationWeekly || !weekly.Start.Equal(wantStart) ||
		weekly.Start.Location().String() != "Asia/Almaty" || weekly.HandoffTime != 9*60 ||
		weekly.ShiftLength != 168*time.Hour || !reflect.DeepEqual(weekly.Members, []string{"U0001", "U0002"}) || weekly.Active != nil {
		t.Errorf("weekly = %+v", weekly)
	}
	if cover.Type != RotationCustom || cover.ShiftLength != 48*time.Hour ||
		!reflect.DeepEqual(cover.Members, []string{"U0003", "alice@example.com"}) {
		t.Errorf("weekend-cover = %+v", cover)
	}
	if want := (&Active{Days: []time.Weekday{time.Saturday, time.Sunday}, From: 0, To: 24 * 60}); !reflect.DeepEqual(cover.Active, want) {
		t.Errorf("weekend-cover.active = %+v, want %+v", cover.Active, want)
	}

	p, ok := c.EscalationPolicy("default")
	if !ok {
		t.Fatalf("no policy default")
	}
	want := EscalationPolicy{Name: "default", Repeat: 1, AckTimeout: time.Hour, Levels: []EscalationLevel{
		{Delay: 0, Targets: []Target{{Kind: TargetSchedule, Name: "primary"}}},
		{Delay: 10 * time.Minute, Targets: []Target{{Kind: TargetUser, Name: "U0002"}, {Kind: TargetChannel, Name: "#sre"}}},
	}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("policy = %+v, want %+v", p, want)
	}
	if got := p.Levels[1].Targets[1].String(); got != "channel:#sre" {
		t.Errorf("Target.String() = %q", got)
	}
	if c.Postmortem != (Postmortem{"testdata/postmortem.md.tmpl", "./postmortems"}) { // the template relative to the config file
		t.Errorf("postmortem = %+v", c.Postmortem)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %v", c.Warnings)
	}
	if _, ok := c.Severity("sev3"); !ok {
		t.Errorf("Severity(sev3) not found")
	}
	if _, ok := c.Severity("sev9"); ok {
		t.Errorf("Severity(sev9) found")
	}
}

// TestExampleFile keeps the documented example at the repo root valid and
// free of warnings.
func TestExampleFile(t *testing.T) {
	path := filepath.Join("..", "..", "incidentbot.example.yaml")
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s):\n%v", path, err)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %v", c.Warnings)
	}
	if c.Timezone.String() != "Asia/Almaty" || len(c.Schedules) == 0 || len(c.EscalationPolicies) == 0 {
		t.Errorf("example lost its content: %+v", c)
	}
	// Every key the parser knows appears in the example.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, keys := range [][]string{topKeys, slackKeys, severityKeys, routeKeys, stormKeys, autoKeys,
		scheduleKeys, rotationKeys, activeKeys, policyKeys, levelKeys, postmortemKeys, doraKeys,
		obligationKeys, autoClassifyKeys, reportKeys, evidenceKeys, alertmanagerKeys, recurringKeys, heartbeatKeys} {
		for _, k := range keys {
			if !bytes.Contains(data, []byte(k+":")) {
				t.Errorf("example does not document key %q", k)
			}
		}
	}
}

func TestTypedValues(t *testing.T) {
	c := mustParse(t, `
timezone: Europe/Berlin
schedules:
  - name: eu
    rotations:
      - name: days
        type: daily
        start: "2026-03-28T08:30:00Z"
        members: [W0001, U0002]
        active: {days: [Mon, tuesday, mon], from: "22:00", to: "06:00"}
      - name: hours
        type: hourly
        start: "2026-03-28T08:00:00+01:00"
        members: [U0003]
  - name: us
    timezone: America/New_York
    usergroup: "@oncall-us"
    channel: C0123ABCD
    rotations:
      - name: weekly
        type: weekly
        start: "2026-03-02T10:00:00-05:00"
        handoff_time: "17:45"
        members: [U0004]
escalation_policies:
  - name: p
    levels:
      - targets: ["channel:C0999", "schedule:us"]
`)
	eu, _ := c.Schedule("eu")
	if eu.Timezone.String() != "Europe/Berlin" {
		t.Errorf("eu inherits %v, want Europe/Berlin", eu.Timezone)
	}
	days := eu.Rotations[0]
	// 08:30Z is 09:30 in Berlin (CET): the handoff defaults to start's local time.
	if days.HandoffTime != 9*60+30 || days.HandoffTime.String() != "09:30" || days.ShiftLength != 24*time.Hour {
		t.Errorf("days: handoff %v shift %v", days.HandoffTime, days.ShiftLength)
	}
	if days.HandoffTime.Duration() != 9*time.Hour+30*time.Minute {
		t.Errorf("HandoffTime.Duration() = %v", days.HandoffTime.Duration())
	}
	if want := (&Active{Days: []time.Weekday{time.Monday, time.Tuesday}, From: 22 * 60, To: 6 * 60}); !reflect.DeepEqual(days.Active, want) {
		t.Errorf("active = %+v, want %+v", days.Active, want)
	}
	if eu.Rotations[1].ShiftLength != time.Hour {
		t.Errorf("hourly shift = %v", eu.Rotations[1].ShiftLength)
	}
	us, _ := c.Schedule("us")
	w := us.Rotations[0]
	if us.Timezone.String() != "America/New_York" || us.Usergroup != "oncall-us" || us.Channel != "C0123ABCD" ||
		w.HandoffTime != 17*60+45 || w.Start.Location() != us.Timezone || w.Start.Hour() != 10 {
		t.Errorf("us = %+v", us)
	}
	if got := c.EscalationPolicies[0].Levels[0].Targets; !reflect.DeepEqual(got, []Target{{Kind: TargetChannel, Name: "C0999"}, {Kind: TargetSchedule, Name: "us"}}) {
		t.Errorf("targets = %+v", got)
	}
}

func TestMonthlyAndAckTimeout(t *testing.T) {
	c := mustParse(t, `
schedules:
  - name: leads
    timezone: Europe/London
    rotations:
      - name: monthly
        type: monthly
        start: "2026-01-31T09:00:00Z"
        handoff_time: "10:00"
        members: [U0001, U0002]
escalation_policies:
  - name: p
    repeat: 5
    ack_timeout: 45m
    levels:
      - targets: ["schedule:leads"]
`)
	r := c.Schedules[0].Rotations[0]
	if r.Type != RotationMonthly || r.HandoffTime != 10*60 || r.ShiftLength != 0 {
		t.Errorf("monthly = %+v", r)
	}
	if p := c.EscalationPolicies[0]; p.AckTimeout != 45*time.Minute || p.Repeat != 5 {
		t.Errorf("policy = %+v", p)
	}
}

// TestAnchorsAndMerge: YAML anchors, aliases and merge keys work, and
// explicit keys win over merged ones.
func TestAnchorsAndMerge(t *testing.T) {
	c := mustParse(t, `
admins: &people [U0001, U0002]
slack:
  invite: *people
schedules:
  - name: primary
    rotations:
      - &base
        name: weekly
        type: weekly
        start: "2026-01-05T09:00:00Z"
        members: *people
      - <<: *base
        name: backup
        members: [U0009]
`)
	if !reflect.DeepEqual(c.Slack.Invite, []string{"U0001", "U0002"}) {
		t.Errorf("invite = %v", c.Slack.Invite)
	}
	r := c.Schedules[0].Rotations
	if len(r) != 2 || r[1].Name != "backup" || r[1].Type != RotationWeekly || !reflect.DeepEqual(r[1].Members, []string{"U0009"}) {
		t.Errorf("rotations = %+v", r)
	}
}

// TestAliasBomb: nested aliases must not make parsing blow up.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("admins: &a0 [U0001, U0001, U0001, U0001, U0001, U0001, U0001, U0001, U0001, U0001]\n")
	b.WriteString("schedules:\n  - &s\n    name: x\n    rotations:\n")
	b.WriteString("      - &r {name: r, type: weekly, start: \"2026-01-05T09:00:00Z\", members: [")
	for i := 0; i < 100; i++ {
		b.WriteString("*a0, ")
	}
	b.WriteString("]}\n")
	for i := 0; i < 200; i++ {
		b.WriteString("      - *r\n")
	}
	start := time.Now()
	_, err := Parse("bomb.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "too many alias uses") {
		t.Errorf("err = %v, want too many alias uses", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("err = %v, want a not-exist error", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func TestCheckConfig(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 12, 1, 10, 0, 0, 0, mustZone(t, "Asia/Almaty")))
	dir := t.TempDir()
	noCatchAll := filepath.Join(dir, "nocatch.yaml")
	if err := os.WriteFile(noCatchAll, []byte("routes:\n  - matchers: ['a=\"b\"']\n    severity: sev1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badTemplate := filepath.Join(dir, "bad.md.tmpl")
	if err := os.WriteFile(badTemplate, []byte("# {{ .Title }}\n\n{{ .Titel }}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	goodTemplate := filepath.Join(dir, "good.md.tmpl")
	if err := os.WriteFile(goodTemplate, []byte("# {{ .Title }}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withTemplate := func(name, tmpl string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("postmortem:\n  template: "+tmpl+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badConfig, goodConfig := withTemplate("badtmpl.yaml", badTemplate), withTemplate("goodtmpl.yaml", goodTemplate)
	tests := []struct {
		name string
		path string
		code int
		want string
	}{
		{"bad postmortem template", badConfig, 1, badConfig + ": postmortem.template: " + badTemplate + ":3: <.Titel>: can't evaluate field Titel in type *templates.Postmortem\n"},
		{"good postmortem template", goodConfig, 0, "ok: " + goodConfig + ": 4 severities, 1 routes, 0 schedules, 0 escalation policies\n"},
		{"contract", "testdata/contract.yaml", 0,
			"ok: testdata/contract.yaml: 4 severities, 3 routes, 1 schedules, 1 escalation policies\n"},
		{"defaults", "", 0,
			"ok: built-in defaults: 4 severities, 1 routes, 0 schedules, 0 escalation policies\n"},
		{"warning", noCatchAll, 0,
			"warning: " + noCatchAll + ":1: routes: no catch-all route (one with matchers: []) at the end; alert groups that match no route open incidents of the default severity and page nobody\n" +
				"ok: " + noCatchAll + ": 4 severities, 1 routes, 0 schedules, 0 escalation policies\n"},
		{"errors", "testdata/errors/limits.yaml", 1,
			"testdata/errors/limits.yaml:2: storm.max_new: must be at least 1, got 0\n" +
				"testdata/errors/limits.yaml:3: storm.window: must be positive, got -5m\n" +
				"testdata/errors/limits.yaml:5: auto_resolve.enabled: must be true or false, got \"maybe\"\n" +
				"testdata/errors/limits.yaml:6: auto_resolve.after: must not be negative, got -1m\n" +
				"testdata/errors/limits.yaml:8: dora.window: must be positive, got 0s\n"},
		{"coverage gaps", "testdata/gaps.yaml", 0,
			"warning: testdata/gaps.yaml:3: primary: nobody on call Sat 00:00 → Mon 09:00 (Asia/Almaty), every week: 13 times in the next 90 days, first on 2026-12-05\n" +
				"warning: testdata/gaps.yaml:15: later: nobody on call Tue 2026-12-01 05:00 → Mon 2027-01-04 09:00 (UTC)\n" +
				"ok: testdata/gaps.yaml: 4 severities, 1 routes, 3 schedules, 0 escalation policies\n"},
		{"missing", "testdata/nope.yaml", 1,
			"reading config: open testdata/nope.yaml: no such file or directory\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if code := CheckConfig(tt.path, &out, clock.Now); code != tt.code {
				t.Errorf("exit code = %d, want %d", code, tt.code)
			}
			if out.String() != tt.want {
				t.Errorf("output:\n%s\nwant:\n%s", out.String(), tt.want)
			}
		})
	}
}
