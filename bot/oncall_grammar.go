package bot

import (
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/oncall"
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
	// Maintenance windows (bot/silence_grammar.go): maintenance
	// <service|matchers> <from> <to> [reason], maintenance list, maintenance remove <id>.
	OncallMaintenance       OncallVerb = "maintenance"
	OncallMaintenanceList   OncallVerb = "maintenance list"
	OncallMaintenanceRemove OncallVerb = "maintenance remove"
)

// usageLine is the verb's usage line; an unknown verb has the general usage.
func (v OncallVerb) usageLine() usageLine {
	switch v {
	case OncallNow, OncallSchedule, OncallOverride, OncallOverrides, OncallOverrideRemove,
		OncallCover, OncallLoad, OncallHandoff, OncallContact, OncallTestPage, OncallHelp,
		OncallMaintenance, OncallMaintenanceList, OncallMaintenanceRemove:
		return usageLine{oncall: true, verb: string(v)}
	}
	return usageLine{oncall: true}
}

// UsageIn returns the usage line of the verb in l. It is plain text; escape
// it for mrkdwn.
func (v OncallVerb) UsageIn(l Lang) string { return v.usageLine().text(l) }

// oncallGeneralUsage is the general usage line of /oncall in English
// (grammar.usage_oncall of no verb).
const oncallGeneralUsage = "/oncall [<schedule> | override <schedule> @user <from> <to> | overrides [schedule] | override remove <id> | cover <schedule> <from> <to> | load [7d|30d|90d] | handoff [schedule] | contact | test-page [method] | maintenance <service|matchers> <from> <to> [reason] | maintenance list | maintenance remove <id> | help]"

// OncallUsage returns the help text of /oncall in English.
func OncallUsage() string { return OncallUsageIn(Lang{}) }

// OncallUsageIn returns the help text of /oncall in l. It is plain text;
// escape it for mrkdwn.
func OncallUsageIn(l Lang) string { return l.Text("help.oncall", M{"TimeForms": oncall.TimeForms}) }

