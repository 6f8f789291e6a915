package bot

import (
	"fmt"
	"strings"
	"time"
)

// OncallVerb is the subcommand of /oncall.
type OncallVerb string

// The /oncall subcommands.
const (
	OncallNow      OncallVerb = "now"      // no text: who is on call now, every schedule
	OncallSchedule OncallVerb = "schedule" // <schedule>: now and the next shifts
	OncallOverride OncallVerb = "override"
	OncallHandoff  OncallVerb = "handoff"
	OncallHelp     OncallVerb = "help"
)

func (v OncallVerb) usage() string {
	switch v {
	case OncallNow:
		return "/oncall"
	case OncallSchedule:
		return "/oncall <schedule>"
	case OncallOverride:
		return "/oncall override <schedule> @user <from> <to>"
	case OncallHandoff:
		return "/oncall handoff [schedule]"
	case OncallHelp:
		return "/oncall help"
	}
	return oncallGeneralUsage
}

const oncallGeneralUsage = "/oncall [<schedule> | override <schedule> @user <from> <to> | handoff [schedule] | help]"

// OncallUsage returns the help text of /oncall. It is plain text; escape it for mrkdwn.
func OncallUsage() string {
	return strings.Join([]string{
		"Usage of /oncall:",
		"/oncall — who is on call now, for every schedule",
		"/oncall <schedule> — who is on call now and the next shifts",
		"/oncall override <schedule> @user <from> <to> — put someone on call for a while",
		"    <from> and <to> are 2026-03-01T09:00 (in the schedule's time zone),",
		"    2026-03-01 09:00 (the same), or RFC 3339 with a zone, 2026-03-01T09:00:00+05:00",
		"/oncall handoff [schedule] — post the shift handoff now",
		"/oncall help — show this help",
	}, "\n")
}

// TimeArg is a time typed in a command: either absolute (RFC 3339 with a
// zone) or a wall-clock time that still needs the schedule's zone.
type TimeArg struct {
	// Time is the absolute time when Zoned; otherwise its UTC fields hold the
	// wall-clock date and time as typed.
	Time  time.Time
	Zoned bool
}

// In returns the time, reading a wall-clock time in loc (nil: UTC). In a DST
// gap or overlap it follows time.Date's normalization.
func (t TimeArg) In(loc *time.Location) time.Time {
	if t.Zoned {
		return t.Time
	}
	if loc == nil {
		loc = time.UTC
	}
	w := t.Time
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, loc)
}

// IsZero reports whether no time was given.
func (t TimeArg) IsZero() bool { return t.Time.IsZero() }

// OncallCommand is a parsed /oncall command.
type OncallCommand struct {
	Verb     OncallVerb
	Schedule string  // schedule, override, and handoff (optional)
	User     UserRef // override
	From, To TimeArg // override
}

// OverrideWindow returns the override's start and end in the schedule's zone
// loc, and an error when the end is not after the start.
func (c OncallCommand) OverrideWindow(loc *time.Location) (from, to time.Time, err error) {
	from, to = c.From.In(loc), c.To.In(loc)
	if !to.After(from) {
		return from, to, usageErr(OncallOverride.usage(), "The override must end after it starts.")
	}
	return from, to, nil
}

// ParseOncall parses the text of an /oncall slash command. Empty text asks
// who is on call now. Times in override are 2006-01-02T15:04 or
// "2006-01-02 15:04" in the schedule's zone (resolved later with TimeArg.In),
// or RFC 3339 with an explicit zone. Every error is a *UsageError. It never
// panics, whatever the text.
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

	case "handoff":
		usage := OncallHandoff.usage()
		if len(args) > 1 {
			return OncallCommand{}, usageErr(usage, "handoff takes at most one schedule.")
		}
		cmd := OncallCommand{Verb: OncallHandoff}
		if len(args) == 1 {
			if !isName(args[0].text) {
				return OncallCommand{}, usageErr(usage, "%s is not a schedule name.", quote(args[0].text))
			}
			cmd.Schedule = args[0].text
		}
		return cmd, nil

	case "override":
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

	var times []TimeArg
	rest := args[2:]
	for len(rest) > 0 {
		if len(times) == 2 {
			return OncallCommand{}, usageErr(usage, "override takes a start and an end only; %s is extra.", quote(rest[0].text))
		}
		tok := rest[0].text
		rest = rest[1:]
		// "2006-01-02 15:04" arrives as two tokens.
		if len(rest) > 0 && isDate(tok) && isClock(rest[0].text) {
			tok += "T" + rest[0].text
			rest = rest[1:]
		}
		t, err := parseTimeArg(tok)
		if err != nil {
			return OncallCommand{}, usageErr(usage, "%s is not a time; write 2026-03-01T09:00 (schedule's zone) or 2026-03-01T09:00:00+05:00.", quote(tok))
		}
		times = append(times, t)
	}
	if len(times) < 2 {
		return OncallCommand{}, usageErr(usage, "override needs a start and an end time.")
	}
	cmd.From, cmd.To = times[0], times[1]
	if cmd.From.Zoned == cmd.To.Zoned && !cmd.To.Time.After(cmd.From.Time) {
		return OncallCommand{}, usageErr(usage, "The override must end after it starts.")
	}
	return cmd, nil
}

// parseTimeArg reads RFC 3339 (with a zone) or a wall-clock 2006-01-02T15:04.
func parseTimeArg(s string) (TimeArg, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return TimeArg{Time: t, Zoned: true}, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return TimeArg{Time: t}, nil
		}
	}
	return TimeArg{}, fmt.Errorf("not a time: %q", s)
}

func isDate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

func isClock(s string) bool {
	_, err := time.Parse("15:04", s)
	return err == nil
}
