package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sirupsen/logrus"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/incidents"
)

// Slash commands the handler answers.
const (
	CommandIncident = "/incident"
	CommandOncall   = "/oncall"
)

// timelineMax is how many of the latest events /incident timeline shows.
const timelineMax = 20

// listMax is how many open incidents /incident list shows.
const listMax = 25

// serveCommand answers POST /slack/commands (already verified).
func (h *Handler) serveCommand(w http.ResponseWriter, r *http.Request) {
	sc, err := slack.SlashCommandParse(r)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "malformed slash command")
		return
	}
	writeReply(w, h.handleCommand(r.Context(), sc))
}

// writeReply answers with the reply as JSON, or an empty 200 when there is nothing to say.
func writeReply(w http.ResponseWriter, r reply) {
	if r.Text == "" {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, r)
}

// handleCommand answers one slash command within the ack budget. Parsing
// and help need no I/O and are answered at once; the rest runs with the
// budget and, when late, "Working on it…" is answered and the result goes to
// the command's response_url. It is shared by HTTP and Socket Mode.
func (h *Handler) handleCommand(ctx context.Context, sc slack.SlashCommand) reply {
	log := h.log.WithFields(logrus.Fields{"command": sc.Command, "user": sc.UserID, "channel": sc.ChannelID})
	switch sc.Command {
	case CommandIncident:
	case CommandOncall:
		return h.oncallCommand(ctx, log, sc)
	default:
		return ephemeralf("%s", h.t("command.unknown", slacktext.Escape(slacktext.Truncate(sc.Command, 40))))
	}

	cmd, err := ParseIncident(sc.Text, h.severityNames())
	if err != nil {
		return usageReply(h.o.Lang, err)
	}
	switch cmd.Verb {
	case VerbHelp:
		return ephemeralf("%s", "```"+slacktext.Escape(IncidentHelpIn(h.o.Lang, cmd.Topic))+"```")
	}
	log = log.WithField("verb", string(cmd.Verb))
	return h.answerCommand(ctx, sc, func(ctx context.Context) reply { return h.runIncident(ctx, log, sc, cmd) })
}

// usageReply is the ephemeral answer to malformed command text.
func usageReply(l Lang, err error) reply { return ephemeralf("%s", parseErrorText(l, err)) }

