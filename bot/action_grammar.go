package bot

import (
	"strconv"
	"strings"
	"time"
)

// The state changes of /incident action done|reopen <id>.
const (
	ActionMarkDone   = "done"
	ActionMarkReopen = "reopen"
)

// maxDueAhead bounds a due date: follow-ups are planned within years, not ages.
const maxDueAhead = 5 * 366 * day

// DueForms is the usage text for due dates.
const DueForms = "2026-12-24, today, tomorrow, +3d, +2w, fri"

// parseActionArgs parses what follows /incident action: <text> [@owner]
// [due <date>] (owner and due in either order at the end), or done|reopen <id>.
func parseActionArgs(cmd *IncidentCommand, text string, args []token, usage usageLine) error {
	if len(args) == 0 {
		return usage.t("grammar.action_needs", nil)
	}
	if w := strings.ToLower(args[0].text); (w == ActionMarkDone || w == ActionMarkReopen) && len(args) <= 2 {
		if len(args) == 1 {
			return usage.t("grammar.action_mark_needs", M{"Mark": w})
		}
		if id, ok := parseActionID(args[1].text); ok {
			cmd.ActionMark, cmd.ActionID = w, id
			return nil
		}
	}
	end := len(args)
	for changed := true; changed; {
		changed = false
		if cmd.User.IsZero() && end > 1 {
			if u, ok := parseUser(args[end-1].text); ok {
				cmd.User, end, changed = u, end-1, true
				continue
			}
		}
		if cmd.Due == "" && end > 2 && strings.EqualFold(args[end-2].text, "due") {
			d := strings.ToLower(args[end-1].text)
			if _, err := DueDate(d, time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), time.UTC); err != nil {
				return usage.t("grammar.due_not", M{"Forms": DueForms, "Token": quote(args[end-1].text)})
			}
			cmd.Due, end, changed = d, end-2, true
		}
	}
	cmd.Text = plainText(text[args[0].start:args[end-1].end])
	if cmd.Text == "" {
		return usage.t("grammar.action_needs", nil)
	}
	return nil
}

func parseActionID(s string) (int, bool) {
	s = strings.TrimPrefix(s, "#")
	if s == "" || strings.TrimLeft(s, "0123456789") != "" || len(s) > 6 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

// parseListArgs parses what follows /incident list: nothing (open
// incidents) or actions [@owner] (open follow-ups).
func parseListArgs(cmd *IncidentCommand, args []token, usage usageLine) error {
	if len(args) == 0 {
		return nil
	}
	if strings.ToLower(args[0].text) != "actions" || len(args) > 2 {
		return usage.t("grammar.list_not", nil)
	}
	cmd.ListActions = true
	if len(args) == 2 {
		u, ok := parseUser(args[1].text)
		if !ok {
			return usage.t("grammar.list_owner_not", M{"Token": quote(args[1].text)})
		}
		cmd.User = u
	}
	return nil
}

// DueDate reads a due date, relative to now in the zone loc, as the end of
// that day (23:59:59 local): 2026-12-24, today, tomorrow, +3d, +2w, or a
// weekday (mon … sun, monday … sunday: the next one after today).
func DueDate(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	s = strings.ToLower(strings.TrimSpace(s))
	local := now.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	var d time.Time
	switch {
	case s == "today":
		d = today
	case s == "tomorrow":
		d = today.AddDate(0, 0, 1)
	case strings.HasPrefix(s, "+") && len(s) > 2 && (strings.HasSuffix(s, "d") || strings.HasSuffix(s, "w")):
		n, err := strconv.Atoi(s[1 : len(s)-1])
		if err != nil || n < 0 || n > 3660 || strings.HasPrefix(s[1:], "+") || strings.HasPrefix(s[1:], "-") {
			return time.Time{}, &dueError{input: s}
		}
		if strings.HasSuffix(s, "w") {
			n *= 7
		}
		d = today.AddDate(0, 0, n)
	default:
		if wd, ok := weekdays[s]; ok {
			ahead := (int(wd) - int(today.Weekday()) + 7) % 7
			if ahead == 0 {
				ahead = 7
			}
			d = today.AddDate(0, 0, ahead)
			break
		}
		t, err := time.ParseInLocation("2006-01-02", s, loc)
		if err != nil {
			return time.Time{}, &dueError{input: s}
		}
		d = t
	}
	end := time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, loc)
	if end.Sub(now) > maxDueAhead {
		return time.Time{}, &dueError{input: s, tooFar: true}
	}
	return end.UTC(), nil
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}
