package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/sirupsen/logrus"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
)

// ActionCause is the button that links an incident to a deployment; its
// value is "<number>:<deployment id>".
const ActionCause = "incident_cause"

// maxCauseOffers bounds the deployments offered as a likely cause.
const maxCauseOffers = 3

// linkCause records deployment id as the cause of incident n, on the
// timeline too, and says so in the channel.
func (h *Handler) linkCause(ctx context.Context, log *logrus.Entry, n int64, id, actor string) reply {
	if h.o.Deployments == nil {
		return ephemeralf("%s", h.t("cause.not_recorded", nil))
	}
	d, err := h.o.Deployments.Deployment(ctx, id)
	if errors.Is(err, deploys.ErrNotFound) {
		return ephemeralf("%s", h.t("cause.no_deployment", slacktext.Escape(slacktext.Truncate(id, 200))))
	}
	if err == nil {
		err = h.o.Deployments.SetCause(ctx, n, d.ID)
	}
	if err == nil {
		err = h.svc.Record(ctx, n, incidents.Event{
			ID:   fmt.Sprintf("%d:cause:%s", n, d.ID),
			Type: incidents.EventCauseLinked, Actor: actor,
			Text:   fmt.Sprintf("Caused by deployment %s: %s %s to %s", d.ID, d.Service, d.Version, d.Environment),
			Fields: map[string]string{"deployment": d.ID, "service": d.Service, "version": d.Version, "environment": d.Environment},
		})
	}
	if err != nil {
		return ephemeralf("%s", h.friendly(log, n, err))
	}
	return inChannelf("%s", h.t("cause.linked", M{"User": slacktext.UserMention(actor), "Number": n, "ID": slacktext.Escape(d.ID),
		"Service": slacktext.Escape(d.Service), "Version": slacktext.Escape(slacktext.Truncate(d.Version, 80)), "Environment": slacktext.Escape(d.Environment)}))
}

// causeOfferBlockID, with the incident number, marks the offer so one posted
// but not recorded is found again.
const causeOfferBlockID = "cause-offer-%d"

// OfferCauses posts, once, in the incident's channel the deployments that
// may have caused it, each with a button that links it. It returns an error
// while the channel does not exist yet, so the caller retries.
func (n *Notifier) OfferCauses(ctx context.Context, number int64, ds []deploys.Deployment) error {
	if len(ds) == 0 {
		return nil
	}
	st, err := n.state.SlackState(ctx, number)
	if err != nil {
		return fmt.Errorf("offer causes of incident #%d: %w", number, err)
	}
	if st.ChannelID == "" {
		return fmt.Errorf("offer causes of incident #%d: %w", number, errNoChannelYet)
	}
	blockID := fmt.Sprintf(causeOfferBlockID, number)
	text, blocks := causeOffer(n.opts.Lang, number, ds)
	if _, err := n.postOnce(ctx, st.ChannelID, blockID, text, blocks); err != nil {
		return fmt.Errorf("offer causes of incident #%d: %w", number, err)
	}
	return nil
}

// errNoChannelYet says the incident's channel is still being created.
var errNoChannelYet = errors.New("the incident has no channel yet")

// NoChannelYet reports an error that asks to try again once the channel exists.
func NoChannelYet(err error) bool { return errors.Is(err, errNoChannelYet) }

// causeOffer renders the offer in l: one line per deployment, newest
// first, each with its Link button.
func causeOffer(l Lang, number int64, ds []deploys.Deployment) (string, []slack.Block) {
	if len(ds) > maxCauseOffers {
		ds = ds[:maxCauseOffers]
	}
	text := l.Text("cause.offer", number)
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}
	for _, d := range ds {
		line := l.Text("cause.deployment", M{"Service": slacktext.EscapeTruncate(d.Service, 100), "Version": slacktext.EscapeTruncate(d.Version, 100),
			"Environment": slacktext.EscapeTruncate(d.Environment, 100), "At": d.At.UTC().Format("15:04 UTC"), "ID": slacktext.EscapeTruncate(d.ID, 200),
			"Failed": d.Status == deploys.StatusFailure})
		btn := slack.NewButtonBlockElement(ActionCause, fmt.Sprintf("%d:%s", number, d.ID), plain(l.Text("cause.button", nil)))
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(line), nil, slack.NewAccessory(btn)))
	}
	return text, blocks
}
