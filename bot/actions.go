package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/oncall"
)

// actionReply answers /incident action: a new follow-up with its owner and
// due date, or one marked done or open again.
func (h *Handler) actionReply(ctx context.Context, log *logrus.Entry, n int64, cmd command.Incident, actor string) reply {
	if cmd.ActionMark != "" {
		done := cmd.ActionMark == command.ActionMarkDone
		after, err := h.svc.SetActionDone(ctx, n, cmd.ActionID, done, actor)
		if err != nil {
			return ephemeralf("%s", h.friendly(log, n, err))
		}
		text := ""
		for _, a := range after.Actions {
			if a.ID == cmd.ActionID {
				text = a.Text
			}
		}
		return inChannelf("%s", h.t("command.action_marked", M{"Actor": slacktext.UserMention(actor), "Done": done, "ID": cmd.ActionID,
			"Number": n, "Text": slacktext.Escape(slacktext.Truncate(oneLine(text), 200))}))
	}
	if !cmd.User.IsZero() && !cmd.User.Resolved() {
		return h.unresolvedUser(cmd.User)
	}
	var due time.Time
	if cmd.Due != "" {
		var err error
		if due, err = oncall.DueDate(cmd.Due, h.o.Now(), h.o.Location); err != nil {
			return ephemeralf("%s", dueErrorText(h.o.Lang, err))
		}
	}
	after, err := h.svc.AddActionDue(ctx, n, cmd.Text, cmd.User.ID, due, actor)
	if err != nil {
		return ephemeralf("%s", h.friendly(log, n, err))
	}
	owned, dueOn := "", ""
	if cmd.User.ID != "" {
		owned = slacktext.UserMention(cmd.User.ID)
	}
	if !due.IsZero() {
		dueOn = h.o.Lang.ShortDate(due.In(h.o.Location))
	}
	return ephemeralf("%s", h.t("command.action_added", M{"ID": len(after.Actions), "Number": n, "Owner": owned, "Due": dueOn}))
}

// listActionsReply answers /incident list actions [@owner]: the open
// follow-ups across every incident (the store keeps an index of them), newest first.
func (h *Handler) listActionsReply(ctx context.Context, log *logrus.Entry, owner command.UserRef) reply {
	if !owner.IsZero() && !owner.Resolved() {
		return h.unresolvedUser(owner)
	}
	incs, err := h.svc.List(ctx, incidents.ListOptions{OpenActions: true})
	if err != nil {
		return ephemeralf("%s", h.friendly(log, 0, err))
	}
	open := incidents.OpenActions(incs, owner.ID, listMax+1)
	whose := ""
	if owner.ID != "" {
		whose = slacktext.UserMention(owner.ID)
	}
	if len(open) == 0 {
		return ephemeralf("%s", h.t("command.actions_none", whose))
	}
	more := len(open) > listMax
	if more {
		open = open[:listMax]
	}
	now := h.o.Now()
	var b strings.Builder
	b.WriteString(h.t("command.actions_header", whose))
	for _, oa := range open {
		a := oa.Action
		b.WriteString("\n" + h.t("command.actions_item", M{"Number": oa.Incident.Number, "ID": a.ID, "Text": slacktext.Escape(slacktext.Truncate(oneLine(a.Text), 150))}))
		if a.Owner != "" && owner.ID == "" {
			b.WriteString(" — " + slacktext.UserMention(a.Owner))
		}
		if !a.Due.IsZero() {
			b.WriteString(" — " + h.t("summary.due", h.o.Lang.ShortDate(a.Due.In(h.o.Location))))
			if a.Overdue(now) {
				b.WriteString(" " + h.t("summary.overdue", nil))
			}
		}
	}
	if more {
		b.WriteString("\n" + h.t("command.only_newest", nil))
	}
	return ephemeralf("%s", b.String())
}

// maxSummaryActions bounds the follow-ups the pinned summary lists.
const maxSummaryActions = 10

// actionItemsBlock lists an incident's follow-ups with their state, owner
// and due date, open ones first; nil without any.
func actionItemsBlock(l Lang, inc *incidents.Incident, loc *time.Location, now time.Time) slack.Block {
	if len(inc.Actions) == 0 {
		return nil
	}
	as := make([]incidents.Action, 0, len(inc.Actions))
	for _, a := range inc.Actions {
		if !a.Done {
			as = append(as, a)
		}
	}
	open := len(as)
	for _, a := range inc.Actions {
		if a.Done {
			as = append(as, a)
		}
	}
	var b strings.Builder
	b.WriteString(l.Text("summary.followups", M{"Open": open, "Total": len(inc.Actions)}))
	for i, a := range as {
		if i == maxSummaryActions {
			b.WriteString("\n" + l.Text("summary.followups_more", len(as)-i))
			break
		}
		line := fmt.Sprintf("%d. %s", a.ID, slacktext.EscapeTruncate(oneLine(a.Text), 150))
		if a.Done {
			line = ":white_check_mark: ~" + line + "~"
		} else {
			line = ":black_square_button: " + line
		}
		if a.Owner != "" {
			line += " — " + slacktext.UserMention(a.Owner)
		}
		if !a.Due.IsZero() && !a.Done {
			line += " — " + l.Text("summary.due", l.ShortDate(a.Due.In(loc)))
			if !now.IsZero() && a.Overdue(now) {
				line += " " + l.Text("summary.overdue", nil)
			}
		}
		b.WriteString("\n" + line)
	}
	return mrkdwnSection(slacktext.Truncate(b.String(), maxSectionText))
}

// previousLinks say "this happened before": the earlier incident of the same
// alert group or alert name, and its postmortem.
func previousLinks(l Lang, inc *incidents.Incident, publicURL string) []string {
	if inc.Previous == 0 {
		return nil
	}
	u := incidentURL(publicURL, inc.Previous)
	if u == "" {
		return []string{l.Text("summary.previous", fmt.Sprintf("#%d", inc.Previous))}
	}
	return []string{
		l.Text("summary.previous", slacktext.Link(u, fmt.Sprintf("#%d", inc.Previous))),
		slacktext.Link(strings.TrimRight(publicURL, "/")+"/postmortems/"+strconv.FormatInt(inc.Previous, 10), l.Text("summary.previous_postmortem", nil)),
	}
}

// dueErrorText is the answer in l, as mrkdwn, to a due date oncall.DueDate
// rejected: what was wrong and the forms a due date takes.
func dueErrorText(l Lang, err error) string {
	var de *oncall.DueError
	if !errors.As(err, &de) {
		return l.Text("grammar.due_error", M{"Err": slacktext.Escape(err.Error()), "Forms": oncall.DueForms})
	}
	data := M{"Input": slacktext.Escape(strconv.Quote(de.Input)), "Forms": oncall.DueForms}
	if de.TooFar {
		return l.Text("grammar.due_far", data)
	}
	return l.Text("grammar.due_bad", data)
}
