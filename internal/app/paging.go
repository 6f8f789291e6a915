package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/oncall"
)

// Paging: an incident with an escalation policy gets one durable job per
// step of its plan (keyed page:<n>:<round>:<level>) and one for the end
// (page:<n>:exhausted). A step job pages each target once: the page store
// records every page by step and target before it is sent, and a page whose
// message is not recorded is adopted from Slack (its block ID) rather than
// posted again, so a restart or a second replica never pages twice. A step
// job is a no-op once the incident is acknowledged or resolved; the close
// job also cancels the pending steps.

// wirePaging registers the paging jobs; called once Slack is wired.
func (a *App) wirePaging() {
	jobs.Handle(a.runner, jobPageStep, a.runPageStep)
	jobs.Handle(a.runner, jobPageExhausted, a.runPageExhausted)
	jobs.Handle(a.runner, jobPageClose, a.runPageClose)
	jobs.Handle(a.runner, jobPageDecline, a.runPageDecline)
	jobs.Handle(a.runner, jobPageManual, a.runPageManual)
	jobs.Handle(a.runner, jobAckRepage, a.runAckRepage)
	jobs.Handle(a.runner, jobCoverRequest, a.runCoverRequest)
	jobs.Handle(a.runner, jobCoverTaken, a.runCoverTaken)
}

// pageStore is where pages are recorded.
func (a *App) pageStore() oncall.PageStore { return a.store }

// schedules returns the configured schedules by name.
func (a *App) schedules() map[string]oncall.Schedule {
	out := make(map[string]oncall.Schedule, len(a.opts.Config.Schedules))
	for _, s := range a.opts.Config.Schedules {
		out[s.Name] = s
	}
	return out
}

// overrideHistory is how far back overrides are read: enough for the
// longest /oncall load window.
const overrideHistory = 91 * 24 * time.Hour

// overridesFor returns the stored overrides of every schedule that ended
// within overrideHistory or are still to end, sorted by From.
func (a *App) overridesFor(ctx context.Context) ([]oncall.Override, error) {
	return a.store.Overrides(ctx, "", a.opts.Now().Add(-overrideHistory))
}

// plan lays out the escalation of inc under its policy; ok is false when
// the incident has no (known) policy.
func (a *App) plan(ctx context.Context, inc *incidents.Incident) (oncall.EscalationPolicy, oncall.Plan, bool, error) {
	if inc.EscalationPolicy == "" {
		return oncall.EscalationPolicy{}, oncall.Plan{}, false, nil
	}
	p, ok := a.opts.Config.EscalationPolicy(inc.EscalationPolicy)
	if !ok {
		a.log.WithField("incident", inc.Number).Warnf("escalation policy %q is not configured: nobody is paged", inc.EscalationPolicy)
		return p, oncall.Plan{}, false, nil
	}
	ovs, err := a.overridesFor(ctx)
	if err != nil {
		return p, oncall.Plan{}, false, err
	}
	return p, oncall.NewPlan(inc.Number, p, inc.DeclaredAt, a.schedules(), ovs), true, nil
}

// awaitsAck reports whether paging for inc should go on.
func awaitsAck(inc *incidents.Incident) bool { return inc.Open() && inc.AcknowledgedAt == nil }

// startPaging enqueues every step of a new incident's escalation and its end.
func (a *App) startPaging(ctx context.Context, n int64) error {
	inc, err := a.service.Get(ctx, n)
	if err != nil {
		return err
	}
	if !awaitsAck(inc) {
		return nil
	}
	_, plan, ok, err := a.plan(ctx, inc)
	if err != nil || !ok {
		return err
	}
	for _, st := range plan.Steps {
		if err := a.runner.Enqueue(ctx, jobPageStep.Job(st.Key, pageStep{Incident: n, Round: st.Round, Level: st.Level}, st.At)); err != nil {
			return err
		}
	}
	return a.runner.Enqueue(ctx, jobPageExhausted.Job(plan.ExhaustedKey, n, plan.Exhausted))
}

