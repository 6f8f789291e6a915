package paging

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/oncall"
)

// Escalation: an incident with a policy gets one durable job per step of
// its plan (keyed page:<n>:<round>:<level>) and one for the end
// (page:<n>:exhausted). A step pages each target once: the page is stored
// by step and target, with one notification per step of the person's
// rules, each a job of its own. What a decline did to the plan and which
// steps ran is the incident's Escalation, in the store.

// Start schedules every step of a new incident's escalation and its end.
func (e *Engine) Start(ctx context.Context, number int64) error {
	inc, err := e.o.Incidents.Get(ctx, number)
	if err != nil {
		return err
	}
	if !awaitsAck(inc) {
		return nil
	}
	if held, err := e.hold(ctx, inc); err != nil || held {
		return err
	}
	_, plan, _, ok, err := e.plan(ctx, inc)
	if err != nil || !ok {
		return err
	}
	for _, st := range plan.Steps {
		if err := e.o.Queue.Enqueue(ctx, jobStep.Job(st.Key, step{Incident: number, Round: st.Round, Level: st.Level}, st.At)); err != nil {
			return err
		}
	}
	return e.o.Queue.Enqueue(ctx, jobExhausted.Job(plan.ExhaustedKey, number, plan.Exhausted))
}

// hold keeps the escalation of inc back while a maintenance window covers
// now: the incident stays open, the timeline says "during maintenance", and
// nobody is paged. The escalation is moved to count from the window's end,
// when a job starts it again (if the incident is still open and
// unacknowledged then, and no later window holds it).
func (e *Engine) hold(ctx context.Context, inc *incidents.Incident) (bool, error) {
	if e.o.Maintenance == nil || inc.EscalationPolicy == "" {
		return false, nil
	}
	if esc, err := e.escalation(ctx, inc.Number); err != nil || len(esc.Done) > 0 {
		return false, err // paging began already: a window does not stop it
	}
	h, held, err := e.o.Maintenance.During(ctx, inc, e.o.Now())
	if err != nil || !held {
		return false, err
	}
	if err := e.o.Incidents.RecordVisible(ctx, inc.Number, incidents.MaintenanceEvent(inc.Number, h, e.o.Now())); err != nil {
		return false, err
	}
	shift := -h.Until.Sub(inc.DeclaredAt)
	if err := e.updateEscalation(ctx, inc.Number, func(esc *Escalation) bool {
		if esc.Shift == shift {
			return false // stored already (a retry)
		}
		esc.Shift = shift
		return true
	}); err != nil {
		return false, err
	}
	key := fmt.Sprintf("page-resume:%d:%d", inc.Number, h.Until.Unix())
	return true, e.o.Queue.Enqueue(ctx, jobResume.Job(key, inc.Number, h.Until))
}

// runResume starts a held escalation when its window has ended.
func (e *Engine) runResume(ctx context.Context, _ jobs.Job, n int64) error { return e.Start(ctx, n) }

