package bot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/sirupsen/logrus"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/incidents"
)

// serveInteraction answers POST /slack/interactions (already verified): a
// form with one field, payload, holding the interaction as JSON.
func (h *Handler) serveInteraction(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSONError(w, http.StatusBadRequest, "malformed interaction form")
		return
	}
	raw := r.PostForm.Get("payload")
	if raw == "" {
		writeJSONError(w, http.StatusBadRequest, "interaction without payload")
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(raw), &cb); err != nil {
		writeJSONError(w, http.StatusBadRequest, "malformed interaction payload")
		return
	}
	if ans := h.handleInteraction(r.Context(), cb); ans != nil {
		writeJSON(w, ans)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handleInteraction handles one interaction within the ack budget and returns
// the body to answer with (nil: an empty 200). It is shared by HTTP and Socket Mode.
func (h *Handler) handleInteraction(ctx context.Context, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	log := h.log.WithFields(logrus.Fields{"interaction": string(cb.Type), "user": cb.User.ID})
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		if len(cb.ActionCallback.BlockActions) == 0 {
			return nil
		}
		act := cb.ActionCallback.BlockActions[0]
		log = log.WithField("action", act.ActionID)
		// The answer to block_actions is ignored by Slack: every result goes to response_url.
		_, _, err := runBudgeted(ctx, h, func(ctx context.Context) struct{} {
			if r := h.runAction(ctx, log, cb, act); r.Text != "" {
				if err := h.postResponse(ctx, cb.ResponseURL, r); err != nil {
					log.WithError(err).Warn("could not answer a button click")
				}
			}
			return struct{}{}
		}, nil)
		if err != nil {
			log.WithError(err).Warn("dropped a button click")
		}
		return nil
	case slack.InteractionTypeViewSubmission:
		return h.handleSubmission(ctx, log.WithField("callback_id", cb.View.CallbackID), cb)
	}
	return nil
}

// channelOf returns the channel an interaction happened in.
func channelOf(cb slack.InteractionCallback) string {
	if cb.Channel.ID != "" {
		return cb.Channel.ID
	}
	return cb.Container.ChannelID
}

// runAction runs one button click and returns what to tell the user.
func (h *Handler) runAction(ctx context.Context, log *logrus.Entry, cb slack.InteractionCallback, act *slack.BlockAction) reply {
	user := cb.User.ID
	if isSilenceAction(act.ActionID) {
		return h.silenceButton(ctx, log, cb, act)
	}
	switch act.ActionID {
	case ActionAcknowledge, ActionStatus, actionResolve, actionReopen, actionPostmortem, ActionJoin:
	case ActionCause:
		num, id, ok := strings.Cut(act.Value, ":")
		n, err := incidentFromValue(num)
		if !ok || err != nil || id == "" {
			log.WithField("value", act.Value).Warn("cause button with a bad value")
			return ephemeralf("%s", h.t("interact.bad_cause_button", nil))
		}
		return h.linkCause(ctx, log.WithField("incident", n), n, id, user)
	case ActionDecline:
		return h.decline(ctx, log, act.Value, user)
	case ActionTakeCover:
		return h.takeCover(ctx, log, cb, act.Value)
	default:
		return reply{} // not ours (a link button, say)
	}
	n, err := incidentFromValue(act.Value)
	if err != nil {
		log.WithError(err).Warn("button without an incident number")
		return ephemeralf("%s", h.t("interact.bad_button", nil))
	}
	log = log.WithField("incident", n)
	if act.ActionID == actionPostmortem {
		return h.postmortemReply(ctx, log, n, "", user)
	}
	inc, err := h.svc.Get(ctx, n)
	if err != nil {
		return ephemeralf("%s", h.friendly(log, n, err))
	}
	meta := modalMeta{Incident: n, Channel: channelOf(cb), ResponseURL: cb.ResponseURL}
	switch act.ActionID {
	case ActionAcknowledge:
		if _, err := h.svc.Acknowledge(ctx, n, user); err != nil {
			return ephemeralf("%s", h.friendly(log, n, err))
		}
		return ephemeralf("%s", h.t("interact.acknowledged", n))
	case ActionStatus:
		if !inc.Open() {
			return ephemeralf("%s", h.t("interact.resolved_reopen_first", n))
		}
		if err := h.openModal(ctx, cb.TriggerID, statusModal(h.o.Lang, inc, meta)); err != nil {
			log.WithError(err).Warn("could not open the status modal")
			return ephemeralf("%s", h.t("interact.status_form_failed", nil))
		}
	case actionResolve:
		if no := h.refuseClose(inc, user, "resolve"); no != "" {
			return ephemeralf("%s", no)
		}
		if !inc.Open() {
			return ephemeralf("%s", h.t("interact.already_resolved", n))
		}
		if err := h.openModal(ctx, cb.TriggerID, resolveModalIn(h.o.Lang, inc, meta)); err != nil {
			log.WithError(err).Warn("could not open the resolve modal")
			return ephemeralf("%s", h.t("interact.resolve_form_failed", nil))
		}
	case actionReopen:
		if no := h.refuseClose(inc, user, "reopen"); no != "" {
			return ephemeralf("%s", no)
		}
		if _, err := h.svc.Reopen(ctx, n, user); err != nil {
			return ephemeralf("%s", h.friendly(log, n, err))
		}
		return inChannelf("%s", h.t("interact.reopened", M{"User": slacktext.UserMention(user), "Number": n}))
	case ActionJoin:
		return h.join(ctx, log, inc, user)
	}
	return reply{}
}

