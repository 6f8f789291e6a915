package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/amapi"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/internal/web"
	"github.com/incidentbot/incidentbot/maintenance"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
)

// Maintenance windows, wired: /oncall maintenance (ad-hoc windows, each
// with its silence made at once), the config's recurring windows (each
// occurrence's silence made a day ahead by a keyed tick, so replicas make
// it once), the paging engine's hold, and the windows shown on /oncall,
// the web and the calendar feeds.

// maintenanceAhead is how far ahead recurring occurrences get their silence.
const maintenanceAhead = 24 * time.Hour

// jobMaintenanceTick makes the silences of the recurring windows' coming
// occurrences (key maintenance-silences:<tick>).
var jobMaintenanceTick = jobs.Kind[struct{}]{Name: "maintenance.silences"}

// wireMaintenance handles the tick; the cron runs it every 15 minutes.
func (a *App) wireMaintenance() error {
	jobs.Handle(a.runner, jobMaintenanceTick, a.recurringSilences)
	if len(a.opts.Config.Maintenance) == 0 || a.am == nil {
		return nil
	}
	return a.ensureCron().AddTick("@every 15m", time.UTC, jobMaintenanceTick.Name, "maintenance-silences")
}

// ensureCron returns the cron, made here when Slack did not make it.
func (a *App) ensureCron() *jobs.Cron {
	if a.cron == nil {
		a.cron = jobs.NewCron(a.runner, jobs.CronOptions{Now: a.opts.Now, Logger: a.log.WithField("component", "cron")})
	}
	return a.cron
}

// marker is what a window's silence comment carries, so its silence is
// found again instead of made twice.
func marker(id string) string { return "incidentbot maintenance " + id }

// silenceOf is the silence of window w.
func (a *App) silenceOf(w maintenance.Window, by string) (amapi.Silence, error) {
	sel, err := w.Selector()
	if err != nil {
		return amapi.Silence{}, err
	}
	comment := marker(w.ID)
	if w.Reason != "" {
		comment += ": " + w.Reason
	}
	comment += " (" + strings.TrimRight(a.opts.Env.PublicURL, "/") + "/oncall)"
	return amapi.Silence{Matchers: apiMatchers(sel), StartsAt: w.From, EndsAt: w.To, CreatedBy: by, Comment: comment}, nil
}

// windows returns the windows that end after at: the stored ones and the
// recurring occurrences until horizon, by start (a stored occurrence once).
func (a *App) windows(ctx context.Context, at, horizon time.Time) ([]maintenance.Window, error) {
	stored, err := a.store.Windows(ctx, at)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, w := range stored {
		seen[w.ID] = true
	}
	out := stored
	for _, r := range a.opts.Config.Maintenance {
		for _, w := range r.Occurrences(at, horizon) {
			if !seen[w.ID] && w.To.After(at) {
				out = append(out, w)
			}
		}
	}
	maintenance.Sort(out)
	return out, nil
}

// recurringSilences is the maintenance.silences tick: each recurring
// occurrence starting within maintenanceAhead gets its silence, found again
// by its marker when a crash came between making and storing it.
func (a *App) recurringSilences(ctx context.Context, _ jobs.Job, _ struct{}) error {
	if a.am == nil || len(a.opts.Config.Maintenance) == 0 {
		return nil
	}
	now := a.opts.Now().UTC()
	stored, err := a.store.Windows(ctx, now)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, w := range stored {
		have[w.ID] = true
	}
	var existing []amapi.Silence
	listed := false
	for _, r := range a.opts.Config.Maintenance {
		for _, w := range r.Occurrences(now, now.Add(maintenanceAhead)) {
			if have[w.ID] {
				continue
			}
			if !listed {
				if existing, err = a.am.Silences(ctx); err != nil {
					return err
				}
				listed = true
			}
			id := ""
			for _, s := range existing {
				if s.State() != amapi.StateExpired && strings.HasPrefix(s.Comment, marker(w.ID)) {
					id = s.ID
				}
			}
			if id == "" {
				sil, err := a.silenceOf(w, incidents.ActorBot)
				if err != nil {
					a.log.WithError(err).WithField("window", w.ID).Error("recurring maintenance window without matchers")
					continue
				}
				if sil.StartsAt.Before(now) {
					sil.StartsAt = now
				}
				if id, err = a.am.Create(ctx, sil); err != nil {
					return err
				}
			}
			w.Silences, w.CreatedAt = []string{id}, now
			if _, err := a.store.AddWindow(ctx, w); err != nil {
				return err
			}
		}
	}
	return nil
}

// maintenanceCommands implement bot.Maintenance.
type maintenanceCommands struct{ a *App }

var _ bot.Maintenance = maintenanceCommands{}

// Add makes the window's silence first, then stores the window; a window
// that cannot be stored has its silence expired again.
func (c maintenanceCommands) Add(ctx context.Context, w maintenance.Window) (maintenance.Window, []string, error) {
	a := c.a
	sel, err := w.Selector()
	if err != nil {
		return w, nil, fmt.Errorf("%w: %v", maintenance.ErrInvalid, err)
	}
	hidden := a.opts.Config.HiddenSchedules(sel, w.Service)
	w.ID = newOverrideID()
	if a.am != nil {
		sil, err := a.silenceOf(w, a.personName(ctx, w.CreatedBy, ""))
		if err != nil {
			return w, nil, err
		}
		id, err := a.am.Create(ctx, sil)
		if err != nil {
			a.log.WithField("window", w.ID).WithError(err).Warn("Alertmanager made no maintenance silence")
			return w, nil, silenceError(err)
		}
		w.Silences = []string{id}
	}
	added, err := a.store.AddWindow(ctx, w)
	if err == nil && !added {
		err = fmt.Errorf("maintenance window ID %s is taken; try again", w.ID)
	}
	if err != nil {
		for _, id := range w.Silences {
			if xerr := a.am.Expire(context.WithoutCancel(ctx), id); xerr != nil {
				a.log.WithError(xerr).Error("a maintenance silence whose window was not stored could not be expired")
			}
		}
		return w, nil, err
	}
	return w, hidden, nil
}

