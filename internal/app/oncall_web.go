package app

import (
	"context"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/internal/web"
	"github.com/incidentbot/incidentbot/oncall"
)

// OncallNow is one schedule's row of GET /oncall: who is on call now (until
// Now.End) and who is next (from Next.Start).
type OncallNow struct {
	Schedule string
	Timezone string
	Now      oncall.Shift
	// Next is the shift after Now; zero when nothing changes within oncall.Horizon.
	Next oncall.Shift
}

// OncallNow returns, per configured schedule in config order, who is on call
// now and next, overrides included. GET /oncall (HTML and JSON) shows it.
func (a *App) OncallNow(ctx context.Context) ([]OncallNow, error) {
	ovs, err := a.overridesFor(ctx)
	if err != nil {
		return nil, err
	}
	now := a.opts.Now()
	out := make([]OncallNow, 0, len(a.opts.Config.Schedules))
	for _, s := range a.opts.Config.Schedules {
		row := OncallNow{Schedule: s.Name, Timezone: s.Timezone.String(), Now: oncall.OnCall(s, ovs, now)}
		if h, ok := oncall.NextHandoff(s, ovs, now); ok {
			row.Next = h.To
		}
		out = append(out, row)
	}
	return out, nil
}

// calendarDays is how far ahead GET /oncall/{schedule}.ics reaches.
const calendarDays = 90

// OncallCalendar returns the iCalendar feed (RFC 5545) of schedule's next 90
// days, overrides included; user, when set, keeps that person's shifts only.
// ok is false for an unknown schedule (404). GET /oncall/{schedule}.ics
// serves it with Content-Type text/calendar.
func (a *App) OncallCalendar(ctx context.Context, schedule, user string) (feed []byte, ok bool, err error) {
	s, ok := a.opts.Config.Schedule(schedule)
	if !ok {
		return nil, false, nil
	}
	ovs, err := a.overridesFor(ctx)
	if err != nil {
		return nil, true, fmt.Errorf("calendar of %s: %w", schedule, err)
	}
	now := a.opts.Now()
	shifts := oncall.Shifts(s, ovs, now, now.Add(calendarDays*24*time.Hour))
	extra, err := a.maintenanceEvents(ctx, now, now.Add(calendarDays*24*time.Hour))
	if err != nil {
		return nil, true, fmt.Errorf("calendar of %s: %w", schedule, err)
	}
	return oncall.ICal{Schedule: s.Name, Stamp: now, User: user, Extra: extra}.Render(shifts), true, nil
}

// webOnCall gives the web view the app's on-call answers.
type webOnCall struct{ a *App }

// OnCallNow implements web.OnCall; at is the app's clock already.
func (w webOnCall) OnCallNow(ctx context.Context, _ time.Time) ([]web.ScheduleNow, error) {
	rows, err := w.a.OncallNow(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]web.ScheduleNow, len(rows))
	for i, r := range rows {
		out[i] = web.ScheduleNow{Schedule: r.Schedule, Person: r.Now.User, Until: r.Now.End, Next: r.Next.User}
	}
	return out, nil
}

// Calendar implements web.OnCall.
func (w webOnCall) Calendar(ctx context.Context, schedule, user string) ([]byte, bool, error) {
	return w.a.OncallCalendar(ctx, schedule, user)
}
