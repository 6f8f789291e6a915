package web

import (
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/stats"
	"github.com/incidentbot/incidentbot/templates"
)

func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"when":  s.when,
		"whenp": func(t *time.Time) string { return s.when(deref(t)) },
		"iso":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"isop": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		},
		"human":   human,
		"day":     func(t time.Time) string { return t.In(s.opts.Location).Format("Mon 2006-01-02") },
		"secs":    func(d stats.Duration) string { return human(d.D()) },
		"pct":     func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
		"perday":  func(f float64) string { return fmt.Sprintf("%.2f", f) },
		"safeURL": safeURL,
		"sevrank": s.sevRank,
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				k, _ := kv[i].(string)
				m[k] = kv[i+1]
			}
			return m
		},
		// Only for the charts of package stats, which escape every label
		// themselves; never for text from users or alerts.
		"chart": func(svg string) template.HTML { return template.HTML(svg) }, //nolint:gosec // stats builds it escaped
	}
}

// when formats t in the team's zone, naming the zone.
func (s *Server) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.opts.Location).Format("2006-01-02 15:04:05 ") + s.opts.Location.String()
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// human writes a duration for people as the bot does in Slack
// (templates.ShortDuration): 45s, 12m, 3h 5m, 2d 4h, rounded down as every
// place that shows an incident's duration (incidents.Incident.Duration).
func human(d time.Duration) string { return templates.ShortDuration(templates.EN, d) }

// safeURL returns u when it is an absolute http or https URL, else "": links
// from alerts and Slack are shown only when they cannot run script or reach
// another scheme.
func safeURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return p.String()
}

// sevRank is 1 for the most severe configured severity, 2 for the next, …;
// 0 for one not configured. Pages use it for colours, never the name itself.
func (s *Server) sevRank(sev string) int {
	order := s.opts.Severities
	if len(order) == 0 {
		order = []string{"sev1", "sev2", "sev3", "sev4"}
	}
	if i := slices.Index(order, sev); i >= 0 {
		return min(i+1, 4)
	}
	return 0
}

func serviceOf(inc *incidents.Incident) string {
	if inc.Service != "" {
		return inc.Service
	}
	return inc.Labels["service"]
}

// incidentRow is one incident in a list, people by name.
type incidentRow struct {
	*incidents.Incident
	// Duration is incidents.Incident.Duration: from detection to
	// resolution, or to now while open.
	Duration time.Duration
	Svc      string
	// CommanderName and DeclaredByName are the people's names, else their IDs.
	CommanderName, DeclaredByName string
}

func newIncidentRow(inc *incidents.Incident, now time.Time, p *people) incidentRow {
	return incidentRow{Incident: inc, Duration: inc.Duration(now), Svc: serviceOf(inc),
		CommanderName: p.name(inc.Commander), DeclaredByName: p.name(inc.DeclaredBy)}
}

func (s *Server) rows(list []*incidents.Incident, now time.Time, p *people) []incidentRow {
	out := make([]incidentRow, 0, len(list))
	for _, inc := range list {
		out = append(out, newIncidentRow(inc, now, p))
	}
	return out
}

// eventRow is one timeline entry with its Slack permalink, when safe, its
// actor by name and its text as HTML (mentions by name, notes' mrkdwn).
type eventRow struct {
	incidents.Event
	Permalink string
	ActorName string
	HTML      template.HTML
}

func eventRows(events []incidents.Event, p *people) []eventRow {
	out := make([]eventRow, 0, len(events))
	for _, e := range events {
		out = append(out, eventRow{Event: e, Permalink: safeURL(e.Fields["permalink"]), ActorName: p.name(e.Actor), HTML: p.eventHTML(e)})
	}
	return out
}

// roleRow is one role and its holder by name.
type roleRow struct{ Role, Person string }

func roleRows(roles map[string]string, p *people) []roleRow {
	out := make([]roleRow, 0, len(roles))
	for role, u := range roles {
		out = append(out, roleRow{Role: role, Person: p.name(u)})
	}
	slices.SortFunc(out, func(a, b roleRow) int { return strings.Compare(a.Role, b.Role) })
	return out
}

// actionRow is one follow-up, its owner by name and its text as HTML.
type actionRow struct {
	incidents.Action
	OwnerName string
	HTML      template.HTML
	Overdue   bool
}

func actionRows(actions []incidents.Action, now time.Time, p *people) []actionRow {
	out := make([]actionRow, 0, len(actions))
	for _, a := range actions {
		out = append(out, actionRow{Action: a, OwnerName: p.name(a.Owner), HTML: p.slackHTML(a.Text), Overdue: a.Overdue(now)})
	}
	return out
}

// alertRow is one alert with its generator link, when safe.
type alertRow struct {
	incidents.Alert
	Name      string
	Generator string
}

func alertRows(alerts []incidents.Alert) []alertRow {
	out := make([]alertRow, 0, len(alerts))
	for _, a := range alerts {
		out = append(out, alertRow{Alert: a, Name: a.Labels["alertname"], Generator: safeURL(a.GeneratorURL)})
	}
	return out
}
