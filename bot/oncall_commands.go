package bot

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/oncall"
)

// Oncall is what /oncall needs of the app: the schedules, the stored
// overrides, cover requests and the pages for load figures.
type Oncall interface {
	// Schedules returns the configured schedules, in config order.
	Schedules() []oncall.Schedule
	// Overrides returns the stored overrides of schedule (every schedule when
	// empty) that end after now, sorted by From.
	Overrides(ctx context.Context, schedule string) ([]oncall.Override, error)
	// AddOverride stores o under a new ID and returns it.
	AddOverride(ctx context.Context, o oncall.Override) (oncall.Override, error)
	// RemoveOverride deletes an override; oncall.ErrNotFound when there is none.
	RemoveOverride(ctx context.Context, id string) (oncall.Override, error)
	// RequestCover posts, as a job, a cover request in the schedule's channel.
	RequestCover(ctx context.Context, schedule string, from, to time.Time, requester string) error
	// TakeCover makes user the override of the cover request the button's
	// value names, unless someone was first; it returns the sentence to show
	// user. channel and ts locate the request's message.
	TakeCover(ctx context.Context, value, user, channel, ts string) (string, error)
	// Load returns each person's load on schedule over the period ending now.
	Load(ctx context.Context, schedule string, period time.Duration) ([]oncall.Load, error)
	// HandoffNow posts, as a job, the handoff digest of schedule (every
	// schedule when empty) in its channel and to who is on call.
	HandoffNow(ctx context.Context, schedule string) error
	// Admins are who may change any schedule; empty means everyone may.
	Admins() []string
	// Contact describes how user is paged (methods masked, rules), as
	// mrkdwn in the handler's language.
	Contact(user string) string
	// TestPage sends user a test page by each method (or m) and describes
	// what each provider answered, as mrkdwn.
	TestPage(ctx context.Context, user string, m oncall.Method) (string, error)
	// Now is the clock.
	Now() time.Time
}

// ActionTakeCover is a cover request's "Take it" button; its value names the request.
const ActionTakeCover = "oncall_take_cover"

// oncallRequest is one parsed /oncall command on its way to its runner.
type oncallRequest struct {
	log *logrus.Entry
	sc  slack.SlashCommand
	cmd command.Oncall
}

// need is what a verb needs configured before it can run.
type need int

const (
	needNothing     need = iota
	needPaging           // the on-call side (Options.Oncall)
	needSchedules        // at least one schedule
	needMaintenance      // maintenance windows (Options.Maintenance)
)

// lacking says what is not configured for n; "" when nothing is missing.
func (h *Handler) lacking(n need) string {
	switch {
	case n == needPaging && h.o.Oncall == nil:
		return h.t("page.not_configured", nil)
	case n == needSchedules && (h.o.Oncall == nil || len(h.o.Oncall.Schedules()) == 0):
		return h.t("oncall.no_schedules", nil)
	case n == needMaintenance && h.o.Maintenance == nil:
		return h.t("maintenance.unavailable", nil)
	}
	return ""
}

// oncallRunners run the verbs of command.OncallVerbs, one each
// (TestEveryVerbHasARunner).
var oncallRunners = map[command.OncallVerb]runner[oncallRequest]{
	command.OncallHelp:              {quick: true, run: (*Handler).oncallHelp},
	command.OncallContact:           {quick: true, needs: needPaging, run: (*Handler).oncallContact},
	command.OncallTestPage:          {needs: needPaging, run: (*Handler).oncallTestPage},
	command.OncallNow:               {needs: needSchedules, run: (*Handler).oncallNow},
	command.OncallSchedule:          {needs: needSchedules, run: (*Handler).oncallSchedule},
	command.OncallOverride:          {needs: needSchedules, run: (*Handler).addOverride},
	command.OncallOverrides:         {needs: needSchedules, run: (*Handler).listOverrides},
	command.OncallOverrideRemove:    {needs: needSchedules, run: (*Handler).removeOverride},
	command.OncallCover:             {needs: needSchedules, run: (*Handler).askCover},
	command.OncallLoad:              {needs: needSchedules, run: (*Handler).oncallLoad},
	command.OncallHandoff:           {needs: needSchedules, run: (*Handler).handoffNow},
	command.OncallMaintenance:       {needs: needMaintenance, run: (*Handler).addMaintenance},
	command.OncallMaintenanceList:   {needs: needMaintenance, run: (*Handler).listMaintenance},
	command.OncallMaintenanceRemove: {needs: needMaintenance, run: (*Handler).removeMaintenance},
}

