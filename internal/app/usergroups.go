package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/oncall"
)

// A schedule's usergroup holds who is on call. The handoff scan (every
// minute) marks each schedule's current shift once (the tick key
// usergroup:<schedule>:<shift start>:<people>) and enqueues a sync of the
// group, so the group is right from the first minute after a start, not
// from the next shift change (a week away, for a weekly rotation), and again
// at every change, override included.

var jobUsergroup = jobs.Kind[string]{
	Name:     "oncall.usergroup",
	Priority: jobs.PriorityCosmetic,
	Encode:   func(schedule string) map[string]string { return map[string]string{"schedule": schedule} },
	Decode:   func(m map[string]string) (string, error) { return m["schedule"], nil },
}

// scanUsergroups enqueues, once per shift, the sync of each schedule's usergroup.
func (a *App) scanUsergroups(ctx context.Context, ovs []oncall.Override, now time.Time) error {
	for _, s := range a.opts.Config.Schedules {
		if s.Usergroup == "" {
			continue
		}
		users := oncall.OnCall(s, ovs, now).Users()
		if len(users) == 0 {
			continue // Slack refuses an empty group; it keeps the last people
		}
		key := "usergroup:" + s.Name + ":" + oncall.OnCall(s, ovs, now).Start.UTC().Format(time.RFC3339) + ":" + strings.Join(users, ",")
		won, err := a.jobStore.MarkTick(ctx, key, now)
		if err != nil {
			return err
		}
		if !won {
			continue
		}
		if err := a.runner.Enqueue(ctx, jobUsergroup.Job(key, s.Name, time.Time{})); err != nil {
			if uerr := a.jobStore.UnmarkTick(ctx, key); uerr != nil {
				a.log.WithError(uerr).Error("unmarking a usergroup sync whose enqueue failed")
			}
			return err
		}
	}
	return nil
}

// runUsergroup makes a schedule's usergroup hold who is on call now (a
// slackJob: nothing without Slack).
func (a *App) runUsergroup(ctx context.Context, _ jobs.Job, schedule string) error {
	s, ok := a.opts.Config.Schedule(schedule)
	if !ok || s.Usergroup == "" {
		return nil
	}
	ovs, err := a.overridesFor(ctx)
	if err != nil {
		return err
	}
	err = a.notifier.SetUsergroup(ctx, s.Usergroup, oncall.OnCall(s, ovs, a.opts.Now()).Users())
	if errors.Is(err, bot.ErrNoSuchChannel) {
		a.log.WithField("schedule", s.Name).WithError(err).Warn("user group missing")
		return nil
	}
	return err // slackJob classifies it
}