// runPageStep pages the targets of one step, unless someone acknowledged.
func (a *App) runPageStep(ctx context.Context, j jobs.Job, ps pageStep) error {
	if a.notifier == nil {
		return nil
	}
	inc, err := a.service.Get(ctx, ps.Incident)
	if errors.Is(err, incidents.ErrNotFound) && j.Attempts < maxEarlySyncAttempts {
		return jobs.RetryAfter(earlySyncRetry, err)
	}
	if err != nil {
		return err
	}
	if !awaitsAck(inc) {
		return nil
	}
	policy, plan, ok, err := a.plan(ctx, inc)
	if err != nil || !ok {
		return err
	}
	key := oncall.PageKey(ps.Incident, ps.Round, ps.Level)
	i := slices.IndexFunc(plan.Steps, func(s oncall.Step) bool { return s.Key == key })
	if i < 0 {
		return jobs.Permanent(fmt.Errorf("incident #%d: step %s is not in policy %s", ps.Incident, key, policy.Name))
	}
	st := plan.Steps[i]
	// Whoever is on call now is paged: a declined step runs before its time.
	now := a.opts.Now()
	ovs, err := a.overridesFor(ctx)
	if err != nil {
		return err
	}
	resolved := oncall.NewPlan(ps.Incident, oncall.EscalationPolicy{Name: policy.Name,
		Levels: []oncall.EscalationLevel{{Targets: st.Targets}}}, now, a.schedules(), ovs).Steps[0]
	base := oncall.PageRecord{Incident: ps.Incident, Step: key, Policy: policy.Name, Level: ps.Level + 1, Round: ps.Round, At: now}
	for _, u := range resolved.Users {
		p := base
		p.Target, p.User, p.Schedule = "user:"+u, u, scheduleOf(st.Targets, u, a.schedules(), ovs, now)
		if err := a.sendPage(ctx, p, ""); err != nil {
			return err
		}
	}
	for _, c := range resolved.Channels {
		p := base
		p.Target = string(oncall.TargetChannel) + ":" + c
		if err := a.sendPage(ctx, p, ""); err != nil {
			return err
		}
	}
	for _, t := range resolved.Unresolved {
		if err := a.service.Record(ctx, ps.Incident, incidents.Event{
			ID: fmt.Sprintf("%d:unresolved:%s:%s", ps.Incident, key, t), Type: incidents.EventPaged, Actor: incidents.ActorBot,
			Text:   fmt.Sprintf("Nobody on call for %s (level %d)", t, ps.Level+1),
			Fields: map[string]string{"target": t.String(), "policy": policy.Name, "level": strconv.Itoa(ps.Level + 1), "unresolved": "true"},
		}); err != nil {
			return err
		}
	}
	return nil
}

// scheduleOf names the schedule among targets through which user is on call at t.
func scheduleOf(targets []oncall.Target, user string, schedules map[string]oncall.Schedule, ovs []oncall.Override, t time.Time) string {
	for _, tg := range targets {
		if tg.Kind == oncall.TargetUser && tg.Name == user {
			return ""
		}
	}
	for _, tg := range targets {
		if s, ok := schedules[tg.Name]; ok && tg.Kind == oncall.TargetSchedule && slices.Contains(oncall.OnCall(s, ovs, t).Users(), user) {
			return s.Name
		}
	}
	return ""
}

// sendPage records page p (once), posts it unless it was posted before,
// and puts it on the timeline.
func (a *App) sendPage(ctx context.Context, p oncall.PageRecord, note string) error {
	p.ID = oncall.PageID(p.Step, p.Target)
	stored, added, err := a.pageStore().AddPage(ctx, p)
	if err != nil {
		return err
	}
	if added {
		a.pages.sent.WithLabelValues(pageKind(stored)).Inc()
	}
	if stored.TS == "" {
		ch, ts, err := a.notifier.SendPage(ctx, stored.Incident, stored, note)
		if bot.NoChannelYet(err) {
			return jobs.RetryAfter(time.Second, err)
		}
		if errors.Is(err, bot.ErrNoSuchChannel) {
			a.log.WithField("incident", stored.Incident).WithError(err).Warn("page target skipped")
			return nil
		}
		if err != nil {
			return slackJobError(err)
		}
		if err := a.pageStore().SetPageMessage(ctx, stored.ID, ch, ts); err != nil {
			return err
		}
	}
	fields := map[string]string{"level": strconv.Itoa(stored.Level)}
	who := stored.Target
	if stored.User != "" {
		fields["user"] = stored.User
		who = "<@" + stored.User + ">"
	} else {
		fields["target"] = stored.Target
	}
	if stored.Schedule != "" {
		fields["schedule"] = stored.Schedule
	} else if stored.Policy != "" {
		fields["policy"] = stored.Policy
	}
	text := fmt.Sprintf("Paged %s", who)
	if stored.Level > 1 || stored.Round > 0 {
		fields["escalation"] = "true"
		text = fmt.Sprintf("Escalated: paged %s (level %d)", who, stored.Level)
	}
	if stored.Level == 0 {
		delete(fields, "level")
		if oncall.IsRepage(stored.Incident, stored.Step) {
			fields["repage"] = "true"
			text = fmt.Sprintf("Paged %s again: acknowledged, but no status update", who)
		} else {
			fields["manual"] = "true"
		}
	}
	return a.service.Record(ctx, stored.Incident, incidents.Event{
		ID: fmt.Sprintf("%d:paged:%s", stored.Incident, stored.ID), Type: incidents.EventPaged, At: stored.At,
		Actor: incidents.ActorBot, Text: text, Fields: fields,
	})
}

