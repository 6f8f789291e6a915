package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sirupsen/logrus"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/incidents"
)

// Slash commands the handler answers.
const (
	commandIncident = "/incident"
	commandOncall   = "/oncall"
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
	case commandIncident:
		return h.incidentCommand(ctx, log, sc)
	case commandOncall:
		return h.oncallCommand(ctx, log, sc)
	}
	return ephemeralf("%s", h.t("command.unknown", slacktext.Escape(slacktext.Truncate(sc.Command, 40))))
}

// usageReply is the ephemeral answer to malformed command text.
func usageReply(l Lang, err error) reply { return ephemeralf("%s", command.ErrorText(l, err)) }

// incidentRequest is one parsed /incident command on its way to its runner.
type incidentRequest struct {
	log *logrus.Entry
	sc  slack.SlashCommand
	cmd command.Incident
	inc *incidents.Incident // the incident acted on; nil for verbs that act on none
}

// runner is how the handler runs one verb of a command: whether its answer
// needs no I/O (then it is given at once, outside the ack budget) and
// what must be configured first.
type runner[R any] struct {
	quick bool
	needs need
	run   func(h *Handler, ctx context.Context, r R) reply
}

// incidentRunners run the verbs of command.IncidentVerbs, one each
// (TestEveryVerbHasARunner).
var incidentRunners = map[command.IncidentVerb]runner[incidentRequest]{
	command.VerbHelp:       {quick: true, run: (*Handler).incidentHelp},
	command.VerbDeclare:    {run: (*Handler).declare},
	command.VerbList:       {run: (*Handler).list},
	command.VerbStats:      {run: (*Handler).stats},
	command.VerbAck:        {run: (*Handler).acknowledge},
	command.VerbStatus:     {run: (*Handler).setStatus},
	command.VerbSeverity:   {run: (*Handler).setSeverity},
	command.VerbCommander:  {run: (*Handler).setCommander},
	command.VerbRole:       {run: (*Handler).assignRole},
	command.VerbNote:       {run: (*Handler).addNote},
	command.VerbAction:     {run: (*Handler).action},
	command.VerbPage:       {run: (*Handler).page},
	command.VerbCause:      {run: (*Handler).cause},
	command.VerbResolve:    {run: (*Handler).resolve},
	command.VerbReopen:     {run: (*Handler).reopen},
	command.VerbPostmortem: {run: (*Handler).postmortem},
	command.VerbTimeline:   {run: (*Handler).timeline},
	command.VerbClassify:   {run: (*Handler).reporting},
	command.VerbReport:     {run: (*Handler).reporting},
	command.VerbSilence:    {run: (*Handler).silence},
	command.VerbUnsilence:  {run: (*Handler).unsilence},
}

// incidentCommand answers /incident: parse, then the verb's runner, on the
// incident it acts on and if the user may.
func (h *Handler) incidentCommand(ctx context.Context, log *logrus.Entry, sc slack.SlashCommand) reply {
	cmd, err := command.ParseIncident(sc.Text, h.severityNames())
	if err != nil {
		return usageReply(h.o.Lang, err)
	}
	rn, ok := incidentRunners[cmd.Verb]
	if !ok {
		return ephemeralf("%s", h.t("command.not_available", string(cmd.Verb)))
	}
	if no := h.lacking(rn.needs); no != "" {
		return ephemeralf("%s", no)
	}
	r := incidentRequest{log: log, sc: sc, cmd: cmd}
	if rn.quick {
		return rn.run(h, ctx, r)
	}
	r.log = log.WithField("verb", string(cmd.Verb))
	return h.answerCommand(ctx, sc, func(ctx context.Context) reply {
		if cmd.Verb.OnIncident() {
			inc, fail := h.target(ctx, r.log, cmd.Incident, sc.ChannelID)
			if fail != nil {
				return *fail
			}
			if cmd.Verb.Who() == command.Closers {
				if no := h.refuseClose(inc, sc.UserID, string(cmd.Verb)); no != "" {
					return ephemeralf("%s", no)
				}
			}
			r.inc = inc
		}
		return rn.run(h, ctx, r)
	})
}

