package config

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/labels"
	"github.com/incidentbot/incidentbot/routing"
)

// The keys each mapping of the file may hold, in the order the example file
// documents them. Anything else is reported as a likely typo.
var (
	topKeys        = []string{"timezone", "locale", "admins", "slack", "severities", "routes", "storm", "auto_resolve", "schedules", "escalation_policies", "postmortem", "dora", "people", "paging", "reporting", "evidence", "alertmanager", "maintenance", "heartbeats"}
	slackKeys      = []string{"announce_channel", "channel_prefix", "invite"}
	severityKeys   = []string{"name", "description", "update_every"}
	routeKeys      = []string{"matchers", "severity", "escalation_policy", "service"}
	stormKeys      = []string{"max_new", "window"}
	autoKeys       = []string{"enabled", "after"}
	scheduleKeys   = []string{"name", "timezone", "channel", "usergroup", "rotations"}
	rotationKeys   = []string{"name", "type", "start", "handoff_time", "shift_length", "members", "active"}
	activeKeys     = []string{"days", "from", "to"}
	policyKeys     = []string{"name", "repeat", "ack_timeout", "levels"}
	levelKeys      = []string{"delay", "targets"}
	postmortemKeys = []string{"template", "export_dir"}
	doraKeys       = []string{"window"}
)

// Parse parses and validates a config file. name is the file name used in
// error messages. Keys that are absent take their defaults; with no
// severities the built-in sev1..sev4 apply, with no routes one catch-all
// route to the default severity. An invalid file gives Errors listing every
// problem in line order.
func Parse(name string, data []byte) (*Config, error) {
	d := &decoder{file: name, aliasUses: maxAliasUses}
	c := d.parse(data)
	if len(d.errs) > 0 {
		d.errs.sort()
		return nil, d.errs
	}
	d.warns.sort()
	c.Warnings = d.warns
	if len(d.scheduleLines) > 0 {
		c.file, c.scheduleLines = name, d.scheduleLines
	}
	if len(d.maintenanceLines) > 0 {
		c.file, c.maintenanceLines = name, d.maintenanceLines
	}
	return c, nil
}

func (d *decoder) config(root *yaml.Node) *Config {
	c := Default()
	c.Routes = nil
	if isNull(d.deref(root)) { // "---" alone, or "~"
		return Default()
	}
	o, ok := d.object(root, "", topKeys)
	if !ok {
		return c
	}
	if n := o.get("timezone"); n != nil {
		if loc, ok := d.location(n, "timezone"); ok {
			c.Timezone = loc
		}
	}
	if n := o.get("locale"); n != nil {
		if s, ok := d.str(n, "locale"); ok {
			if s == "en" || s == "ru" {
				c.Locale = s
			} else {
				d.errorf(n, "locale", "unsupported locale %q (use en or ru)", s)
			}
		}
	}
	if n := o.get("admins"); n != nil {
		c.Admins = d.userIDs(n, "admins", false)
	}
	if n := o.get("slack"); n != nil {
		d.slack(n, &c.Slack)
	}

	severities := newDefined("severity")
	if n := o.get("severities"); n != nil {
		c.Severities = d.severities(n, severities)
	} else {
		for _, s := range c.Severities {
			severities.names = append(severities.names, s.Name)
			severities.lines[s.Name] = 0
		}
	}
	c.DefaultSeverity = incidents.MiddleSeverity(c.Severities)

	// People first: schedules name them.
	if n := o.get("people"); n != nil {
		c.People = d.people(n)
	}
	c.Paging.AckLinkTTL = defaultAckLinkTTL
	if n := o.get("paging"); n != nil {
		d.paging(n, &c.Paging)
	}
	d.checkPeople(c)
	d.findPerson = c.Person

	schedules := newDefined("schedule")
	if n := o.get("schedules"); n != nil {
		c.Schedules = d.schedules(n, c.Timezone, schedules)
	}
	policies := newDefined("escalation policy")
	if n := o.get("escalation_policies"); n != nil {
		c.EscalationPolicies = d.policies(n, policies)
	}
	if n := o.get("routes"); n != nil {
		c.Routes = d.routes(n, o.keys["routes"])
	} else {
		c.Routes = []routing.Route{{Matchers: labels.Matchers{}, Severity: c.DefaultSeverity}}
	}
	if n := o.get("storm"); n != nil {
		d.storm(n, &c.Storm)
	}
	if n := o.get("auto_resolve"); n != nil {
		d.autoResolve(n, &c.AutoResolve)
	}
	if n := o.get("postmortem"); n != nil {
		d.postmortem(n, &c.Postmortem)
	}
	if n := o.get("dora"); n != nil {
		d.dora(n, &c.DORA)
	}
	if n := o.get("reporting"); n != nil {
		c.Reporting = d.reporting(n)
	}
	if n := o.get("evidence"); n != nil {
		d.evidence(n, &c.Evidence)
	}
	if n := o.get("alertmanager"); n != nil {
		d.alertmanager(n, &c.Alertmanager)
	}
	if n := o.get("maintenance"); n != nil {
		c.Maintenance = d.recurringMaintenance(n, c.Timezone)
	}
	if n := o.get("heartbeats"); n != nil {
		c.Heartbeats = d.heartbeats(n)
	}

	d.checkRefs(map[string]*defined{"severity": severities, "schedule": schedules, "escalation policy": policies})
	return c
}

