package bot

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/postmortem"
)

// Postmortems is what /incident postmortem and the summary's Postmortem
// button need; internal/app implements it over durable jobs.
type Postmortems interface {
	// RequestDraft asks for the postmortem draft of incident n to be written
	// now (a durable job, idempotent per incident) and says where it is.
	// incidents.ErrNotFound for an unknown incident.
	RequestDraft(ctx context.Context, n int64, actor string) (DraftRequest, error)
	// SetStatus moves the postmortem of incident n to st and returns the
	// message to post in the channel: mrkdwn, already escaped.
	SetStatus(ctx context.Context, n int64, st postmortem.Status, actor string) (message string, err error)
}

// DraftRequest is what RequestDraft says about the draft.
type DraftRequest struct {
	URL string // the postmortem's page
	// Posted reports that the draft exists and its link is already in the
	// incident channel, so nothing new will be posted there: the answer
	// says where the draft is.
	Posted bool
	Status postmortem.Status // draft, in-review or final
}

// postmortemReply answers /incident postmortem [status …] and the
// Postmortem button: the draft is queued, or the status moved.
func (h *Handler) postmortemReply(ctx context.Context, log *logrus.Entry, n int64, st postmortem.Status, actor string) reply {
	if h.o.Postmortems == nil {
		return ephemeralf("%s", h.t("command.postmortem_unavailable", nil))
	}
	if st != "" {
		msg, err := h.o.Postmortems.SetStatus(ctx, n, st, actor)
		if err != nil {
			return ephemeralf("%s", h.friendly(log, n, err))
		}
		return inChannelf("%s", msg)
	}
	d, err := h.o.Postmortems.RequestDraft(ctx, n, actor)
	if err != nil {
		return ephemeralf("%s", h.friendly(log, n, err))
	}
	data := M{"Number": n, "Link": slacktext.Link(d.URL, h.t("command.postmortem_page", nil)), "Status": string(d.Status)}
	if d.Posted {
		return ephemeralf("%s", h.t("command.postmortem_exists", data))
	}
	return ephemeralf("%s", h.t("command.postmortem_requested", data))
}

// PostOnce posts a message (mrkdwn text, already escaped) in the channel of
// incident number, once: a message of the bot whose first block carries
// blockID is adopted instead, so a crash between posting and recording the
// ts posts nothing twice. It returns the message's ts, or an error that
// NoChannelYet reports while the channel does not exist yet.
func (n *Notifier) PostOnce(ctx context.Context, number int64, blockID, text string) (string, error) {
	st, err := n.state.SlackState(ctx, number)
	if err != nil {
		return "", fmt.Errorf("post in the channel of incident #%d: %w", number, err)
	}
	if st.ChannelID == "" {
		return "", fmt.Errorf("post in the channel of incident #%d: %w", number, errNoChannelYet)
	}
	ts, err := n.findOwnMessage(ctx, st.ChannelID, blockID)
	if err != nil || ts != "" {
		return ts, err
	}
	blocks := []slack.Block{mrkdwnSection(text)}
	setBlockID(blocks, blockID)
	_, ts, err = n.api.PostMessageContext(ctx, st.ChannelID, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		return "", fmt.Errorf("post in the channel of incident #%d: %w", number, err)
	}
	return ts, nil
}
