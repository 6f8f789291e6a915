package command

import (
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/templates"
)

// OncallVerb is the subcommand of /oncall.
type OncallVerb string

// The /oncall subcommands.
const (
	OncallNow            OncallVerb = "now"      // no text: who is on call now, every schedule
	OncallSchedule       OncallVerb = "schedule" // <schedule>: now and the next shifts
	OncallOverride       OncallVerb = "override"
	OncallOverrides      OncallVerb = "overrides"       // overrides [schedule]: list with IDs
	OncallOverrideRemove OncallVerb = "override remove" // override remove <id>
	OncallCover          OncallVerb = "cover"           // cover <schedule> <from> <to>: ask for cover
	OncallLoad           OncallVerb = "load"            // load [7d|30d|90d]
	OncallHandoff        OncallVerb = "handoff"
	OncallContact        OncallVerb = "contact"   // contact: the caller's methods and rules
	OncallTestPage       OncallVerb = "test-page" // test-page [method]: a test page to the caller
	OncallHelp           OncallVerb = "help"
	// Maintenance windows (silence.go): maintenance <service|matchers>
	// <from> <to> [reason], maintenance list, maintenance remove <id>.
	OncallMaintenance       OncallVerb = "maintenance"
	OncallMaintenanceList   OncallVerb = "maintenance list"
	OncallMaintenanceRemove OncallVerb = "maintenance remove"
)

// oncallTable is /oncall: every verb. The usage line of each is the
// message grammar.usage_oncall of its name; the help is help.oncall.
var oncallTable = &table[OncallVerb, Oncall]{oncall: true, verbs: []verb[OncallVerb, Oncall]{
	{name: OncallNow},
	{name: OncallSchedule, args: scheduleArgs, untyped: true},
	{name: OncallOverride, args: overrideArgs, who: ScheduleMembers},
	{name: OncallOverrides, args: optionalScheduleArgs},
	{name: OncallOverrideRemove, args: overrideRemoveArgs, who: ScheduleMembers},
	{name: OncallCover, args: coverArgs},
	{name: OncallLoad, args: loadArgs},
	{name: OncallHandoff, args: optionalScheduleArgs},
	{name: OncallContact},
	{name: OncallTestPage, args: testPageArgs},
	{name: OncallMaintenance, args: maintenanceArgs, who: OnCallMembers},
	{name: OncallMaintenanceList},
	{name: OncallMaintenanceRemove, args: maintenanceRemoveArgs, who: OnCallMembers},
	{name: OncallHelp},
}}

// OncallVerbs lists the /oncall subcommands.
func OncallVerbs() []OncallVerb { return oncallTable.names() }

// Who says who may run the verb.
func (v OncallVerb) Who() Who {
	r, _ := oncallTable.row(v)
	return r.who
}

// Usage returns the usage line of the verb in l. It is plain text; escape
// it for mrkdwn.
func (v OncallVerb) Usage(l templates.Lang) string { return oncallTable.usage(v).text(l) }

// OncallHelpText returns the help text of /oncall in l. It is plain text;
// escape it for mrkdwn.
func OncallHelpText(l templates.Lang) string {
	return l.Text("help.oncall", facts{"TimeForms": oncall.TimeForms})
}

// Oncall is a parsed /oncall command.
type Oncall struct {
	Verb     OncallVerb
	Schedule string  // schedule, override, overrides and handoff (optional), cover
	User     UserRef // override
	// From and To are override's and cover's time expressions as typed
	// (see oncall.ParseTime); the handler reads them in the schedule's zone.
	From, To string
	ID       string        // override remove, maintenance remove
	Period   time.Duration // load: 7, 30 or 90 days
	Method   oncall.Method // test-page: one method; empty for each
	// Service or Matchers of maintenance (canonical Alertmanager syntax,
	// comma-separated: service="x", env=~"p.*"), and its Reason (plain
	// text, optional).
	Service  string
	Matchers string
	Reason   string
}

// ParseOncall parses the text of an /oncall slash command. Empty text asks
// who is on call now; text that names no verb names a schedule. Times are
// oncall.ParseTime's expressions, checked for form here and read in the
// schedule's zone by the handler. Every error is a *UsageError. It never
// panics, whatever the text.
func ParseOncall(text string) (Oncall, error) {
	toks := tokenize(text)
	if len(toks) == 0 {
		return Oncall{Verb: OncallNow}, nil
	}
	v, rest, ok := oncallTable.find(toks)
	if !ok {
		v, _ = oncallTable.row(OncallSchedule)
		rest = toks
	}
	cmd := Oncall{Verb: v.name}
	if err := oncallTable.parse(v, &cmd, text, rest, nil); err != nil {
		return Oncall{}, err
	}
	return cmd, nil
}

// scheduleArgs reads /oncall <schedule>: the whole text, as no verb matched.
func scheduleArgs(c *Oncall, in input) error {
	first := in.toks[0].text
	if !isName(first) {
		return usageLine{oncall: true}.t("grammar.oncall_unknown", facts{"Token": quote(first)})
	}
	if len(in.toks) > 1 {
		return in.usage.t("grammar.schedule_extra", facts{"Token": quote(in.toks[1].text)})
	}
	c.Schedule = first
	return nil
}

