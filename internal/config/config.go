// Package config reads incidentbot's settings: the environment (Env) and the
// YAML config file (Config). Every problem in the file is reported with its
// line number, all of them at once, so `incidentbot check-config` can list
// what to fix in one pass.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	// Zone names must resolve on hosts and images without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/heartbeats"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/labels"
	"github.com/incidentbot/incidentbot/maintenance"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/reporting"
	"github.com/incidentbot/incidentbot/routing"
)

// Config is the parsed, validated config file. Values are typed: durations
// are time.Duration, zones *time.Location, times of day TimeOfDay.
type Config struct {
	// Timezone is the team's zone for messages and postmortems (default UTC).
	Timezone *time.Location
	// Locale is the language of bot messages: "en" (default) or "ru".
	Locale string
	// Admins are Slack user IDs that may change schedules and resolve or
	// reopen others' incidents.
	Admins []string
	Slack  Slack
	// Severities are ordered most severe first.
	Severities []Severity
	// Routes map alert labels to a severity, a service and an escalation
	// policy; the first match wins. A route without matchers is a catch-all.
	// Each has a Severity; EscalationPolicy and Service may be empty.
	Routes []routing.Route
	// DefaultSeverity is the severity of an alert group that matches no route
	// (possible only when the last route is not a catch-all):
	// incidents.MiddleSeverity. Such a group pages nobody.
	DefaultSeverity    string
	Storm              Storm
	AutoResolve        AutoResolve
	Schedules          []Schedule
	EscalationPolicies []EscalationPolicy
	Postmortem         Postmortem
	DORA               DORA
	// People are how each person is woken, by people key; a schedule's
	// members may name them by key (checkPeople puts their Slack IDs there).
	People map[string]oncall.Person
	// Paging holds the team's default rules and the providers.
	Paging Paging
	// Reporting are the regulatory reporting obligations (reporting:), in
	// the file's order; none by default.
	Reporting []reporting.Obligation
	// Evidence configures signed evidence archives (evidence:).
	Evidence Evidence
	// Alertmanager is the API silences are made through (alertmanager:).
	Alertmanager Alertmanager
	// Maintenance are the recurring maintenance windows (maintenance:).
	Maintenance []maintenance.Recurring
	// Heartbeats are the dead man's switches (heartbeats:).
	Heartbeats []heartbeats.Heartbeat
	// Warnings are findings that do not stop the bot, such as a missing
	// catch-all route. check-config prints them.
	Warnings Errors

	file             string
	scheduleLines    []int // line of each schedule, for check-config's findings
	maintenanceLines []int // line of each recurring maintenance window
}

// Slack holds workspace-level settings.
type Slack struct {
	// AnnounceChannel gets one line per new and resolved incident: "#name"
	// or a channel ID; empty = no announcements.
	AnnounceChannel string
	// ChannelPrefix starts every incident channel name: <prefix>-<number>-<slug>.
	ChannelPrefix string
	// Invite are Slack user IDs always invited to new incident channels.
	Invite []string
}

// Severity is one incident severity level, as the incidents domain defines it.
type Severity = incidents.Severity

// Storm bounds how many incident channels alerts may open during a flood.
type Storm struct {
	MaxNew int           // at most this many new incidents ...
	Window time.Duration // ... per this sliding window
}

// DORA tunes the delivery figures.
type DORA struct {
	// Window is how long before detection a deployment of the incident's
	// service is offered as its likely cause.
	Window time.Duration
}

// AutoResolve closes an incident once all of its alerts have resolved.
type AutoResolve struct {
	Enabled bool
	After   time.Duration // wait this long after the last alert resolved
}

// The on-call types live in the oncall domain; these names keep the
// config's vocabulary for its callers and tests.
type (
	Schedule         = oncall.Schedule
	RotationType     = oncall.RotationType
	Rotation         = oncall.Rotation
	Active           = oncall.Active
	TimeOfDay        = oncall.TimeOfDay
	EscalationPolicy = oncall.EscalationPolicy
	EscalationLevel  = oncall.EscalationLevel
	TargetKind       = oncall.TargetKind
	Target           = oncall.Target
)

// Rotation types and target kinds, as oncall defines them.
const (
	RotationHourly  = oncall.RotationHourly
	RotationDaily   = oncall.RotationDaily
	RotationWeekly  = oncall.RotationWeekly
	RotationMonthly = oncall.RotationMonthly
	RotationCustom  = oncall.RotationCustom
	TargetSchedule  = oncall.TargetSchedule
	TargetUser      = oncall.TargetUser
	TargetChannel   = oncall.TargetChannel
)

// Postmortem configures postmortem drafts.
type Postmortem struct {
	Template  string // path of a template overriding the embedded one; optional
	ExportDir string // directory kept current with every postmortem; optional
}

// Config defaults.
const (
	defaultLocale           = "en"
	defaultChannelPrefix    = "inc"
	defaultStormMaxNew      = 10
	defaultStormWindow      = 5 * time.Minute
	defaultAutoResolveAfter = 15 * time.Minute
	defaultDORAWindow       = deploys.DefaultCauseWindow
)

// defaultSeverities returns the severities used when the file defines none.
func defaultSeverities() []Severity { return incidents.DefaultSeverities() }

// Default returns the configuration used when there is no config file:
// sev1..sev4, one catch-all route to sev2, UTC, no schedules.
func Default() *Config {
	c := &Config{
		Timezone:    time.UTC,
		Locale:      defaultLocale,
		Slack:       Slack{ChannelPrefix: defaultChannelPrefix},
		Severities:  defaultSeverities(),
		Storm:       Storm{MaxNew: defaultStormMaxNew, Window: defaultStormWindow},
		AutoResolve: AutoResolve{Enabled: true, After: defaultAutoResolveAfter},
		DORA:        DORA{Window: defaultDORAWindow},
		Paging:      Paging{AckLinkTTL: defaultAckLinkTTL},
	}
	c.DefaultSeverity = incidents.MiddleSeverity(c.Severities)
	c.Routes = []routing.Route{{Matchers: labels.Matchers{}, Severity: c.DefaultSeverity}}
	return c
}

// Routing returns the routes and the default severity as one table, the
// way the webhook's applier reads them.
func (c *Config) Routing() routing.Table {
	return routing.Table{Routes: c.Routes, DefaultSeverity: c.DefaultSeverity}
}

// Severity returns the severity with the given name.
func (c *Config) Severity(name string) (Severity, bool) {
	for _, s := range c.Severities {
		if s.Name == name {
			return s, true
		}
	}
	return Severity{}, false
}

// Schedule returns the schedule with the given name.
func (c *Config) Schedule(name string) (Schedule, bool) {
	for _, s := range c.Schedules {
		if s.Name == name {
			return s, true
		}
	}
	return Schedule{}, false
}

// EscalationPolicy returns the policy with the given name.
func (c *Config) EscalationPolicy(name string) (EscalationPolicy, bool) {
	for _, p := range c.EscalationPolicies {
		if p.Name == name {
			return p, true
		}
	}
	return EscalationPolicy{}, false
}

// Load reads and parses the config file at path. A file that cannot be read
// gives a plain error; an invalid one gives Errors listing every problem.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	c, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	// A template path is relative to the config file, wherever the bot runs.
	if t := c.Postmortem.Template; t != "" && !filepath.IsAbs(t) {
		c.Postmortem.Template = filepath.Join(filepath.Dir(path), t)
	}
	c.resolvePaths(path)
	return c, nil
}
