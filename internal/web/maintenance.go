package web

import (
	"context"
	"net/http"
	"time"
)

// Maintenance lists the maintenance windows /oncall shows.
type Maintenance interface {
	// MaintenanceWindows returns the windows that end after now (the
	// recurring ones' occurrences of the next week among them), by start.
	MaintenanceWindows(ctx context.Context, now time.Time) ([]MaintenanceWindow, error)
}

// MaintenanceWindow is one window as the pages show it.
type MaintenanceWindow struct {
	ID        string
	Target    string // a service, or {matchers}
	From, To  time.Time
	Reason    string
	Recurring string // the config's recurring window it is an occurrence of
	Silenced  bool   // its silence is in Alertmanager
}

// Heartbeats tells how the dead man's switches stand.
type Heartbeats interface {
	Heartbeats(ctx context.Context, now time.Time) ([]HeartbeatStatus, error)
}

// HeartbeatStatus is one configured heartbeat as it stands.
type HeartbeatStatus struct {
	Name             string
	Every            time.Duration
	Alert            string // the alert that beats it ("Watchdog"); empty: POST only
	EscalationPolicy string
	State            string    // ok, missing or waiting (never checked yet)
	LastBeat         time.Time // zero: none yet
	Incident         int64     // the open incident of its silence; 0: none
}

// APIHeartbeats is GET /api/v1/heartbeats.
type APIHeartbeats struct {
	At         time.Time      `json:"at"`
	Heartbeats []APIHeartbeat `json:"heartbeats"`
}

// APIHeartbeat is one heartbeat.
type APIHeartbeat struct {
	Name             string     `json:"name"`
	Every            string     `json:"every"`
	EverySeconds     int64      `json:"every_seconds"`
	Alert            string     `json:"alert"`
	EscalationPolicy string     `json:"escalation_policy"`
	State            string     `json:"state"`
	LastBeat         *time.Time `json:"last_beat"`
	Incident         *int64     `json:"incident"`
}

// APIMaintenance is one maintenance window in GET /api/v1/oncall.
type APIMaintenance struct {
	ID        string    `json:"id"`
	Target    string    `json:"target"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Reason    string    `json:"reason"`
	Recurring string    `json:"recurring"`
	Active    bool      `json:"active"`
	Silenced  bool      `json:"silenced"`
}

func (s *Server) apiHeartbeats(w http.ResponseWriter, r *http.Request) {
	if s.opts.Heartbeats == nil {
		WriteError(w, http.StatusNotFound, "no heartbeats are configured (heartbeats: in the config)")
		return
	}
	now := s.opts.Now()
	list, err := s.opts.Heartbeats.Heartbeats(r.Context(), now)
	if err != nil {
		s.apiError(w, err)
		return
	}
	out := APIHeartbeats{At: now, Heartbeats: make([]APIHeartbeat, 0, len(list))}
	for _, h := range list {
		a := APIHeartbeat{Name: h.Name, Every: h.Every.String(), EverySeconds: int64(h.Every / time.Second), Alert: h.Alert,
			EscalationPolicy: h.EscalationPolicy, State: h.State}
		if !h.LastBeat.IsZero() {
			t := h.LastBeat
			a.LastBeat = &t
		}
		if h.Incident != 0 {
			n := h.Incident
			a.Incident = &n
		}
		out.Heartbeats = append(out.Heartbeats, a)
	}
	writeJSON(w, http.StatusOK, out)
}

// maintenanceWindows are the windows for /oncall; none without a provider
// or when it fails (logged: the page still shows who is on call).
func (s *Server) maintenanceWindows(ctx context.Context, now time.Time) []MaintenanceWindow {
	if s.opts.Maintenance == nil {
		return nil
	}
	ws, err := s.opts.Maintenance.MaintenanceWindows(ctx, now)
	if err != nil {
		s.opts.Logger.WithError(err).Warn("the maintenance windows could not be read")
		return nil
	}
	return ws
}

func apiMaintenance(ws []MaintenanceWindow, now time.Time) []APIMaintenance {
	if len(ws) == 0 {
		return nil
	}
	out := make([]APIMaintenance, len(ws))
	for i, w := range ws {
		out[i] = APIMaintenance{ID: w.ID, Target: w.Target, From: w.From, To: w.To, Reason: w.Reason, Recurring: w.Recurring,
			Active: !now.Before(w.From) && now.Before(w.To), Silenced: w.Silenced}
	}
	return out
}
