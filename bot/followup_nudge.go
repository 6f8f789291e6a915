package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/incidents"
)

// maxNudgeActions bounds the follow-ups one reminder lists.
const maxNudgeActions = 20

// nudgeLookBack is how far back NudgeOverdue looks for its reminder: a week,
// the period a reminder's blockID names.
const nudgeLookBack = 7 * 24 * time.Hour

// NudgeOverdue sends owner a direct message listing their overdue
// follow-ups, once per blockID: a message of the bot in the DM whose first
// block carries blockID is taken as already sent (a retry after a crash, or
// a second scan in the same week, sends nothing). The DM is the reminder's
// only record, so it always looks, over the past week.
func (n *Notifier) NudgeOverdue(ctx context.Context, owner, blockID string, overdue []incidents.OpenAction) error {
	if len(overdue) == 0 {
		return nil
	}
	ctx = lookBack(ctx, n.opts.Now().Add(-nudgeLookBack))
	ch, _, _, err := n.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{owner}})
	if err != nil {
		return fmt.Errorf("open a DM with %s: %w", owner, err)
	}
	text := overdueText(n.opts.Lang, overdue, n.opts.PublicURL, n.opts)
	if _, err := n.postOnce(ctx, ch.ID, blockID, text, []slack.Block{mrkdwnSection(text)}); err != nil {
		return fmt.Errorf("remind %s of overdue follow-ups: %w", owner, err)
	}
	return nil
}

func overdueText(l Lang, overdue []incidents.OpenAction, publicURL string, o NotifierOptions) string {
	var b strings.Builder
	b.WriteString(l.Text("followup.overdue", len(overdue)))
	for i, oa := range overdue {
		if i == maxNudgeActions {
			b.WriteString("\n" + l.Text("followup.more", len(overdue)-i))
			break
		}
		ref := fmt.Sprintf("#%d", oa.Incident.Number)
		if u := incidentURL(publicURL, oa.Incident.Number); u != "" {
			ref = slacktext.Link(u, ref)
		}
		b.WriteString("\n" + l.Text("followup.action", M{"Ref": ref, "ID": oa.Action.ID,
			"Text": slacktext.Escape(slacktext.Truncate(oneLine(oa.Action.Text), 150)), "Due": l.ShortDate(oa.Action.Due.In(o.Location))}))
	}
	first := overdue[0]
	b.WriteString("\n" + l.Text("followup.done_hint", M{"Number": first.Incident.Number, "ID": first.Action.ID}))
	return slacktext.Truncate(b.String(), maxSectionText)
}