// runStep pages the targets of one step, unless someone acknowledged.
func (e *Engine) runStep(ctx context.Context, _ jobs.Job, ps step) error {
	inc, err := e.o.Incidents.Get(ctx, ps.Incident)
	if err != nil || !awaitsAck(inc) {
		return err
	}
	policy, plan, esc, ok, err := e.plan(ctx, inc)
	if err != nil || !ok {
		return err
	}
	key := oncall.PageKey(ps.Incident, ps.Round, ps.Level)
	i := slices.IndexFunc(plan.Steps, func(s oncall.Step) bool { return s.Key == key })
	if i < 0 {
		return jobs.Permanent(fmt.Errorf("incident #%d: step %s is not in policy %s", ps.Incident, key, policy.Name))
	}
	if esc.done(key) {
		return nil
	}
	st := plan.Steps[i]
	// Whoever is on call now is paged: a declined step runs before its time.
	now := e.o.Now()
	ovs, err := e.overrides(ctx)
	if err != nil {
		return err
	}
	schedules := e.o.Directory.Schedules()
	resolved := oncall.NewPlan(ps.Incident, oncall.EscalationPolicy{Name: policy.Name,
		Levels: []oncall.EscalationLevel{{Targets: st.Targets}}}, now, schedules, ovs).Steps[0]
	base := oncall.PageRecord{Incident: ps.Incident, Step: key, Policy: policy.Name, Level: ps.Level + 1, Round: ps.Round, At: now}
	for _, u := range resolved.Users {
		p := base
		p.Target, p.User, p.Schedule = "user:"+u, u, scheduleOf(st.Targets, u, schedules, ovs, now)
		if err := e.page(ctx, inc, p, ""); err != nil {
			return err
		}
	}
	for _, c := range resolved.Channels {
		p := base
		p.Target = string(oncall.TargetChannel) + ":" + c
		if err := e.page(ctx, inc, p, ""); err != nil {
			return err
		}
	}
	for _, t := range resolved.Unresolved {
		if err := e.o.Incidents.Record(ctx, ps.Incident, incidents.Event{
			ID: fmt.Sprintf("%d:unresolved:%s:%s", ps.Incident, key, t), Type: incidents.EventPaged, Actor: incidents.ActorBot,
			Text:   fmt.Sprintf("Nobody on call for %s (level %d)", t, ps.Level+1),
			Fields: map[string]string{"target": t.String(), "policy": policy.Name, "level": strconv.Itoa(ps.Level + 1), "unresolved": "true"},
		}); err != nil {
			return err
		}
	}
	return e.updateEscalation(ctx, ps.Incident, func(esc *Escalation) bool {
		if esc.done(key) {
			return false
		}
		esc.Done = append(esc.Done, key)
		return true
	})
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

// page records page p once and puts it on the timeline; a person's page
// is then sent by their notification rules (each step a job), a channel's
// is posted here.
func (e *Engine) page(ctx context.Context, inc *incidents.Incident, p oncall.PageRecord, note string) error {
	p.ID = oncall.PageID(p.Step, p.Target)
	stored, added, err := e.o.Store.AddPage(ctx, p)
	if err != nil {
		return err
	}
	if added {
		e.metrics.pagesSent.WithLabelValues(pageKind(stored)).Inc()
	}
	if stored.User != "" {
		if err := e.notifyAll(ctx, inc, stored, note); err != nil {
			return err
		}
	} else if stored.TS == "" && e.o.Slack != nil {
		ch, ts, linked, err := e.o.Slack.SendPage(ctx, stored.Incident, stored, note)
		if err != nil {
			if errors.Is(err, ErrNoSuchChannel) {
				e.log.WithField("incident", stored.Incident).WithError(err).Warn("page target skipped")
				return nil
			}
			return e.o.SlackError(err)
		}
		if err := e.o.Store.SetPageMessage(ctx, stored.ID, ch, ts); err != nil {
			return err
		}
		_ = linked // a channel's page names the incident by its link to the web view
	}
	return e.o.Incidents.Record(ctx, stored.Incident, pagedEvent(stored))
}

// ErrNoSuchChannel is returned (wrapped) by Slack.SendPage for a channel
// target that does not exist: retrying cannot fix it.
var ErrNoSuchChannel = errors.New("no such channel")

// pagedEvent is the timeline's record of a page.
func pagedEvent(p oncall.PageRecord) incidents.Event {
	fields := map[string]string{"level": strconv.Itoa(p.Level)}
	who := p.Target
	if p.User != "" {
		fields["user"] = p.User
		who = "<@" + p.User + ">"
	} else {
		fields["target"] = p.Target
	}
	if p.Schedule != "" {
		fields["schedule"] = p.Schedule
	} else if p.Policy != "" {
		fields["policy"] = p.Policy
	}
	text := fmt.Sprintf("Paged %s", who)
	if p.Level > 1 || p.Round > 0 {
		fields["escalation"] = "true"
		text = fmt.Sprintf("Escalated: paged %s (level %d)", who, p.Level)
	}
	if p.Level == 0 {
		delete(fields, "level")
		if oncall.IsRepage(p.Incident, p.Step) {
			fields["repage"] = "true"
			text = fmt.Sprintf("Paged %s again: acknowledged, but no status update", who)
		} else {
			fields["manual"] = "true"
		}
	}
	return incidents.Event{
		ID: fmt.Sprintf("%d:paged:%s", p.Incident, p.ID), Type: incidents.EventPaged, At: p.At,
		Actor: incidents.ActorBot, Text: text, Fields: fields,
	}
}

func pageKind(p oncall.PageRecord) string {
	switch {
	case oncall.IsRepage(p.Incident, p.Step):
		return "repage"
	case p.Level == 0:
		return "manual"
	case p.Level > 1 || p.Round > 0:
		return "escalation"
	}
	return "first"
}

// runExhausted tells the channels that nobody acknowledged.
func (e *Engine) runExhausted(ctx context.Context, _ jobs.Job, n int64) error {
	if e.o.Slack == nil {
		return nil
	}
	inc, err := e.o.Incidents.Get(ctx, n)
	if err != nil || !awaitsAck(inc) {
		return err
	}
	pages, err := e.o.Store.Pages(ctx, n)
	if err != nil {
		return err
	}
	var users []string
	for _, p := range pages {
		if p.User != "" && !slices.Contains(users, p.User) {
			users = append(users, p.User)
		}
	}
	if err := e.o.SlackError(e.o.Slack.NobodyAcknowledged(ctx, n, users)); err != nil {
		return err
	}
	mentions := make([]string, len(users))
	for i, u := range users {
		mentions[i] = "<@" + u + ">"
	}
	return e.o.Incidents.Record(ctx, n, incidents.Event{
		ID: fmt.Sprintf("%d:unacknowledged", n), Type: incidents.EventUnacknowledged, Actor: incidents.ActorBot,
		Text: "Nobody acknowledged; paged " + strings.Join(mentions, ", "), Fields: map[string]string{"users": strings.Join(users, ",")},
	})
}

// runClose stops an acknowledged or resolved incident's escalation: its
// pending steps and notifications are cancelled, its open pages say how it
// ended, people woken by push or email hear who acknowledged, and the
// ack-timeout repage is scheduled. Each page's message is updated before
// the page is marked closed, with text derived from the incident alone, so
// a replay says the same thing.
func (e *Engine) runClose(ctx context.Context, _ jobs.Job, n int64) error {
	inc, err := e.o.Incidents.Get(ctx, n)
	if err != nil || awaitsAck(inc) {
		return err
	}
	if _, plan, _, ok, err := e.plan(ctx, inc); err != nil {
		return err
	} else if ok {
		for _, st := range plan.Steps {
			if err := e.o.Queue.Cancel(ctx, st.Key); err != nil {
				return err
			}
		}
		if err := e.o.Queue.Cancel(ctx, plan.ExhaustedKey); err != nil {
			return err
		}
	}
	if err := e.cancelNotifications(ctx, n, ""); err != nil {
		return err
	}
	state, at, by := oncall.PageClosed, e.o.Now(), ""
	if inc.AcknowledgedAt != nil {
		state, at = oncall.PageAcknowledged, *inc.AcknowledgedAt
		if by, err = e.ackedBy(ctx, n); err != nil {
			return err
		}
	} else if inc.ResolvedAt != nil {
		at = *inc.ResolvedAt
	}
	pages, err := e.o.Store.Pages(ctx, n)
	if err != nil {
		return err
	}
	for _, p := range pages {
		if p.State != oncall.PageOpen {
			continue
		}
		p.State, p.ClosedAt, p.ClosedBy = state, at, by
		if e.o.Slack != nil {
			if err := e.o.SlackError(e.o.Slack.ClosePage(ctx, p, inc)); err != nil {
				return err
			}
		}
		if err := e.closePage(ctx, p.ID, state, at, by); err != nil {
			return err
		}
	}
	if state == oncall.PageAcknowledged {
		if err := e.tellAcknowledged(ctx, inc, by, at); err != nil {
			return err
		}
	}
	return e.scheduleRepage(ctx, inc)
}

// closePage records how a page ended and counts it the first time.
func (e *Engine) closePage(ctx context.Context, id string, state oncall.PageState, at time.Time, by string) error {
	closed, err := e.o.Store.ClosePage(ctx, id, state, at, by)
	if closed {
		e.metrics.pagesClosed.WithLabelValues(string(state)).Inc()
	}
	return err
}

// ackedBy returns who acknowledged incident n: the first acknowledgement's actor.
func (e *Engine) ackedBy(ctx context.Context, n int64) (string, error) {
	evs, err := e.o.Incidents.Timeline(ctx, n)
	if err != nil {
		return "", err
	}
	for _, typ := range []incidents.EventType{incidents.EventAcknowledged, incidents.EventStatusChanged} {
		for _, ev := range evs {
			if ev.Type == typ && ev.Actor != "" {
				return ev.Actor, nil
			}
		}
	}
	return "", nil
}

// Decline stores a paged person's decline as a job and reports whether
// there was anything to decline (false: acknowledged or resolved already).
func (e *Engine) Decline(ctx context.Context, n int64, user string) (bool, error) {
	inc, err := e.o.Incidents.Get(ctx, n)
	if err != nil {
		return false, err
	}
	if !awaitsAck(inc) {
		return false, nil
	}
	now := e.o.Now()
	return true, e.o.Queue.Enqueue(ctx, jobDecline.Job(fmt.Sprintf("page-decline:%d:%s", n, user), decline{Incident: n, User: user, At: now}, time.Time{}))
}

// runDecline closes the decliner's open pages and pending notifications,
// and moves the next step of the escalation, and every one after, to now.
func (e *Engine) runDecline(ctx context.Context, _ jobs.Job, d decline) error {
	inc, err := e.o.Incidents.Get(ctx, d.Incident)
	if err != nil || !awaitsAck(inc) {
		return err
	}
	pages, err := e.o.Store.Pages(ctx, d.Incident)
	if err != nil {
		return err
	}
	for _, p := range pages {
		if p.User != d.User || p.State != oncall.PageOpen {
			continue
		}
		p.State, p.ClosedAt, p.ClosedBy = oncall.PageDeclined, d.At, d.User
		if e.o.Slack != nil {
			if err := e.o.SlackError(e.o.Slack.ClosePage(ctx, p, inc)); err != nil {
				return err
			}
		}
		if err := e.closePage(ctx, p.ID, oncall.PageDeclined, d.At, d.User); err != nil {
			return err
		}
	}
	if err := e.cancelNotifications(ctx, d.Incident, d.User); err != nil {
		return err
	}
	if err := e.o.Incidents.Record(ctx, d.Incident, incidents.Event{
		ID: fmt.Sprintf("%d:declined:%s:%d", d.Incident, d.User, d.At.Unix()), Type: incidents.EventDeclined, At: d.At,
		Actor: d.User, Text: "Declined the page; escalating now",
	}); err != nil {
		return err
	}
	_, plan, esc, ok, err := e.plan(ctx, inc)
	if err != nil || !ok {
		return err
	}
	now := e.o.Now()
	// The next step is due now and the ones after keep their waits: the
	// escalation remembers the shift.
	var shift time.Duration
	for _, st := range plan.Steps {
		if !esc.done(st.Key) {
			shift = st.At.Sub(now)
			break
		}
	}
	if shift <= 0 {
		return nil // the next step is due already (or none is left)
	}
	if err := e.updateEscalation(ctx, d.Incident, func(esc *Escalation) bool {
		esc.Shift += shift
		return true
	}); err != nil {
		return err
	}
	if _, plan, esc, _, err = e.plan(ctx, inc); err != nil {
		return err
	}
	for _, st := range plan.Steps {
		if esc.done(st.Key) {
			continue
		}
		if err := e.o.Queue.Enqueue(ctx, jobStep.Job(st.Key, step{Incident: d.Incident, Round: st.Round, Level: st.Level}, st.At)); err != nil {
			return err
		}
	}
	return e.o.Queue.Enqueue(ctx, jobExhausted.Job(plan.ExhaustedKey, d.Incident, plan.Exhausted))
}

// PageByHand stores a page by hand as a job: target is "user:U…" or
// "schedule:name". It returns the target parsed.
func (e *Engine) PageByHand(ctx context.Context, n int64, target, message, actor string) (oncall.Target, error) {
	t, err := oncall.ParseTarget(target)
	if err != nil || t.Kind == oncall.TargetChannel {
		return t, fmt.Errorf("page %s: %w", target, incidents.ErrInvalid)
	}
	if _, err := e.o.Incidents.Get(ctx, n); err != nil {
		return t, err
	}
	key := fmt.Sprintf("page:%d:manual:%s:%d", n, t, e.o.Now().Unix())
	return t, e.o.Queue.Enqueue(ctx, jobManual.Job(key, manual{Incident: n, Target: t.String(), Message: message, Actor: actor}, time.Time{}))
}

// runManual pages a person, or whoever is on call for a schedule now.
func (e *Engine) runManual(ctx context.Context, j jobs.Job, m manual) error {
	t, err := oncall.ParseTarget(m.Target)
	if err != nil {
		return jobs.Permanent(err)
	}
	inc, err := e.o.Incidents.Get(ctx, m.Incident)
	if err != nil {
		return err
	}
	now := e.o.Now()
	users, schedule := []string{t.Name}, ""
	if t.Kind == oncall.TargetSchedule {
		s, ok := e.o.Directory.Schedules()[t.Name]
		if !ok {
			return jobs.Permanent(fmt.Errorf("no schedule %s", t.Name))
		}
		ovs, err := e.overrides(ctx)
		if err != nil {
			return err
		}
		users, schedule = oncall.OnCall(s, ovs, now).Users(), s.Name
	}
	for _, u := range users {
		p := oncall.PageRecord{Incident: m.Incident, Step: j.Key, Target: "user:" + u, User: u, Schedule: schedule, At: j.CreatedAt}
		if err := e.page(ctx, inc, p, m.Message); err != nil {
			return err
		}
	}
	return nil
}

// The ack-timeout rule (policy ack_timeout): an acknowledged incident with
// no status update for that long pages the acknowledger again. Each repage
// is a job keyed by its moment (oncall.AckRepage's key); a status update
// moves the moment, so the old job finds itself stale and does nothing.

// nextRepage returns the incident's next ack-timeout repage, if its policy has one.
func (e *Engine) nextRepage(ctx context.Context, inc *incidents.Incident) (oncall.Repage, bool, error) {
	if !inc.Open() || inc.AcknowledgedAt == nil || inc.EscalationPolicy == "" {
		return oncall.Repage{}, false, nil
	}
	p, ok := e.o.Directory.Policy(inc.EscalationPolicy)
	if !ok || p.AckTimeout <= 0 {
		return oncall.Repage{}, false, nil
	}
	by, err := e.ackedBy(ctx, inc.Number)
	if err != nil || by == "" || by == incidents.ActorBot {
		return oncall.Repage{}, false, err
	}
	pages, err := e.o.Store.Pages(ctx, inc.Number)
	if err != nil {
		return oncall.Repage{}, false, err
	}
	var last time.Time
	for _, pg := range pages {
		if oncall.IsRepage(inc.Number, pg.Step) && pg.At.After(last) {
			last = pg.At
		}
	}
	rp, ok := oncall.AckRepage(inc.Number, p, by, *inc.AcknowledgedAt, inc.StatusAt, last)
	return rp, ok, nil
}

// scheduleRepage enqueues the incident's next repage, if any.
func (e *Engine) scheduleRepage(ctx context.Context, inc *incidents.Incident) error {
	rp, ok, err := e.nextRepage(ctx, inc)
	if err != nil || !ok {
		return err
	}
	return e.o.Queue.Enqueue(ctx, jobRepage.Job(rp.Key, inc.Number, rp.At))
}

// runRepage pages the acknowledger, unless a status update or a resolve
// came first (the job is then stale).
func (e *Engine) runRepage(ctx context.Context, j jobs.Job, n int64) error {
	inc, err := e.o.Incidents.Get(ctx, n)
	if err != nil {
		return err
	}
	rp, ok, err := e.nextRepage(ctx, inc)
	if err != nil || !ok {
		return err
	}
	if rp.Key != j.Key {
		// Stale (a status update moved the moment) or sent already: make
		// sure the current moment has its job.
		return e.o.Queue.Enqueue(ctx, jobRepage.Job(rp.Key, n, rp.At))
	}
	p := oncall.PageRecord{Incident: n, Step: j.Key, Target: "user:" + rp.User, User: rp.User, Policy: inc.EscalationPolicy, At: rp.At}
	if err := e.page(ctx, inc, p, e.o.Words.Text("page.repage_note", nil)); err != nil {
		return err
	}
	next, ok, err := e.nextRepage(ctx, inc)
	if err != nil || !ok {
		return err
	}
	return e.o.Queue.Enqueue(ctx, jobRepage.Job(next.Key, n, next.At))
}
