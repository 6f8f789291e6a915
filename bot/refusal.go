package bot

import (
	"errors"

	"github.com/incidentbot/incidentbot/incidents"
)

// refusalText is the sentence of the incidents.UserError that err is or
// wraps, in l: its message refusal.<Code> rendered with its Data, or its
// English Message when the refusal has no Code this side knows
// (TestEveryMessageIsDefined holds every code the code base uses to a
// template). Like
// incidents.UserMessage, the text is plain (friendly's sentence escapes it,
// keeping the service's <@U…> mentions). ok is false when err is no
// UserError.
func refusalText(l Lang, err error) (string, bool) {
	var ue *incidents.UserError
	if !errors.As(err, &ue) {
		return "", false
	}
	name := "refusal." + ue.Code
	if ue.Code == "" || !l.Has(name) {
		return ue.Message, true
	}
	return l.Text(name, ue.Data), true
}