// done is the answer to a change of the incident: out, or what went wrong.
func (h *Handler) done(r incidentRequest, err error, out reply) reply {
	if err != nil {
		return ephemeralf("%s", h.friendly(r.log, r.inc.Number, err))
	}
	return out
}

func (h *Handler) incidentHelp(_ context.Context, r incidentRequest) reply {
	return ephemeralf("%s", "```"+slacktext.Escape(command.IncidentHelpText(h.o.Lang, r.cmd.Topic))+"```")
}

// declare opens an incident, or the declare form when no title was given.
func (h *Handler) declare(ctx context.Context, r incidentRequest) reply {
	cmd, sc := r.cmd, r.sc
	if cmd.OpenDeclareModal {
		meta := modalMeta{Channel: sc.ChannelID, ResponseURL: sc.ResponseURL}
		if err := h.openModal(ctx, sc.TriggerID, declareModalIn(h.o.Lang, h.severityNames(), cmd.Severity, meta)); err != nil {
			r.log.WithError(err).Warn("could not open the declare modal")
			return ephemeralf("%s", h.t("command.declare_form_failed", slacktext.Escape(err.Error())))
		}
		return reply{}
	}
	inc, err := h.svc.Declare(ctx, incidents.DeclareRequest{Title: cmd.Title, Severity: cmd.Severity, Actor: sc.UserID})
	if err != nil {
		return ephemeralf("%s", h.friendly(r.log, 0, err))
	}
	return h.declaredReply(inc, sc.UserID)
}

func (h *Handler) list(ctx context.Context, r incidentRequest) reply {
	if r.cmd.ListActions {
		return h.listActionsReply(ctx, r.log, r.cmd.User)
	}
	return h.listReply(ctx, r.log)
}

func (h *Handler) stats(ctx context.Context, r incidentRequest) reply {
	return h.statsReply(ctx, r.log, r.cmd)
}

func (h *Handler) acknowledge(ctx context.Context, r incidentRequest) reply {
	n, actor := r.inc.Number, r.sc.UserID
	_, err := h.svc.Acknowledge(ctx, n, actor)
	return h.done(r, err, inChannelf("%s", h.t("command.acked", M{"Actor": slacktext.UserMention(actor), "Number": n})))
}

// setStatus sets the status; to resolve, the user must be one who may close.
func (h *Handler) setStatus(ctx context.Context, r incidentRequest) reply {
	n, actor := r.inc.Number, r.sc.UserID
	if no := h.refuseClose(r.inc, actor, "resolve"); r.cmd.Status == incidents.StatusResolved && no != "" {
		return ephemeralf("%s", no)
	}
	_, err := h.svc.SetStatus(ctx, n, r.cmd.Status, actor)
	return h.done(r, err, inChannelf("%s", h.t("command.status_set", M{"Actor": slacktext.UserMention(actor), "Number": n, "Status": string(r.cmd.Status)})))
}

func (h *Handler) setSeverity(ctx context.Context, r incidentRequest) reply {
	n, actor := r.inc.Number, r.sc.UserID
	_, err := h.svc.SetSeverity(ctx, n, r.cmd.Severity, actor)
	return h.done(r, err, inChannelf("%s", h.t("command.severity_set", M{"Actor": slacktext.UserMention(actor), "Number": n, "Severity": slacktext.Escape(r.cmd.Severity)})))
}

func (h *Handler) setCommander(ctx context.Context, r incidentRequest) reply {
	n, actor, user := r.inc.Number, r.sc.UserID, r.cmd.User
	if !user.Resolved() {
		return h.unresolvedUser(user)
	}
	_, err := h.svc.AssignRole(ctx, n, incidents.RoleCommander, user.ID, actor)
	return h.done(r, err, inChannelf("%s", h.t("command.commander_set", M{"Actor": slacktext.UserMention(actor), "User": slacktext.UserMention(user.ID), "Number": n})))
}

