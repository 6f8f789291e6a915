package bot

import (
	"errors"

	"github.com/incidentbot/incidentbot/incidents"
)

// refusalText is the sentence of the incidents.UserError that err is or
// wraps, in l: its message refusal.<Code> rendered with its Data, or its
// English Message when the refusal has no Code this side knows. Like
// incidents.UserMessage, the text is plain (friendly's sentence escapes it,
// keeping the service's <@U…> mentions). ok is false when err is no
// UserError.
func refusalText(l Lang, err error) (string, bool) {
	var ue *incidents.UserError
	if !errors.As(err, &ue) {
		return "", false
	}
	var out string
	d := ue.Data
	// Each known code is rendered by its literal name, so
	// TestEveryMessageIsDefined holds every one to a template.
	switch ue.Code {
	case "no_group_key":
		out = l.Text("refusal.no_group_key", d)
	case "no_action":
		out = l.Text("refusal.no_action", d)
	case "action_already":
		out = l.Text("refusal.action_already", d)
	case "unknown_severity":
		out = l.Text("refusal.unknown_severity", d)
	case "title_empty":
		out = l.Text("refusal.title_empty", d)
	case "title_long":
		out = l.Text("refusal.title_long", d)
	case "severity_already":
		out = l.Text("refusal.severity_already", d)
	case "role_name":
		out = l.Text("refusal.role_name", d)
	case "role_user":
		out = l.Text("refusal.role_user", d)
	case "already_commander":
		out = l.Text("refusal.already_commander", d)
	case "already_role":
		out = l.Text("refusal.already_role", d)
	case "text_empty":
		out = l.Text("refusal.text_empty", d)
	case "action_text":
		out = l.Text("refusal.action_text", d)
	case "may_close":
		out = l.Text("refusal.may_close", d)
	case "unknown_status":
		out = l.Text("refusal.unknown_status", d)
	case "status_not_settable":
		out = l.Text("refusal.status_not_settable", d)
	case "resolved_reopen_first":
		out = l.Text("refusal.resolved_reopen_first", d)
	case "status_already":
		out = l.Text("refusal.status_already", d)
	case "ack_resolved":
		out = l.Text("refusal.ack_resolved", d)
	case "already_acknowledged":
		out = l.Text("refusal.already_acknowledged", d)
	case "not_resolved":
		out = l.Text("refusal.not_resolved", d)
	case "postmortem_already":
		out = l.Text("refusal.postmortem_already", d)
	default:
		return ue.Message, true
	}
	if out == "refusal."+ue.Code { // the message failed to render (reported to the Set's OnMessageError)
		return ue.Message, true
	}
	return out, true
}