// join invites user to the incident's channel.
func (h *Handler) join(ctx context.Context, log *logrus.Entry, inc *incidents.Incident, user string) reply {
	ch, err := h.channelOf(ctx, inc.Number)
	if err != nil {
		return ephemeralf("%s", h.friendly(log, inc.Number, err))
	}
	if ch == "" {
		return ephemeralf("%s", h.t("interact.channel_pending", inc.Number))
	}
	_, err = h.api.InviteUsersToConversationContext(ctx, ch, user)
	switch {
	case err == nil:
		return ephemeralf("%s", h.t("interact.joined", slacktext.ChannelMention(ch)))
	case ErrorCode(err) == "already_in_channel":
		return ephemeralf("%s", h.t("interact.already_member", slacktext.ChannelMention(ch)))
	}
	log.WithError(err).Warn("conversations.invite failed")
	return ephemeralf("%s", h.t("interact.join_failed", M{"Channel": slacktext.ChannelMention(ch), "Reason": userMessageIn(h.o.Lang, err)}))
}

// submitResult is the outcome of a submitted modal: errors by block ID, or
// nil on success.
type submitResult struct {
	errors map[string]string
}

// handleSubmission validates a submitted modal and applies it within the
// ack budget. Invalid input keeps the modal open with errors next to the
// inputs; a late result closes it and reports problems on response_url.
func (h *Handler) handleSubmission(ctx context.Context, log *logrus.Entry, cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	meta, err := decodeMeta(cb.View.PrivateMetadata)
	if err != nil {
		log.WithError(err).Warn("modal with unreadable metadata")
		return nil
	}
	user := cb.User.ID
	var work func(ctx context.Context) submitResult
	switch cb.View.CallbackID {
	case CallbackDeclare:
		in, errs := validateDeclareIn(h.o.Lang, cb.View, h.severityNames())
		if len(errs) > 0 {
			return slack.NewErrorsViewSubmissionResponse(errs)
		}
		work = func(ctx context.Context) submitResult {
			inc, err := h.svc.Declare(ctx, incidents.DeclareRequest{Title: in.Title, Severity: in.Severity, Description: in.Description, Actor: user})
			if err != nil {
				return submitResult{errors: map[string]string{BlockTitle: h.plainFriendly(log, 0, err)}}
			}
			h.followUp(ctx, log, meta.ResponseURL, h.declaredReply(inc, user))
			return submitResult{}
		}
	case callbackStatus:
		st, errs := validateStatus(h.o.Lang, cb.View)
		if len(errs) > 0 {
			return slack.NewErrorsViewSubmissionResponse(errs)
		}
		work = func(ctx context.Context) submitResult {
			if st == incidents.StatusResolved {
				if msg := h.checkClose(ctx, log, meta.Incident, user); msg != "" {
					return submitResult{errors: map[string]string{blockStatus: msg}}
				}
			}
			if _, err := h.svc.SetStatus(ctx, meta.Incident, st, user); err != nil {
				return submitResult{errors: map[string]string{blockStatus: h.plainFriendly(log, meta.Incident, err)}}
			}
			h.followUp(ctx, log, meta.ResponseURL, inChannelf("%s", h.t("interact.status_set", M{"User": slacktext.UserMention(user), "Number": meta.Incident, "Status": string(st)})))
			return submitResult{}
		}
	case callbackResolve:
		summary, errs := validateSummary(h.o.Lang, cb.View)
		if len(errs) > 0 {
			return slack.NewErrorsViewSubmissionResponse(errs)
		}
		work = func(ctx context.Context) submitResult {
			if msg := h.checkClose(ctx, log, meta.Incident, user); msg != "" {
				return submitResult{errors: map[string]string{blockSummary: msg}}
			}
			if _, err := h.svc.Resolve(ctx, meta.Incident, summary, user); err != nil {
				return submitResult{errors: map[string]string{blockSummary: h.plainFriendly(log, meta.Incident, err)}}
			}
			h.followUp(ctx, log, meta.ResponseURL, h.resolvedReply(meta.Incident, user, summary))
			return submitResult{}
		}
	default:
		return nil
	}
	res, late, err := runBudgeted(ctx, h, work, func(ctx context.Context, res submitResult) {
		for _, msg := range res.errors { // the modal is closed by now: say it on response_url
			h.deliverLate(ctx, meta.ResponseURL, ephemeralf("%s", slacktext.Escape(msg)))
		}
	})
	switch {
	case errors.Is(err, errBusy):
		return slack.NewErrorsViewSubmissionResponse(map[string]string{firstBlock(cb.View.CallbackID): h.busyReply().Text})
	case late:
		return nil // closes the modal; the outcome follows on response_url
	case len(res.errors) > 0:
		return slack.NewErrorsViewSubmissionResponse(res.errors)
	}
	return slack.NewClearViewSubmissionResponse()
}

// firstBlock is the input a general error of a modal is shown at.
func firstBlock(callbackID string) string {
	switch callbackID {
	case callbackStatus:
		return blockStatus
	case callbackResolve:
		return blockSummary
	}
	return BlockTitle
}

// checkClose returns why user may not resolve the incident, or "".
func (h *Handler) checkClose(ctx context.Context, log *logrus.Entry, n int64, user string) string {
	inc, err := h.svc.Get(ctx, n)
	if err != nil {
		return h.plainFriendly(log, n, err)
	}
	return slacktext.Unescape(h.refuseClose(inc, user, "resolve"))
}

// plainFriendly is friendly as plain text, for modal errors (not mrkdwn).
func (h *Handler) plainFriendly(log *logrus.Entry, n int64, err error) string {
	return slacktext.Unescape(h.friendly(log, n, err))
}

// followUp posts a confirmation to where the modal was opened from.
func (h *Handler) followUp(ctx context.Context, log *logrus.Entry, responseURL string, r reply) {
	if responseURL == "" {
		return
	}
	if err := h.postResponse(ctx, responseURL, r); err != nil {
		log.WithError(err).Warn("could not post a confirmation")
	}
}