func (h *Handler) assignRole(ctx context.Context, r incidentRequest) reply {
	n, actor, user := r.inc.Number, r.sc.UserID, r.cmd.User
	if !user.Resolved() {
		return h.unresolvedUser(user)
	}
	_, err := h.svc.AssignRole(ctx, n, r.cmd.Role, user.ID, actor)
	return h.done(r, err, inChannelf("%s", h.t("command.role_set", M{"Actor": slacktext.UserMention(actor), "User": slacktext.UserMention(user.ID),
		"Role": slacktext.Escape(r.cmd.Role), "Number": n})))
}

func (h *Handler) addNote(ctx context.Context, r incidentRequest) reply {
	_, err := h.svc.AddNote(ctx, r.inc.Number, r.cmd.Text, r.sc.UserID)
	return h.done(r, err, ephemeralf("%s", h.t("command.note_added", r.inc.Number)))
}

func (h *Handler) action(ctx context.Context, r incidentRequest) reply {
	return h.actionReply(ctx, r.log, r.inc.Number, r.cmd, r.sc.UserID)
}

func (h *Handler) page(ctx context.Context, r incidentRequest) reply {
	return h.pageByHand(ctx, r.log, r.inc.Number, r.cmd, r.sc.UserID)
}

func (h *Handler) cause(ctx context.Context, r incidentRequest) reply {
	return h.linkCause(ctx, r.log, r.inc.Number, r.cmd.Deployment, r.sc.UserID)
}

// resolve resolves with the summary given, or opens the resolve form.
func (h *Handler) resolve(ctx context.Context, r incidentRequest) reply {
	inc, n, actor, sc := r.inc, r.inc.Number, r.sc.UserID, r.sc
	if r.cmd.Text == "" {
		if !inc.Open() {
			return ephemeralf("%s", h.t("command.already_resolved", n))
		}
		meta := modalMeta{Incident: n, Channel: sc.ChannelID, ResponseURL: sc.ResponseURL}
		if err := h.openModal(ctx, sc.TriggerID, resolveModalIn(h.o.Lang, inc, meta)); err != nil {
			r.log.WithError(err).Warn("could not open the resolve modal")
			return ephemeralf("%s", h.t("command.resolve_form_failed", slacktext.Escape(err.Error())))
		}
		return reply{}
	}
	_, err := h.svc.Resolve(ctx, n, r.cmd.Text, actor)
	return h.done(r, err, h.resolvedReply(n, actor, r.cmd.Text))
}

func (h *Handler) reopen(ctx context.Context, r incidentRequest) reply {
	n, actor := r.inc.Number, r.sc.UserID
	_, err := h.svc.Reopen(ctx, n, actor)
	return h.done(r, err, inChannelf("%s", h.t("command.reopened", M{"Actor": slacktext.UserMention(actor), "Number": n})))
}

func (h *Handler) postmortem(ctx context.Context, r incidentRequest) reply {
	return h.postmortemReply(ctx, r.log, r.inc.Number, r.cmd.PostmortemStatus, r.sc.UserID)
}

func (h *Handler) timeline(ctx context.Context, r incidentRequest) reply {
	return h.timelineReply(ctx, r.log, r.inc)
}

func (h *Handler) reporting(ctx context.Context, r incidentRequest) reply {
	return h.reportingReply(ctx, r.log, r.inc.Number, r.cmd, r.sc.UserID)
}

func (h *Handler) silence(ctx context.Context, r incidentRequest) reply {
	cmd := r.cmd
	return h.silenceReply(ctx, r.log, r.inc, SilenceRequest{For: cmd.SilenceFor, UntilResolved: cmd.SilenceUntilResolved,
		Matchers: command.SplitMatchers(cmd.SilenceMatchers), Actor: r.sc.UserID, ActorName: r.sc.UserName})
}

func (h *Handler) unsilence(ctx context.Context, r incidentRequest) reply {
	return h.unsilenceReply(ctx, r.log, r.inc.Number, r.sc.UserID)
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
func (h *Handler) unresolvedUser(u command.UserRef) reply {
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
	return ephemeralf("%s", slacktext.Truncate(b.String(), maxMessageText))
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