// runIncident runs one parsed /incident command.
func (h *Handler) runIncident(ctx context.Context, log *logrus.Entry, sc slack.SlashCommand, cmd IncidentCommand) reply {
	actor := sc.UserID
	switch cmd.Verb {
	case VerbDeclare:
		if cmd.OpenDeclareModal {
			meta := modalMeta{Channel: sc.ChannelID, ResponseURL: sc.ResponseURL}
			if err := h.openModal(ctx, sc.TriggerID, declareModalIn(h.o.Lang, h.severityNames(), cmd.Severity, meta)); err != nil {
				log.WithError(err).Warn("could not open the declare modal")
				return ephemeralf("%s", h.t("command.declare_form_failed", slacktext.Escape(err.Error())))
			}
			return reply{}
		}
		inc, err := h.svc.Declare(ctx, incidents.DeclareRequest{Title: cmd.Title, Severity: cmd.Severity, Actor: actor})
		if err != nil {
			return ephemeralf("%s", h.friendly(log, 0, err))
		}
		return h.declaredReply(inc, actor)
	case VerbList:
		if cmd.ListActions {
			return h.listActionsReply(ctx, log, cmd.User)
		}
		return h.listReply(ctx, log)
	case VerbStats:
		return h.statsReply(ctx, log, cmd)
	}

	inc, fail := h.target(ctx, log, cmd.Incident, sc.ChannelID)
	if fail != nil {
		return *fail
	}
	n := inc.Number
	var err error
	var out reply
	switch cmd.Verb {
	case VerbStatus:
		if no := h.refuseClose(inc, actor, "resolve"); cmd.Status == incidents.StatusResolved && no != "" {
			return ephemeralf("%s", no)
		}
		_, err = h.svc.SetStatus(ctx, n, cmd.Status, actor)
		out = inChannelf("%s", h.t("command.status_set", M{"Actor": slacktext.UserMention(actor), "Number": n, "Status": string(cmd.Status)}))
	case VerbSeverity:
		_, err = h.svc.SetSeverity(ctx, n, cmd.Severity, actor)
		out = inChannelf("%s", h.t("command.severity_set", M{"Actor": slacktext.UserMention(actor), "Number": n, "Severity": slacktext.Escape(cmd.Severity)}))
	case VerbCommander:
		if !cmd.User.Resolved() {
			return h.unresolvedUser(cmd.User)
		}
		_, err = h.svc.AssignRole(ctx, n, incidents.RoleCommander, cmd.User.ID, actor)
		out = inChannelf("%s", h.t("command.commander_set", M{"Actor": slacktext.UserMention(actor), "User": slacktext.UserMention(cmd.User.ID), "Number": n}))
	case VerbRole:
		if !cmd.User.Resolved() {
			return h.unresolvedUser(cmd.User)
		}
		_, err = h.svc.AssignRole(ctx, n, cmd.Role, cmd.User.ID, actor)
		out = inChannelf("%s", h.t("command.role_set", M{"Actor": slacktext.UserMention(actor), "User": slacktext.UserMention(cmd.User.ID), "Role": slacktext.Escape(cmd.Role), "Number": n}))
	case VerbNote:
		_, err = h.svc.AddNote(ctx, n, cmd.Text, actor)
		out = ephemeralf("%s", h.t("command.note_added", n))
	case VerbAction:
		return h.actionReply(ctx, log, n, cmd, actor)
	case VerbResolve:
		if no := h.refuseClose(inc, actor, "resolve"); no != "" {
			return ephemeralf("%s", no)
		}
		if cmd.Text == "" {
			if !inc.Open() {
				return ephemeralf("%s", h.t("command.already_resolved", n))
			}
			meta := modalMeta{Incident: n, Channel: sc.ChannelID, ResponseURL: sc.ResponseURL}
			if err := h.openModal(ctx, sc.TriggerID, resolveModalIn(h.o.Lang, inc, meta)); err != nil {
				log.WithError(err).Warn("could not open the resolve modal")
				return ephemeralf("%s", h.t("command.resolve_form_failed", slacktext.Escape(err.Error())))
			}
			return reply{}
		}
		_, err = h.svc.Resolve(ctx, n, cmd.Text, actor)
		out = h.resolvedReply(n, actor, cmd.Text)
	case VerbReopen:
		if no := h.refuseClose(inc, actor, "reopen"); no != "" {
			return ephemeralf("%s", no)
		}
		_, err = h.svc.Reopen(ctx, n, actor)
		out = inChannelf("%s", h.t("command.reopened", M{"Actor": slacktext.UserMention(actor), "Number": n}))
	case VerbTimeline:
		return h.timelineReply(ctx, log, inc)
	case VerbAck:
		_, err = h.svc.Acknowledge(ctx, n, actor)
		out = inChannelf("%s", h.t("command.acked", M{"Actor": slacktext.UserMention(actor), "Number": n}))
	case VerbCause:
		return h.linkCause(ctx, log, n, cmd.Deployment, actor)
	case VerbPostmortem:
		return h.postmortemReply(ctx, log, n, cmd.PostmortemStatus, actor)
	case VerbPage:
		return h.pageByHand(ctx, log, n, cmd, actor)
	case VerbClassify, VerbReport:
		return h.reportingReply(ctx, log, n, cmd, actor)
	case VerbSilence:
		return h.silenceReply(ctx, log, inc, SilenceRequest{For: cmd.SilenceFor, UntilResolved: cmd.SilenceUntilResolved,
			Matchers: splitMatchers(cmd.SilenceMatchers), Actor: actor, ActorName: sc.UserName})
	case VerbUnsilence:
		return h.unsilenceReply(ctx, log, n, actor)
	default:
		return ephemeralf("%s", h.t("command.not_available", string(cmd.Verb)))
	}
	if err != nil {
		return ephemeralf("%s", h.friendly(log, n, err))
	}
	return out
}

// target finds the incident a command acts on: the #<number> given, or the
// incident of the channel. The reply is set when there is none.
func (h *Handler) target(ctx context.Context, log *logrus.Entry, number int64, channelID string) (*incidents.Incident, *reply) {
	if number > 0 {
		inc, err := h.svc.Get(ctx, number)
		if err != nil {
			r := ephemeralf("%s", h.friendly(log, number, err))
			return nil, &r
		}
		return inc, nil
	}
	inc, err := h.incidentOfChannel(ctx, channelID)
	if errors.Is(err, incidents.ErrNotFound) {
		r := ephemeralf("%s", h.t("command.not_incident_channel", nil))
		return nil, &r
	}
	if err != nil {
		r := ephemeralf("%s", h.friendly(log, 0, err))
		return nil, &r
	}
	return inc, nil
}

