package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/templates"
)

// Handoffs: a tick every minute looks, per schedule, for the latest shift
// change within handoffLookback; the first look at each marks it
// (jobs.Store.MarkTick on the key handoff:<schedule>:<start RFC3339>) and
// enqueues its job under that key, so two replicas and a restart send it
// once, and a process that was down sends it when it is back, marked late.

// handoffLookback is how long after a shift change a returning process still
// sends its handoff.
const handoffLookback = 12 * time.Hour

// handoffLate is how long after the change a handoff is marked late.
const handoffLate = 2 * time.Minute

type handoff struct {
	Schedule string
	At       time.Time
	// Now marks a digest asked for by /oncall handoff rather than a shift change.
	Now bool
}

var (
	jobHandoffScan = jobs.Kind[struct{}]{Name: "oncall.handoff_scan"}
	jobHandoff     = jobs.Kind[handoff]{
		Name: "oncall.handoff",
		Encode: func(h handoff) map[string]string {
			m := map[string]string{"schedule": h.Schedule, "at": h.At.UTC().Format(time.RFC3339)}
			if h.Now {
				m["now"] = "true"
			}
			return m
		},
		Decode: func(m map[string]string) (handoff, error) {
			at, err := time.Parse(time.RFC3339, m["at"])
			return handoff{Schedule: m["schedule"], At: at.UTC(), Now: m["now"] == "true"}, err
		},
	}
)

// neverPruned dates a tick mark that must outlive the pruning of old ones.
var neverPruned = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC) // within what stores keep in nanoseconds

// handoffKey is the idempotency key of one handoff.
func handoffKey(schedule string, at time.Time) string {
	return "handoff:" + schedule + ":" + at.UTC().Format(time.RFC3339)
}

// wireHandoffs registers the handoff jobs and the tick; called once the cron exists.
func (a *App) wireHandoffs() error {
	jobs.Handle(a.runner, jobHandoffScan, a.scanHandoffs)
	slackJob(a, jobHandoff, a.runHandoff)
	slackJob(a, jobUsergroup, a.runUsergroup)
	if len(a.opts.Config.Schedules) == 0 {
		return nil
	}
	return a.cron.AddTick("@every 1m", time.UTC, jobHandoffScan.Name, "handoff-scan")
}

// lastHandoff returns the latest shift change of s in (now-lookback, now].
func lastHandoff(s oncall.Schedule, ovs []oncall.Override, now time.Time) (oncall.Handoff, bool) {
	var last oncall.Handoff
	found := false
	t := now.Add(-handoffLookback)
	for range 1000 {
		h, ok := oncall.NextHandoff(s, ovs, t)
		if !ok || h.At.After(now) || !h.At.After(t) {
			break
		}
		last, found, t = h, true, h.At
	}
	return last, found
}

// scanHandoffs enqueues, once each, the handoffs that happened.
func (a *App) scanHandoffs(ctx context.Context, _ jobs.Job, _ struct{}) error {
	now := a.opts.Now()
	ovs, err := a.overridesFor(ctx)
	if err != nil {
		return err
	}
	if err := a.scanUsergroups(ctx, ovs, now); err != nil {
		return err
	}
	for _, s := range a.opts.Config.Schedules {
		h, ok := lastHandoff(s, ovs, now)
		if !ok {
			continue
		}
		key := handoffKey(s.Name, h.At)
		// The first scan ever of a schedule records where its handoffs start:
		// a shift change from before this bot first ran is none it missed.
		first, err := a.jobStore.MarkTick(ctx, "handoff-start:"+s.Name, neverPruned)
		if err != nil {
			return err
		}
		won, err := a.jobStore.MarkTick(ctx, key, h.At)
		if err != nil {
			return err
		}
		if !won || first && now.Sub(h.At) > handoffLate {
			continue
		}
		if err := a.runner.Enqueue(ctx, jobHandoff.Job(key, handoff{Schedule: s.Name, At: h.At}, time.Time{})); err != nil {
			if uerr := a.jobStore.UnmarkTick(ctx, key); uerr != nil {
				a.log.WithError(uerr).Error("unmarking a handoff whose enqueue failed; it is lost")
			}
			return err
		}
	}
	return nil
}

// runHandoff posts one handoff and brings the schedule's user group up to date.
func (a *App) runHandoff(ctx context.Context, _ jobs.Job, h handoff) error {
	s, ok := a.opts.Config.Schedule(h.Schedule)
	if !ok {
		return nil
	}
	ovs, err := a.overridesFor(ctx)
	if err != nil {
		return err
	}
	from, to := oncall.OnCall(s, ovs, h.At.Add(-time.Second)), oncall.OnCall(s, ovs, h.At)
	if h.Now {
		from = to
	}
	text, err := a.handoffText(ctx, s, from, to, h.At, h.Now)
	if err != nil {
		return err
	}
	var users []string
	for _, u := range append(from.Users(), to.Users()...) {
		if !slices.Contains(users, u) {
			users = append(users, u)
		}
	}
	mark := s.Name
	if h.Now {
		mark += "-now"
	}
	err = a.notifier.PostHandoff(ctx, mark, h.At.Unix(), s.Channel, users, text)
	if errors.Is(err, bot.ErrNoSuchChannel) {
		a.log.WithField("schedule", s.Name).WithError(err).Warn("handoff channel missing; sent to the people only")
		err = a.notifier.PostHandoff(ctx, mark, h.At.Unix(), "", users, text)
	}
	if err != nil {
		return err
	}
	return nil // the usergroup follows the shift by its own job (usergroups.go)
}

