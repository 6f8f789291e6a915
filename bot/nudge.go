package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/slackstate"
	"github.com/incidentbot/incidentbot/incidents"
)

// nudgeBlockID, with the incident number and the due time in Unix
// milliseconds, marks a reminder so one posted but not recorded is adopted.
const nudgeBlockID = "nudge-%d-%d"

// Nudge is one status-update reminder that is due: incident Incident has had
// no status update since Due minus a whole number of its severity's intervals.
type Nudge struct {
	Incident int64
	Due      time.Time
}

// Key is the idempotency key of the job that posts the nudge,
// "nudge:<number>:<due unix>".
func (g Nudge) Key() string { return fmt.Sprintf("nudge:%d:%d", g.Incident, g.Due.Unix()) }

// DueNudges lists the reminders due at now (incidents.Service.UpdateDue) for
// incidents with a channel that were not reminded of that due time yet.
// Missed intervals collapse into the latest, so each interval gets at most
// one reminder.
func (n *Notifier) DueNudges(ctx context.Context, now time.Time) ([]Nudge, error) {
	open, err := n.svc.List(ctx, incidents.ListOptions{OpenOnly: true})
	if err != nil {
		return nil, fmt.Errorf("list open incidents for nudges: %w", err)
	}
	var out []Nudge
	for _, inc := range open {
		due, ok := n.svc.UpdateDue(inc, now)
		if !ok {
			continue
		}
		st, err := n.state.SlackState(ctx, inc.Number)
		if err != nil {
			return nil, fmt.Errorf("read Slack state for nudges: %w", err)
		}
		if st.ChannelID != "" && st.NudgedAt.Before(due) {
			out = append(out, Nudge{Incident: inc.Number, Due: due})
		}
	}
	return out, nil
}

// Nudge posts the reminder due at due in the incident's channel and records
// it. It does nothing when that reminder (or a later one) was already posted,
// when the incident is resolved, or when a status update since made due stale.
func (n *Notifier) Nudge(ctx context.Context, number int64, due time.Time) error {
	inc, err := n.svc.Get(ctx, number)
	if err != nil {
		return fmt.Errorf("nudge incident #%d: %w", number, err)
	}
	st, err := n.state.SlackState(ctx, number)
	if err != nil {
		return fmt.Errorf("nudge incident #%d: read Slack state: %w", number, err)
	}
	log := n.log.WithFields(logrus.Fields{"incident": number, "channel": st.ChannelID})
	if st.ChannelID == "" || !st.NudgedAt.Before(due) || !n.svc.UpdateStillDue(inc, due) {
		return nil
	}
	blockID := fmt.Sprintf(nudgeBlockID, number, due.UnixMilli())
	ts, err := n.findOwnMessage(ctx, st.ChannelID, blockID)
	if err != nil {
		return fmt.Errorf("nudge incident #%d: %w", number, err)
	}
	if ts == "" {
		text := n.t("nudge.status", n.opts.Lang.Short(due.Sub(inc.LastStatusUpdate())))
		block := slack.NewSectionBlock(mrkdwn(text), nil, nil, slack.SectionBlockOptionBlockID(blockID))
		if _, ts, err = n.api.PostMessageContext(ctx, st.ChannelID,
			slack.MsgOptionText(text, false), slack.MsgOptionBlocks(block)); err != nil {
			return fmt.Errorf("nudge incident #%d: post reminder: %w", number, err)
		}
		log.WithField("ts", ts).Info("posted status-update reminder")
	}
	if err := n.record(ctx, &st, func(r *slackstate.Incident) {
		if r.NudgedAt.Before(due) {
			r.NudgedAt = due
		}
	}); err != nil {
		return fmt.Errorf("nudge incident #%d: %w", number, err)
	}
	return nil
}