// oncallCommand answers /oncall: parse, then the verb's runner, if what it
// needs is configured and the user may.
func (h *Handler) oncallCommand(ctx context.Context, log *logrus.Entry, sc slack.SlashCommand) reply {
	cmd, err := command.ParseOncall(sc.Text)
	if err != nil {
		return usageReply(h.o.Lang, err)
	}
	rn, ok := oncallRunners[cmd.Verb]
	if !ok {
		return h.oncallHelp(ctx, oncallRequest{})
	}
	if no := h.lacking(rn.needs); no != "" {
		return ephemeralf("%s", no)
	}
	r := oncallRequest{log: log, sc: sc, cmd: cmd}
	if rn.quick {
		return rn.run(h, ctx, r)
	}
	return h.answerCommand(ctx, sc, func(ctx context.Context) reply {
		// ScheduleMembers is checked by the runner, once it knows the schedule.
		if cmd.Verb.Who() == command.OnCallMembers {
			if no := h.mayMaintain(sc.UserID); no != "" {
				return ephemeralf("%s", no)
			}
		}
		return rn.run(h, ctx, r)
	})
}

// oncallHelp is /oncall help: the usage of every subcommand.
func (h *Handler) oncallHelp(context.Context, oncallRequest) reply {
	return ephemeralf("%s", "```"+slacktext.Escape(command.OncallHelpText(h.o.Lang))+"```")
}

func (h *Handler) oncallContact(_ context.Context, r oncallRequest) reply {
	return ephemeralf("%s", h.o.Oncall.Contact(r.sc.UserID))
}

func (h *Handler) oncallTestPage(ctx context.Context, r oncallRequest) reply {
	text, err := h.o.Oncall.TestPage(ctx, r.sc.UserID, r.cmd.Method)
	if err != nil {
		r.log.WithError(err).Error("/oncall test-page failed")
		return ephemeralf("%s", h.t("oncall.failed", nil))
	}
	return ephemeralf("%s", text)
}

// scheduleNamed is the configured schedule of that name, or the answer
// that names the schedules there are.
func (h *Handler) scheduleNamed(name string) (oncall.Schedule, *reply) {
	ss := h.o.Oncall.Schedules()
	for _, s := range ss {
		if s.Name == name {
			return s, nil
		}
	}
	r := ephemeralf("%s", h.t("oncall.no_schedule", M{"Name": slacktext.Escape(name), "Names": scheduleNames(ss)}))
	return oncall.Schedule{}, &r
}

// oncallFailed answers an /oncall command that failed on the app's side.
func (h *Handler) oncallFailed(log *logrus.Entry, err error) reply {
	var ue *command.UsageError
	if errors.As(err, &ue) {
		return usageReply(h.o.Lang, err)
	}
	log.WithError(err).Error("/oncall failed")
	return ephemeralf("%s", h.t("oncall.failed", nil))
}

// oncallNow says who is on call now, for every schedule.
func (h *Handler) oncallNow(ctx context.Context, r oncallRequest) reply {
	oc := h.o.Oncall
	now := oc.Now()
	ovs, err := oc.Overrides(ctx, "")
	if err != nil {
		return h.oncallFailed(r.log, err)
	}
	lines := []string{h.t("oncall.now_title", nil)}
	for _, s := range oc.Schedules() {
		lines = append(lines, "• "+nowLine(h.o.Lang, s, ovs, now))
	}
	if m := h.maintenanceNow(ctx, r.log); m != "" {
		lines = append(lines, m)
	}
	return ephemeralf("%s", strings.Join(lines, "\n"))
}

// oncallSchedule says who is on call for one schedule now, and the next shifts.
func (h *Handler) oncallSchedule(ctx context.Context, r oncallRequest) reply {
	oc, l := h.o.Oncall, h.o.Lang
	now := oc.Now()
	s, no := h.scheduleNamed(r.cmd.Schedule)
	if no != nil {
		return *no
	}
	ovs, err := oc.Overrides(ctx, s.Name)
	if err != nil {
		return h.oncallFailed(r.log, err)
	}
	lines := []string{nowLine(l, s, ovs, now), h.t("oncall.next_shifts", nil)}
	shifts := oncall.Shifts(s, ovs, now, now.Add(14*24*time.Hour))
	n := 0
	for _, sh := range shifts {
		if !sh.Start.After(now) {
			continue
		}
		if n++; n > 5 {
			break
		}
		lines = append(lines, fmt.Sprintf("• %s → %s: %s", WhenText(l, sh.Start, s), WhenText(l, sh.End, s), whoText(l, sh)))
	}
	if n == 0 {
		lines = append(lines, h.t("oncall.no_change", 14))
	}
	return ephemeralf("%s", strings.Join(lines, "\n"))
}

