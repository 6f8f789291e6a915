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
)

// Silences is what /incident silence and unsilence, and the summary's
// silence buttons, need of Alertmanager; internal/app implements it with
// the API client. A failure people should read is a *SilenceError; then
// nothing was silenced (or expired) and nothing is on the timeline.
type Silences interface {
	// Silence makes a silence for incident n, records it on the timeline
	// and returns it.
	Silence(ctx context.Context, n int64, req SilenceRequest) (incidents.SilenceFact, error)
	// Unsilence expires incident n's silences in force, records each, and
	// returns them.
	Unsilence(ctx context.Context, n int64, actor string) ([]incidents.SilenceFact, error)
}

// SilenceRequest is what /incident silence asks for.
type SilenceRequest struct {
	// For is how long, unless UntilResolved (the silence then lasts until
	// the incident resolves, at most command.MaxSilence).
	For           time.Duration
	UntilResolved bool
	// Matchers are the matchers given (Alertmanager syntax); none: the
	// incident's alert group (its group labels as equality matchers).
	Matchers []string
	// Actor is who asks (Slack user ID); ActorName their Slack handle, for
	// the silence's createdBy when their name cannot be looked up.
	Actor, ActorName string
}

// SilenceError says why Alertmanager made or expired nothing.
type SilenceError struct {
	Code   string // one of the Silence* codes
	Host   string // the Alertmanager that refused or failed, when one did
	Detail string // what it said, or what went wrong
	Err    error
}

// SilenceError codes.
const (
	SilenceNotConfigured = "not_configured" // no alertmanager.urls
	SilenceNoMatchers    = "no_matchers"    // the incident has no labels to silence by
	SilenceResolved      = "resolved"       // the incident is resolved
	SilenceNone          = "none"           // unsilence: no silence in force
	SilenceRefused       = "refused"        // Alertmanager refused it (a bad matcher, say)
	SilenceUnreachable   = "unreachable"    // Alertmanager is down, failing or too slow
)