// unresolvedUser answers a plain "@name" that Slack did not turn into a mention.
func (h *Handler) unresolvedUser(u UserRef) reply {
	return ephemeralf("%s", h.t("command.unresolved_user", slacktext.Escape(slacktext.Truncate(u.Name, 80))))
}

// declaredReply announces a declaration where it was typed.
func (h *Handler) declaredReply(inc *incidents.Incident, actor string) reply {
	return inChannelf("%s", h.t("command.declared", M{"Actor": slacktext.UserMention(actor), "Number": inc.Number,
		"Severity": slacktext.Escape(inc.Severity), "Title": slacktext.Escape(slacktext.Truncate(oneLine(inc.Title), 200))}))
}

// resolvedReply announces a resolution.
func (h *Handler) resolvedReply(number int64, actor, summary string) reply {
	if summary != "" {
		summary = slacktext.Escape(slacktext.Truncate(summary, 1000))
	}
	return inChannelf("%s", h.t("command.resolved", M{"Actor": slacktext.UserMention(actor), "Number": number, "Summary": summary}))
}

// listReply lists the open incidents.
func (h *Handler) listReply(ctx context.Context, log *logrus.Entry) reply {
	list, err := h.svc.List(ctx, incidents.ListOptions{OpenOnly: true, Limit: listMax})
	if err != nil {
		return ephemeralf("%s", h.friendly(log, 0, err))
	}
	if len(list) == 0 {
		return ephemeralf("%s", h.t("command.list_none", nil))
	}
	var b strings.Builder
	b.WriteString(h.t("command.list_header", len(list)))
	for _, inc := range list {
		b.WriteString("\n" + h.t("command.list_item", M{"Number": inc.Number, "Severity": slacktext.Escape(inc.Severity),
			"Title": slacktext.Escape(slacktext.Truncate(oneLine(inc.Title), 120)), "Status": string(inc.Status)}))
		if ch, err := h.channelOf(ctx, inc.Number); err != nil {
			return ephemeralf("%s", h.friendly(log, 0, err))
		} else if ch != "" {
			b.WriteString(" — " + slacktext.ChannelMention(ch))
		}
		if inc.Commander != "" {
			b.WriteString(" — " + h.t("command.list_commander", slacktext.UserMention(inc.Commander)))
		}
	}
	if len(list) == listMax {
		b.WriteString("\n" + h.t("command.only_newest", nil))
	}
	return ephemeralf("%s", b.String())
}

// timelineReply shows the latest events of the incident's timeline.
func (h *Handler) timelineReply(ctx context.Context, log *logrus.Entry, inc *incidents.Incident) reply {
	events, err := h.svc.Timeline(ctx, inc.Number)
	if err != nil {
		return ephemeralf("%s", h.friendly(log, inc.Number, err))
	}
	var b strings.Builder
	b.WriteString(h.t("command.timeline_header", M{"Number": inc.Number, "Title": slacktext.Escape(slacktext.Truncate(oneLine(inc.Title), 150))}))
	shown := events
	if len(shown) > timelineMax {
		shown = shown[len(shown)-timelineMax:]
		b.WriteString(" " + h.t("command.timeline_last", M{"Shown": timelineMax, "Total": len(events)}))
	}
	if len(shown) == 0 {
		b.WriteString("\n" + h.t("command.timeline_empty", nil))
	}
	for _, ev := range shown {
		fmt.Fprintf(&b, "\n• `%s` %s", h.t("command.timeline_time", ev.At.In(h.o.Location)), eventLine(h.o.Lang, ev))
	}
	return ephemeralf("%s", slacktext.Truncate(b.String(), MaxMessageText))
}

// eventLine renders one timeline event: who and what, escaped.
func eventLine(l Lang, ev incidents.Event) string {
	actor := ""
	switch {
	case ev.Actor == "":
	case slacktext.IsID(ev.Actor, "UW"):
		actor = slacktext.UserMention(ev.Actor) + ": "
	default:
		actor = "_" + slacktext.Escape(ev.Actor) + "_: "
	}
	text := escapeKeepMentions(slacktext.Truncate(oneLine(l.Event(string(ev.Type), ev.Fields, ev.Text)), 200))
	switch ev.Type {
	case incidents.EventMessagePinned:
		text = ":pushpin: " + text
		if link := ev.Fields["permalink"]; link != "" {
			text += " " + slacktext.Link(link, l.Text("command.timeline_message", nil))
		}
	}
	return actor + text
}
