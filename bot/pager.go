package bot

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/sirupsen/logrus"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/pace"
	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
)

// ActionDecline is the page's "Decline (escalate now)" button; its value is
// the incident number. The page's Acknowledge button is ActionAcknowledge.
const ActionDecline = "page_decline"

// pageBlockID marks a page's message (with the page ID), so a page posted
// but not recorded before a crash is adopted, not posted again.
const pageBlockID = "page:%s"

// SendPage posts page p of incident number: to a user, a direct message
// (conversations.open, then chat.postMessage) with Acknowledge and Decline
// buttons, and an invitation to the incident's channel; to a channel, a
// message there. note is a manual page's message, shown under the title. It
// returns where the message is, and whether it links the incident's
// channel: a page never waits for the channel; one sent before it exists is
// linked by LinkPage. Its Slack calls go first in line (pace.Page).
func (n *Notifier) SendPage(ctx context.Context, number int64, p oncall.PageRecord, note string) (channel, ts string, linked bool, err error) {
	ctx = pace.WithPriority(ctx, pace.Page)
	inc, err := n.svc.Get(ctx, number)
	if err != nil {
		return "", "", false, err
	}
	st, err := n.state.SlackState(ctx, number)
	if err != nil {
		return "", "", false, fmt.Errorf("page for incident #%d: %w", number, err)
	}
	if p.User != "" {
		dm, _, _, err := n.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{p.User}})
		if err != nil {
			return "", "", false, fmt.Errorf("conversations.open with %s: %w", p.User, err)
		}
		channel = dm.ID
	} else {
		name, _ := strings.CutPrefix(p.Target, string(oncall.TargetChannel)+":")
		if channel, err = n.channelID(ctx, name); err != nil {
			return "", "", false, err
		}
		if _, _, _, err := n.api.JoinConversationContext(ctx, channel); err != nil && ErrorCode(err) != "method_not_supported_for_channel_type" {
			return "", "", false, fmt.Errorf("join %s: %w", name, err)
		}
	}
	blockID := fmt.Sprintf(pageBlockID, p.ID)
	if ts, err = n.findOwnMessage(ctx, channel, blockID); err != nil {
		return "", "", false, err
	}
	if ts == "" {
		text, blocks := pageBlocks(n.opts.Lang, inc, st.ChannelID, p, note, n.opts.PublicURL)
		setBlockID(blocks, blockID)
		if _, ts, err = n.api.PostMessageContext(ctx, channel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
			return "", "", false, fmt.Errorf("post page %s: %w", p.ID, err)
		}
	}
	if st.ChannelID == "" {
		return channel, ts, false, nil
	}
	if err := n.invitePaged(ctx, st.ChannelID, p); err != nil {
		return channel, ts, false, err
	}
	return channel, ts, true, nil
}

// invitePaged invites a paged person to the incident's channel.
func (n *Notifier) invitePaged(ctx context.Context, channelID string, p oncall.PageRecord) error {
	if p.User == "" {
		return nil
	}
	if _, err := n.api.InviteUsersToConversationContext(ctx, channelID, p.User); err != nil && !inviteHandled[ErrorCode(err)] {
		return fmt.Errorf("invite %s to the incident channel: %w", p.User, err)
	}
	return nil
}

// LinkPage adds the incident channel's link to page p, sent before the
// channel existed, and invites its person; linked is false while there is
// still no channel.
func (n *Notifier) LinkPage(ctx context.Context, p oncall.PageRecord, inc *incidents.Incident, note string) (bool, error) {
	ctx = pace.WithPriority(ctx, pace.Page)
	st, err := n.state.SlackState(ctx, inc.Number)
	if err != nil {
		return false, fmt.Errorf("link page %s: %w", p.ID, err)
	}
	if st.ChannelID == "" {
		return false, nil
	}
	if p.State == oncall.PageOpen && p.Channel != "" && p.TS != "" {
		text, blocks := pageBlocks(n.opts.Lang, inc, st.ChannelID, p, note, n.opts.PublicURL)
		setBlockID(blocks, fmt.Sprintf(pageBlockID, p.ID))
		if _, _, _, err := n.api.UpdateMessageContext(ctx, p.Channel, p.TS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
			return false, fmt.Errorf("link page %s: %w", p.ID, err)
		}
	}
	return true, n.invitePaged(ctx, st.ChannelID, p)
}

