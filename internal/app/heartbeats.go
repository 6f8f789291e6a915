package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/heartbeats"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/heartbeathook"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/internal/web"
	"github.com/incidentbot/incidentbot/internal/webhookauth"
)

// The dead man's switch, wired: beats from POST /heartbeat/{name} and from
// the firing alerts a heartbeat's matchers select (Watchdog), both stored;
// a check every minute (a keyed cron tick: one replica runs it) that opens
// an incident for a heartbeat gone silent, through IngestAlerts so that it
// pages by its escalation policy like any alert, and resolves it when the
// beats return (at once when a beat comes, by a job).

// Labels of a heartbeat's incident alert.
const (
	heartbeatAlertname = "HeartbeatMissing"
	heartbeatLabel     = "heartbeat"
)

var (
	// jobHeartbeatCheck is the minute tick (key heartbeat-check:<tick>).
	jobHeartbeatCheck = jobs.Kind[struct{}]{Name: "heartbeat.check"}
	// jobHeartbeatReturned resolves the incident of a heartbeat that beat
	// again (key heartbeat-returned:<name>:<incident>).
	jobHeartbeatReturned = jobs.Kind[string]{Name: "heartbeat.returned", Priority: jobs.PriorityUrgent,
		Encode: func(name string) map[string]string { return map[string]string{"name": name} },
		Decode: func(p map[string]string) (string, error) {
			if p["name"] == "" {
				return "", fmt.Errorf("heartbeat.returned without a name")
			}
			return p["name"], nil
		},
	}
)

// heartbeatMetrics are the heartbeats' gauges; names come from the config,
// so the label is bounded.
type heartbeatMetrics struct {
	last, up *prometheus.GaugeVec
}

// wireHeartbeats mounts POST /heartbeat/{name} and, with heartbeats
// configured, the check and the gauges.
func (a *App) wireHeartbeats(ctx context.Context, mux *http.ServeMux) error {
	jobs.Handle(a.runner, jobHeartbeatCheck, a.checkHeartbeats)
	jobs.Handle(a.runner, jobHeartbeatReturned, func(ctx context.Context, _ jobs.Job, name string) error {
		h, ok := a.opts.Config.Heartbeat(name)
		if !ok {
			return nil
		}
		return a.checkHeartbeat(ctx, h, a.opts.Now())
	})
	auth, err := webhookauth.New(a.opts.Env.WebhookToken, !a.opts.Env.WebhookAuthRequired())
	if err != nil {
		return err
	}
	mux.Handle("/heartbeat/{name}", heartbeathook.New(heartbeathook.Options{Auth: auth, Beat: a.beat, Now: a.opts.Now,
		Logger: a.log.WithField("component", "heartbeat")}))
	mux.HandleFunc("/heartbeat/", func(w http.ResponseWriter, r *http.Request) {
		web.WriteError(w, http.StatusNotFound, "heartbeats are POST /heartbeat/<name>")
	})
	if len(a.opts.Config.Heartbeats) == 0 {
		return nil
	}
	a.hb = &heartbeatMetrics{
		last: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "incidentbot_heartbeat_last_beat_timestamp_seconds",
			Help: "When each configured heartbeat last beat (Unix time); absent before its first beat."}, []string{"name"}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "incidentbot_heartbeat_up",
			Help: "1 while a configured heartbeat beats within its interval, 0 once it has gone silent."}, []string{"name"}),
	}
	a.opts.Registry.MustRegister(a.hb.last, a.hb.up)
	if recs, err := a.store.Heartbeats(ctx); err != nil {
		a.log.WithError(err).Warn("heartbeats: the stored beats could not be read; the gauges fill at the first check")
	} else {
		for _, r := range recs {
			if h, ok := a.opts.Config.Heartbeat(r.Name); ok {
				a.observeHeartbeat(h, r, a.opts.Now())
			}
		}
	}
	return a.ensureCron().AddTick("@every 1m", time.UTC, jobHeartbeatCheck.Name, "heartbeat-check")
}

