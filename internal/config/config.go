// Package config reads incidentbot's settings: the environment (Env) and the
// YAML config file (Config). Every problem in the file is reported with its
// line number, all of them at once, so `incidentbot check-config` can list
// what to fix in one pass.
package config

import (
	"fmt"
	"os"
	"time"

	// Zone names must resolve on hosts and images without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/incidentbot/incidentbot/alertmanager"
	"github.com/incidentbot/incidentbot/incidents"
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
	Routes []alertmanager.Route
	// DefaultSeverity is the severity of an alert group that matches no route
	// (possible only when the last route is not a catch-all): the middle
	// severity, rounding toward the more severe (sev2 of sev1..sev4). Such a
	// group pages nobody.
	DefaultSeverity    string
	Storm              Storm
	AutoResolve        AutoResolve
	Schedules          []Schedule
	EscalationPolicies []EscalationPolicy
	Postmortem         Postmortem
	// Warnings are findings that do not stop the bot, such as a missing
	// catch-all route. check-config prints them.
	Warnings Errors
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

// AutoResolve closes an incident once all of its alerts have resolved.
type AutoResolve struct {
	Enabled bool
	After   time.Duration // wait this long after the last alert resolved
}

// Schedule is an on-call schedule made of rotation layers.
type Schedule struct {
	Name      string
	Timezone  *time.Location // defaults to Config.Timezone
	Channel   string         // "#name" or channel ID for handoff messages; may be empty
	Usergroup string         // usergroup handle or ID kept equal to who is on call; may be empty
	// Rotations are layers; a later layer wins wherever it is active.
	Rotations []Rotation
}

// RotationType is how long one shift of a rotation lasts.
type RotationType string

// Rotation types.
const (
	RotationHourly RotationType = "hourly"
	RotationDaily  RotationType = "daily"
	RotationWeekly RotationType = "weekly"
	RotationCustom RotationType = "custom" // shifts of ShiftLength
)

// Rotation is one layer of a schedule: members take turns, in order, from Start.
type Rotation struct {
	Name string
	Type RotationType
	// Start is when the first member's first shift begins, in the
	// schedule's zone.
	Start time.Time
	// HandoffTime is the time of day (schedule zone) daily and weekly
	// shifts change hands; when not set it is Start's time of day.
	HandoffTime TimeOfDay
	// ShiftLength is the length of one shift: 1h, 24h or 168h for the fixed
	// types, as configured for custom.
	ShiftLength time.Duration
	// Members are Slack user IDs (U…, W…) or emails to resolve with
	// users.lookupByEmail.
	Members []string
	// Active limits when the layer applies; nil = always.
	Active *Active
}

// Active limits a rotation layer to some days and hours in the schedule zone.
type Active struct {
	// Days the window starts on; empty = every day.
	Days []time.Weekday
	// From and To bound the window each active day; From 00:00 and To 24:00
	// when not set. To before From spans midnight into the next day.
	From, To TimeOfDay
}

// TimeOfDay is minutes since midnight, 0 to 1440 (24:00).
type TimeOfDay int

// String formats the time of day as HH:MM.
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", int(t)/60, int(t)%60) }

// Duration returns the time of day as an offset from midnight.
func (t TimeOfDay) Duration() time.Duration { return time.Duration(t) * time.Minute }

// EscalationPolicy says who is paged, and when, until someone acknowledges.
type EscalationPolicy struct {
	Name string
	// Repeat is how many times the whole policy runs again after its last level.
	Repeat int
	Levels []EscalationLevel
}

// EscalationLevel is one step of a policy.
type EscalationLevel struct {
	// Delay is how long to wait after the previous level was paged without
	// an acknowledgement (for the first level: after the incident opened).
	Delay   time.Duration
	Targets []Target
}

// TargetKind is what an escalation target names.
type TargetKind string

// Target kinds, as written before the colon in the config.
const (
	TargetSchedule TargetKind = "schedule" // whoever is on call
	TargetUser     TargetKind = "user"     // a Slack user ID
	TargetChannel  TargetKind = "channel"  // "#name" or a channel ID
)

// Target is one recipient of a page.
type Target struct {
	Kind TargetKind
	Name string
}

// String formats the target as written in the config, e.g. "schedule:primary".
func (t Target) String() string { return string(t.Kind) + ":" + t.Name }

// Postmortem configures postmortem drafts.
type Postmortem struct {
	Template  string // path of a template overriding the embedded one; optional
	ExportDir string // directory kept current with every postmortem; optional
}

// Config defaults.
const (
	DefaultTimezone         = "UTC"
	DefaultLocale           = "en"
	DefaultChannelPrefix    = "inc"
	DefaultStormMaxNew      = 10
	DefaultStormWindow      = 5 * time.Minute
	DefaultAutoResolveAfter = 15 * time.Minute
)

// DefaultSeverities returns the severities used when the file defines none.
func DefaultSeverities() []Severity { return incidents.DefaultSeverities() }

// Default returns the configuration used when there is no config file:
// sev1..sev4, one catch-all route to sev2, UTC, no schedules.
func Default() *Config {
	c := &Config{
		Timezone:    time.UTC,
		Locale:      DefaultLocale,
		Slack:       Slack{ChannelPrefix: DefaultChannelPrefix},
		Severities:  DefaultSeverities(),
		Storm:       Storm{MaxNew: DefaultStormMaxNew, Window: DefaultStormWindow},
		AutoResolve: AutoResolve{Enabled: true, After: DefaultAutoResolveAfter},
	}
	c.DefaultSeverity = middleSeverity(c.Severities)
	c.Routes = []alertmanager.Route{{Matchers: alertmanager.Matchers{}, Severity: c.DefaultSeverity}}
	return c
}

// middleSeverity is the fallback for unrouted alert groups.
func middleSeverity(ss []Severity) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[(len(ss)-1)/2].Name
}

// Router returns the alert router the webhook handler uses.
func (c *Config) Router() alertmanager.Router {
	return alertmanager.Router{Routes: c.Routes, DefaultSeverity: c.DefaultSeverity}
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
	return Parse(path, data)
}