// optionalScheduleArgs reads handoff [schedule] and overrides [schedule].
func optionalScheduleArgs(c *Oncall, in input) error {
	if len(in.toks) > 1 {
		return in.usage.t("grammar.one_schedule", facts{"Verb": string(c.Verb)})
	}
	if len(in.toks) == 1 {
		if !isName(in.toks[0].text) {
			return in.usage.t("grammar.schedule_not", facts{"Token": quote(in.toks[0].text)})
		}
		c.Schedule = in.toks[0].text
	}
	return nil
}

// testPageArgs reads test-page [method]; Slack is no method to test.
func testPageArgs(c *Oncall, in input) error {
	if len(in.toks) > 1 {
		return in.usage.t("grammar.one_method", nil)
	}
	if len(in.toks) == 1 {
		m, err := oncall.ParseMethod(in.toks[0].text)
		if err != nil || m == oncall.MethodSlack {
			return in.usage.t("grammar.method_not", facts{"Token": quote(in.toks[0].text)})
		}
		c.Method = m
	}
	return nil
}

// loadArgs reads load [7d|30d|90d]; 30 days by default.
func loadArgs(c *Oncall, in input) error {
	c.Period = 30 * day
	if len(in.toks) > 1 {
		return in.usage.t("grammar.load_too_many", nil)
	}
	if len(in.toks) == 1 {
		switch strings.ToLower(in.toks[0].text) {
		case "7d":
			c.Period = 7 * day
		case "30d":
		case "90d":
			c.Period = 90 * day
		default:
			return in.usage.t("grammar.load_not", facts{"Token": quote(in.toks[0].text)})
		}
	}
	return nil
}

// coverArgs reads cover <schedule> <from> <to>.
func coverArgs(c *Oncall, in input) error {
	if len(in.toks) < 1 || !isName(in.toks[0].text) {
		return in.usage.t("grammar.cover_needs", nil)
	}
	from, to, err := parseTimes(in.toks[1:], in.usage)
	if err != nil {
		return err
	}
	c.Schedule, c.From, c.To = in.toks[0].text, from, to
	return nil
}

// overrideArgs reads override <schedule> @user <from> <to>.
func overrideArgs(c *Oncall, in input) error {
	args := in.toks
	if len(args) < 2 {
		return in.usage.t("grammar.override_needs", nil)
	}
	if !isName(args[0].text) {
		return in.usage.t("grammar.schedule_not", facts{"Token": quote(args[0].text)})
	}
	u, ok := parseUser(args[1].text)
	if !ok {
		return in.usage.t("grammar.override_user_not", facts{"Token": quote(args[1].text)})
	}
	from, to, err := parseTimes(args[2:], in.usage)
	if err != nil {
		return err
	}
	c.Schedule, c.User, c.From, c.To = args[0].text, u, from, to
	return nil
}

// overrideRemoveArgs reads override remove <id>.
func overrideRemoveArgs(c *Oncall, in input) error {
	if len(in.toks) != 1 || !isOverrideID(in.toks[0].text) {
		return in.usage.t("grammar.remove_needs", nil)
	}
	c.ID = in.toks[0].text
	return nil
}

// isOverrideID reports whether s looks like an override ID: short, of
// letters, digits and dashes.
func isOverrideID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// timeCheckNow is the reference instant the form of a time expression is
// checked at; the real reading is at now in the schedule's zone.
var timeCheckNow = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// parseTimes reads a start and an end time expression. A day word (today,
// tomorrow, a weekday) or a date followed by a time of day is one expression:
// "tomorrow 09:00", "2026-12-01 09:00".
func parseTimes(rest []token, usage usageLine) (from, to string, err error) {
	var times []string
	for len(rest) > 0 {
		if len(times) == 2 {
			return "", "", usage.t("grammar.times_extra", facts{"Token": quote(rest[0].text)})
		}
		tok, next, ok := takeTime(rest)
		if !ok {
			return "", "", usage.t("grammar.time_not", facts{"Token": quote(tok), "Forms": oncall.TimeForms})
		}
		times, rest = append(times, tok), next
	}
	if len(times) < 2 {
		return "", "", usage.t("grammar.times_needs", nil)
	}
	return times[0], times[1], nil
}

// takeTime reads one time expression (a day word or date followed by a
// time of day counts as one) from the front of rest. When it is no time
// expression, tok is what was read and rest comes back whole.
func takeTime(rest []token) (tok string, next []token, ok bool) {
	if len(rest) == 0 {
		return "", rest, false
	}
	tok, next = rest[0].text, rest[1:]
	if len(next) > 0 && isDayWord(tok) && isClock(next[0].text) {
		tok += " " + next[0].text
		next = next[1:]
	}
	if _, err := oncall.ParseTime(tok, timeCheckNow, time.UTC); err != nil {
		return tok, rest, false
	}
	return tok, next, true
}

// isDayWord reports whether s names a day that a time of day may follow.
func isDayWord(s string) bool {
	if _, ok := oncall.ParseWeekday(s); ok {
		return true
	}
	switch strings.ToLower(s) {
	case "today", "tomorrow":
		return true
	}
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

func isClock(s string) bool {
	_, err := oncall.ParseTimeOfDay(s)
	return err == nil
}