// addOverride puts someone on call for a while.
func (h *Handler) addOverride(ctx context.Context, r oncallRequest) reply {
	oc, l, cmd, actor := h.o.Oncall, h.o.Lang, r.cmd, r.sc.UserID
	now := oc.Now()
	s, no := h.scheduleNamed(cmd.Schedule)
	if no != nil {
		return *no
	}
	if !cmd.User.Resolved() {
		return ephemeralf("%s", h.t("oncall.unresolved_user", slacktext.Escape(cmd.User.Name)))
	}
	if no := mayChange(l, oc, s, actor); no != "" {
		return ephemeralf("%s", no)
	}
	from, to, bad := h.oncallWindow(cmd, now, s.Timezone)
	if bad != nil {
		return *bad
	}
	o := oncall.Override{Schedule: s.Name, Kind: oncall.OverrideReplace, User: cmd.User.ID, From: from, To: to,
		CreatedBy: actor, CreatedAt: now}
	if err := o.Validate(); err != nil {
		return ephemeralf("%s", invalidText(l, err))
	}
	o, err := oc.AddOverride(ctx, o)
	if err != nil {
		return h.oncallFailed(r.log, err)
	}
	return inChannelf("%s", h.t("oncall.override_added", M{"Actor": slacktext.UserMention(actor), "User": slacktext.UserMention(o.User),
		"Schedule": slacktext.Escape(s.Name), "From": WhenText(l, o.From, s), "To": WhenText(l, o.To, s), "ID": o.ID}))
}

// listOverrides lists the overrides to come, of one schedule or all.
func (h *Handler) listOverrides(ctx context.Context, r oncallRequest) reply {
	oc, l, cmd := h.o.Oncall, h.o.Lang, r.cmd
	if cmd.Schedule != "" {
		if _, no := h.scheduleNamed(cmd.Schedule); no != nil {
			return *no
		}
	}
	ovs, err := oc.Overrides(ctx, cmd.Schedule)
	if err != nil {
		return h.oncallFailed(r.log, err)
	}
	var lines []string
	for _, o := range ovs {
		s, _ := h.scheduleNamed(o.Schedule)
		lines = append(lines, h.t("oncall.override_line", M{"ID": o.ID, "Schedule": slacktext.Escape(o.Schedule),
			"User": slacktext.UserMention(o.User), "From": WhenText(l, o.From, s), "To": WhenText(l, o.To, s), "By": slacktext.UserMention(o.CreatedBy)}))
	}
	if len(lines) == 0 {
		return ephemeralf("%s", h.t("oncall.no_overrides", command.OncallOverride.Usage(l)))
	}
	return ephemeralf("%s\n%s", h.t("oncall.overrides_title", nil), strings.Join(lines, "\n"))
}

// removeOverride removes an override, by its ID.
func (h *Handler) removeOverride(ctx context.Context, r oncallRequest) reply {
	oc, id, actor := h.o.Oncall, r.cmd.ID, r.sc.UserID
	ovs, err := oc.Overrides(ctx, "")
	if err != nil {
		return h.oncallFailed(r.log, err)
	}
	i := slices.IndexFunc(ovs, func(o oncall.Override) bool { return o.ID == id })
	if i < 0 {
		return ephemeralf("%s", h.t("oncall.no_override", slacktext.Escape(id)))
	}
	s, _ := h.scheduleNamed(ovs[i].Schedule)
	if no := mayChange(h.o.Lang, oc, s, actor); no != "" {
		return ephemeralf("%s", no)
	}
	o, err := oc.RemoveOverride(ctx, id)
	if errors.Is(err, oncall.ErrNotFound) {
		return ephemeralf("%s", h.t("oncall.override_gone", slacktext.Escape(id)))
	}
	if err != nil {
		return h.oncallFailed(r.log, err)
	}
	return inChannelf("%s", h.t("oncall.override_removed", M{"Actor": slacktext.UserMention(actor), "ID": o.ID, "User": slacktext.UserMention(o.User),
		"Schedule": slacktext.Escape(o.Schedule)}))
}

