// Package deployhook receives deployments from any CI/CD system
// (POST /webhooks/deploy): the same token as the Alertmanager webhook, a
// 1 MiB limit, a strict JSON body, and JSON errors. A deployment is stored
// before the answer, under its own ID or one derived from what it describes,
// so a retried call records it once.
package deployhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/metriclabel"
	"github.com/incidentbot/incidentbot/internal/webhookauth"
)

// Options configure a Handler. Auth is required; the rest have defaults.
type Options struct {
	Auth webhookauth.Checker
	// Now is the clock: a deployment without "at" happened now.
	Now func() time.Time
	// Logger receives one line per rejected or failed request; nil discards.
	Logger *logrus.Entry
	// Registerer receives incidentbot_deployments_total; nil registers nothing.
	Registerer prometheus.Registerer
	// Recorded, when set, is called after a new deployment is stored.
	Recorded func(ctx context.Context, d deploys.Deployment)
}

// Handler is the deploy webhook.
type Handler struct {
	store    deploys.Store
	o        Options
	count    *prometheus.CounterVec
	services *metriclabel.Set // the service label: at most 100 values, the rest "other"
}

// New returns a Handler that stores deployments in store.
func New(store deploys.Store, o Options) *Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Logger = discard.IfNil(o.Logger)
	h := &Handler{store: store, o: o, count: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "incidentbot_deployments_total", Help: "Deployments recorded, by service (the first 100 services seen; the rest are \"other\") and status.",
	}, []string{"service", "status"}), services: metriclabel.NewSet(0)}
	if o.Registerer != nil {
		o.Registerer.MustRegister(h.count)
	}
	return h
}

// answer is the body of a 200: the deployment's ID (to name it in
// /incident cause deploy <id>) and whether this call recorded it.
type answer struct {
	ID    string `json:"id"`
	Added bool   `json:"added"`
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.o.Logger.WithField("remote", r.RemoteAddr)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method " + r.Method + " not allowed; use POST"})
		return
	}
	if reason, ok := h.o.Auth.Check(r); !ok {
		log.WithField("reason", reason).Warn("deploy webhook rejected: unauthorized")
		webhookauth.Challenge(w)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": reason})
		return
	}
	if r.ContentLength > deploys.MaxBodyBytes {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": deploys.ErrTooLarge.Error()})
		return
	}
	d, err := deploys.Decode(http.MaxBytesReader(w, r.Body, deploys.MaxBodyBytes+1), h.o.Now())
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, deploys.ErrTooLarge) || errors.As(err, &tooLarge):
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": deploys.ErrTooLarge.Error()})
		return
	case err != nil:
		log.WithError(err).Warn("deploy webhook rejected: bad body")
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	d = d.WithID()
	added, err := h.store.AddDeployment(r.Context(), d)
	if err != nil {
		log.WithError(err).Error("deployment not stored")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the deployment could not be stored; retry"})
		return
	}
	if added {
		h.count.WithLabelValues(h.services.Value(d.Service), string(d.Status)).Inc()
		log.WithFields(logrus.Fields{"deployment": d.ID, "service": d.Service, "status": d.Status}).Info("deployment recorded")
		if h.o.Recorded != nil {
			h.o.Recorded(r.Context(), d)
		}
	}
	writeJSON(w, http.StatusOK, answer{ID: d.ID, Added: added})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
