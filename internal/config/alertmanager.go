package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/incidentbot/incidentbot/heartbeats"
	"github.com/incidentbot/incidentbot/labels"
	"github.com/incidentbot/incidentbot/maintenance"
	"github.com/incidentbot/incidentbot/oncall"
)

// The keys of alertmanager:, maintenance: and heartbeats:.
var (
	alertmanagerKeys = []string{"urls", "auth", "username", "timeout"}
	recurringKeys    = []string{"name", "service", "matchers", "days", "from", "to", "timezone", "reason"}
	heartbeatKeys    = []string{"name", "every", "escalation_policy", "severity", "matchers"}
)

// Alertmanager authentication modes (alertmanager.auth); the secret is the
// environment's ALERTMANAGER_API_TOKEN.
const (
	AlertmanagerAuthNone   = "none"
	AlertmanagerAuthBearer = "bearer" // the token as Authorization: Bearer
	AlertmanagerAuthBasic  = "basic"  // username and the token as password
)

// Limits of the Alertmanager API settings and heartbeats.
const (
	DefaultAlertmanagerTimeout = 5 * time.Second
	maxAlertmanagerTimeout     = time.Minute
	// MinHeartbeatEvery is the shortest interval a heartbeat may expect:
	// they are checked once a minute.
	MinHeartbeatEvery = 2 * time.Minute
)

// Alertmanager is the API silences are made through (alertmanager:).
// Empty URLs: silences and maintenance silences are not available.
type Alertmanager struct {
	// URLs are the Alertmanagers of an HA pair (or one), tried in order.
	URLs []string
	// Auth is none, bearer or basic; Username is basic auth's user.
	Auth     string
	Username string
	// Timeout bounds one request (default 5s).
	Timeout time.Duration
}

// Enabled reports whether an Alertmanager API is configured.
func (a Alertmanager) Enabled() bool { return len(a.URLs) > 0 }

func (d *decoder) alertmanager(n *yaml.Node, a *Alertmanager) {
	o, ok := d.object(n, "alertmanager", alertmanagerKeys)
	if !ok {
		return
	}
	a.Auth, a.Timeout = AlertmanagerAuthNone, DefaultAlertmanagerTimeout
	if v := o.get("urls"); v != nil {
		for i, item := range d.items(v, "alertmanager.urls") {
			p := index("alertmanager.urls", i)
			s, ok := d.str(item, p)
			if !ok {
				continue
			}
			u, err := url.Parse(s)
			switch {
			case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
				d.errorf(item, p, "%q is not an http(s) URL such as http://alertmanager:9093", s)
			case u.User != nil:
				d.errorf(item, p, "holds credentials; put the password or token in ALERTMANAGER_API_TOKEN and set auth")
			case u.RawQuery != "" || u.Fragment != "":
				d.errorf(item, p, "%q has a query or fragment; give the base URL", s)
			default:
				a.URLs = append(a.URLs, strings.TrimRight(s, "/"))
			}
		}
		if len(a.URLs) == 0 && isEmptyList(v) {
			d.errorf(v, "alertmanager.urls", "at least one URL is required (or remove alertmanager:)")
		}
	} else {
		d.required(o, "urls", " (the Alertmanagers' base URLs)")
	}
	if v := o.get("auth"); v != nil {
		if s, ok := d.str(v, "alertmanager.auth"); ok {
			switch s {
			case AlertmanagerAuthNone, AlertmanagerAuthBearer, AlertmanagerAuthBasic:
				a.Auth = s
			default:
				d.errorf(v, "alertmanager.auth", "unknown auth %q (use none, bearer or basic; the secret is ALERTMANAGER_API_TOKEN)", s)
			}
		}
	}
	if v := o.get("username"); v != nil {
		a.Username, _ = d.str(v, "alertmanager.username")
	}
	if a.Auth == AlertmanagerAuthBasic && a.Username == "" {
		d.errorf(o.node, "alertmanager", "auth: basic needs a username")
	}
	if v := o.get("timeout"); v != nil {
		if t, ok := d.duration(v, "alertmanager.timeout"); ok {
			if t <= 0 || t > maxAlertmanagerTimeout {
				d.errorf(v, "alertmanager.timeout", "must be between 1s and %s, got %s", maxAlertmanagerTimeout, v.Value)
			} else {
				a.Timeout = t
			}
		}
	}
}

