package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/incidentbot/incidentbot/alertmanager"
)

// The keys each mapping of the file may hold, in the order the example file
// documents them. Anything else is reported as a likely typo.
var (
	topKeys        = []string{"timezone", "locale", "admins", "slack", "severities", "routes", "storm", "auto_resolve", "schedules", "escalation_policies", "postmortem"}
	slackKeys      = []string{"announce_channel", "channel_prefix", "invite"}
	severityKeys   = []string{"name", "description", "update_every"}
	routeKeys      = []string{"matchers", "severity", "escalation_policy", "service"}
	stormKeys      = []string{"max_new", "window"}
	autoKeys       = []string{"enabled", "after"}
	scheduleKeys   = []string{"name", "timezone", "channel", "usergroup", "rotations"}
	rotationKeys   = []string{"name", "type", "start", "handoff_time", "shift_length", "members", "active"}
	activeKeys     = []string{"days", "from", "to"}
	policyKeys     = []string{"name", "repeat", "levels"}
	levelKeys      = []string{"delay", "targets"}
	postmortemKeys = []string{"template", "export_dir"}
)

var (
	nameRe          = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	userIDRe        = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	emailRe         = regexp.MustCompile(`^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$`)
	channelNameRe   = regexp.MustCompile(`^#[a-z0-9_-][a-z0-9_.-]{0,79}$`)
	channelIDRe     = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	channelPrefixRe = regexp.MustCompile(`^[a-z0-9_-]{1,20}$`)
	usergroupRe     = regexp.MustCompile(`^(@?[a-z0-9._-]{1,80}|S[A-Z0-9]{2,})$`)
	yamlLineRe      = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// maxAliasUses bounds how often aliases are followed, so a file of nested
// aliases cannot make parsing take exponential time.
const maxAliasUses = 10000

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
	return c, nil
}

// decoder walks the yaml.Node tree, collecting every problem it finds.
type decoder struct {
	file      string
	errs      Errors
	warns     Errors
	aliasUses int
	refs      []ref
}

// ref is a name used before it can be checked: severities, schedules and
// policies may appear anywhere in the file.
type ref struct {
	kind string // "severity", "schedule", "escalation policy"
	name string
	path string
	line int
}

// defined remembers where each name was first defined, to report duplicates.
type defined struct {
	kind  string
	names []string
	lines map[string]int
}

func newDefined(kind string) *defined { return &defined{kind: kind, lines: map[string]int{}} }

func (d *decoder) define(set *defined, name, path string, n *yaml.Node) {
	if first, dup := set.lines[name]; dup {
		d.errorf(n, path, "duplicate %s %q (first defined on line %d)", set.kind, name, first)
		return
	}
	set.lines[name] = n.Line
	set.names = append(set.names, name)
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, d.at(n, path, format, args...))
}

func (d *decoder) warnf(n *yaml.Node, path, format string, args ...any) {
	d.warns = append(d.warns, d.at(n, path, format, args...))
}

func (d *decoder) at(n *yaml.Node, path, format string, args ...any) Error {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	return Error{File: d.file, Line: line, Msg: msg}
}

func (d *decoder) parse(data []byte) *Config {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) { // empty or comments only
			return Default()
		}
		d.yamlError(err)
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		if len(extra.Content) > 0 && !isNull(extra.Content[0]) { // a trailing "---" is harmless
			d.errorf(&extra, "", "a second YAML document; the config is one document (remove the extra ---)")
		}
	case !errors.Is(err, io.EOF):
		d.yamlError(err)
	}
	root := &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	return d.config(root)
}

