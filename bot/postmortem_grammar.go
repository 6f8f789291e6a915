package bot

import (
	"strings"

	"github.com/incidentbot/incidentbot/postmortem"
)

// parsePostmortemArgs parses what follows /incident postmortem: nothing
// (write the draft now) or status <draft|in-review|final> ("in review" too).
func parsePostmortemArgs(cmd *IncidentCommand, args []token, usage string) error {
	if len(args) == 0 {
		return nil
	}
	if strings.ToLower(args[0].text) != "status" {
		return usageErr(usage, "postmortem takes nothing, or status and one of draft, in-review, final; not %s.", quote(args[0].text))
	}
	if len(args) == 1 || len(args) > 3 {
		return usageErr(usage, "postmortem status needs one of draft, in-review, final.")
	}
	st, err := postmortem.ParseStatus(strings.Join(tokenTexts(args[1:]), " "))
	if err != nil {
		return usageErr(usage, "postmortem status needs one of draft, in-review, final, not %s.", quote(strings.Join(tokenTexts(args[1:]), " ")))
	}
	cmd.PostmortemStatus = st
	return nil
}
