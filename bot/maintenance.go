package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/maintenance"
	"github.com/incidentbot/incidentbot/oncall"
)

// Maintenance is what /oncall maintenance needs; internal/app implements
// it with the store, the config's recurring windows and Alertmanager. A
// failure of Alertmanager is a *SilenceError: then nothing was stored
// (or removed).
type Maintenance interface {
	// Add makes window w's silence (when an Alertmanager is configured),
	// stores it under a new ID, and returns it with the schedules whose
	// every alert it hides.
	Add(ctx context.Context, w maintenance.Window) (maintenance.Window, []string, error)
	// Windows returns the windows that end after now, the config's
	// recurring ones among them (their next occurrences), by start.
	Windows(ctx context.Context) ([]maintenance.Window, error)
	// Remove expires an ad-hoc window's silence and deletes it;
	// maintenance.ErrNotFound when there is none.
	Remove(ctx context.Context, id string) (maintenance.Window, error)
	// Silenced reports whether windows get silences in Alertmanager.
	Silenced() bool
}

// maintenanceListMax bounds the windows a list or /oncall shows.
const maintenanceListMax = 15

// maintenanceFailed answers a maintenance command that failed: what
// Alertmanager said, or that something went wrong.
func (h *Handler) maintenanceFailed(log *logrus.Entry, err error, remove bool) reply {
	var se *SilenceError
	if errors.As(err, &se) {
		data := M{"Host": slacktext.Escape(se.Host), "Detail": slacktext.Escape(slacktext.Truncate(se.Detail, 300)), "Remove": remove}
		if se.Code == SilenceRefused {
			return ephemeralf("%s", h.t("maintenance.refused", data))
		}
		return ephemeralf("%s", h.t("maintenance.unreachable", data))
	}
	log.WithError(err).Error("/oncall maintenance failed")
	return ephemeralf("%s", h.t("oncall.failed", nil))
}

// listMaintenance lists the windows still to end.
func (h *Handler) listMaintenance(ctx context.Context, r oncallRequest) reply {
	ws, err := h.o.Maintenance.Windows(ctx)
	if err != nil {
		return h.maintenanceFailed(r.log, err, false)
	}
	if len(ws) == 0 {
		return ephemeralf("%s", h.t("maintenance.list_none", nil))
	}
	return ephemeralf("%s\n%s", h.t("maintenance.list_title", nil), maintenanceLines(h.o.Lang, ws, h.o.Location, h.o.Now(), maintenanceListMax))
}

// removeMaintenance removes a window and expires its silence.
func (h *Handler) removeMaintenance(ctx context.Context, r oncallRequest) reply {
	id := r.cmd.ID
	w, err := h.o.Maintenance.Remove(ctx, id)
	switch {
	case errors.Is(err, maintenance.ErrNotFound):
		return ephemeralf("%s", h.t("maintenance.not_found", slacktext.Escape(id)))
	case errors.Is(err, maintenance.ErrInvalid):
		return ephemeralf("%s", h.t("maintenance.recurring", slacktext.Escape(id)))
	case err != nil:
		return h.maintenanceFailed(r.log, err, true)
	}
	return inChannelf("%s", h.t("maintenance.removed", M{"Actor": slacktext.UserMention(r.sc.UserID), "ID": slacktext.Escape(w.ID),
		"Target": slacktext.Escape(w.Target()), "Silences": len(w.Silences)}))
}

// addMaintenance opens a maintenance window: silenced in Alertmanager ahead
// of time, and incidents opened inside it page nobody.
func (h *Handler) addMaintenance(ctx context.Context, r oncallRequest) reply {
	l, loc, cmd := h.o.Lang, h.o.Location, r.cmd
	now := h.o.Now()
	from, to, err := oncall.ParseRange(cmd.From, cmd.To, now, loc)
	if err != nil {
		return ephemeralf("%s", h.t("grammar.reply", M{"Msg": badTimeText(l, err), "Usage": slacktext.Escape(cmd.Verb.Usage(l))}))
	}
	w := maintenance.Window{Service: cmd.Service, Matchers: command.SplitMatchers(cmd.Matchers), From: from.UTC(), To: to.UTC(), Reason: cmd.Reason,
		CreatedBy: r.sc.UserID, CreatedAt: now.UTC()}
	if err := w.Validate(); err != nil {
		return ephemeralf("%s", h.t("maintenance.invalid", slacktext.Escape(strings.TrimPrefix(err.Error(), maintenance.ErrInvalid.Error()+": "))))
	}
	if !w.To.After(now) {
		return ephemeralf("%s", h.t("maintenance.past", nil))
	}
	w, hidden, err := h.o.Maintenance.Add(ctx, w)
	if err != nil {
		return h.maintenanceFailed(r.log, err, false)
	}
	return inChannelf("%s", h.t("maintenance.added", M{"Actor": slacktext.UserMention(r.sc.UserID), "ID": slacktext.Escape(w.ID),
		"Target": slacktext.Escape(w.Target()), "From": when(l, w.From, loc), "To": when(l, w.To, loc),
		"Reason": slacktext.Escape(w.Reason), "Silenced": len(w.Silences) > 0, "Hidden": slacktext.Escape(strings.Join(hidden, ", "))}))
}

// mayMaintain says why user may not change maintenance windows ("" when
// they may): with admins configured, only admins and members of a schedule.
func (h *Handler) mayMaintain(user string) string {
	oc := h.o.Oncall
	if oc == nil || len(oc.Admins()) == 0 || slices.Contains(oc.Admins(), user) {
		return ""
	}
	for _, s := range oc.Schedules() {
		for _, r := range s.Rotations {
			if slices.Contains(r.Members, user) {
				return ""
			}
		}
	}
	return h.t("maintenance.may_not", nil)
}

// maintenanceLines lists windows, one a line, at most max.
func maintenanceLines(l Lang, ws []maintenance.Window, loc *time.Location, now time.Time, max int) string {
	var lines []string
	for i, w := range ws {
		if i == max {
			lines = append(lines, l.Text("maintenance.more", len(ws)-max))
			break
		}
		lines = append(lines, l.Text("maintenance.line", M{"ID": slacktext.Escape(w.ID), "Target": slacktext.Escape(slacktext.Truncate(w.Target(), 200)),
			"From": when(l, w.From, loc), "To": when(l, w.To, loc), "Reason": slacktext.Escape(slacktext.Truncate(oneLine(w.Reason), 200)),
			"Recurring": slacktext.Escape(w.Recurring), "Active": w.Covers(now)}))
	}
	return strings.Join(lines, "\n")
}

// maintenanceNow is /oncall's part about maintenance: the windows of the
// next week; "" without any.
func (h *Handler) maintenanceNow(ctx context.Context, log *logrus.Entry) string {
	if h.o.Maintenance == nil {
		return ""
	}
	ws, err := h.o.Maintenance.Windows(ctx)
	if err != nil {
		log.WithError(err).Warn("/oncall: could not list the maintenance windows")
		return ""
	}
	now := h.o.Now()
	var soon []maintenance.Window
	for _, w := range ws {
		if w.From.Before(now.Add(7 * 24 * time.Hour)) {
			soon = append(soon, w)
		}
	}
	if len(soon) == 0 {
		return ""
	}
	return h.t("maintenance.now_title", nil) + "\n" + maintenanceLines(h.o.Lang, soon, h.o.Location, now, 5)
}