// yamlError turns a YAML syntax error ("yaml: line 3: ...") into an Error.
func (d *decoder) yamlError(err error) {
	msg := err.Error()
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		d.errs = append(d.errs, Error{File: d.file, Line: line, Msg: "invalid YAML: " + m[2]})
		return
	}
	d.errs = append(d.errs, Error{File: d.file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")})
}

// deref follows an alias to the node it names.
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		d.aliasUses--
		if d.aliasUses == 0 {
			d.errorf(n, "", "too many alias uses (more than %d)", maxAliasUses)
		}
		if d.aliasUses <= 0 || n.Alias == nil {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// describe names what a node holds, for "must be X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "something else"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// object is a mapping whose keys have been checked against the allowed set.
type object struct {
	path string
	node *yaml.Node
	vals map[string]*yaml.Node // only keys with a non-null value
	keys map[string]*yaml.Node // the key nodes of vals, for their lines
}

// get returns the value of key, or nil when it is absent or null.
func (o object) get(key string) *yaml.Node { return o.vals[key] }

// object reads a mapping, reporting unknown and duplicate keys. ok is false
// when n is not a mapping at all. Merge keys (<<: *anchor) are honored.
func (d *decoder) object(n *yaml.Node, path string, allowed []string) (object, bool) {
	n = d.deref(n)
	o := object{path: path, node: n, vals: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	if n.Kind != yaml.MappingNode {
		what := "must be"
		if path == "" {
			what = "the config must be"
		}
		d.errorf(n, path, "%s a mapping of keys (%s), got %s", what, strings.Join(allowed, ", "), describe(n))
		return o, false
	}
	seen := map[string]int{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "keys must be plain words, got %s", describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, join(path, k.Value), "duplicate key (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		if !slices.Contains(allowed, k.Value) {
			d.unknownKey(k, path, allowed)
			continue
		}
		if v = d.deref(v); !isNull(v) {
			o.vals[k.Value] = v
			o.keys[k.Value] = k
		}
	}
	// Explicit keys win over merged ones, wherever the merge key stands.
	for _, m := range merges {
		m = d.deref(m)
		var srcs []*yaml.Node
		switch m.Kind {
		case yaml.MappingNode:
			srcs = []*yaml.Node{m}
		case yaml.SequenceNode:
			srcs = m.Content
		}
		for _, src := range srcs {
			if src = d.deref(src); src.Kind != yaml.MappingNode {
				d.errorf(src, path, "<< must merge a mapping, got %s", describe(src))
				continue
			}
			sub, _ := d.object(src, path, allowed)
			for key, val := range sub.vals {
				if _, set := seen[key]; !set {
					seen[key] = val.Line
					o.vals[key] = val
					o.keys[key] = sub.keys[key]
				}
			}
		}
		if len(srcs) == 0 {
			d.errorf(m, path, "<< must merge a mapping, got %s", describe(m))
		}
	}
	return o, true
}

func (d *decoder) unknownKey(k *yaml.Node, path string, allowed []string) {
	hint := ""
	if s := closest(k.Value, allowed); s != "" {
		hint = fmt.Sprintf("; did you mean %q?", s)
	}
	d.errorf(k, join(path, k.Value), "unknown key %q%s (allowed: %s)", k.Value, hint, strings.Join(allowed, ", "))
}

// closest returns the allowed key nearest to s by edit distance, if it is
// near enough to be a typo.
func closest(s string, allowed []string) string {
	best, bestDist := "", len(s)/2+1
	if bestDist > 3 {
		bestDist = 3
	}
	for _, a := range allowed {
		if dist := editDistance(s, a); dist < bestDist {
			best, bestDist = a, dist
		}
	}
	if best == "" && len(s) >= 4 {
		for _, a := range allowed { // a shortened key: "escalation"
			if strings.HasPrefix(a, s) {
				return a
			}
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// list reads a sequence.
func (d *decoder) list(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	n = d.deref(n)
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "must be a list, got %s", describe(n))
		return nil, false
	}
	items := make([]*yaml.Node, len(n.Content))
	for i, item := range n.Content {
		items[i] = d.deref(item)
	}
	return items, true
}

// str reads a scalar as text (numbers and booleans keep their spelling).
func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	n = d.deref(n)
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "must be a single value, got %s", describe(n))
		return "", false
	}
	if isNull(n) {
		return "", true
	}
	return n.Value, true
}

func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	n = d.deref(n)
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "must be a duration such as 30s, 10m or 1h, got %s", describe(n))
		return 0, false
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		if s := strings.TrimSpace(n.Value); strings.HasSuffix(s, "d") || strings.HasSuffix(s, "w") {
			d.errorf(n, path, "invalid duration %q (Go durations have no days or weeks: write hours, e.g. 24h or 168h)", n.Value)
		} else {
			d.errorf(n, path, "invalid duration %q", n.Value)
		}
		return 0, false
	}
	return v, true
}

// nonNegative reads a duration that may be zero but not negative.
func (d *decoder) nonNegative(n *yaml.Node, path string) (time.Duration, bool) {
	v, ok := d.duration(n, path)
	if ok && v < 0 {
		d.errorf(n, path, "must not be negative, got %s", n.Value)
		return 0, false
	}
	return v, ok
}

func (d *decoder) integer(n *yaml.Node, path string) (int, bool) {
	n = d.deref(n)
	var v int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil {
		d.errorf(n, path, "must be a whole number, got %s", describe(n))
		return 0, false
	}
	return v, true
}

func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	n = d.deref(n)
	var v bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&v) != nil {
		d.errorf(n, path, "must be true or false, got %s", describe(n))
		return false, false
	}
	return v, true
}

func (d *decoder) location(n *yaml.Node, path string) (*time.Location, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return nil, false
	}
	if s == "" || s == "Local" || strings.ContainsAny(s, " \t\\") {
		d.errorf(n, path, "unknown time zone %q (use an IANA name such as Asia/Almaty or UTC)", s)
		return nil, false
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		d.errorf(n, path, "unknown time zone %q (use an IANA name such as Asia/Almaty or UTC)", s)
		return nil, false
	}
	return loc, true
}