// recurringMaintenance reads maintenance:, the recurring windows.
func (d *decoder) recurringMaintenance(n *yaml.Node, zone *time.Location) []maintenance.Recurring {
	items, ok := d.list(n, "maintenance")
	if !ok {
		return nil
	}
	names := newDefined("maintenance window")
	var out []maintenance.Recurring
	for i, item := range items {
		path := index("maintenance", i)
		before := len(d.errs)
		o, ok := d.object(item, path, recurringKeys)
		if !ok {
			continue
		}
		r := maintenance.Recurring{Zone: zone}
		if v := o.get("name"); v != nil {
			if name, ok := d.name(v, join(path, "name")); ok {
				r.Name = name
				d.define(names, name, join(path, "name"), v)
			}
		} else {
			d.required(o, "name", " (the window's IDs start with it)")
		}
		if v := o.get("service"); v != nil {
			r.Service, _ = d.str(v, join(path, "service"))
		}
		if v := o.get("matchers"); v != nil {
			for _, m := range d.matchers(v, join(path, "matchers")) {
				r.Matchers = append(r.Matchers, m.String())
			}
		}
		if r.Service != "" && o.get("matchers") != nil {
			d.errorf(o.node, path, "takes service or matchers, not both")
		} else if r.Service == "" && o.get("matchers") == nil {
			d.required(o, "service", " (or matchers)")
		}
		if v := o.get("days"); v != nil {
			for j, item := range d.items(v, join(path, "days")) {
				p := index(join(path, "days"), j)
				if s, ok := d.str(item, p); ok {
					wd, known := oncall.ParseWeekday(s)
					switch {
					case !known:
						d.errorf(item, p, "unknown day %q (use mon, tue, wed, thu, fri, sat or sun)", s)
					case !slices.Contains(r.Days, wd):
						r.Days = append(r.Days, wd)
					}
				}
			}
			if len(r.Days) == 0 && isEmptyList(v) {
				d.errorf(v, join(path, "days"), "at least one day is required")
			}
		} else {
			d.required(o, "days", " (e.g. [sat, sun])")
		}
		if v := o.get("from"); v != nil {
			if t, ok := d.timeOfDay(v, join(path, "from"), false); ok {
				r.From = int(t)
			}
		} else {
			d.required(o, "from", ` (a time of day, e.g. "02:00")`)
		}
		if v := o.get("to"); v != nil {
			if t, ok := d.timeOfDay(v, join(path, "to"), true); ok {
				r.To = int(t) % (24 * 60)
			}
		} else {
			d.required(o, "to", ` (a time of day; at or before from ends the next day)`)
		}
		if v := o.get("timezone"); v != nil {
			if loc, ok := d.location(v, join(path, "timezone")); ok {
				r.Zone = loc
			}
		}
		if v := o.get("reason"); v != nil {
			r.Reason, _ = d.str(v, join(path, "reason"))
		}
		if len(d.errs) == before {
			if err := r.Validate(); err != nil {
				d.errorf(o.node, path, "%s", strings.TrimPrefix(err.Error(), maintenance.ErrInvalid.Error()+": "))
			}
		}
		d.maintenanceLines = append(d.maintenanceLines, o.node.Line)
		out = append(out, r)
	}
	return out
}