// askCover asks the schedule's channel for someone to cover.
func (h *Handler) askCover(ctx context.Context, r oncallRequest) reply {
	oc, l, cmd, actor := h.o.Oncall, h.o.Lang, r.cmd, r.sc.UserID
	now := oc.Now()
	s, no := h.scheduleNamed(cmd.Schedule)
	if no != nil {
		return *no
	}
	if s.Channel == "" {
		return ephemeralf("%s", h.t("oncall.cover_no_channel", slacktext.Escape(s.Name)))
	}
	from, to, bad := h.oncallWindow(cmd, now, s.Timezone)
	if bad != nil {
		return *bad
	}
	if err := (oncall.Override{Schedule: s.Name, User: actor, From: from, To: to}).Validate(); err != nil {
		return ephemeralf("%s", invalidText(l, err))
	}
	if err := oc.RequestCover(ctx, s.Name, from, to, actor); err != nil {
		return h.oncallFailed(r.log, err)
	}
	return ephemeralf("%s", h.t("oncall.cover_asked", M{"Channel": slacktext.Escape(s.Channel), "Schedule": slacktext.Escape(s.Name),
		"From": WhenText(l, from, s), "To": WhenText(l, to, s)}))
}

// oncallLoad shows each person's load, per schedule.
func (h *Handler) oncallLoad(ctx context.Context, r oncallRequest) reply {
	oc, period := h.o.Oncall, r.cmd.Period
	days := int(period / (24 * time.Hour))
	lines := []string{h.t("oncall.load_title", days)}
	for _, s := range oc.Schedules() {
		loads, err := oc.Load(ctx, s.Name, period)
		if err != nil {
			return h.oncallFailed(r.log, err)
		}
		lines = append(lines, "*"+slacktext.Escape(s.Name)+"*")
		for _, ld := range loads {
			lines = append(lines, h.t("oncall.load_line", M{"User": slacktext.UserMention(ld.User), "OnCall": wholeHours(ld.OnCall),
				"OutOfHours": wholeHours(ld.OutOfHours), "Pages": ld.Pages, "Night": ld.NightPages}))
		}
		if len(loads) == 0 {
			lines = append(lines, h.t("oncall.load_nobody", nil))
		}
	}
	return ephemeralf("%s", strings.Join(lines, "\n"))
}

// handoffNow posts the shift handoff now.
func (h *Handler) handoffNow(ctx context.Context, r oncallRequest) reply {
	if r.cmd.Schedule != "" {
		if _, no := h.scheduleNamed(r.cmd.Schedule); no != nil {
			return *no
		}
	}
	if err := h.o.Oncall.HandoffNow(ctx, r.cmd.Schedule); err != nil {
		return h.oncallFailed(r.log, err)
	}
	return ephemeralf("%s", h.t("oncall.handoff_posting", nil))
}

// oncallWindow is Window with its error said in the Handler's language: the
// override's or cover's start and end, or the answer that says what is
// wrong with them, followed by the usage line.
func (h *Handler) oncallWindow(cmd command.Oncall, now time.Time, loc *time.Location) (from, to time.Time, bad *reply) {
	from, to, err := oncall.ParseRange(cmd.From, cmd.To, now, loc)
	if err == nil {
		return from, to, nil
	}
	r := ephemeralf("%s", h.t("grammar.reply", M{"Msg": badTimeText(h.o.Lang, err), "Usage": slacktext.Escape(cmd.Verb.Usage(h.o.Lang))}))
	return from, to, &r
}

// badTimeText is the sentence, ready mrkdwn and ending in ".", that says in
// l what is wrong with a time expression: err from oncall.ParseTime or
// oncall.ParseRange. In English it is err's text.
func badTimeText(l Lang, err error) string {
	var te *oncall.TimeError
	if !errors.As(err, &te) {
		return slacktext.Escape(err.Error() + ".")
	}
	d := M{"Field": te.Field, "Input": slacktext.Escape(strconv.Quote(te.Input)), "Name": te.Name, "Forms": slacktext.Escape(oncall.TimeForms),
		"Clock": slacktext.Escape(strconv.Quote(te.Data["clock"])), "Day": slacktext.Escape(strconv.Quote(te.Data["day"])),
		"Wall": slacktext.Escape(te.Data["wall"]), "Zone": slacktext.Escape(te.Data["zone"]),
		"From": slacktext.Escape(te.Data["from"]), "To": slacktext.Escape(te.Data["to"])}
	return l.Text("oncall.bad_time", d)
}

// invalidText says in l, as ready mrkdwn, what Override.Validate found
// wrong, one field a line; in English it is err's text.
func invalidText(l Lang, err error) string {
	var fes oncall.FieldErrors
	if !errors.As(err, &fes) {
		return slacktext.Escape(err.Error())
	}
	lines := make([]string, len(fes))
	for i, fe := range fes {
		if fe.Name == "" {
			lines[i] = slacktext.Escape(fe.Error())
			continue
		}
		days, _ := strconv.Atoi(fe.Data["days"])
		lines[i] = l.Text("oncall.invalid", M{"Path": slacktext.Escape(fe.Path), "Name": fe.Name,
			"Kind": slacktext.Escape(strconv.Quote(fe.Data["kind"])), "User": slacktext.Escape(strconv.Quote(fe.Data["user"])),
			"Self": slacktext.Escape(fe.Data["user"]), "From": slacktext.Escape(fe.Data["from"]), "Days": days})
	}
	return strings.Join(lines, "\n")
}