// Windows implements bot.Maintenance: those ending after now, recurring
// ones for the next week.
func (c maintenanceCommands) Windows(ctx context.Context) ([]maintenance.Window, error) {
	now := c.a.opts.Now()
	return c.a.windows(ctx, now, now.Add(7*24*time.Hour))
}

// Remove expires an ad-hoc window's silences, then deletes it. An
// occurrence of a recurring window is refused (ErrInvalid): the config has it.
func (c maintenanceCommands) Remove(ctx context.Context, id string) (maintenance.Window, error) {
	a := c.a
	stored, err := a.store.Windows(ctx, time.Time{})
	if err != nil {
		return maintenance.Window{}, err
	}
	for _, w := range stored {
		if w.ID != id {
			continue
		}
		if w.Recurring != "" {
			return w, fmt.Errorf("%w: window %s is the config's %s", maintenance.ErrInvalid, id, w.Recurring)
		}
		for _, sid := range w.Silences {
			if a.am == nil {
				break
			}
			if err := a.am.Expire(ctx, sid); err != nil && !errors.Is(err, amapi.ErrNotFound) {
				return w, silenceError(err)
			}
		}
		return a.store.RemoveWindow(ctx, id)
	}
	now := a.opts.Now()
	for _, r := range a.opts.Config.Maintenance {
		for _, w := range r.Occurrences(now.Add(-24*time.Hour), now.Add(7*24*time.Hour)) {
			if w.ID == id {
				return w, fmt.Errorf("%w: window %s is the config's %s", maintenance.ErrInvalid, id, r.Name)
			}
		}
	}
	return maintenance.Window{}, fmt.Errorf("maintenance window %s: %w", id, maintenance.ErrNotFound)
}

// Silenced implements bot.Maintenance.
func (c maintenanceCommands) Silenced() bool { return c.a.am != nil }

// pagingHold is the paging engine's view of maintenance.
type pagingHold struct{ a *App }

var _ paging.Maintenance = pagingHold{}

// During implements paging.Maintenance: the window that covers at and
// holds inc (its service's, or matching every firing alert), the one that
// ends last when several do.
func (p pagingHold) During(ctx context.Context, inc *incidents.Incident, at time.Time) (incidents.HoldFact, bool, error) {
	ws, err := p.a.windows(ctx, at, at.Add(time.Minute))
	if err != nil {
		return incidents.HoldFact{}, false, err
	}
	var alerts []map[string]string
	for _, al := range inc.FiringAlerts() {
		alerts = append(alerts, al.Labels)
	}
	if len(alerts) == 0 && len(inc.Labels) > 0 {
		alerts = append(alerts, inc.Labels)
	}
	var best *maintenance.Window
	for i, w := range ws {
		if w.Covers(at) && w.Holds(inc.ServiceName(), alerts) && (best == nil || w.To.After(best.To)) {
			best = &ws[i]
		}
	}
	if best == nil {
		return incidents.HoldFact{}, false, nil
	}
	return incidents.HoldFact{Window: best.ID, Reason: best.Reason, Until: best.To}, true, nil
}

// maintenanceEvents are the maintenance windows of [from, to) as calendar
// events: every schedule's feed shows them.
func (a *App) maintenanceEvents(ctx context.Context, from, to time.Time) ([]oncall.CalendarEvent, error) {
	ws, err := a.windows(ctx, from, to)
	if err != nil {
		return nil, err
	}
	var out []oncall.CalendarEvent
	for _, w := range ws {
		if !w.From.Before(to) {
			continue
		}
		desc := "Alerts of " + w.Target() + " page nobody during this window"
		if len(w.Silences) > 0 || (w.Recurring != "" && a.am != nil) {
			desc += " and are silenced in Alertmanager"
		}
		desc += "."
		if w.Reason != "" {
			desc = w.Reason + "\n" + desc
		}
		out = append(out, oncall.CalendarEvent{UID: "maintenance-" + w.ID + "@incidentbot", Start: w.From, End: w.To,
			Summary: "Maintenance: " + w.Target(), Description: desc})
	}
	return out, nil
}

// webMaintenance gives the web view the windows.
type webMaintenance struct{ a *App }

// MaintenanceWindows implements web.Maintenance.
func (w webMaintenance) MaintenanceWindows(ctx context.Context, now time.Time) ([]web.MaintenanceWindow, error) {
	ws, err := w.a.windows(ctx, now, now.Add(7*24*time.Hour))
	if err != nil {
		return nil, err
	}
	out := make([]web.MaintenanceWindow, len(ws))
	for i, m := range ws {
		out[i] = web.MaintenanceWindow{ID: m.ID, Target: m.Target(), From: m.From, To: m.To, Reason: m.Reason, Recurring: m.Recurring,
			Silenced: len(m.Silences) > 0 || (m.Recurring != "" && w.a.am != nil && m.From.Before(now.Add(maintenanceAhead)))}
	}
	return out, nil
}

// maintenanceCommands.Windows and the web read the same windows.
var _ web.Maintenance = webMaintenance{}
