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
	OncallHelp           OncallVerb = "help"
)

func (v OncallVerb) usage() string {
	switch v {
	case OncallNow:
		return "/oncall"
	case OncallSchedule:
		return "/oncall <schedule>"
	case OncallOverride:
		return "/oncall override <schedule> @user <from> <to>"
	case OncallOverrides:
		return "/oncall overrides [schedule]"
	case OncallOverrideRemove:
		return "/oncall override remove <id>"
	case OncallCover:
		return "/oncall cover <schedule> <from> <to>"
	case OncallLoad:
		return "/oncall load [7d|30d|90d]"
	case OncallHandoff:
		return "/oncall handoff [schedule]"
	case OncallHelp:
		return "/oncall help"
	}
	return oncallGeneralUsage
}

const oncallGeneralUsage = "/oncall [<schedule> | override <schedule> @user <from> <to> | overrides [schedule] | override remove <id> | cover <schedule> <from> <to> | load [7d|30d|90d] | handoff [schedule] | help]"

// OncallUsage returns the help text of /oncall. It is plain text; escape it for mrkdwn.
func OncallUsage() string {
	return strings.Join([]string{
		"Usage of /oncall:",
		"/oncall — who is on call now, for every schedule",
		"/oncall <schedule> — who is on call now and the next shifts",
		"/oncall override <schedule> @user <from> <to> — put someone on call for a while",
		"    <from> and <to> are in the schedule's time zone: " + oncall.TimeForms,
		"    (a relative <to> such as +8h counts from <from>)",
		"/oncall overrides [schedule] — list the overrides, with their IDs",
		"/oncall override remove <id> — remove an override",
		"/oncall cover <schedule> <from> <to> — ask the schedule's channel for someone to cover",
		"/oncall load [7d|30d|90d] — hours on call, out of hours, and pages per person",
		"/oncall handoff [schedule] — post the shift handoff now",
		"/oncall help — show this help",
	}, "\n")
}

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
}

// Window returns the override's or cover's start and end, read by
// oncall.ParseRange at now in the schedule's zone loc. Its error is a
// *UsageError.
func (c OncallCommand) Window(now time.Time, loc *time.Location) (from, to time.Time, err error) {
	from, to, err = oncall.ParseRange(c.From, c.To, now, loc)
	if err != nil {
		return from, to, usageErr(c.Verb.usage(), "%s.", err.Error())
	}
	return from, to, nil
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
	case "help":
		if len(args) > 0 {
			return OncallCommand{}, usageErr(OncallHelp.usage(), "help takes no arguments.")
		}
		return OncallCommand{Verb: OncallHelp}, nil

	case "handoff", "overrides":
		verb := OncallHandoff
		if strings.EqualFold(first, "overrides") {
			verb = OncallOverrides
		}
		usage := verb.usage()
		if len(args) > 1 {
			return OncallCommand{}, usageErr(usage, "%s takes at most one schedule.", verb)
		}
		cmd := OncallCommand{Verb: verb}
		if len(args) == 1 {
			if !isName(args[0].text) {
				return OncallCommand{}, usageErr(usage, "%s is not a schedule name.", quote(args[0].text))
			}
			cmd.Schedule = args[0].text
		}
		return cmd, nil

	case "load":
		usage := OncallLoad.usage()
		cmd := OncallCommand{Verb: OncallLoad, Period: 30 * 24 * time.Hour}
		if len(args) > 1 {
			return OncallCommand{}, usageErr(usage, "load takes at most one period.")
		}
		if len(args) == 1 {
			switch strings.ToLower(args[0].text) {
			case "7d":
				cmd.Period = 7 * 24 * time.Hour
			case "30d":
			case "90d":
				cmd.Period = 90 * 24 * time.Hour
			default:
				return OncallCommand{}, usageErr(usage, "%s is not a period; use 7d, 30d or 90d.", quote(args[0].text))
			}
		}
		return cmd, nil

	case "cover":
		usage := OncallCover.usage()
		if len(args) < 1 || !isName(args[0].text) {
			return OncallCommand{}, usageErr(usage, "cover needs a schedule, a start and an end.")
		}
		from, to, err := parseTimes(args[1:], usage)
		if err != nil {
			return OncallCommand{}, err
		}
		return OncallCommand{Verb: OncallCover, Schedule: args[0].text, From: from, To: to}, nil

	case "override":
		if len(args) > 0 && strings.EqualFold(args[0].text, "remove") {
			usage := OncallOverrideRemove.usage()
			if len(args) != 2 || !isOverrideID(args[1].text) {
				return OncallCommand{}, usageErr(usage, "override remove needs one override ID; /oncall overrides lists them.")
			}
			return OncallCommand{Verb: OncallOverrideRemove, ID: args[1].text}, nil
		}
		return parseOverride(args)
	}

	if !isName(first) {
		return OncallCommand{}, usageErr(oncallGeneralUsage, "%s is neither a subcommand nor a schedule name.", quote(first))
	}
	if len(args) > 0 {
		return OncallCommand{}, usageErr(OncallSchedule.usage(), "Name one schedule; %s is extra.", quote(args[0].text))
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
	usage := OncallOverride.usage()
	if len(args) < 2 {
		return OncallCommand{}, usageErr(usage, "override needs a schedule, an @user, a start and an end.")
	}
	cmd := OncallCommand{Verb: OncallOverride}
	if !isName(args[0].text) {
		return OncallCommand{}, usageErr(usage, "%s is not a schedule name.", quote(args[0].text))
	}
	cmd.Schedule = args[0].text
	u, ok := parseUser(args[1].text)
	if !ok {
		return OncallCommand{}, usageErr(usage, "override needs an @user after the schedule, not %s.", quote(args[1].text))
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
func parseTimes(rest []token, usage string) (from, to string, err error) {
	var times []string
	for len(rest) > 0 {
		if len(times) == 2 {
			return "", "", usageErr(usage, "give a start and an end only; %s is extra.", quote(rest[0].text))
		}
		tok := rest[0].text
		rest = rest[1:]
		if len(rest) > 0 && isDayWord(tok) && isClock(rest[0].text) {
			tok += " " + rest[0].text
			rest = rest[1:]
		}
		if _, err := oncall.ParseTime(tok, timeCheckNow, time.UTC); err != nil {
			return "", "", usageErr(usage, "%s is not a time; write one of %s.", quote(tok), oncall.TimeForms)
		}
		times = append(times, tok)
	}
	if len(times) < 2 {
		return "", "", usageErr(usage, "give a start and an end time.")
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
