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

// oncallCommand answers /oncall within the ack budget.
func (h *Handler) oncallCommand(ctx context.Context, log *logrus.Entry, sc slack.SlashCommand) reply {
	cmd, err := ParseOncall(sc.Text)
	if err != nil {
		return usageReply(h.o.Lang, err)
	}
	switch cmd.Verb {
	case OncallHelp:
		return h.oncallHelp()
	case OncallMaintenance, OncallMaintenanceList, OncallMaintenanceRemove:
		return h.answerCommand(ctx, sc, func(ctx context.Context) reply { return h.maintenanceCommand(ctx, log, sc, cmd) })
	case OncallContact, OncallTestPage:
		if h.o.Oncall == nil {
			return ephemeralf("%s", h.t("page.not_configured", nil))
		}
		if cmd.Verb == OncallContact {
			return ephemeralf("%s", h.o.Oncall.Contact(sc.UserID))
		}
		return h.answerCommand(ctx, sc, func(ctx context.Context) reply {
			text, err := h.o.Oncall.TestPage(ctx, sc.UserID, cmd.Method)
			if err != nil {
				log.WithError(err).Error("/oncall test-page failed")
				return ephemeralf("%s", h.t("oncall.failed", nil))
			}
			return ephemeralf("%s", text)
		})
	}
	if h.o.Oncall == nil || len(h.o.Oncall.Schedules()) == 0 {
		return ephemeralf("%s", h.t("oncall.no_schedules", nil))
	}
	return h.answerCommand(ctx, sc, func(ctx context.Context) reply { return h.runOncall(ctx, log, sc, cmd) })
}

