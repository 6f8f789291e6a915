// Package web serves the read-only pages, health and readiness probes, and /metrics.
package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/incidents"
)

//go:embed pages/*.html
var templateFS embed.FS

// Incidents is what the pages read.
type Incidents interface {
	Get(ctx context.Context, number int64) (*incidents.Incident, error)
	List(ctx context.Context, opts incidents.ListOptions) ([]*incidents.Incident, error)
	Timeline(ctx context.Context, number int64) ([]incidents.Event, error)
}

// Options configure the web handler.
type Options struct {
	Incidents Incidents
	Ready     func(ctx context.Context) error // nil = always ready
	Gatherer  prometheus.Gatherer             // nil = the default gatherer
	Location  *time.Location                  // zone times are shown in; nil = UTC
	Logger    *logrus.Entry
}

// Server serves the web view and probes.
type Server struct {
	opts  Options
	pages *template.Template
}

// New builds the web server.
func New(opts Options) *Server {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Logger == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		opts.Logger = logrus.NewEntry(l)
	}
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.DefaultGatherer
	}
	s := &Server{opts: opts}
	when := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(opts.Location).Format("2006-01-02 15:04:05 ") + opts.Location.String()
	}
	s.pages = template.Must(template.New("").Funcs(template.FuncMap{
		"when": when,
		"whenp": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return when(*t)
		},
	}).ParseFS(templateFS, "pages/*.html"))
	return s
}

// Register mounts the routes on mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.opts.Gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /incidents/{number}", s.incident)
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.opts.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.opts.Ready(ctx); err != nil {
			s.opts.Logger.WithError(err).Warn("not ready: store does not answer")
			WriteError(w, http.StatusServiceUnavailable, "store unavailable")
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	open, err := s.opts.Incidents.List(r.Context(), incidents.ListOptions{OpenOnly: true, Limit: 200})
	if err != nil {
		s.storeError(w, err)
		return
	}
	recent, err := s.opts.Incidents.List(r.Context(), incidents.ListOptions{Limit: 50})
	if err != nil {
		s.storeError(w, err)
		return
	}
	s.render(w, "index.html", map[string]any{"Open": open, "Recent": recent})
}

func (s *Server) incident(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(strings.TrimPrefix(r.PathValue("number"), "#"), 10, 64)
	if err != nil || n < 1 {
		http.Error(w, "incident numbers are positive integers", http.StatusBadRequest)
		return
	}
	inc, err := s.opts.Incidents.Get(r.Context(), n)
	if errors.Is(err, incidents.ErrNotFound) {
		http.Error(w, fmt.Sprintf("incident #%d not found", n), http.StatusNotFound)
		return
	}
	if err != nil {
		s.storeError(w, err)
		return
	}
	events, err := s.opts.Incidents.Timeline(r.Context(), n)
	if err != nil {
		s.storeError(w, err)
		return
	}
	s.render(w, "incident.html", map[string]any{"Incident": inc, "Events": events, "Alerts": inc.SortedAlerts()})
}

func (s *Server) storeError(w http.ResponseWriter, err error) {
	s.opts.Logger.WithError(err).Error("web: store error")
	http.Error(w, "the store is not answering; try again shortly", http.StatusServiceUnavailable)
}

func (s *Server) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	if err := s.pages.ExecuteTemplate(w, name, data); err != nil {
		s.opts.Logger.WithError(err).Error("web: render " + name)
	}
}

// WriteError writes the contract's JSON error answer.
func WriteError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