// heartbeats reads heartbeats:. A heartbeat named watchdog without
// matchers is beaten by the alert alertname="Watchdog".
func (d *decoder) heartbeats(n *yaml.Node) []heartbeats.Heartbeat {
	items, ok := d.list(n, "heartbeats")
	if !ok {
		return nil
	}
	names := newDefined("heartbeat")
	var out []heartbeats.Heartbeat
	for i, item := range items {
		path := index("heartbeats", i)
		o, ok := d.object(item, path, heartbeatKeys)
		if !ok {
			continue
		}
		var h heartbeats.Heartbeat
		if v := o.get("name"); v != nil {
			if name, ok := d.name(v, join(path, "name")); ok {
				h.Name = name
				d.define(names, name, join(path, "name"), v)
			}
		} else {
			d.required(o, "name", " (POST /heartbeat/<name>)")
		}
		if v := o.get("every"); v != nil {
			if e, ok := d.duration(v, join(path, "every")); ok {
				if e < MinHeartbeatEvery {
					d.errorf(v, join(path, "every"), "must be at least %s (heartbeats are checked every minute), got %s", MinHeartbeatEvery, v.Value)
				} else {
					h.Every = e
				}
			}
		} else {
			d.required(o, "every", " (the longest expected gap between beats, e.g. 5m)")
		}
		if v := o.get("escalation_policy"); v != nil {
			if s, ok := d.str(v, join(path, "escalation_policy")); ok && s != "" {
				h.EscalationPolicy = s
				d.refer("escalation policy", s, join(path, "escalation_policy"), v)
			}
		} else {
			d.required(o, "escalation_policy", " (who is paged when it stops)")
		}
		if v := o.get("severity"); v != nil {
			if s, ok := d.str(v, join(path, "severity")); ok && s != "" {
				h.Severity = s
				d.refer("severity", s, join(path, "severity"), v)
			}
		}
		if v := o.get("matchers"); v != nil {
			h.Matchers = d.matchers(v, join(path, "matchers"))
			if len(h.Matchers) > 0 && h.Matchers.Matches(map[string]string{}) {
				d.errorf(v, join(path, "matchers"), "match every alert; name the always-firing alert, e.g. alertname=\"Watchdog\"")
			}
		} else if h.Name == "watchdog" {
			m, _ := labels.NewMatcher(labels.MatchEqual, "alertname", "Watchdog")
			h.Matchers = labels.Matchers{m}
		}
		out = append(out, h)
	}
	return out
}

// Heartbeat returns the heartbeat of that name.
func (c *Config) Heartbeat(name string) (heartbeats.Heartbeat, bool) {
	for _, h := range c.Heartbeats {
		if h.Name == name {
			return h, true
		}
	}
	return heartbeats.Heartbeat{}, false
}

// HiddenSchedules names the schedules whose every alert a maintenance
// window of sel (service: a service window's) would hide: every route that
// pages the schedule (through its escalation policy) is covered by the
// window. A route is covered when each of the window's matchers holds for
// every alert the route can match: the route has an equality matcher on the
// same label whose value the window's matcher accepts (so a catch-all route
// is never covered); a service window also covers the routes that set that
// service. Schedules no route pages are not named.
func (c *Config) HiddenSchedules(sel labels.Matchers, service string) []string {
	var out []string
	for _, s := range c.Schedules {
		routes := 0
		covered := true
		for _, r := range c.Routes {
			p, ok := c.EscalationPolicy(r.EscalationPolicy)
			if !ok || !pages(p, s.Name) {
				continue
			}
			routes++
			if !(service != "" && r.Service == service) && !covers(sel, r.Matchers) {
				covered = false
				break
			}
		}
		if routes > 0 && covered {
			out = append(out, s.Name)
		}
	}
	return out
}

// pages reports whether the policy pages schedule at some level.
func pages(p oncall.EscalationPolicy, schedule string) bool {
	for _, l := range p.Levels {
		for _, t := range l.Targets {
			if t.Kind == oncall.TargetSchedule && t.Name == schedule {
				return true
			}
		}
	}
	return false
}

// covers reports whether every alert route matches also matches window:
// each of the window's matchers is implied by an equality matcher of the
// route on the same label (or matches any value: =~".*").
func covers(window, route labels.Matchers) bool {
	for _, w := range window {
		implied := w.Type == labels.MatchRegexp && w.Value == ".*"
		for _, r := range route {
			if r.Name == w.Name && r.Type == labels.MatchEqual && w.Matches(r.Value) {
				implied = true
			}
		}
		if !implied {
			return false
		}
	}
	return true
}

// MaintenanceFindings are check-config's warnings about maintenance: each
// recurring window that hides every alert of a schedule, at its line.
func (c *Config) MaintenanceFindings() Errors {
	var out Errors
	for i, r := range c.Maintenance {
		w := maintenance.Window{Service: r.Service, Matchers: r.Matchers}
		sel, err := w.Selector()
		if err != nil {
			continue
		}
		line := 0
		if i < len(c.maintenanceLines) {
			line = c.maintenanceLines[i]
		}
		for _, s := range c.HiddenSchedules(sel, r.Service) {
			out = append(out, Error{File: c.file, Line: line, Msg: fmt.Sprintf(
				"maintenance[%d] (%s) matches every route that pages schedule %s: during it, none of %s's alerts page anyone", i, r.Name, s, s)})
		}
	}
	return out
}
