// Package routing holds the configured routes of alert groups and the
// rule that picks one: the first route whose matchers an alert group's
// labels satisfy gives its severity, service and escalation policy. The
// config fills a Table; the webhook adapter consumes it.
package routing

import "github.com/incidentbot/incidentbot/labels"

// Route maps alert groups whose labels satisfy Matchers to a severity,
// service and escalation policy. Empty fields leave the decision to the
// Table's DefaultSeverity and the alerts' labels.
type Route struct {
	Matchers         labels.Matchers
	Severity         string
	Service          string
	EscalationPolicy string
}

// Table is the routes in order and the severity of a group that matches
// none of them (or matches one without a severity).
type Table struct {
	Routes          []Route
	DefaultSeverity string
}

// Match returns the first route that labels satisfy (no matchers match
// everything), its Severity DefaultSeverity when the route names none.
// With no match it returns a Route with only DefaultSeverity.
func (t Table) Match(labels map[string]string) Route {
	for _, r := range t.Routes {
		if r.Matchers.Matches(labels) {
			if r.Severity == "" {
				r.Severity = t.DefaultSeverity
			}
			return r
		}
	}
	return Route{Severity: t.DefaultSeverity}
}
