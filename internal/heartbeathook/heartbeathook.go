// Package heartbeathook receives heartbeats from cron jobs and backups
// (POST /heartbeat/{name}): the same token as the webhooks, checked before
// the body is read; a body of at most 64 KiB, which is otherwise ignored (a
// job may post its log tail); JSON answers and errors. A beat is stored
// before the answer.
package heartbeathook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/webhookauth"
)

// maxBody bounds a heartbeat's body.
const maxBody = 64 << 10

// ErrUnknown is Beat's answer for a name no heartbeat has (404).
var ErrUnknown = errors.New("no heartbeat of that name")

// Options configure a Handler. Auth and Beat are required.
type Options struct {
	Auth webhookauth.Checker
	// Beat records a beat of name at at: ErrUnknown for a name not
	// configured, any other error a store that failed (503).
	Beat func(ctx context.Context, name string, at time.Time) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives a line per rejected or failed request; nil discards.
	Logger *logrus.Entry
}

// Handler serves POST /heartbeat/{name}.
type Handler struct{ o Options }

// New returns a Handler.
func New(o Options) *Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Logger = discard.IfNil(o.Logger)
	return &Handler{o: o}
}

// answer is a 200's body.
type answer struct {
	Name string    `json:"name"`
	At   time.Time `json:"at"`
}

// ServeHTTP implements http.Handler; the name is the path's last segment
// (the mux's {name}).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.o.Logger.WithField("remote", r.RemoteAddr)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method " + r.Method + " not allowed; use POST"})
		return
	}
	if reason, ok := h.o.Auth.Check(r); !ok {
		log.WithField("reason", reason).Warn("heartbeat rejected: unauthorized")
		webhookauth.Challenge(w)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": reason})
		return
	}
	if r.ContentLength > maxBody {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body larger than " + strconv.Itoa(maxBody/1024) + " KiB"})
		return
	}
	if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxBody)); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body larger than " + strconv.Itoa(maxBody/1024) + " KiB"})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "reading the body failed"})
		return
	}
	name := r.PathValue("name")
	at := h.o.Now().UTC()
	switch err := h.o.Beat(r.Context(), name, at); {
	case errors.Is(err, ErrUnknown):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "there is no heartbeat " + strconv.Quote(truncate(name, 64)) + "; heartbeats: in the config names them"})
		return
	case err != nil:
		log.WithError(err).WithField("heartbeat", truncate(name, 64)).Error("heartbeat not stored")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the beat could not be stored; retry"})
		return
	}
	writeJSON(w, http.StatusOK, answer{Name: name, At: at})
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
