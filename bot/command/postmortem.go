package command

import (
	"strings"

	"github.com/incidentbot/incidentbot/postmortem"
)

// postmortemArgs reads what follows /incident postmortem: nothing
// (write the draft now) or status <draft|in-review|final> ("in review" too).
func postmortemArgs(cmd *Incident, in input) error {
	args, usage := in.toks, in.usage
	if len(args) == 0 {
		return nil
	}
	if strings.ToLower(args[0].text) != "status" {
		return usage.t("grammar.postmortem_not", facts{"Token": quote(args[0].text)})
	}
	if len(args) == 1 || len(args) > 3 {
		return usage.t("grammar.postmortem_status_needs", nil)
	}
	st, err := postmortem.ParseStatus(strings.Join(tokenTexts(args[1:]), " "))
	if err != nil {
		return usage.t("grammar.postmortem_status_not", facts{"Token": quote(strings.Join(tokenTexts(args[1:]), " "))})
	}
	cmd.PostmortemStatus = st
	return nil
}