func (d *decoder) slack(n *yaml.Node, s *Slack) {
	o, ok := d.object(n, "slack", slackKeys)
	if !ok {
		return
	}
	if v := o.get("announce_channel"); v != nil {
		if ch, ok := d.str(v, "slack.announce_channel"); ok && ch != "" {
			if ch, ok = d.channel(v, "slack.announce_channel"); ok {
				s.AnnounceChannel = ch
			}
		}
	}
	if v := o.get("channel_prefix"); v != nil {
		if p, ok := d.str(v, "slack.channel_prefix"); ok {
			if channelPrefixRe.MatchString(p) {
				s.ChannelPrefix = p
			} else {
				d.errorf(v, "slack.channel_prefix", "%q is not a valid channel-name prefix (1 to 20 of lowercase a-z, 0-9, - and _)", p)
			}
		}
	}
	if v := o.get("invite"); v != nil {
		s.Invite = d.userIDs(v, "slack.invite", false)
	}
}

func (d *decoder) severities(n *yaml.Node, set *defined) []Severity {
	items, ok := d.list(n, "severities")
	if !ok { // keep checking routes against the built-in names
		for _, s := range defaultSeverities() {
			set.lines[s.Name] = 0
			set.names = append(set.names, s.Name)
		}
		return defaultSeverities()
	}
	if len(items) == 0 {
		d.errorf(n, "severities", "at least one severity is required (or remove the key for sev1..sev4)")
		return nil
	}
	var out []Severity
	for i, item := range items {
		path := index("severities", i)
		o, ok := d.object(item, path, severityKeys)
		if !ok {
			continue
		}
		var s Severity
		if v := o.get("name"); v != nil {
			if name, ok := d.name(v, join(path, "name")); ok {
				s.Name = name
				d.define(set, name, join(path, "name"), v)
			}
		} else {
			d.required(o, "name", "")
		}
		if v := o.get("description"); v != nil {
			s.Description, _ = d.str(v, join(path, "description"))
		}
		if v := o.get("update_every"); v != nil {
			s.UpdateEvery, _ = d.nonNegative(v, join(path, "update_every"))
		}
		out = append(out, s)
	}
	return out
}

