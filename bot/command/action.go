package command

import (
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/oncall"
)

// The state changes of /incident action done|reopen <id>.
const (
	ActionMarkDone   = "done"
	ActionMarkReopen = "reopen"
)

// actionArgs reads what follows /incident action: <text> [@owner]
// [due <date>] (owner and due in either order at the end), or done|reopen <id>.
func actionArgs(cmd *Incident, in input) error {
	text, args, usage := in.text, in.toks, in.usage
	if len(args) == 0 {
		return usage.t("grammar.action_needs", nil)
	}
	if w := strings.ToLower(args[0].text); (w == ActionMarkDone || w == ActionMarkReopen) && len(args) <= 2 {
		if len(args) == 1 {
			return usage.t("grammar.action_mark_needs", facts{"Mark": w})
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
			if _, err := oncall.DueDate(d, time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), time.UTC); err != nil {
				return usage.t("grammar.due_not", facts{"Forms": oncall.DueForms, "Token": quote(args[end-1].text)})
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

// listArgs reads what follows /incident list: nothing (open
// incidents) or actions [@owner] (open follow-ups).
func listArgs(cmd *Incident, in input) error {
	args, usage := in.toks, in.usage
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
			return usage.t("grammar.list_owner_not", facts{"Token": quote(args[1].text)})
		}
		cmd.User = u
	}
	return nil
}
