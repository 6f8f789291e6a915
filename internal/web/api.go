package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/stats"
)

// Pagination of GET /api/v1/incidents.
const (
	defaultLimit = 50
	maxLimit     = 200
)

// APIIncident is an incident as the API shows it: every key always present
// (null or empty when unset), so scripts need no guessing.
type APIIncident struct {
	Number          int64             `json:"number"`
	URL             string            `json:"url"`
	Title           string            `json:"title"`
	Description     string            `json:"description"`
	Severity        string            `json:"severity"`
	Status          incidents.Status  `json:"status"`
	Open            bool              `json:"open"`
	Service         string            `json:"service"`
	Commander       string            `json:"commander"`
	Roles           map[string]string `json:"roles"`
	Labels          map[string]string `json:"labels"`
	DeclaredBy      string            `json:"declared_by"`
	Summary         string            `json:"summary"`
	Previous        *int64            `json:"previous"`
	Storm           bool              `json:"storm"`
	DetectedAt      time.Time         `json:"detected_at"`
	DeclaredAt      time.Time         `json:"declared_at"`
	AcknowledgedAt  *time.Time        `json:"acknowledged_at"`
	MitigatedAt     *time.Time        `json:"mitigated_at"`
	ResolvedAt      *time.Time        `json:"resolved_at"`
	UpdatedAt       time.Time         `json:"updated_at"`
	DurationSeconds float64           `json:"duration_seconds"`
	// AlertCount and FiringCount count every alert of the incident; Alerts
	// holds at most AlertsPageSize of them (see APIIncidentDetail.AlertsNext).
	AlertCount  int         `json:"alert_count"`
	FiringCount int         `json:"firing_count"`
	Alerts      []APIAlert  `json:"alerts"`
	Actions     []APIAction `json:"actions"`
}