// wholeHours is d in hours, rounded as "%.0f" rounds.
func wholeHours(d time.Duration) int { return int(math.RoundToEven(d.Hours())) }

// mayChange says why user may not change schedule s ("" when they may):
// with admins configured, only an admin or a member of the schedule may.
func mayChange(l Lang, oc Oncall, s oncall.Schedule, user string) string {
	admins := oc.Admins()
	if len(admins) == 0 || slices.Contains(admins, user) {
		return ""
	}
	for _, r := range s.Rotations {
		if slices.Contains(r.Members, user) {
			return ""
		}
	}
	return l.Text("oncall.may_not_change", slacktext.Escape(s.Name))
}

// nowLine says who is on call for s now and until when.
func nowLine(l Lang, s oncall.Schedule, ovs []oncall.Override, now time.Time) string {
	sh := oncall.OnCall(s, ovs, now)
	until := ""
	if !sh.End.IsZero() {
		until = WhenText(l, sh.End, s)
	}
	return l.Text("oncall.now_line", M{"Schedule": slacktext.Escape(s.Name), "Who": whoText(l, sh), "Until": until})
}

func whoText(l Lang, sh oncall.Shift) string {
	users := sh.Users()
	if len(users) == 0 {
		return l.Text("oncall.nobody", nil)
	}
	ms := make([]string, len(users))
	for i, u := range users {
		ms[i] = slacktext.UserMention(u)
	}
	return strings.Join(ms, ", ")
}

// WhenText formats t in the schedule's zone and l's words, e.g.
// "Mon 30 Nov 09:00 UTC" ("пн 30 ноя 09:00 UTC").
func WhenText(l Lang, t time.Time, s oncall.Schedule) string {
	loc := s.Timezone
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	day := strings.TrimSuffix(l.ShortDate(t), " "+strconv.Itoa(t.Year()))
	return day + " " + t.Format("15:04 MST")
}

func scheduleNames(ss []oncall.Schedule) string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = slacktext.Escape(s.Name)
	}
	return strings.Join(names, ", ")
}

// takeCover runs a cover request's Take it button.
func (h *Handler) takeCover(ctx context.Context, log *logrus.Entry, cb slack.InteractionCallback, value string) reply {
	if h.o.Oncall == nil {
		return ephemeralf("%s", h.t("oncall.not_configured", nil))
	}
	msg, err := h.o.Oncall.TakeCover(ctx, value, cb.User.ID, channelOf(cb), cb.Container.MessageTs)
	if err != nil {
		log.WithError(err).Error("take cover failed")
		return ephemeralf("%s", h.t("oncall.failed", nil))
	}
	return ephemeralf("%s", msg)
}

// coverBlockID marks a cover request's message (with its ID).
const coverBlockID = "cover-%s"

// PostCoverRequest posts, once, a cover request with a Take it button in
// channel ("#name" or an ID), joining it first.
func (n *Notifier) PostCoverRequest(ctx context.Context, channel, id, text, value string) error {
	ch, err := n.channelID(ctx, channel)
	if err != nil {
		return err
	}
	if _, _, _, err := n.api.JoinConversationContext(ctx, ch); err != nil && ErrorCode(err) != "method_not_supported_for_channel_type" {
		return fmt.Errorf("join %s: %w", channel, err)
	}
	blockID := fmt.Sprintf(coverBlockID, id)
	blocks := []slack.Block{
		mrkdwnSection(text),
		slack.NewActionBlock("cover_actions", slack.NewButtonBlockElement(ActionTakeCover, value, plain(n.t("oncall.button_take", nil))).WithStyle(slack.StylePrimary)),
	}
	if _, err := n.postOnce(ctx, ch, blockID, text, blocks); err != nil {
		return fmt.Errorf("post cover request %s: %w", id, err)
	}
	return nil
}

// CoverTaken replaces a cover request's button with who took it.
func (n *Notifier) CoverTaken(ctx context.Context, channel, ts, id, text string) error {
	blocks := []slack.Block{mrkdwnSection(text)}
	setBlockID(blocks, fmt.Sprintf(coverBlockID, id))
	if _, _, _, err := n.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		return fmt.Errorf("update cover request %s: %w", id, err)
	}
	return nil
}