// runPageExhausted tells the channels that nobody acknowledged.
func (a *App) runPageExhausted(ctx context.Context, _ jobs.Job, n int64) error {
	if a.notifier == nil {
		return nil
	}
	inc, err := a.service.Get(ctx, n)
	if err != nil || !awaitsAck(inc) {
		return err
	}
	pages, err := a.pageStore().Pages(ctx, n)
	if err != nil {
		return err
	}
	var users []string
	for _, p := range pages {
		if p.User != "" && !slices.Contains(users, p.User) {
			users = append(users, p.User)
		}
	}
	if err := slackJobError(a.notifier.NobodyAcknowledged(ctx, n, users)); err != nil {
		return err
	}
	mentions := make([]string, len(users))
	for i, u := range users {
		mentions[i] = "<@" + u + ">"
	}
	return a.service.Record(ctx, n, incidents.Event{
		ID: fmt.Sprintf("%d:unacknowledged", n), Type: incidents.EventUnacknowledged, Actor: incidents.ActorBot,
		Text: "Nobody acknowledged; paged " + strings.Join(mentions, ", "), Fields: map[string]string{"users": strings.Join(users, ",")},
	})
}

// pagesChanged runs after a sync: an acknowledged or resolved incident's
// open pages are closed by a job.
func (a *App) pagesChanged(ctx context.Context, n int64) error {
	inc, err := a.service.Get(ctx, n)
	if err != nil || awaitsAck(inc) {
		return err
	}
	return a.runner.Enqueue(ctx, jobPageClose.Job(fmt.Sprintf("page-close:%d", n), n, time.Time{}))
}

// runPageClose cancels the pending steps of an acknowledged or resolved
// incident and replaces the buttons of its open pages with how it ended.
// Each message is updated before its page is marked closed, with text
// derived from the incident alone, so a replay says the same thing.
func (a *App) runPageClose(ctx context.Context, _ jobs.Job, n int64) error {
	inc, err := a.service.Get(ctx, n)
	if err != nil || awaitsAck(inc) {
		return err
	}
	if _, plan, ok, err := a.plan(ctx, inc); err != nil {
		return err
	} else if ok {
		for _, st := range plan.Steps {
			if err := a.runner.Cancel(ctx, st.Key); err != nil {
				return err
			}
		}
		if err := a.runner.Cancel(ctx, plan.ExhaustedKey); err != nil {
			return err
		}
	}
	pages, err := a.pageStore().Pages(ctx, n)
	if err != nil {
		return err
	}
	state, at, by := oncall.PageClosed, a.opts.Now(), ""
	if inc.AcknowledgedAt != nil {
		state, at = oncall.PageAcknowledged, *inc.AcknowledgedAt
		if by, err = a.ackedBy(ctx, n); err != nil {
			return err
		}
	} else if inc.ResolvedAt != nil {
		at = *inc.ResolvedAt
	}
	for _, p := range pages {
		if p.State != oncall.PageOpen {
			continue
		}
		p.State, p.ClosedAt, p.ClosedBy = state, at, by
		if a.notifier != nil {
			if err := slackJobError(a.notifier.ClosePage(ctx, p, inc)); err != nil {
				return err
			}
		}
		if err := a.closePage(ctx, p.ID, state, at, by); err != nil {
			return err
		}
	}
	return a.scheduleRepage(ctx, inc)
}

// closePage records how a page ended and counts it the first time.
func (a *App) closePage(ctx context.Context, id string, state oncall.PageState, at time.Time, by string) error {
	closed, err := a.pageStore().ClosePage(ctx, id, state, at, by)
	if closed {
		a.pages.closed.WithLabelValues(string(state)).Inc()
	}
	return err
}

// ackedBy returns who acknowledged incident n: the first acknowledgement's
// actor, or the first status change's.
func (a *App) ackedBy(ctx context.Context, n int64) (string, error) {
	evs, err := a.service.Timeline(ctx, n)
	if err != nil {
		return "", err
	}
	for _, typ := range []incidents.EventType{incidents.EventAcknowledged, incidents.EventStatusChanged} {
		for _, e := range evs {
			if e.Type == typ && e.Actor != "" {
				return e.Actor, nil
			}
		}
	}
	return "", nil
}

// pagingHandler is the bot's view of paging: the Decline button and
// /incident page.
type pagingHandler struct{ a *App }

var _ bot.Paging = pagingHandler{}

// Decline stores the decline as a job and answers at once.
func (h pagingHandler) Decline(ctx context.Context, n int64, user string) (string, error) {
	inc, err := h.a.service.Get(ctx, n)
	if err != nil {
		return "", err
	}
	if !awaitsAck(inc) {
		return h.a.lang().Text("page.already_acknowledged", n), nil
	}
	now := h.a.opts.Now()
	if err := h.a.runner.Enqueue(ctx, jobPageDecline.Job(fmt.Sprintf("page-decline:%d:%s", n, user), pageDecline{Incident: n, User: user, At: now}, time.Time{})); err != nil {
		return "", err
	}
	return h.a.lang().Text("page.you_declined", n), nil
}