// APIAlert is one alert of an incident.
type APIAlert struct {
	Fingerprint  string            `json:"fingerprint"`
	Name         string            `json:"name"`
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"starts_at"`
	EndsAt       *time.Time        `json:"ends_at"`
	GeneratorURL string            `json:"generator_url"`
}

// APIAction is one follow-up item.
type APIAction struct {
	ID    int       `json:"id"`
	Text  string    `json:"text"`
	Owner string    `json:"owner"`
	Done  bool      `json:"done"`
	At    time.Time `json:"at"`
}

// APIEvent is one timeline entry.
type APIEvent struct {
	ID        string              `json:"id"`
	Type      incidents.EventType `json:"type"`
	At        time.Time           `json:"at"`
	Actor     string              `json:"actor"`
	Text      string              `json:"text"`
	Permalink string              `json:"permalink"`
	Fields    map[string]string   `json:"fields"`
}

// APIIncidentDetail is GET /api/v1/incidents/{number}: the incident, a page
// of its timeline and a page of its alerts.
type APIIncidentDetail struct {
	APIIncident
	Timeline []APIEvent `json:"timeline"`
	// TimelineNext is the cursor of the events after this page (pass it as
	// ?timeline=), null on the newest; TimelinePrev the events before it,
	// null on the first.
	TimelineNext *string `json:"timeline_next"`
	TimelinePrev *string `json:"timeline_prev"`
	// AlertsNext is the cursor of the alerts after this page (?alerts=),
	// null on the last; alerts are paged by fingerprint once an incident has
	// more than AlertsPageSize.
	AlertsNext *string `json:"alerts_next"`
	// Reporting is the incident's regulatory reports with their deadlines
	// and states ([] when none or not configured).
	Reporting []APIReport `json:"reporting"`
}

// apiIncidentList is GET /api/v1/incidents.
type apiIncidentList struct {
	Incidents []APIIncident `json:"incidents"`
	// Next is the cursor of the next page (pass it as cursor or before); null on the last page.
	Next *int64 `json:"next"`
}

// apiStats is GET /api/v1/stats: the stats report with its window's name.
type apiStats struct {
	Window string `json:"window"`
	stats.Report
}

// apiOnCall is GET /api/v1/oncall.
type apiOnCall struct {
	At        time.Time     `json:"at"`
	Schedules []apiSchedule `json:"schedules"`
	// Maintenance are the maintenance windows still to end.
	Maintenance []APIMaintenance `json:"maintenance,omitempty"`
}

// apiSchedule is one schedule's current and next person.
type apiSchedule struct {
	Schedule string     `json:"schedule"`
	Person   string     `json:"person"`
	Until    *time.Time `json:"until"`
	Next     string     `json:"next"`
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func (s *Server) apiIncidentOf(inc *incidents.Incident, now time.Time) APIIncident {
	out := APIIncident{
		Number: inc.Number, URL: "/incidents/" + strconv.FormatInt(inc.Number, 10),
		Title: inc.Title, Description: inc.Description, Severity: inc.Severity, Status: inc.Status, Open: inc.Open(),
		Service: serviceOf(inc), Commander: inc.Commander, Roles: orEmpty(inc.Roles), Labels: orEmpty(inc.Labels),
		DeclaredBy: inc.DeclaredBy, Summary: inc.Summary, Storm: inc.Storm,
		DetectedAt: inc.Started(), DeclaredAt: inc.DeclaredAt, AcknowledgedAt: inc.AcknowledgedAt,
		MitigatedAt: inc.MitigatedAt, ResolvedAt: inc.ResolvedAt, UpdatedAt: inc.UpdatedAt,
		DurationSeconds: inc.Duration(now).Seconds(),
		Alerts:          []APIAlert{}, Actions: []APIAction{},
	}
	if inc.Previous != 0 {
		p := inc.Previous
		out.Previous = &p
	}
	out.AlertCount, out.FiringCount = max(inc.AlertCount, len(inc.Alerts)), inc.FiringCount
	if inc.AllAlertsInline() {
		out.FiringCount = len(inc.FiringAlerts())
	}
	out.Alerts = apiAlerts(inc.SortedAlerts())
	for _, a := range inc.Actions {
		out.Actions = append(out.Actions, APIAction{ID: a.ID, Text: a.Text, Owner: a.Owner, Done: a.Done, At: a.At})
	}
	return out
}

func apiAlerts(alerts []incidents.Alert) []APIAlert {
	out := make([]APIAlert, 0, len(alerts))
	for _, a := range alerts {
		aa := APIAlert{Fingerprint: a.Fingerprint, Name: a.Labels["alertname"], Status: a.Status,
			Labels: orEmpty(a.Labels), Annotations: orEmpty(a.Annotations), StartsAt: a.StartsAt, GeneratorURL: a.GeneratorURL}
		if !a.EndsAt.IsZero() {
			e := a.EndsAt
			aa.EndsAt = &e
		}
		out = append(out, aa)
	}
	return out
}

// apiError answers err as the contract's JSON error.
func (s *Server) apiError(w http.ResponseWriter, err error) {
	code, msg := s.classify(err)
	WriteError(w, code, msg)
}

// listQuery is the parsed query of GET /api/v1/incidents.
type listQuery struct {
	status   string // "", open, resolved
	severity string
	service  string
	since    time.Time
	limit    int
	before   int64 // 0 = from the newest
}

func parseListQuery(r *http.Request) (listQuery, error) {
	q := r.URL.Query()
	lq := listQuery{limit: defaultLimit, severity: q.Get("severity"), service: q.Get("service")}
	switch st := strings.ToLower(q.Get("status")); st {
	case "", "open", "resolved":
		lq.status = st
	default:
		return lq, badRequest("status must be open or resolved, not %q", truncate(st, 20))
	}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return lq, badRequest("since must be an RFC 3339 time such as 2026-11-01T00:00:00Z")
		}
		lq.since = t
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return lq, badRequest("limit must be an integer from 1 to %d", maxLimit)
		}
		lq.limit = n
	}
	cursor := q.Get("cursor")
	if b := q.Get("before"); b != "" {
		if cursor != "" && cursor != b {
			return lq, badRequest("give cursor or before, not both")
		}
		cursor = b
	}
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n < 1 {
			return lq, badRequest("cursor (before) must be a positive incident number")
		}
		lq.before = n
	}
	if len(lq.severity) > 200 || len(lq.service) > 200 {
		return lq, badRequest("severity and service are at most 200 characters")
	}
	return lq, nil
}

// options is the store query of one page: every filter pushed down, and one
// incident more than the page, to tell whether there is a next one.
func (q listQuery) options() incidents.ListOptions {
	return incidents.ListOptions{
		OpenOnly: q.status == "open", ResolvedOnly: q.status == "resolved", Since: q.since,
		Severity: q.severity, Service: q.service, Before: q.before, Limit: q.limit + 1,
	}
}

func (s *Server) apiIncidents(w http.ResponseWriter, r *http.Request) {
	q, err := parseListQuery(r)
	if err != nil {
		s.apiError(w, err)
		return
	}
	list, err := s.opts.Incidents.List(r.Context(), q.options())
	if err != nil {
		s.apiError(w, err)
		return
	}
	now := s.opts.Now()
	out := apiIncidentList{Incidents: []APIIncident{}}
	for _, inc := range list { // newest first
		if len(out.Incidents) == q.limit {
			next := out.Incidents[len(out.Incidents)-1].Number
			out.Next = &next
			break
		}
		out.Incidents = append(out.Incidents, s.apiIncidentOf(inc, now))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiIncident(w http.ResponseWriter, r *http.Request) {
	inc, tl, al, err := s.loadIncident(r)
	if err != nil {
		s.apiError(w, err)
		return
	}
	out := APIIncidentDetail{APIIncident: s.apiIncidentOf(inc, s.opts.Now()), Timeline: make([]APIEvent, 0, len(tl.Events)),
		Reporting:    apiReports(inc.Reporting, inc.Number),
		TimelineNext: nonEmpty(tl.Newer), TimelinePrev: nonEmpty(tl.Older), AlertsNext: nonEmpty(al.Next)}
	out.Alerts = apiAlerts(al.Alerts)
	for _, e := range tl.Events {
		out.Timeline = append(out.Timeline, APIEvent{ID: e.ID, Type: e.Type, At: e.At, Actor: e.Actor, Text: e.Text,
			Permalink: safeURL(e.Fields["permalink"]), Fields: orEmpty(e.Fields)})
	}
	writeJSON(w, http.StatusOK, out)
}

// nonEmpty is a pointer to s, nil for "": null in JSON.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Server) apiStats(w http.ResponseWriter, r *http.Request) {
	rep, win, err := s.report(r)
	if err != nil {
		s.apiError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, apiStats{Window: win, Report: rep})
}

func (s *Server) apiOnCall(w http.ResponseWriter, r *http.Request) {
	if s.opts.OnCall == nil {
		WriteError(w, http.StatusNotFound, "on-call schedules are not configured")
		return
	}
	now := s.opts.Now()
	list, err := s.opts.OnCall.OnCallNow(r.Context(), now)
	if err != nil {
		s.apiError(w, err)
		return
	}
	// Times in UTC, as the OpenAPI file says and every other endpoint
	// answers: a script compares them as they are; the schedule's own zone
	// is in the config, and the pages show local times.
	out := apiOnCall{At: now.UTC(), Schedules: make([]apiSchedule, 0, len(list))}
	for _, sc := range list {
		as := apiSchedule{Schedule: sc.Schedule, Person: sc.Person, Next: sc.Next}
		if !sc.Until.IsZero() {
			u := sc.Until.UTC()
			as.Until = &u
		}
		out.Schedules = append(out.Schedules, as)
	}
	out.Maintenance = apiMaintenance(s.maintenanceWindows(r.Context(), now), now)
	writeJSON(w, http.StatusOK, out)
}