func (h *Handler) runOncall(ctx context.Context, log *logrus.Entry, sc slack.SlashCommand, cmd OncallCommand) reply {
	oc := h.o.Oncall
	l := h.o.Lang
	now := oc.Now()
	schedule := func(name string) (oncall.Schedule, *reply) {
		for _, s := range oc.Schedules() {
			if s.Name == name {
				return s, nil
			}
		}
		r := ephemeralf("%s", h.t("oncall.no_schedule", M{"Name": slacktext.Escape(name), "Names": scheduleNames(oc.Schedules())}))
		return oncall.Schedule{}, &r
	}
	fail := func(err error) reply {
		var ue *UsageError
		if errors.As(err, &ue) {
			return usageReply(h.o.Lang, err)
		}
		log.WithError(err).Error("/oncall failed")
		return ephemeralf("%s", h.t("oncall.failed", nil))
	}
	switch cmd.Verb {
	case OncallNow:
		ovs, err := oc.Overrides(ctx, "")
		if err != nil {
			return fail(err)
		}
		lines := []string{h.t("oncall.now_title", nil)}
		for _, s := range oc.Schedules() {
			lines = append(lines, "• "+nowLine(l, s, ovs, now))
		}
		if m := h.maintenanceNow(ctx, log); m != "" {
			lines = append(lines, m)
		}
		return ephemeralf("%s", strings.Join(lines, "\n"))
	case OncallSchedule:
		s, r := schedule(cmd.Schedule)
		if r != nil {
			return *r
		}
		ovs, err := oc.Overrides(ctx, s.Name)
		if err != nil {
			return fail(err)
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
	case OncallOverride:
		s, r := schedule(cmd.Schedule)
		if r != nil {
			return *r
		}
		if !cmd.User.Resolved() {
			return ephemeralf("%s", h.t("oncall.unresolved_user", slacktext.Escape(cmd.User.Name)))
		}
		if no := mayChange(l, oc, s, sc.UserID); no != "" {
			return ephemeralf("%s", no)
		}
		from, to, bad := h.oncallWindow(cmd, now, s.Timezone)
		if bad != nil {
			return *bad
		}
		o := oncall.Override{Schedule: s.Name, Kind: oncall.OverrideReplace, User: cmd.User.ID, From: from, To: to,
			CreatedBy: sc.UserID, CreatedAt: now}
		if err := o.Validate(); err != nil {
			return ephemeralf("%s", InvalidText(l, err))
		}
		o, err := oc.AddOverride(ctx, o)
		if err != nil {
			return fail(err)
		}
		return inChannelf("%s", h.t("oncall.override_added", M{"Actor": slacktext.UserMention(sc.UserID), "User": slacktext.UserMention(o.User),
			"Schedule": slacktext.Escape(s.Name), "From": WhenText(l, o.From, s), "To": WhenText(l, o.To, s), "ID": o.ID}))
	case OncallOverrides:
		if cmd.Schedule != "" {
			if _, r := schedule(cmd.Schedule); r != nil {
				return *r
			}
		}
		ovs, err := oc.Overrides(ctx, cmd.Schedule)
		if err != nil {
			return fail(err)
		}
		var lines []string
		for _, o := range ovs {
			s, _ := schedule(o.Schedule)
			lines = append(lines, h.t("oncall.override_line", M{"ID": o.ID, "Schedule": slacktext.Escape(o.Schedule),
				"User": slacktext.UserMention(o.User), "From": WhenText(l, o.From, s), "To": WhenText(l, o.To, s), "By": slacktext.UserMention(o.CreatedBy)}))
		}
		if len(lines) == 0 {
			return ephemeralf("%s", h.t("oncall.no_overrides", OncallOverride.UsageIn(h.o.Lang)))
		}
		return ephemeralf("%s\n%s", h.t("oncall.overrides_title", nil), strings.Join(lines, "\n"))
	case OncallOverrideRemove:
		ovs, err := oc.Overrides(ctx, "")
		if err != nil {
			return fail(err)
		}
		i := slices.IndexFunc(ovs, func(o oncall.Override) bool { return o.ID == cmd.ID })
		if i < 0 {
			return ephemeralf("%s", h.t("oncall.no_override", slacktext.Escape(cmd.ID)))
		}
		s, _ := schedule(ovs[i].Schedule)
		if no := mayChange(l, oc, s, sc.UserID); no != "" {
			return ephemeralf("%s", no)
		}
		o, err := oc.RemoveOverride(ctx, cmd.ID)
		if errors.Is(err, oncall.ErrNotFound) {
			return ephemeralf("%s", h.t("oncall.override_gone", slacktext.Escape(cmd.ID)))
		}
		if err != nil {
			return fail(err)
		}
		return inChannelf("%s", h.t("oncall.override_removed", M{"Actor": slacktext.UserMention(sc.UserID), "ID": o.ID, "User": slacktext.UserMention(o.User),
			"Schedule": slacktext.Escape(o.Schedule)}))
	case OncallCover:
		s, r := schedule(cmd.Schedule)
		if r != nil {
			return *r
		}
		if s.Channel == "" {
			return ephemeralf("%s", h.t("oncall.cover_no_channel", slacktext.Escape(s.Name)))
		}
		from, to, bad := h.oncallWindow(cmd, now, s.Timezone)
		if bad != nil {
			return *bad
		}
		if err := (oncall.Override{Schedule: s.Name, User: sc.UserID, From: from, To: to}).Validate(); err != nil {
			return ephemeralf("%s", InvalidText(l, err))
		}
		if err := oc.RequestCover(ctx, s.Name, from, to, sc.UserID); err != nil {
			return fail(err)
		}
		return ephemeralf("%s", h.t("oncall.cover_asked", M{"Channel": slacktext.Escape(s.Channel), "Schedule": slacktext.Escape(s.Name),
			"From": WhenText(l, from, s), "To": WhenText(l, to, s)}))
	case OncallLoad:
		days := int(cmd.Period / (24 * time.Hour))
		lines := []string{h.t("oncall.load_title", days)}
		for _, s := range oc.Schedules() {
			loads, err := oc.Load(ctx, s.Name, cmd.Period)
			if err != nil {
				return fail(err)
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
	case OncallHandoff:
		if cmd.Schedule != "" {
			if _, r := schedule(cmd.Schedule); r != nil {
				return *r
			}
		}
		if err := oc.HandoffNow(ctx, cmd.Schedule); err != nil {
			return fail(err)
		}
		return ephemeralf("%s", h.t("oncall.handoff_posting", nil))
	}
	return h.oncallHelp()
}

// oncallHelp is /oncall help: the usage of every subcommand.
func (h *Handler) oncallHelp() reply {
	return ephemeralf("%s", "```"+slacktext.Escape(OncallUsageIn(h.o.Lang))+"```")
}

// oncallWindow is Window with its error said in the Handler's language: the
// override's or cover's start and end, or the answer that says what is
// wrong with them, followed by the usage line.
func (h *Handler) oncallWindow(cmd OncallCommand, now time.Time, loc *time.Location) (from, to time.Time, bad *reply) {
	from, to, err := oncall.ParseRange(cmd.From, cmd.To, now, loc)
	if err == nil {
		return from, to, nil
	}
	r := ephemeralf("%s", h.t("grammar.reply", M{"Msg": BadTimeText(h.o.Lang, err), "Usage": slacktext.Escape(cmd.Verb.UsageIn(h.o.Lang))}))
	return from, to, &r
}

// BadTimeText is the sentence, ready mrkdwn and ending in ".", that says in
// l what is wrong with a time expression: err from oncall.ParseTime or
// oncall.ParseRange. In English it is err's text.
func BadTimeText(l Lang, err error) string {
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

// InvalidText says in l, as ready mrkdwn, what Override.Validate found
// wrong, one field a line; in English it is err's text.
func InvalidText(l Lang, err error) string {
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
