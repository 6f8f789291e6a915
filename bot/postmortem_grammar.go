package bot

import (
	"strings"

	"github.com/incidentbot/incidentbot/postmortem"
)

// parsePostmortemArgs parses what follows /incident postmortem: nothing
// (write the draft now) or status <draft|in-review|final> ("in review" too).
func parsePostmortemArgs(cmd *IncidentCommand, args []token, usage usageLine) error {
	if len(args) == 0 {
		return nil
	}
	if strings.ToLower(args[0].text) != "status" {
		return usage.t("grammar.postmortem_not", M{"Token": quote(args[0].text)})
	}
	if len(args) == 1 || len(args) > 3 {
		return usage.t("grammar.postmortem_status_needs", nil)
	}
	st, err := postmortem.ParseStatus(strings.Join(tokenTexts(args[1:]), " "))
	if err != nil {
		return usage.t("grammar.postmortem_status_not", M{"Token": quote(strings.Join(tokenTexts(args[1:]), " "))})
	}
	cmd.PostmortemStatus = st
	return nil
}