// channelID resolves "#name" (or a channel ID) to an ID.
func (n *Notifier) channelID(ctx context.Context, name string) (string, error) {
	if slacktext.IsID(name, "CG") {
		return name, nil
	}
	ch, err := n.findChannel(ctx, strings.TrimPrefix(name, "#"), []string{"public_channel", "private_channel"})
	if err != nil {
		return "", err
	}
	if ch == nil {
		return "", fmt.Errorf("channel %s: %w", name, ErrNoSuchChannel)
	}
	return ch.ID, nil
}

// pageBlocks renders a page: who is paged for what, with the incident's
// severity, the alert summary and a link to its channel, and the buttons.
func pageBlocks(l Lang, inc *incidents.Incident, channelID string, p oncall.PageRecord, note, publicURL string) (string, []slack.Block) {
	num := fmt.Sprint(inc.Number)
	title := slacktext.EscapeTruncate(oneLine(inc.Title), 300)
	head := l.Text("page.head_user", M{"Number": inc.Number, "Title": title})
	if p.User == "" {
		head = l.Text("page.head_channel", M{"Number": inc.Number, "Title": title})
	}
	channel := ""
	if channelID != "" {
		channel = "<#" + channelID + ">"
	}
	lines := []string{head, l.Text("page.severity", M{"Severity": slacktext.Escape(inc.Severity), "Status": statusName(l, inc.Status), "Channel": channel})}
	if s := incidentAlertSummary(inc); s != "" {
		lines = append(lines, "> "+slacktext.EscapeTruncate(oneLine(s), 500))
	}
	if note = strings.TrimSpace(note); note != "" {
		lines = append(lines, l.Text("page.message", slacktext.EscapeTruncate(oneLine(note), 500)))
	}
	if p.Level > 0 {
		via := slacktext.Escape(p.Policy)
		if p.Schedule != "" {
			via = l.Text("page.via_schedule", slacktext.Escape(p.Schedule))
		}
		lines = append(lines, l.Text("page.escalation", M{"Level": p.Level, "Via": via,
			"Details": slacktext.Link(incidentURL(publicURL, inc.Number), l.Text("page.details", nil))}))
	}
	buttons := []slack.BlockElement{slack.NewButtonBlockElement(ActionAcknowledge, num, plain(l.Text("page.button_ack", nil))).WithStyle(slack.StylePrimary)}
	if p.User != "" {
		buttons = append(buttons, slack.NewButtonBlockElement(ActionDecline, num, plain(l.Text("page.button_decline", nil))).WithStyle(slack.StyleDanger))
	}
	blocks := []slack.Block{mrkdwnSection(strings.Join(lines, "\n"))}
	if !oncall.IsRepage(inc.Number, p.Step) { // acknowledged already: no buttons
		blocks = append(blocks, slack.NewActionBlock("page_actions", buttons...))
	}
	text := l.Text("page.text", M{"Number": inc.Number, "Title": title, "Severity": slacktext.Escape(inc.Severity)})
	return text, blocks
}

// incidentAlertSummary is the summary of the incident's first firing
// alert (or of any alert), empty when there is none.
func incidentAlertSummary(inc *incidents.Incident) string {
	alerts := inc.FiringAlerts()
	if len(alerts) == 0 {
		alerts = inc.SortedAlerts()
	}
	for _, a := range alerts {
		if s := alertSummary(a); s != "" {
			return s
		}
	}
	return ""
}

// ErrNoSuchChannel is returned by SendPage for a channel target that does
// not exist: retrying cannot fix it.
var ErrNoSuchChannel = paging.ErrNoSuchChannel