// observeHeartbeat sets the gauges of one heartbeat.
func (a *App) observeHeartbeat(h heartbeats.Heartbeat, r heartbeats.Record, now time.Time) {
	if a.hb == nil {
		return
	}
	if !r.Last.IsZero() {
		a.hb.last.WithLabelValues(h.Name).Set(float64(r.Last.UnixNano()) / 1e9)
	}
	up := 1.0
	if heartbeats.Evaluate(h, r, true, now) == heartbeats.StateMissing {
		up = 0
	}
	a.hb.up.WithLabelValues(h.Name).Set(up)
}

// beat records a beat of name; the incident of a silence that this beat
// ends is resolved by a job at once.
func (a *App) beat(ctx context.Context, name string, at time.Time) error {
	h, ok := a.opts.Config.Heartbeat(name)
	if !ok {
		return heartbeathook.ErrUnknown
	}
	r, err := a.store.Beat(ctx, name, at)
	if err != nil {
		return err
	}
	a.observeHeartbeat(h, r, a.opts.Now())
	if r.Incident != 0 {
		key := "heartbeat-returned:" + name + ":" + strconv.FormatInt(r.Incident, 10)
		if err := a.runner.Enqueue(ctx, jobHeartbeatReturned.Job(key, name, time.Time{})); err != nil {
			return err
		}
		a.runner.Kick()
	}
	return nil
}

// heartbeatBeats is the applier's alertmanager.Beats: the alerts that a
// heartbeat's matchers select are taken out, each firing one a beat.
type heartbeatBeats struct{ a *App }

// Beats implements alertmanager.Beats.
func (b heartbeatBeats) Beats(ctx context.Context, ns []incidents.Notification) ([]incidents.Notification, error) {
	hs := b.a.opts.Config.Heartbeats
	if len(hs) == 0 {
		return ns, nil
	}
	out := ns[:0:0]
	for _, n := range ns {
		var keep []incidents.Alert
		for _, al := range n.Alerts {
			beats := heartbeats.Beats(hs, al.Labels)
			if len(beats) == 0 {
				keep = append(keep, al)
				continue
			}
			if !al.Firing() {
				continue
			}
			for _, h := range beats {
				if err := b.a.beat(ctx, h.Name, n.ReceivedAt); err != nil {
					return nil, fmt.Errorf("heartbeat %s: %w", h.Name, err)
				}
			}
		}
		if len(keep) == 0 {
			continue
		}
		n.Alerts = keep
		out = append(out, n)
	}
	return out, nil
}

// checkHeartbeats is the minute tick.
func (a *App) checkHeartbeats(ctx context.Context, _ jobs.Job, _ struct{}) error {
	now := a.opts.Now()
	var errs []error
	for _, h := range a.opts.Config.Heartbeats {
		if err := a.checkHeartbeat(ctx, h, now); err != nil {
			errs = append(errs, fmt.Errorf("heartbeat %s: %w", h.Name, err))
		}
	}
	return errors.Join(errs...)
}

// checkHeartbeat opens the incident of a heartbeat gone silent, once per
// silence, and resolves it when the heartbeat beats again. A heartbeat
// never heard of counts from its first check.
func (a *App) checkHeartbeat(ctx context.Context, h heartbeats.Heartbeat, now time.Time) error {
	r, err := a.store.ArmHeartbeat(ctx, h.Name, now)
	if err != nil {
		return err
	}
	a.observeHeartbeat(h, r, now)
	switch state := heartbeats.Evaluate(h, r, true, now); {
	case state == heartbeats.StateMissing && r.Incident == 0:
		n, err := a.openHeartbeatIncident(ctx, h, r, now)
		if err != nil || n == 0 {
			return err
		}
		return a.store.SetHeartbeatIncident(ctx, h.Name, n)
	case state == heartbeats.StateOK && r.Incident != 0:
		if err := a.resolveHeartbeatIncident(ctx, h, r, now); err != nil {
			return err
		}
		return a.store.SetHeartbeatIncident(ctx, h.Name, 0)
	}
	return nil
}

// heartbeatFingerprint names one silence of a heartbeat: the same silence,
// checked twice, is the same alert.
func heartbeatFingerprint(name string, since time.Time) string {
	sum := sha256.Sum256([]byte(name + "\x00" + since.UTC().Format(time.RFC3339Nano)))
	return hex.EncodeToString(sum[:8])
}