// OncallCommand is a parsed /oncall command.
type OncallCommand struct {
	Verb     OncallVerb
	Schedule string  // schedule, override, overrides and handoff (optional), cover
	User     UserRef // override
	// From and To are override's and cover's time expressions as typed
	// (see oncall.ParseTime); Window reads them in the schedule's zone.
	From, To string
	ID       string        // override remove
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
// who is on call now. Times are oncall.ParseTime's expressions, checked for
// form here and read in the schedule's zone by Window. Every error is a
// *UsageError. It never panics, whatever the text.
func ParseOncall(text string) (OncallCommand, error) {
	toks := tokenize(text)
	if len(toks) == 0 {
		return OncallCommand{Verb: OncallNow}, nil
	}
	first := toks[0].text
	args := toks[1:]
	switch strings.ToLower(first) {
	case "now":
		if len(args) > 0 {
			return OncallCommand{}, OncallNow.usageLine().t("grammar.no_args", M{"Verb": "now"})
		}
		return OncallCommand{Verb: OncallNow}, nil
	case "help", "contact":
		verb := OncallVerb(strings.ToLower(first))
		if len(args) > 0 {
			return OncallCommand{}, verb.usageLine().t("grammar.no_args", M{"Verb": string(verb)})
		}
		return OncallCommand{Verb: verb}, nil

	case "test-page":
		usage := OncallTestPage.usageLine()
		cmd := OncallCommand{Verb: OncallTestPage}
		if len(args) > 1 {
			return OncallCommand{}, usage.t("grammar.one_method", nil)
		}
		if len(args) == 1 {
			m, err := oncall.ParseMethod(args[0].text)
			if err != nil || m == oncall.MethodSlack {
				return OncallCommand{}, usage.t("grammar.method_not", M{"Token": quote(args[0].text)})
			}
			cmd.Method = m
		}
		return cmd, nil

	case "handoff", "overrides":
		verb := OncallHandoff
		if strings.EqualFold(first, "overrides") {
			verb = OncallOverrides
		}
		usage := verb.usageLine()
		if len(args) > 1 {
			return OncallCommand{}, usage.t("grammar.one_schedule", M{"Verb": string(verb)})
		}
		cmd := OncallCommand{Verb: verb}
		if len(args) == 1 {
			if !isName(args[0].text) {
				return OncallCommand{}, usage.t("grammar.schedule_not", M{"Token": quote(args[0].text)})
			}
			cmd.Schedule = args[0].text
		}
		return cmd, nil

	case "load":
		usage := OncallLoad.usageLine()
		cmd := OncallCommand{Verb: OncallLoad, Period: 30 * 24 * time.Hour}
		if len(args) > 1 {
			return OncallCommand{}, usage.t("grammar.load_too_many", nil)
		}
		if len(args) == 1 {
			switch strings.ToLower(args[0].text) {
			case "7d":
				cmd.Period = 7 * 24 * time.Hour
			case "30d":
			case "90d":
				cmd.Period = 90 * 24 * time.Hour
			default:
				return OncallCommand{}, usage.t("grammar.load_not", M{"Token": quote(args[0].text)})
			}
		}
		return cmd, nil

	case "cover":
		usage := OncallCover.usageLine()
		if len(args) < 1 || !isName(args[0].text) {
			return OncallCommand{}, usage.t("grammar.cover_needs", nil)
		}
		from, to, err := parseTimes(args[1:], usage)
		if err != nil {
			return OncallCommand{}, err
		}
		return OncallCommand{Verb: OncallCover, Schedule: args[0].text, From: from, To: to}, nil

	case "override":
		if len(args) > 0 && strings.EqualFold(args[0].text, "remove") {
			usage := OncallOverrideRemove.usageLine()
			if len(args) != 2 || !isOverrideID(args[1].text) {
				return OncallCommand{}, usage.t("grammar.remove_needs", nil)
			}
			return OncallCommand{Verb: OncallOverrideRemove, ID: args[1].text}, nil
		}
		return parseOverride(args)
	case "maintenance":
		return parseMaintenance(text, args)
	}

	if !isName(first) {
		return OncallCommand{}, usageLine{oncall: true}.t("grammar.oncall_unknown", M{"Token": quote(first)})
	}
	if len(args) > 0 {
		return OncallCommand{}, OncallSchedule.usageLine().t("grammar.schedule_extra", M{"Token": quote(args[0].text)})
	}
	return OncallCommand{Verb: OncallSchedule, Schedule: first}, nil
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

func parseOverride(args []token) (OncallCommand, error) {
	usage := OncallOverride.usageLine()
	if len(args) < 2 {
		return OncallCommand{}, usage.t("grammar.override_needs", nil)
	}
	cmd := OncallCommand{Verb: OncallOverride}
	if !isName(args[0].text) {
		return OncallCommand{}, usage.t("grammar.schedule_not", M{"Token": quote(args[0].text)})
	}
	cmd.Schedule = args[0].text
	u, ok := parseUser(args[1].text)
	if !ok {
		return OncallCommand{}, usage.t("grammar.override_user_not", M{"Token": quote(args[1].text)})
	}
	cmd.User = u
	from, to, err := parseTimes(args[2:], usage)
	if err != nil {
		return OncallCommand{}, err
	}
	cmd.From, cmd.To = from, to
	return cmd, nil
}

// timeCheckNow is the reference instant the form of a time expression is
// checked at; the real reading (Window) is at now in the schedule's zone.
var timeCheckNow = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// parseTimes reads a start and an end time expression. A day word (today,
// tomorrow, a weekday) or a date followed by a time of day is one expression:
// "tomorrow 09:00", "2026-12-01 09:00".
func parseTimes(rest []token, usage usageLine) (from, to string, err error) {
	var times []string
	for len(rest) > 0 {
		if len(times) == 2 {
			return "", "", usage.t("grammar.times_extra", M{"Token": quote(rest[0].text)})
		}
		tok := rest[0].text
		rest = rest[1:]
		if len(rest) > 0 && isDayWord(tok) && isClock(rest[0].text) {
			tok += " " + rest[0].text
			rest = rest[1:]
		}
		if _, err := oncall.ParseTime(tok, timeCheckNow, time.UTC); err != nil {
			return "", "", usage.t("grammar.time_not", M{"Token": quote(tok), "Forms": oncall.TimeForms})
		}
		times = append(times, tok)
	}
	if len(times) < 2 {
		return "", "", usage.t("grammar.times_needs", nil)
	}
	return times[0], times[1], nil
}

// isDayWord reports whether s names a day that a time of day may follow.
func isDayWord(s string) bool {
	switch strings.ToLower(s) {
	case "today", "tomorrow", "mon", "tue", "wed", "thu", "fri", "sat", "sun",
		"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday":
		return true
	}
	return isDate(s)
}

func isDate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

func isClock(s string) bool {
	_, err := oncall.ParseTimeOfDay(s)
	return err == nil
}
