package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/stats"
)

// nav is the site's navigation, in the header of every page.
var nav = []struct{ Path, Label string }{
	{"/", "Incidents"}, {"/postmortems", "Postmortems"}, {"/oncall", "On call"}, {"/stats", "Stats"},
}

// page is what every template gets.
type page struct {
	Title   string
	Path    string // for the current item in the navigation
	Nav     any
	Zone    string
	Data    any
	Message string // message.html
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	open, err := s.opts.Incidents.List(r.Context(), incidents.ListOptions{OpenOnly: true, Limit: 200})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	recent, err := s.opts.Incidents.List(r.Context(), incidents.ListOptions{Limit: 50})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var closed []*incidents.Incident
	for _, inc := range recent {
		if !inc.Open() {
			closed = append(closed, inc)
		}
	}
	now := s.opts.Now()
	var p people
	for _, inc := range append(open, closed...) {
		p.add(inc.Commander)
	}
	s.lookup(r.Context(), &p)
	s.render(w, http.StatusOK, "index.html", "Incidents", "/", map[string]any{
		"Open": s.rows(open, now, &p), "Recent": s.rows(closed, now, &p),
	})
}

func (s *Server) style(w http.ResponseWriter, r *http.Request) {
	b, _ := templateFS.ReadFile("pages/style.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(b)
}

// wantsJSON reports whether the client asked for JSON rather than a page.
func wantsJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "application/json":
			return true
		case "text/html":
			return false
		}
	}
	return false
}

func parseNumber(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || n < 1 {
		return 0, errBadNumber
	}
	return n, nil
}

var errBadNumber = errors.New("incident numbers are positive integers")

// userError is a 400 or 404 whose message may be shown as it is.
type userError struct {
	status int
	msg    string
}

func (e *userError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &userError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &userError{http.StatusNotFound, fmt.Sprintf(format, args...)}
}

// classify turns an error into a status and a message safe to show: store
// failures become 503 without their details (which are logged).
func (s *Server) classify(err error) (int, string) {
	var ue *userError
	switch {
	case errors.As(err, &ue):
		return ue.status, ue.msg
	case errors.Is(err, errBadNumber):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, incidents.ErrNotFound):
		return http.StatusNotFound, "not found"
	case errors.Is(err, context.Canceled):
		return 499, "request cancelled"
	}
	s.opts.Logger.WithError(err).Error("web: store error")
	return http.StatusServiceUnavailable, "the store is not answering; try again shortly"
}

func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := s.classify(err)
	if wantsJSON(r) {
		WriteError(w, code, msg)
		return
	}
	s.message(w, code, http.StatusText(code), msg)
}

func (s *Server) message(w http.ResponseWriter, code int, title, msg string) {
	s.render(w, code, "message.html", title, "", map[string]any{"Message": msg})
}

// incidentDetail is one incident with everything its page and API show.
type incidentDetail struct {
	Inc     incidentRow
	Roles   []roleRow
	Actions []actionRow
	Summary template.HTML // mrkdwn, mentions by name
	// Description is escaped text with mentions by name (it may come from
	// an alert, so it is not read as mrkdwn).
	Description template.HTML
	Events      []eventRow
	Alerts      []alertRow
	Postmortem  bool // a postmortem exists
	HasPMs      bool // postmortems are configured
	Reports     []reportRow
	Pages       pageLinks // the timeline's and the alerts' other pages
}

// loadIncident reads the incident the request names, the page of its
// timeline and of its alerts the request asks for, and its regulatory
// clocks.
func (s *Server) loadIncident(r *http.Request) (*incidents.Incident, timelinePage, alertsPage, error) {
	ctx := r.Context()
	n, err := parseNumber(r.PathValue("number"))
	if err != nil {
		return nil, timelinePage{}, alertsPage{}, err
	}
	inc, err := s.opts.Incidents.Get(ctx, n)
	if errors.Is(err, incidents.ErrNotFound) {
		return nil, timelinePage{}, alertsPage{}, notFound("incident #%d not found", n)
	}
	if err != nil {
		return nil, timelinePage{}, alertsPage{}, err
	}
	tl, err := s.readTimeline(ctx, r, n)
	if err != nil {
		return nil, timelinePage{}, alertsPage{}, err
	}
	al, err := s.readAlerts(ctx, r, inc)
	if err != nil {
		return nil, timelinePage{}, alertsPage{}, err
	}
	if err := s.pageClocks(ctx, inc); err != nil {
		return nil, timelinePage{}, alertsPage{}, err
	}
	return inc, tl, al, nil
}

