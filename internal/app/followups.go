package app

import (
	"context"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/jobs"
)

// followUpNudgeSpec is when owners hear of their overdue follow-ups:
// Mondays at 09:00 in the team's zone.
const followUpNudgeSpec = "0 9 * * 1"

// followUpNudge is one owner's weekly reminder.
type followUpNudge struct {
	Owner string
	Week  string // ISO week in the team's zone: 2026-W49
}

// isoWeek names the ISO week of t in loc.
func isoWeek(t time.Time, loc *time.Location) string {
	y, w := t.In(loc).ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// wireFollowUps schedules the weekly reminders of overdue follow-ups; it
// needs Slack (the cron and the notifier).
func (a *App) wireFollowUps() error {
	jobs.Handle(a.runner, jobFollowUpScan, a.scanOverdueActions)
	slackJob(a, jobFollowUpNudge, a.nudgeOverdueActions)
	if err := a.cron.AddTick(followUpNudgeSpec, a.opts.Config.Timezone, jobFollowUpScan.Name, "followup-scan"); err != nil {
		return fmt.Errorf("schedule the follow-up reminders: %w", err)
	}
	return nil
}

// scanOverdueActions enqueues one reminder per owner with overdue
// follow-ups; the key (week and owner) collapses a second scan's.
func (a *App) scanOverdueActions(ctx context.Context, _ jobs.Job, _ struct{}) error {
	incs, err := a.service.List(ctx, incidents.ListOptions{OpenActions: true})
	if err != nil {
		return err
	}
	week := isoWeek(a.opts.Now(), a.opts.Config.Timezone)
	for owner := range incidents.OverdueActions(incs, a.opts.Now()) {
		g := followUpNudge{Owner: owner, Week: week}
		if err := a.runner.Enqueue(ctx, jobFollowUpNudge.Job("followup-nudge:"+week+":"+owner, g, time.Time{})); err != nil {
			return err
		}
	}
	return nil
}

// nudgeOverdueActions DMs one owner what is overdue now (it may have been
// done since the scan), once per week.
func (a *App) nudgeOverdueActions(ctx context.Context, _ jobs.Job, g followUpNudge) error {
	incs, err := a.service.List(ctx, incidents.ListOptions{OpenActions: true})
	if err != nil {
		return err
	}
	overdue := incidents.OverdueActions(incs, a.opts.Now())[g.Owner]
	return a.notifier.NudgeOverdue(ctx, g.Owner, "followup-nudge-"+g.Week, overdue)
}
