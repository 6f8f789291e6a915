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

// human writes a duration for people: 45s, 12m, 3h 5m, 2d 4h.
func human(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		h := int(d.Hours())
		return fmt.Sprintf("%dh %dm", h, int(d.Minutes())-60*h)
	default:
		days := int(d.Hours()) / 24
		return fmt.Sprintf("%dd %dh", days, int(d.Hours())-24*days)
	}
}

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

// detected is when an incident started to count: detection, else declaration.
func detected(inc *incidents.Incident) time.Time {
	if inc.DetectedAt.IsZero() {
		return inc.DeclaredAt
	}
	return inc.DetectedAt
}

// duration is how long the incident lasted, or has lasted so far.
func duration(inc *incidents.Incident, now time.Time) time.Duration {
	end := now
	if inc.ResolvedAt != nil && !inc.Open() {
		end = *inc.ResolvedAt
	}
	return max(end.Sub(detected(inc)), 0)
}

func serviceOf(inc *incidents.Incident) string {
	if inc.Service != "" {
		return inc.Service
	}
	return inc.Labels["service"]
}

// incidentRow is one incident in a list.
type incidentRow struct {
	*incidents.Incident
	Duration time.Duration
	Svc      string
}

func (s *Server) rows(list []*incidents.Incident, now time.Time) []incidentRow {
	out := make([]incidentRow, 0, len(list))
	for _, inc := range list {
		out = append(out, incidentRow{Incident: inc, Duration: duration(inc, now), Svc: serviceOf(inc)})
	}
	return out
}

// eventRow is one timeline entry with its Slack permalink, when safe.
type eventRow struct {
	incidents.Event
	Permalink string
}

func eventRows(events []incidents.Event) []eventRow {
	out := make([]eventRow, 0, len(events))
	for _, e := range events {
		out = append(out, eventRow{Event: e, Permalink: safeURL(e.Fields["permalink"])})
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
