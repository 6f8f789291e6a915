package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/slack-go/slack"

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
	// Now is the clock.
	Now() time.Time
}

// ActionTakeCover is a cover request's "Take it" button; its value names the request.
const ActionTakeCover = "oncall_take_cover"

// oncallCommand answers /oncall within the ack budget.
func (h *Handler) oncallCommand(ctx context.Context, log *logrus.Entry, sc slack.SlashCommand) reply {
	cmd, err := ParseOncall(sc.Text)
	if err != nil {
		return usageReply(err)
	}
	if cmd.Verb == OncallHelp {
		return ephemeralf("%s", "```"+EscapeMrkdwn(OncallUsage())+"```")
	}
	if h.o.Oncall == nil || len(h.o.Oncall.Schedules()) == 0 {
		return ephemeralf("No on-call schedules are configured; add them under schedules: in the config. Try /oncall help.")
	}
	return h.answerCommand(ctx, sc, func(ctx context.Context) reply { return h.runOncall(ctx, log, sc, cmd) })
}

func (h *Handler) runOncall(ctx context.Context, log *logrus.Entry, sc slack.SlashCommand, cmd OncallCommand) reply {
	oc := h.o.Oncall
	now := oc.Now()
	schedule := func(name string) (oncall.Schedule, *reply) {
		for _, s := range oc.Schedules() {
			if s.Name == name {
				return s, nil
			}
		}
		r := ephemeralf("There is no schedule %s. The schedules are: %s.", EscapeMrkdwn(name), scheduleNames(oc.Schedules()))
		return oncall.Schedule{}, &r
	}
	fail := func(err error) reply {
		var ue *UsageError
		if errors.As(err, &ue) {
			return usageReply(err)
		}
		log.WithError(err).Error("/oncall failed")
		return ephemeralf("Something went wrong; please try again.")
	}
	switch cmd.Verb {
	case OncallNow:
		ovs, err := oc.Overrides(ctx, "")
		if err != nil {
			return fail(err)
		}
		lines := []string{"*Who is on call now*"}
		for _, s := range oc.Schedules() {
			lines = append(lines, "• "+nowLine(s, ovs, now))
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
		lines := []string{nowLine(s, ovs, now), "*Next shifts*"}
		shifts := oncall.Shifts(s, ovs, now, now.Add(14*24*time.Hour))
		n := 0
		for _, sh := range shifts {
			if !sh.Start.After(now) {
				continue
			}
			if n++; n > 5 {
				break
			}
			lines = append(lines, fmt.Sprintf("• %s → %s: %s", whenText(sh.Start, s), whenText(sh.End, s), whoText(sh)))
		}
		if n == 0 {
			lines = append(lines, "• no change in the next 14 days")
		}
		return ephemeralf("%s", strings.Join(lines, "\n"))
	case OncallOverride:
		s, r := schedule(cmd.Schedule)
		if r != nil {
			return *r
		}
		if !cmd.User.Resolved() {
			return ephemeralf("I can't tell who @%s is; mention them so Slack links the name.", EscapeMrkdwn(cmd.User.Name))
		}
		if no := mayChange(oc, s, sc.UserID); no != "" {
			return ephemeralf("%s", no)
		}
		from, to, err := cmd.Window(now, s.Timezone)
		if err != nil {
			return fail(err)
		}
		o := oncall.Override{Schedule: s.Name, Kind: oncall.OverrideReplace, User: cmd.User.ID, From: from, To: to,
			CreatedBy: sc.UserID, CreatedAt: now}
		if err := o.Validate(); err != nil {
			return ephemeralf("%s", EscapeMrkdwn(err.Error()))
		}
		if o, err = oc.AddOverride(ctx, o); err != nil {
			return fail(err)
		}
		return inChannelf("%s put %s on call for *%s* from %s to %s (override `%s`).", UserMention(sc.UserID), UserMention(o.User),
			EscapeMrkdwn(s.Name), whenText(o.From, s), whenText(o.To, s), o.ID)
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
			lines = append(lines, fmt.Sprintf("• `%s` *%s*: %s from %s to %s, by %s", o.ID, EscapeMrkdwn(o.Schedule),
				UserMention(o.User), whenText(o.From, s), whenText(o.To, s), UserMention(o.CreatedBy)))
		}
		if len(lines) == 0 {
			return ephemeralf("No overrides now or ahead. Add one with %s.", "`"+OncallOverride.usage()+"`")
		}
		return ephemeralf("*Overrides*\n%s", strings.Join(lines, "\n"))
	case OncallOverrideRemove:
		ovs, err := oc.Overrides(ctx, "")
		if err != nil {
			return fail(err)
		}
		i := slices.IndexFunc(ovs, func(o oncall.Override) bool { return o.ID == cmd.ID })
		if i < 0 {
			return ephemeralf("There is no override %s now or ahead; /oncall overrides lists them.", EscapeMrkdwn(cmd.ID))
		}
		s, _ := schedule(ovs[i].Schedule)
		if no := mayChange(oc, s, sc.UserID); no != "" {
			return ephemeralf("%s", no)
		}
		o, err := oc.RemoveOverride(ctx, cmd.ID)
		if errors.Is(err, oncall.ErrNotFound) {
			return ephemeralf("Override %s was removed already.", EscapeMrkdwn(cmd.ID))
		}
		if err != nil {
			return fail(err)
		}
		return inChannelf("%s removed override `%s` (%s on *%s*).", UserMention(sc.UserID), o.ID, UserMention(o.User), EscapeMrkdwn(o.Schedule))
	case OncallCover:
		s, r := schedule(cmd.Schedule)
		if r != nil {
			return *r
		}
		if s.Channel == "" {
			return ephemeralf("Schedule %s has no channel to ask in; set channel: in its config.", EscapeMrkdwn(s.Name))
		}
		from, to, err := cmd.Window(now, s.Timezone)
		if err != nil {
			return fail(err)
		}
		if err := (oncall.Override{Schedule: s.Name, User: sc.UserID, From: from, To: to}).Validate(); err != nil {
			return ephemeralf("%s", EscapeMrkdwn(err.Error()))
		}
		if err := oc.RequestCover(ctx, s.Name, from, to, sc.UserID); err != nil {
			return fail(err)
		}
		return ephemeralf("I asked %s for someone to cover %s from %s to %s.", EscapeMrkdwn(s.Channel), EscapeMrkdwn(s.Name), whenText(from, s), whenText(to, s))
	case OncallLoad:
		days := int(cmd.Period / (24 * time.Hour))
		lines := []string{fmt.Sprintf("*On-call load, last %d days* (hours on call · out of hours · pages · at night)", days)}
		for _, s := range oc.Schedules() {
			loads, err := oc.Load(ctx, s.Name, cmd.Period)
			if err != nil {
				return fail(err)
			}
			lines = append(lines, "*"+EscapeMrkdwn(s.Name)+"*")
			for _, l := range loads {
				lines = append(lines, fmt.Sprintf("• %s: %.0fh · %.0fh · %d · %d", UserMention(l.User), l.OnCall.Hours(), l.OutOfHours.Hours(), l.Pages, l.NightPages))
			}
			if len(loads) == 0 {
				lines = append(lines, "• nobody")
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
		return ephemeralf("Posting the handoff digest now.")
	}
	return ephemeralf("%s", "```"+EscapeMrkdwn(OncallUsage())+"```")
}

// mayChange says why user may not change schedule s ("" when they may):
// with admins configured, only an admin or a member of the schedule may.
func mayChange(oc Oncall, s oncall.Schedule, user string) string {
	admins := oc.Admins()
	if len(admins) == 0 || slices.Contains(admins, user) {
		return ""
	}
	for _, r := range s.Rotations {
		if slices.Contains(r.Members, user) {
			return ""
		}
	}
	return fmt.Sprintf("Only an admin or a member of %s may change its overrides.", EscapeMrkdwn(s.Name))
}

// nowLine says who is on call for s now and until when.
func nowLine(s oncall.Schedule, ovs []oncall.Override, now time.Time) string {
	sh := oncall.OnCall(s, ovs, now)
	until := ""
	if !sh.End.IsZero() {
		until = " until " + whenText(sh.End, s)
	}
	return fmt.Sprintf("*%s*: %s%s", EscapeMrkdwn(s.Name), whoText(sh), until)
}

func whoText(sh oncall.Shift) string {
	users := sh.Users()
	if len(users) == 0 {
		return "nobody on call"
	}
	ms := make([]string, len(users))
	for i, u := range users {
		ms[i] = UserMention(u)
	}
	return strings.Join(ms, ", ")
}

// whenText formats t in the schedule's zone, e.g. "Mon 30 Nov 09:00 UTC".
func whenText(t time.Time, s oncall.Schedule) string {
	loc := s.Timezone
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan 15:04 MST")
}

func scheduleNames(ss []oncall.Schedule) string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = EscapeMrkdwn(s.Name)
	}
	return strings.Join(names, ", ")
}

// takeCover runs a cover request's Take it button.
func (h *Handler) takeCover(ctx context.Context, log *logrus.Entry, cb slack.InteractionCallback, value string) reply {
	if h.o.Oncall == nil {
		return ephemeralf("On-call schedules are not configured here.")
	}
	msg, err := h.o.Oncall.TakeCover(ctx, value, cb.User.ID, channelOf(cb), cb.Container.MessageTs)
	if err != nil {
		log.WithError(err).Error("take cover failed")
		return ephemeralf("Something went wrong; please try again.")
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
		slack.NewActionBlock("cover_actions", slack.NewButtonBlockElement(ActionTakeCover, value, plain("Take it")).WithStyle(slack.StylePrimary)),
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