// timeOfDay reads HH:MM; allow24 also accepts 24:00 (the end of a day).
func (d *decoder) timeOfDay(n *yaml.Node, path string, allow24 bool) (TimeOfDay, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return 0, false
	}
	t, err := parseTimeOfDay(s)
	if err != nil || (t == 24*60 && !allow24) {
		d.errorf(n, path, "invalid time of day %q (want HH:MM, e.g. 09:00)", s)
		return 0, false
	}
	return t, true
}

// parseTimeOfDay parses H:MM or HH:MM, 00:00 to 24:00.
func parseTimeOfDay(s string) (TimeOfDay, error) {
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) < 1 || len(hh) > 2 || len(mm) != 2 {
		return 0, errors.New("not HH:MM")
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || hh[0] == '+' || hh[0] == '-' || mm[0] == '+' || mm[0] == '-' ||
		h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, errors.New("out of range")
	}
	return TimeOfDay(h*60 + m), nil
}

func (d *decoder) name(n *yaml.Node, path string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	if !nameRe.MatchString(s) {
		d.errorf(n, path, "%q is not a valid name (use lowercase letters, digits, - and _; at most 64)", s)
		return "", false
	}
	return s, true
}

// required reports a missing key at the mapping that should hold it.
func (d *decoder) required(o object, key, hint string) {
	d.errorf(o.node, o.path, "%s is required%s", key, hint)
}

// userIDs reads a list of Slack user IDs; withEmail also accepts emails.
func (d *decoder) userIDs(n *yaml.Node, path string, withEmail bool) []string {
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	var out []string
	for i, item := range items {
		p := index(path, i)
		s, ok := d.str(item, p)
		if !ok {
			continue
		}
		switch {
		case userIDRe.MatchString(s), withEmail && emailRe.MatchString(s):
			out = append(out, s)
		case withEmail:
			d.errorf(item, p, "%q is neither a Slack user ID (like U0123ABCD) nor an email", s)
		default:
			d.errorf(item, p, "%q is not a Slack user ID (like U0123ABCD)", s)
		}
	}
	return out
}

// channel reads "#name" or a channel ID.
func (d *decoder) channel(n *yaml.Node, path string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	if !validChannel(s) {
		d.errorf(n, path, "%q is not a channel (write \"#name\" in lowercase, or a channel ID like C0123ABCD)", s)
		return "", false
	}
	return s, true
}

func validChannel(s string) bool { return channelNameRe.MatchString(s) || channelIDRe.MatchString(s) }

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
	c.DefaultSeverity = middleSeverity(c.Severities)

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
		c.Routes = []alertmanager.Route{{Matchers: alertmanager.Matchers{}, Severity: c.DefaultSeverity}}
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

	d.checkRefs(map[string]*defined{"severity": severities, "schedule": schedules, "escalation policy": policies})
	return c
}

func (d *decoder) checkRefs(sets map[string]*defined) {
	for _, r := range d.refs {
		set := sets[r.kind]
		if _, ok := set.lines[r.name]; ok {
			continue
		}
		known := "none defined"
		if len(set.names) > 0 {
			known = "defined: " + strings.Join(set.names, ", ")
		}
		d.errs = append(d.errs, Error{File: d.file, Line: r.line, Msg: fmt.Sprintf("%s: unknown %s %q (%s)", r.path, r.kind, r.name, known)})
	}
}

func (d *decoder) refer(kind, name, path string, n *yaml.Node) {
	d.refs = append(d.refs, ref{kind: kind, name: name, path: path, line: n.Line})
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
		for _, s := range DefaultSeverities() {
			set.lines[s.Name] = 0
			set.names = append(set.names, s.Name)
		}
		return DefaultSeverities()
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

func (d *decoder) routes(n, key *yaml.Node) []alertmanager.Route {
	items, ok := d.list(n, "routes")
	if !ok {
		return nil
	}
	var out []alertmanager.Route
	catchAll := -1
	for i, item := range items {
		path := index("routes", i)
		o, ok := d.object(item, path, routeKeys)
		if !ok {
			continue
		}
		r := alertmanager.Route{Matchers: alertmanager.Matchers{}}
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

func isEmptyList(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.SequenceNode && len(n.Content) == 0
}

// matchers parses each entry with Alertmanager's syntax. Like Alertmanager,
// an entry may hold several comma-separated matchers, optionally in braces.
func (d *decoder) matchers(n *yaml.Node, path string) alertmanager.Matchers {
	out := alertmanager.Matchers{}
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
		ms, err := alertmanager.ParseMatchers([]string{s})
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
	var pe *alertmanager.ParseError
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
