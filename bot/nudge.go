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

// DueNudges lists the reminders due at now: open incidents with a channel whose
// severity has an update interval, and whose latest due time
// (StatusAt + k·interval ≤ now, k ≥ 1) was not reminded yet. Missed intervals
// collapse into the latest, so each interval gets at most one reminder.
func (n *Notifier) DueNudges(ctx context.Context, now time.Time) ([]Nudge, error) {
	open, err := n.svc.List(ctx, incidents.ListOptions{OpenOnly: true})
	if err != nil {
		return nil, fmt.Errorf("list open incidents for nudges: %w", err)
	}
	every := n.intervals()
	var out []Nudge
	for _, inc := range open {
		due, ok := latestDue(inc, every[inc.Severity], now)
		if !ok || !inc.Open() {
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

// intervals maps severity names to their update intervals.
func (n *Notifier) intervals() map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, s := range n.svc.Severities() {
		out[s.Name] = s.UpdateEvery
	}
	return out
}

// latestDue returns the last StatusAt + k·every (k ≥ 1) at or before now, cut
// to whole seconds so it survives a round trip through a job key.
func latestDue(inc *incidents.Incident, every time.Duration, now time.Time) (time.Time, bool) {
	if every <= 0 {
		return time.Time{}, false
	}
	base := statusBase(inc)
	if base.IsZero() || now.Before(base.Add(every)) {
		return time.Time{}, false
	}
	k := now.Sub(base) / every
	return base.Add(k * every).Truncate(time.Second), true
}

// statusBase is when the last status update was: StatusAt, or the declaration
// for incidents stored before StatusAt existed.
func statusBase(inc *incidents.Incident) time.Time {
	if !inc.StatusAt.IsZero() {
		return inc.StatusAt
	}
	return inc.DeclaredAt
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
	every := n.intervals()[inc.Severity]
	switch {
	case !inc.Open(), st.ChannelID == "", every <= 0, !st.NudgedAt.Before(due):
		return nil
	case due.Before(statusBase(inc).Add(every).Truncate(time.Second)):
		return nil // a status update came after this reminder was planned
	}
	blockID := fmt.Sprintf(nudgeBlockID, number, due.UnixMilli())
	ts, err := n.findOwnMessage(ctx, st.ChannelID, blockID)
	if err != nil {
		return fmt.Errorf("nudge incident #%d: %w", number, err)
	}
	if ts == "" {
		text := fmt.Sprintf("⏰ No status update for %s — post one with `/incident status …`",
			formatDuration(due.Sub(statusBase(inc))))
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
