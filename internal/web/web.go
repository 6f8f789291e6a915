// Package web serves the read-only web view (incidents, postmortems, on-call,
// stats), its JSON API under /api/v1/, the health and readiness probes, and
// /metrics. Pages are rendered on the server with html/template and need no
// JavaScript. Data comes through the small interfaces declared here; the
// optional ones (postmortems, on-call, deployments, pages) may be nil, and
// their routes then say they are not configured.
package web

import (
	"context"
	"embed"
	"html/template"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/stats"
)

//go:embed pages/*.html pages/*.css
var templateFS embed.FS

//go:embed openapi.yaml
var openAPI []byte

//go:embed pages/favicon.ico
var favicon []byte

// Incidents is what the pages read; *incidents.Service implements it.
type Incidents interface {
	Get(ctx context.Context, number int64) (*incidents.Incident, error)
	// List returns incidents newest (highest number) first.
	List(ctx context.Context, opts incidents.ListOptions) ([]*incidents.Incident, error)
	// Timeline returns an incident's events, oldest first.
	Timeline(ctx context.Context, number int64) ([]incidents.Event, error)
	// TimelinePage returns a page of an incident's events, oldest first
	// (see incidents.Store.TimelinePage): what an incident's page reads.
	TimelinePage(ctx context.Context, number int64, from incidents.Cursor, limit int) ([]incidents.Event, incidents.Cursor, error)
	// AlertsPage returns a page of an incident's alerts by fingerprint
	// (see incidents.Store.AlertsPage).
	AlertsPage(ctx context.Context, number int64, after string, limit int) ([]incidents.Alert, string, error)
}

// Deployments gives the stats page its DORA inputs.
type Deployments interface {
	// Deployments returns the deployments whose At is in [from, to).
	Deployments(ctx context.Context, from, to time.Time) ([]deploys.Deployment, error)
	// Causes links incident numbers to the ID of the deployment that caused them.
	Causes(ctx context.Context) (map[int64]string, error)
}

// PageLog gives the stats page the pages sent to people, for the on-call load.
type PageLog interface {
	// Pages returns the pages sent in [from, to).
	Pages(ctx context.Context, from, to time.Time) ([]stats.PageRecord, error)
}

// Postmortems gives the postmortem pages. Errors wrapping incidents.ErrNotFound
// answer 404.
type Postmortems interface {
	// Postmortem returns incident n's postmortem as HTML and as its Markdown
	// source. The HTML is inserted into the page as it is, so it must be safe:
	// goldmark without html.WithUnsafe escapes raw HTML and drops
	// javascript: links. The pages' Content-Security-Policy forbids scripts
	// as a second line of defence.
	Postmortem(ctx context.Context, n int64) (html, markdown []byte, err error)
	// Postmortems lists the postmortems, newest first.
	Postmortems(ctx context.Context) ([]PostmortemEntry, error)
}

// PostmortemEntry is one line of the postmortem list.
type PostmortemEntry struct {
	Incident  int64     `json:"incident"`
	Title     string    `json:"title"`
	Status    string    `json:"status"` // draft, in-review, final
	UpdatedAt time.Time `json:"updated_at"`
}

// OnCall tells who is on call.
type OnCall interface {
	// OnCallNow returns, for every schedule, who is on call at the given time
	// and who comes next.
	OnCallNow(ctx context.Context, at time.Time) ([]ScheduleNow, error)
	// Calendar returns the iCalendar feed of a schedule's coming shifts (only
	// user's when user is set); ok is false for an unknown schedule.
	Calendar(ctx context.Context, schedule, user string) (feed []byte, ok bool, err error)
}

// ScheduleNow is one schedule's current and next shift.
type ScheduleNow struct {
	Schedule string    `json:"schedule"`
	Person   string    `json:"person"` // on call now; empty when nobody is
	Until    time.Time `json:"until"`  // end of the current shift
	Next     string    `json:"next"`   // who takes over at Until
}

// Options configure the web handler. Incidents is required; every other
// field has a safe zero value.
type Options struct {
	Incidents Incidents
	// Deployments feeds the DORA table; nil: stats without deployments.
	Deployments Deployments
	// PageLog feeds the on-call load; nil: no pages counted.
	PageLog PageLog
	// Postmortems serves /postmortems…; nil: those routes answer 404 "not configured".
	Postmortems Postmortems
	// OnCall serves /oncall and /api/v1/oncall; nil: 404 "not configured".
	OnCall OnCall
	// Maintenance adds the maintenance windows to /oncall and /api/v1/oncall; nil: none.
	Maintenance Maintenance
	// Heartbeats serves /api/v1/heartbeats; nil: 404 "not configured".
	Heartbeats Heartbeats
	// Reporting shows each incident's regulatory reports and serves their
	// drafts; nil: none.
	Reporting Reporting
	// Names shows people by name instead of by Slack ID; nil: IDs.
	Names Names
	// Auth is the basic auth of every page and /api/ (see ParseAuth); the zero
	// value leaves them open. /healthz, /readyz and /metrics are never behind it.
	// Failed logins are limited per client address, and bcrypt runs are
	// bounded; over the limits the answer is 429 with Retry-After.
	Auth Auth
	// Severities orders severities on the stats page, most severe first.
	Severities []string

	Ready    func(ctx context.Context) error // nil = always ready
	Gatherer prometheus.Gatherer             // nil = the default gatherer
	Location *time.Location                  // zone times are shown in; nil = UTC
	Now      func() time.Time                // nil = time.Now
	Logger   *logrus.Entry                   // nil = discard
}

// Server serves the web view, the API and the probes.
type Server struct {
	opts  Options
	pages *template.Template
}

// New builds the web server.
func New(opts Options) *Server {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Logger = discard.IfNil(opts.Logger)
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.DefaultGatherer
	}
	s := &Server{opts: opts}
	s.pages = template.Must(template.New("").Funcs(s.funcs()).ParseFS(templateFS, "pages/*.html"))
	return s
}

// Register mounts the routes on mux. Everything but the probes and /metrics
// is behind Options.Auth.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.opts.Gatherer, promhttp.HandlerOpts{}))

	guard := s.opts.Auth.guard(s.opts.Now)
	page := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, guard(h)) }
	page("GET /{$}", s.index)
	page("GET /style.css", s.style)
	page("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/x-icon")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		_, _ = w.Write(favicon)
	})
	page("GET /incidents/{number}", s.incident)
	page("GET /incidents/{number}/reports/{obligation}/{report}", s.reportDraft)
	page("GET /postmortems", s.postmortems)
	page("GET /postmortems/{file}", s.postmortem)
	page("GET /oncall", s.oncall)
	page("GET /oncall/{file}", s.calendar)
	page("GET /stats", s.statsPage)

	page("GET /api/v1/incidents", s.apiIncidents)
	page("GET /api/v1/incidents/{number}", s.apiIncident)
	page("GET /api/v1/stats", s.apiStats)
	page("GET /api/v1/oncall", s.apiOnCall)
	page("GET /api/v1/heartbeats", s.apiHeartbeats)
	page("GET /api/v1/openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(openAPI)
	})
	// Anything else under /api/ answers JSON, not the mux's plain text.
	page("/api/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			WriteError(w, http.StatusMethodNotAllowed, "the API is read-only: use GET")
			return
		}
		WriteError(w, http.StatusNotFound, "no such API endpoint: "+r.URL.Path)
	})
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