// handoffText says who hands over to whom, the open incidents and the
// unacknowledged ones.
// A digest asked for by /oncall handoff (now set) says who is on call
// instead.
func (a *App) handoffText(ctx context.Context, s oncall.Schedule, from, to oncall.Shift, at time.Time, digest bool) (string, error) {
	l := a.lang
	who := func(sh oncall.Shift) string {
		us := sh.Users()
		if len(us) == 0 {
			return l.Text("handoff.nobody", nil)
		}
		ms := make([]string, len(us))
		for i, u := range us {
			ms[i] = slacktext.UserMention(u)
		}
		return strings.Join(ms, ", ")
	}
	now := a.opts.Now()
	lines := []string{l.Text("handoff.header", bot.M{"Schedule": slacktext.Escape(s.Name), "At": bot.WhenText(l, at, s),
		"From": who(from), "To": who(to)})}
	if digest {
		until := ""
		if !to.End.IsZero() {
			until = bot.WhenText(l, to.End, s)
		}
		lines[0] = l.Text("handoff.digest", bot.M{"Schedule": slacktext.Escape(s.Name), "Who": who(to), "Until": until})
	} else if late := now.Sub(at); late > handoffLate {
		lines[0] += " " + l.Text("handoff.late", late.Round(time.Minute))
	}
	open, err := a.service.List(ctx, incidents.ListOptions{OpenOnly: true})
	if err != nil {
		return "", err
	}
	if len(open) == 0 {
		lines = append(lines, l.Text("handoff.no_incidents", nil))
	} else {
		lines = append(lines, l.Text("handoff.open_title", nil))
		var unacked []string
		for _, inc := range open {
			lines = append(lines, l.Text("handoff.incident", bot.M{"Number": inc.Number, "Title": slacktext.Escape(slacktext.Truncate(inc.Title, 150)),
				"Severity": slacktext.Escape(inc.Severity), "Status": l.Word("incident:" + string(inc.Status))}))
			if inc.AcknowledgedAt == nil {
				pages, err := a.store.Pages(ctx, inc.Number)
				if err != nil {
					return "", err
				}
				n := 0
				for _, p := range pages {
					if p.State == oncall.PageOpen {
						n++
					}
				}
				unacked = append(unacked, l.Text("handoff.unacked_item", bot.M{"Number": inc.Number, "Pages": n}))
			}
		}
		if len(unacked) > 0 {
			lines = append(lines, l.Text("handoff.unacked", strings.Join(unacked, ", ")))
		}
	}
	followUps, err := a.openFollowUps(ctx, l, now)
	if err != nil {
		return "", err
	}
	if followUps != "" {
		lines = append(lines, followUps)
	}
	return strings.Join(lines, "\n"), nil
}

// handoffFollowUps bounds what a handoff reads and lists of the follow-ups.
const (
	handoffFollowUpIncidents = 500
	handoffFollowUpsListed   = 5
)

// openFollowUps is the handoff's line about open follow-up actions of recent
// incidents, overdue ones first by name; "" when there are none.
func (a *App) openFollowUps(ctx context.Context, l templates.Lang, now time.Time) (string, error) {
	recent, err := a.service.List(ctx, incidents.ListOptions{Limit: handoffFollowUpIncidents})
	if err != nil {
		return "", err
	}
	open := 0
	var overdue []string
	for _, inc := range recent {
		for _, act := range inc.Actions {
			if act.Done {
				continue
			}
			open++
			if act.Overdue(now) {
				owner := ""
				if act.Owner != "" {
					owner = " " + slacktext.UserMention(act.Owner)
				}
				overdue = append(overdue, l.Text("handoff.followup", bot.M{"Number": inc.Number, "ID": act.ID,
					"Text": slacktext.Escape(slacktext.Truncate(act.Text, 80)), "Owner": owner, "Due": act.Due}))
			}
		}
	}
	if open == 0 {
		return "", nil
	}
	list := ""
	if len(overdue) > 0 {
		list = strings.Join(overdue[:min(len(overdue), handoffFollowUpsListed)], "; ")
		if len(overdue) > handoffFollowUpsListed {
			list += "; …"
		}
	}
	return l.Text("handoff.followups", bot.M{"Open": open, "Overdue": len(overdue), "List": list}), nil
}

// HandoffNow posts the digest of schedule (every schedule when empty) now,
// as a job: /oncall handoff.
func (p oncallProvider) HandoffNow(ctx context.Context, schedule string) error {
	now := p.a.opts.Now()
	for _, s := range p.a.opts.Config.Schedules {
		if schedule != "" && s.Name != schedule {
			continue
		}
		key := fmt.Sprintf("handoff-now:%s:%d", s.Name, now.Unix())
		if err := p.a.runner.Enqueue(ctx, jobHandoff.Job(key, handoff{Schedule: s.Name, At: now, Now: true}, time.Time{})); err != nil {
			return err
		}
	}
	return nil
}