func (s *Server) incident(w http.ResponseWriter, r *http.Request) {
	if wantsJSON(r) {
		s.apiIncident(w, r)
		return
	}
	inc, tl, al, err := s.loadIncident(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var p people
	p.incident(inc)
	for _, e := range tl.Events {
		p.add(e.Actor)
		p.mentions(e.Text)
	}
	s.lookup(r.Context(), &p)
	now := s.opts.Now()
	d := incidentDetail{
		Inc: newIncidentRow(inc, now, &p), Roles: roleRows(inc.Roles, &p), Actions: actionRows(inc.Actions, now, &p),
		Summary: p.slackHTML(inc.Summary), Description: p.textHTML(inc.Description),
		Events: eventRows(tl.Events, &p), Alerts: alertRows(al.Alerts), HasPMs: s.opts.Postmortems != nil,
		Reports: reportRows(inc.Reporting, inc.Number),
		Pages:   pageLinksOf(inc.Number, r.URL.Query(), tl, al),
	}
	if d.HasPMs {
		_, _, err := s.opts.Postmortems.Postmortem(r.Context(), inc.Number)
		switch {
		case err == nil:
			d.Postmortem = true
		case !errors.Is(err, incidents.ErrNotFound):
			s.opts.Logger.WithError(err).WithField("incident", inc.Number).Warn("web: postmortem lookup")
		}
	}
	s.render(w, http.StatusOK, "incident.html", fmt.Sprintf("#%d %s", inc.Number, inc.Title), "/", d)
}

func (s *Server) postmortems(w http.ResponseWriter, r *http.Request) {
	if s.opts.Postmortems == nil {
		s.message(w, http.StatusNotFound, "Postmortems not configured", "This incidentbot does not serve postmortems.")
		return
	}
	list, err := s.opts.Postmortems.Postmortems(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, http.StatusOK, "postmortems.html", "Postmortems", "/postmortems", list)
}

func (s *Server) postmortem(w http.ResponseWriter, r *http.Request) {
	if s.opts.Postmortems == nil {
		s.message(w, http.StatusNotFound, "Postmortems not configured", "This incidentbot does not serve postmortems.")
		return
	}
	file := r.PathValue("file")
	raw, md := strings.CutSuffix(file, ".md")
	n, err := parseNumber(raw)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	html, markdown, err := s.opts.Postmortems.Postmortem(r.Context(), n)
	if errors.Is(err, incidents.ErrNotFound) {
		err = notFound("incident #%d has no postmortem yet", n)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if md {
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="postmortem-%d.md"`, n))
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(markdown)
		return
	}
	s.render(w, http.StatusOK, "postmortem.html", fmt.Sprintf("Postmortem #%d", n), "/postmortems", map[string]any{
		"Number": n,
		// The provider's contract: HTML rendered by goldmark without unsafe
		// HTML, so raw HTML from the incident is escaped (see Postmortems).
		"HTML": template.HTML(html), //nolint:gosec // safe by the Postmortems contract
	})
}

func (s *Server) oncall(w http.ResponseWriter, r *http.Request) {
	if wantsJSON(r) {
		s.apiOnCall(w, r)
		return
	}
	if s.opts.OnCall == nil {
		s.message(w, http.StatusNotFound, "On-call not configured", "This incidentbot has no on-call schedules configured.")
		return
	}
	now := s.opts.Now()
	list, err := s.opts.OnCall.OnCallNow(r.Context(), now)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var p people
	for _, sc := range list {
		p.add(sc.Person)
		p.add(sc.Next)
	}
	s.lookup(r.Context(), &p)
	rows := make([]oncallRow, len(list))
	for i, sc := range list {
		rows[i] = oncallRow{ScheduleNow: sc, PersonName: p.name(sc.Person), NextName: p.name(sc.Next)}
	}
	s.render(w, http.StatusOK, "oncall.html", "On call", "/oncall", map[string]any{"At": now, "Schedules": rows,
		"Maintenance": s.maintenanceWindows(r.Context(), now)})
}

// oncallRow is one schedule on /oncall, people by name.
type oncallRow struct {
	ScheduleNow
	PersonName, NextName string
}

// calendar serves GET /oncall/{schedule}.ics, optionally one person's
// (?user=U…): an iCalendar feed a calendar app subscribes to.
func (s *Server) calendar(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok || name == "" {
		WriteError(w, http.StatusNotFound, "no such page; calendars are /oncall/<schedule>.ics")
		return
	}
	if s.opts.OnCall == nil {
		WriteError(w, http.StatusNotFound, "on-call schedules are not configured")
		return
	}
	user := r.URL.Query().Get("user")
	if user != "" && !validUserID(user) {
		WriteError(w, http.StatusBadRequest, "user must be a Slack user ID such as U0123ABCD")
		return
	}
	feed, found, err := s.opts.OnCall.Calendar(r.Context(), name, user)
	if err != nil {
		s.apiError(w, err)
		return
	}
	if !found {
		WriteError(w, http.StatusNotFound, "there is no schedule "+strconv.Quote(truncate(name, 64)))
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="`+calendarFileName(name)+`.ics"`)
	_, _ = w.Write(feed)
}

// validUserID reports a Slack user ID: U or W, then 2–20 upper-case letters or digits.
func validUserID(s string) bool {
	if len(s) < 3 || len(s) > 21 || s[0] != 'U' && s[0] != 'W' {
		return false
	}
	for _, c := range s[1:] {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// calendarFileName keeps a schedule name safe inside a header.
func calendarFileName(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, name)
}

// windows are the stats windows offered, in the order of the selector.
var windows = []struct {
	Name string
	Days int
}{{"7d", 7}, {"30d", 30}, {"90d", 90}}

const defaultWindow = "30d"

func (s *Server) statsPage(w http.ResponseWriter, r *http.Request) {
	rep, win, err := s.report(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var p people
	for _, x := range rep.OnCall.People {
		p.add(x.User)
	}
	s.lookup(r.Context(), &p)
	names := make(map[string]string, len(rep.OnCall.People))
	for _, x := range rep.OnCall.People {
		names[x.User] = p.name(x.User)
	}
	s.render(w, http.StatusOK, "stats.html", "Stats", "/stats", map[string]any{
		"People": names, "R": rep, "Window": win, "Windows": windows, "Service": rep.Service,
		"PerWeek": stats.IncidentsPerWeekSVG(rep.Weeks), "Trend": stats.ResponseTrendSVG(rep.Weeks),
	})
}

// report computes the stats of the request's window (7d, 30d, 90d) and service.
func (s *Server) report(r *http.Request) (stats.Report, string, error) {
	q := r.URL.Query()
	win := q.Get("window")
	if win == "" {
		win = defaultWindow
	}
	days := 0
	for _, w := range windows {
		if w.Name == win {
			days = w.Days
		}
	}
	if days == 0 {
		return stats.Report{}, "", badRequest("window must be 7d, 30d or 90d, not %q", truncate(win, 20))
	}
	service := strings.TrimSpace(q.Get("service"))
	if len(service) > 200 {
		return stats.Report{}, "", badRequest("service is too long")
	}
	// The same figures as /incident stats: stats.ForPeriod reads the data.
	rep, err := stats.ForPeriod(r.Context(), statsSource{s}, time.Duration(days)*24*time.Hour, s.opts.Now(), stats.Options{
		Service: service, Zone: s.opts.Location, Severities: s.opts.Severities,
	})
	if errors.Is(err, stats.ErrWindow) {
		return stats.Report{}, "", badRequest("%v", err)
	}
	if err != nil {
		return stats.Report{}, "", err
	}
	return rep, win, nil
}

// statsSource reads a report's data through the server's providers; a
// missing provider reads as no data.
type statsSource struct{ s *Server }

func (src statsSource) Incidents(ctx context.Context, since time.Time) ([]*incidents.Incident, error) {
	list, err := src.s.opts.Incidents.List(ctx, incidents.ListOptions{Since: since})
	if err != nil || src.s.opts.Reporting == nil {
		return list, err
	}
	for _, inc := range list { // the regulatory reports come from each timeline
		events, err := src.s.opts.Incidents.Timeline(ctx, inc.Number)
		if err != nil {
			return nil, err
		}
		src.s.clocks(inc, events)
	}
	return list, nil
}

func (src statsSource) Deployments(ctx context.Context, from, to time.Time) ([]deploys.Deployment, error) {
	if src.s.opts.Deployments == nil {
		return nil, nil
	}
	return src.s.opts.Deployments.Deployments(ctx, from, to)
}

func (src statsSource) Causes(ctx context.Context) (map[int64]string, error) {
	if src.s.opts.Deployments == nil {
		return nil, nil
	}
	return src.s.opts.Deployments.Causes(ctx)
}

func (src statsSource) Pages(ctx context.Context, from, to time.Time) ([]stats.PageRecord, error) {
	if src.s.opts.PageLog == nil {
		return nil, nil
	}
	return src.s.opts.PageLog.Pages(ctx, from, to)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// render executes a template into a buffer first, so a failure answers 500
// instead of half a page.
func (s *Server) render(w http.ResponseWriter, code int, name, title, path string, data any) {
	var buf bytes.Buffer
	p := page{Title: title, Path: path, Nav: nav, Zone: s.opts.Location.String(), Data: data}
	if err := s.pages.ExecuteTemplate(&buf, name, p); err != nil {
		s.opts.Logger.WithError(err).Error("web: render " + name)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// No script at all, styles only from here and inline (the SVG charts'
	// attributes), images only inline.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// WriteError writes the contract's JSON error answer.
func WriteError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