// runPageDecline closes the decliner's open pages and moves the next step
// of the escalation, and every one after, to now.
func (a *App) runPageDecline(ctx context.Context, _ jobs.Job, d pageDecline) error {
	inc, err := a.service.Get(ctx, d.Incident)
	if err != nil || !awaitsAck(inc) {
		return err
	}
	pages, err := a.pageStore().Pages(ctx, d.Incident)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, p := range pages {
		done[p.Step] = true
		if p.User != d.User || p.State != oncall.PageOpen {
			continue
		}
		p.State, p.ClosedAt, p.ClosedBy = oncall.PageDeclined, d.At, d.User
		if a.notifier != nil {
			if err := slackJobError(a.notifier.ClosePage(ctx, p, inc)); err != nil {
				return err
			}
		}
		if err := a.closePage(ctx, p.ID, oncall.PageDeclined, d.At, d.User); err != nil {
			return err
		}
	}
	if err := a.service.Record(ctx, d.Incident, incidents.Event{
		ID: fmt.Sprintf("%d:declined:%s:%d", d.Incident, d.User, d.At.Unix()), Type: incidents.EventDeclined, At: d.At,
		Actor: d.User, Text: "Declined the page; escalating now",
	}); err != nil {
		return err
	}
	_, plan, ok, err := a.plan(ctx, inc)
	if err != nil || !ok {
		return err
	}
	keys := []string{}
	for _, st := range plan.Steps {
		if !done[st.Key] {
			keys = append(keys, st.Key)
		}
	}
	keys = append(keys, plan.ExhaustedKey)
	now := a.opts.Now()
	var shift time.Duration
	first := true
	for _, key := range keys {
		j, err := a.jobStore.Get(ctx, key)
		if errors.Is(err, jobs.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if first {
			first = false
			if shift = j.RunAt.Sub(now); shift <= 0 {
				return nil // the next step is due already
			}
		}
		j.RunAt = j.RunAt.Add(-shift)
		if err := a.runner.Enqueue(ctx, *j); err != nil {
			return err
		}
	}
	return nil
}

// PageByHand stores a page by hand as a job: target is "user:U…" or
// "schedule:name".
func (h pagingHandler) PageByHand(ctx context.Context, n int64, target, message, actor string) (string, error) {
	t, err := oncall.ParseTarget(target)
	if err != nil || t.Kind == oncall.TargetChannel {
		return "", fmt.Errorf("page %s: %w", target, incidents.ErrInvalid)
	}
	if t.Kind == oncall.TargetSchedule {
		if _, ok := h.a.opts.Config.Schedule(t.Name); !ok {
			return h.a.lang().Text("page.no_schedule", bot.EscapeMrkdwn(t.Name)), nil
		}
	}
	if _, err := h.a.service.Get(ctx, n); err != nil {
		return "", err
	}
	key := fmt.Sprintf("page:%d:manual:%s:%d", n, t, h.a.opts.Now().Unix())
	if err := h.a.runner.Enqueue(ctx, jobPageManual.Job(key, pageManual{Incident: n, Target: t.String(), Message: message, Actor: actor}, time.Time{})); err != nil {
		return "", err
	}
	who := bot.M{"User": "<@" + t.Name + ">", "Schedule": "", "Number": n}
	if t.Kind == oncall.TargetSchedule {
		who["User"], who["Schedule"] = "", bot.EscapeMrkdwn(t.Name)
	}
	return h.a.lang().Text("page.paging", who), nil
}

// runPageManual pages a person, or whoever is on call for a schedule now.
func (a *App) runPageManual(ctx context.Context, j jobs.Job, m pageManual) error {
	if a.notifier == nil {
		return nil
	}
	t, err := oncall.ParseTarget(m.Target)
	if err != nil {
		return jobs.Permanent(err)
	}
	now := a.opts.Now()
	users, schedule := []string{t.Name}, ""
	if t.Kind == oncall.TargetSchedule {
		s, ok := a.opts.Config.Schedule(t.Name)
		if !ok {
			return jobs.Permanent(fmt.Errorf("no schedule %s", t.Name))
		}
		ovs, err := a.overridesFor(ctx)
		if err != nil {
			return err
		}
		users, schedule = oncall.OnCall(s, ovs, now).Users(), s.Name
	}
	for _, u := range users {
		p := oncall.PageRecord{Incident: m.Incident, Step: j.Key, Target: "user:" + u, User: u, Schedule: schedule, At: j.CreatedAt}
		if err := a.sendPage(ctx, p, m.Message); err != nil {
			return err
		}
	}
	return nil
}
