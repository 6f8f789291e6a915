package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/incidents"
)

// maxNudgeActions bounds the follow-ups one reminder lists.
const maxNudgeActions = 20

// NudgeOverdue sends owner a direct message listing their overdue
// follow-ups, once per blockID: a message of the bot in the DM whose first
// block carries blockID is taken as already sent (a retry after a crash, or
// a second scan in the same week, sends nothing).
func (n *Notifier) NudgeOverdue(ctx context.Context, owner, blockID string, overdue []incidents.OpenAction) error {
	if len(overdue) == 0 {
		return nil
	}
	ch, _, _, err := n.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{owner}})
	if err != nil {
		return fmt.Errorf("open a DM with %s: %w", owner, err)
	}
	text := overdueText(overdue, n.opts.PublicURL, n.opts)
	if _, err := n.postOnce(ctx, ch.ID, blockID, text, []slack.Block{mrkdwnSection(text)}); err != nil {
		return fmt.Errorf("remind %s of overdue follow-ups: %w", owner, err)
	}
	return nil
}

func overdueText(overdue []incidents.OpenAction, publicURL string, o NotifierOptions) string {
	var b strings.Builder
	noun := "follow-up actions are"
	if len(overdue) == 1 {
		noun = "follow-up action is"
	}
	fmt.Fprintf(&b, ":alarm_clock: %d of your %s overdue:", len(overdue), noun)
	for i, oa := range overdue {
		if i == maxNudgeActions {
			fmt.Fprintf(&b, "\n…and %d more: /incident list actions", len(overdue)-i)
			break
		}
		ref := fmt.Sprintf("#%d", oa.Incident.Number)
		if u := incidentURL(publicURL, oa.Incident.Number); u != "" {
			ref = Link(u, ref)
		}
		fmt.Fprintf(&b, "\n• %s action %d: %s — due %s", ref, oa.Action.ID,
			EscapeMrkdwn(Truncate(oneLine(oa.Action.Text), 150)), dueText(oa.Action.Due, o.Location))
	}
	first := overdue[0]
	fmt.Fprintf(&b, "\nWhen one is done: `/incident #%d action done %d`.", first.Incident.Number, first.Action.ID)
	return Truncate(b.String(), MaxSectionText)
}