// ClosePage replaces the buttons of a posted page with a line saying how it
// ended, e.g. "Acknowledged by @ann at 09:12". Updating again is harmless.
// Its call goes first in line, with the pages (pace.Page).
func (n *Notifier) ClosePage(ctx context.Context, p oncall.PageRecord, inc *incidents.Incident) error {
	ctx = pace.WithPriority(ctx, pace.Page)
	if p.Channel == "" || p.TS == "" {
		return nil
	}
	at := p.ClosedAt.In(n.opts.Location).Format("15:04 MST")
	var outcome string
	by := M{"User": slacktext.UserMention(p.ClosedBy), "At": at}
	switch p.State {
	case oncall.PageAcknowledged:
		outcome = n.t("page.acknowledged", by)
	case oncall.PageDeclined:
		outcome = n.t("page.declined", by)
	default:
		outcome = n.t("page.closed", at)
		if inc.ResolvedAt != nil {
			outcome = n.t("page.resolved", at)
		}
	}
	head := n.t("page.closed_head", M{"Number": inc.Number, "Title": slacktext.EscapeTruncate(oneLine(inc.Title), 300), "Severity": slacktext.Escape(inc.Severity)})
	blocks := []slack.Block{mrkdwnSection(head + "\n" + outcome)}
	setBlockID(blocks, fmt.Sprintf(pageBlockID, p.ID))
	if _, _, _, err := n.api.UpdateMessageContext(ctx, p.Channel, p.TS,
		slack.MsgOptionText(n.t("page.closed_text", M{"Number": inc.Number, "Outcome": outcome}), false), slack.MsgOptionBlocks(blocks...)); err != nil {
		return fmt.Errorf("update page %s: %w", p.ID, err)
	}
	return nil
}

// unackedBlockID marks the "nobody acknowledged" notice of an incident.
const unackedBlockID = "unacked-%d"

// NobodyAcknowledged tells the announce channel and the incident's channel,
// once each, that nobody acknowledged the incident, naming everyone paged.
func (n *Notifier) NobodyAcknowledged(ctx context.Context, number int64, paged []string) error {
	inc, err := n.svc.Get(ctx, number)
	if err != nil {
		return err
	}
	st, err := n.state.SlackState(ctx, number)
	if err != nil {
		return err
	}
	var who []string
	for _, u := range paged {
		who = append(who, slacktext.UserMention(u))
	}
	sort.Strings(who)
	text := n.t("page.unacknowledged", M{"Number": inc.Number, "Title": slacktext.EscapeTruncate(oneLine(inc.Title), 300),
		"Severity": slacktext.Escape(inc.Severity), "Paged": strings.Join(who, ", ")})
	var channels []string
	if st.ChannelID != "" {
		channels = append(channels, st.ChannelID)
	}
	if strings.TrimSpace(n.opts.AnnounceChannel) != "" {
		id, err := n.announceChannel(ctx)
		if err != nil {
			return err
		}
		channels = append(channels, id)
	}
	blockID := fmt.Sprintf(unackedBlockID, number)
	for _, ch := range channels {
		if _, err := n.postOnce(ctx, ch, blockID, text, []slack.Block{mrkdwnSection(text)}); err != nil {
			return fmt.Errorf("tell %s nobody acknowledged: %w", ch, err)
		}
	}
	return nil
}

// Paging is what the handler asks of the pager: a decline from a page's
// button, and a page by hand (/incident page). Each returns the sentence to
// show the person, or a UserError.
type Paging interface {
	Decline(ctx context.Context, number int64, user string) (string, error)
	PageByHand(ctx context.Context, number int64, target, message, actor string) (string, error)
}

// decline runs a page's "Decline (escalate now)" button.
func (h *Handler) decline(ctx context.Context, log *logrus.Entry, value, user string) reply {
	n, err := incidentFromValue(value)
	if err != nil {
		return ephemeralf("%s", h.t("page.bad_button", nil))
	}
	if h.o.Paging == nil {
		return ephemeralf("%s", h.t("page.not_configured", nil))
	}
	msg, err := h.o.Paging.Decline(ctx, n, user)
	if err != nil {
		return ephemeralf("%s", h.friendly(log.WithField("incident", n), n, err))
	}
	return ephemeralf("%s", msg)
}

// pageByHand runs /incident page <schedule|@user>.
func (h *Handler) pageByHand(ctx context.Context, log *logrus.Entry, n int64, cmd command.Incident, actor string) reply {
	if h.o.Paging == nil {
		return ephemeralf("%s", h.t("page.not_configured", nil))
	}
	var target string
	switch {
	case cmd.Schedule != "":
		target = string(oncall.TargetSchedule) + ":" + cmd.Schedule
	case cmd.User.Resolved():
		target = string(oncall.TargetUser) + ":" + cmd.User.ID
	default:
		return ephemeralf("%s", h.t("page.whom", nil))
	}
	msg, err := h.o.Paging.PageByHand(ctx, n, target, cmd.Text, actor)
	if err != nil {
		return ephemeralf("%s", h.friendly(log, n, err))
	}
	return inChannelf("%s", msg)
}