func (d *decoder) routes(n, key *yaml.Node) []routing.Route {
	items, ok := d.list(n, "routes")
	if !ok {
		return nil
	}
	var out []routing.Route
	catchAll := -1
	for i, item := range items {
		path := index("routes", i)
		o, ok := d.object(item, path, routeKeys)
		if !ok {
			continue
		}
		r := routing.Route{Matchers: labels.Matchers{}}
		if v := o.get("matchers"); v != nil {
			r.Matchers = d.matchers(v, join(path, "matchers"))
		}
		if v := o.get("severity"); v != nil {
			if s, ok := d.str(v, join(path, "severity")); ok {
				r.Severity = s
				d.refer("severity", s, join(path, "severity"), v)
			}
		} else {
			d.required(o, "severity", " (one of the severities' names)")
		}
		if v := o.get("escalation_policy"); v != nil {
			if s, ok := d.str(v, join(path, "escalation_policy")); ok && s != "" {
				r.EscalationPolicy = s
				d.refer("escalation policy", s, join(path, "escalation_policy"), v)
			}
		}
		if v := o.get("service"); v != nil {
			r.Service, _ = d.str(v, join(path, "service"))
		}
		if catchAll >= 0 {
			d.errorf(o.node, path, "unreachable: routes[%d] above has no matchers and catches every alert (first match wins)", catchAll)
		} else if m := o.get("matchers"); m == nil || isEmptyList(m) {
			catchAll = i
		}
		out = append(out, r)
	}
	if catchAll < 0 {
		d.warnf(key, "routes", "no catch-all route (one with matchers: []) at the end; alert groups that match no route open incidents of the default severity and page nobody")
	}
	return out
}

// matchers parses each entry with Alertmanager's syntax. Like Alertmanager,
// an entry may hold several comma-separated matchers, optionally in braces.
func (d *decoder) matchers(n *yaml.Node, path string) labels.Matchers {
	out := labels.Matchers{}
	items, ok := d.list(n, path)
	if !ok {
		return out
	}
	for i, item := range items {
		p := index(path, i)
		s, ok := d.str(item, p)
		if !ok {
			continue
		}
		ms, err := labels.ParseMatchers([]string{s})
		if err != nil {
			d.errorf(item, p, "%s", matcherError(s, err))
			continue
		}
		out = append(out, ms...)
	}
	return out
}

// matcherError renders the parser's reason without its own entry index,
// which would count from the wrong list.
func matcherError(s string, err error) string {
	var pe *labels.ParseError
	if !errors.As(err, &pe) {
		return fmt.Sprintf("invalid matcher %q: %v", s, err)
	}
	msg := fmt.Sprintf("invalid matcher %q: ", s)
	if pe.Column > 0 {
		msg += fmt.Sprintf("column %d: ", pe.Column)
	}
	msg += pe.Reason
	if pe.Err != nil {
		msg += ": " + pe.Err.Error()
	}
	return msg
}

func (d *decoder) storm(n *yaml.Node, s *Storm) {
	o, ok := d.object(n, "storm", stormKeys)
	if !ok {
		return
	}
	if v := o.get("max_new"); v != nil {
		if m, ok := d.integer(v, "storm.max_new"); ok {
			if m < 1 {
				d.errorf(v, "storm.max_new", "must be at least 1, got %d", m)
			} else {
				s.MaxNew = m
			}
		}
	}
	if v := o.get("window"); v != nil {
		if w, ok := d.duration(v, "storm.window"); ok {
			if w <= 0 {
				d.errorf(v, "storm.window", "must be positive, got %s", v.Value)
			} else {
				s.Window = w
			}
		}
	}
}

func (d *decoder) autoResolve(n *yaml.Node, a *AutoResolve) {
	o, ok := d.object(n, "auto_resolve", autoKeys)
	if !ok {
		return
	}
	if v := o.get("enabled"); v != nil {
		if b, ok := d.boolean(v, "auto_resolve.enabled"); ok {
			a.Enabled = b
		}
	}
	if v := o.get("after"); v != nil {
		if after, ok := d.nonNegative(v, "auto_resolve.after"); ok {
			a.After = after
		}
	}
}

func (d *decoder) dora(n *yaml.Node, c *DORA) {
	o, ok := d.object(n, "dora", doraKeys)
	if !ok {
		return
	}
	if v := o.get("window"); v != nil {
		if w, ok := d.duration(v, "dora.window"); ok {
			if w <= 0 {
				d.errorf(v, "dora.window", "must be positive, got %s", v.Value)
			} else {
				c.Window = w
			}
		}
	}
}

func (d *decoder) postmortem(n *yaml.Node, p *Postmortem) {
	o, ok := d.object(n, "postmortem", postmortemKeys)
	if !ok {
		return
	}
	if v := o.get("template"); v != nil {
		p.Template, _ = d.str(v, "postmortem.template")
	}
	if v := o.get("export_dir"); v != nil {
		p.ExportDir, _ = d.str(v, "postmortem.export_dir")
	}
}