func (e *SilenceError) Error() string {
	msg := "silence: " + e.Code
	if e.Host != "" {
		msg += " (" + e.Host + ")"
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

func (e *SilenceError) Unwrap() error { return e.Err }

// Actions of the summary's silence buttons. ActionSilence's value is
// "<number>:<length>" (1h, 4h or resolved); actionUnsilence's the number.
const (
	ActionSilence   = "incident_silence"
	actionUnsilence = "incident_unsilence"
)

// silenceReply answers /incident silence.
func (h *Handler) silenceReply(ctx context.Context, log *logrus.Entry, inc *incidents.Incident, req SilenceRequest) reply {
	if h.o.Silences == nil {
		return ephemeralf("%s", h.silenceErrorText(inc.Number, &SilenceError{Code: SilenceNotConfigured}, false))
	}
	s, err := h.o.Silences.Silence(ctx, inc.Number, req)
	if err != nil {
		var se *SilenceError
		if errors.As(err, &se) {
			return ephemeralf("%s", h.silenceErrorText(inc.Number, se, false))
		}
		return ephemeralf("%s", h.friendly(log, inc.Number, err))
	}
	return inChannelf("%s", h.t("silence.made", M{"Actor": slacktext.UserMention(req.Actor), "Number": inc.Number,
		"Matchers": slacktext.Escape(s.Matchers), "ID": slacktext.Escape(s.ID), "UntilResolved": s.UntilResolved,
		"Until": when(h.o.Lang, s.Ends, h.o.Location)}))
}

// unsilenceReply answers /incident unsilence and the Unsilence button.
func (h *Handler) unsilenceReply(ctx context.Context, log *logrus.Entry, n int64, actor string) reply {
	if h.o.Silences == nil {
		return ephemeralf("%s", h.silenceErrorText(n, &SilenceError{Code: SilenceNotConfigured}, true))
	}
	gone, err := h.o.Silences.Unsilence(ctx, n, actor)
	if err != nil {
		var se *SilenceError
		if errors.As(err, &se) {
			return ephemeralf("%s", h.silenceErrorText(n, se, true))
		}
		return ephemeralf("%s", h.friendly(log, n, err))
	}
	lines := make([]string, len(gone))
	for i, s := range gone {
		lines[i] = "• `" + slacktext.Escape(s.Matchers) + "` (" + slacktext.Escape(s.ID) + ")"
	}
	return inChannelf("%s", h.t("silence.expired", M{"Actor": slacktext.UserMention(actor), "Number": n, "Count": len(gone), "Lines": strings.Join(lines, "\n")}))
}

// silenceErrorText is the answer to a silence that was not made (expire:
// or expired).
func (h *Handler) silenceErrorText(n int64, e *SilenceError, expire bool) string {
	data := M{"Number": n, "Host": slacktext.Escape(e.Host), "Detail": slacktext.Escape(slacktext.Truncate(e.Detail, 300)), "Expire": expire}
	switch e.Code {
	case SilenceNotConfigured:
		return h.t("silence.not_configured", data)
	case SilenceNoMatchers:
		return h.t("silence.no_matchers", data)
	case SilenceResolved:
		return h.t("silence.incident_resolved", data)
	case SilenceNone:
		return h.t("silence.none", data)
	case SilenceRefused:
		return h.t("silence.refused", data)
	}
	return h.t("silence.unreachable", data)
}

// silenceButton runs a summary's Silence or Unsilence button.
func (h *Handler) silenceButton(ctx context.Context, log *logrus.Entry, cb slack.InteractionCallback, act *slack.BlockAction) reply {
	if act.ActionID == actionUnsilence {
		n, err := incidentFromValue(act.Value)
		if err != nil {
			log.WithError(err).Warn("unsilence button without an incident number")
			return ephemeralf("%s", h.t("interact.bad_button", nil))
		}
		return h.unsilenceReply(ctx, log.WithField("incident", n), n, cb.User.ID)
	}
	num, length, _ := strings.Cut(act.Value, ":")
	n, err := incidentFromValue(num)
	req := SilenceRequest{Actor: cb.User.ID, ActorName: cb.User.Name}
	switch length {
	case "resolved":
		req.UntilResolved = true
	default:
		d, ok := command.ParseLength(length)
		if !ok || d < command.MinSilence || d > command.MaxSilence {
			err = fmt.Errorf("silence button with length %q", slacktext.Truncate(length, 20))
		}
		req.For = d
	}
	if err != nil {
		log.WithError(err).Warn("silence button with a bad value")
		return ephemeralf("%s", h.t("interact.bad_button", nil))
	}
	inc, err := h.svc.Get(ctx, n)
	if err != nil {
		return ephemeralf("%s", h.friendly(log, n, err))
	}
	return h.silenceReply(ctx, log.WithField("incident", n), inc, req)
}

// silenceBlocks are the summary's silences and its maintenance line; nil
// when there is neither.
func silenceBlocks(l Lang, inc *incidents.Incident, loc *time.Location) []slack.Block {
	var out []slack.Block
	if m := inc.Maintenance; m != nil {
		out = append(out, slack.NewContextBlock("", mrkdwn(slacktext.Truncate(l.Text("silence.summary_maintenance", M{
			"Window": slacktext.Escape(m.Window), "Reason": slacktext.Escape(slacktext.Truncate(oneLine(m.Reason), 200)), "Until": when(l, m.Until, loc)}), maxSectionText))))
	}
	if len(inc.Silences) > 0 {
		var b strings.Builder
		b.WriteString(l.Text("silence.summary_title", len(inc.Silences)))
		for _, s := range inc.Silences {
			b.WriteString("\n" + l.Text("silence.summary_line", M{"Matchers": slacktext.Escape(slacktext.Truncate(s.Matchers, 300)), "ID": slacktext.Escape(s.ID),
				"UntilResolved": s.UntilResolved, "Until": when(l, s.Ends, loc)}))
		}
		out = append(out, mrkdwnSection(slacktext.Truncate(b.String(), maxSectionText)))
	}
	return out
}

// silenceButtons are the summary's Silence 1h / 4h / until resolved
// buttons (and Unsilence while a silence is in force), for an open
// incident of alerts; nil otherwise.
func silenceButtons(l Lang, inc *incidents.Incident) slack.Block {
	if !inc.Open() || (len(inc.GroupLabels) == 0 && len(inc.Labels) == 0 && len(inc.Silences) == 0) {
		return nil
	}
	num := strconv.FormatInt(inc.Number, 10)
	els := []slack.BlockElement{
		slack.NewButtonBlockElement(ActionSilence, num+":1h", plain(l.Text("silence.button_for", "1h"))),
		slack.NewButtonBlockElement(ActionSilence+"_4h", num+":4h", plain(l.Text("silence.button_for", "4h"))),
		slack.NewButtonBlockElement(ActionSilence+"_resolved", num+":resolved", plain(l.Text("silence.button_resolved", nil))),
	}
	if len(inc.Silences) > 0 {
		els = append(els, slack.NewButtonBlockElement(actionUnsilence, num, plain(l.Text("silence.button_unsilence", nil))))
	}
	return slack.NewActionBlock("incident_silence", els...)
}

// isSilenceAction reports the silence buttons' action IDs (each button of
// a block needs its own).
func isSilenceAction(id string) bool {
	return id == ActionSilence || id == ActionSilence+"_4h" || id == ActionSilence+"_resolved" || id == actionUnsilence
}