// openHeartbeatIncident opens the incident of a silent heartbeat, as an
// alert of its own group, so it pages through the heartbeat's policy.
func (a *App) openHeartbeatIncident(ctx context.Context, h heartbeats.Heartbeat, r heartbeats.Record, now time.Time) (int64, error) {
	l := a.lang
	since := r.Since()
	title := l.Text("heartbeat.title", bot.M{"Name": h.Name, "Alert": h.Alert(), "For": l.Short(now.Sub(since)), "Never": r.Last.IsZero()})
	sev := h.Severity
	if sev == "" {
		sev = a.opts.Config.Severities[0].Name
	}
	labels := map[string]string{"alertname": heartbeatAlertname, heartbeatLabel: h.Name}
	key := heartbeats.GroupKey(h.Name)
	n := incidents.Notification{
		GroupKey: key, Status: incidents.AlertFiring, Receiver: "incidentbot",
		Alerts: []incidents.Alert{{Fingerprint: heartbeatFingerprint(h.Name, since), Status: incidents.AlertFiring, Labels: labels,
			Annotations: map[string]string{"summary": title}, StartsAt: heartbeats.Overdue(h, since).UTC(), GroupKey: key}},
		GroupLabels: map[string]string{heartbeatLabel: h.Name}, CommonLabels: labels, ReceivedAt: now.UTC(),
		Title: title, Severity: sev, EscalationPolicy: h.EscalationPolicy,
	}
	number, err := a.service.IngestAlerts(ctx, n)
	if err == nil {
		a.log.WithFields(map[string]any{"heartbeat": h.Name, "incident": number}).Warn("heartbeat silent: incident opened")
	}
	return number, err
}

// resolveHeartbeatIncident resolves the alert of the heartbeat's silence
// and its incident (not a storm's: other groups are in it).
func (a *App) resolveHeartbeatIncident(ctx context.Context, h heartbeats.Heartbeat, r heartbeats.Record, now time.Time) error {
	inc, err := a.service.Get(ctx, r.Incident)
	if errors.Is(err, incidents.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var resolved []incidents.Alert
	for _, al := range inc.SortedAlerts() {
		if al.Firing() && al.Labels[heartbeatLabel] == h.Name {
			al.Status, al.EndsAt = incidents.AlertResolved, r.Last.UTC()
			resolved = append(resolved, al)
		}
	}
	if len(resolved) > 0 {
		key := heartbeats.GroupKey(h.Name)
		if _, err := a.service.IngestAlerts(ctx, incidents.Notification{GroupKey: key, Status: incidents.AlertResolved, Receiver: "incidentbot",
			Alerts: resolved, GroupLabels: map[string]string{heartbeatLabel: h.Name}, CommonLabels: resolved[0].Labels, ReceivedAt: now.UTC(),
			Title: inc.Title, Severity: inc.Severity, EscalationPolicy: inc.EscalationPolicy}); err != nil {
			return err
		}
	}
	if !inc.Open() || inc.Storm {
		return nil
	}
	l := a.lang
	summary := l.Text("heartbeat.returned", bot.M{"Name": h.Name, "At": r.Last.In(a.opts.Config.Timezone).Format("2006-01-02 15:04 MST")})
	_, err = a.service.Resolve(ctx, inc.Number, summary, incidents.ActorBot)
	if errors.Is(err, incidents.ErrTransition) {
		return nil // resolved by someone meanwhile
	}
	return err
}

// webHeartbeats gives GET /api/v1/heartbeats the heartbeats as they stand.
type webHeartbeats struct{ a *App }

// Heartbeats implements web.Heartbeats.
func (w webHeartbeats) Heartbeats(ctx context.Context, now time.Time) ([]web.HeartbeatStatus, error) {
	recs, err := w.a.store.Heartbeats(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]heartbeats.Record{}
	for _, r := range recs {
		byName[r.Name] = r
	}
	out := make([]web.HeartbeatStatus, 0, len(w.a.opts.Config.Heartbeats))
	for _, h := range w.a.opts.Config.Heartbeats {
		r, ok := byName[h.Name]
		st := web.HeartbeatStatus{Name: h.Name, Every: h.Every, Alert: h.Alert(), EscalationPolicy: h.EscalationPolicy,
			State: string(heartbeats.Evaluate(h, r, ok, now)), LastBeat: r.Last, Incident: r.Incident}
		out = append(out, st)
	}
	return out, nil
}
