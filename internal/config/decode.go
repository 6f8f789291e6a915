// This file is the generic half of the parser: a walk over yaml.Node that
// collects every problem with its line, and readers for each kind of value.
// The config's sections, in parse.go and schedule.go, are written with it.

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

	"github.com/incidentbot/incidentbot/oncall"
)

var (
	channelPrefixRe = regexp.MustCompile(`^[a-z0-9_-]{1,20}$`)
	usergroupRe     = regexp.MustCompile(`^(@?[a-z0-9._-]{1,80}|S[A-Z0-9]{2,})$`)
	yamlLineRe      = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// maxAliasUses bounds how often aliases are followed, so a file of nested
// aliases cannot make parsing take exponential time.
const maxAliasUses = 10000

// decoder walks the yaml.Node tree, collecting every problem it finds.
type decoder struct {
	file      string
	errs      Errors
	warns     Errors
	aliasUses int
	refs      []ref
	// nodes maps each key path read so far ("schedules[0].rotations[1]") to
	// its node, so paths from a domain Validate find their line.
	nodes map[string]*yaml.Node
	// scheduleLines is the line of each schedule, for check-config.
	scheduleLines []int
	// maintenanceLines is the line of each recurring maintenance window.
	maintenanceLines []int
	// person finds a person of people by key or email, once people are read.
	findPerson func(ref string) (oncall.Person, bool)
}

func (d *decoder) remember(path string, n *yaml.Node) {
	if d.nodes == nil {
		d.nodes = map[string]*yaml.Node{}
	}
	if _, ok := d.nodes[path]; !ok {
		d.nodes[path] = n
	}
}

// lookup returns the node of path, or of its nearest parent that was read.
func (d *decoder) lookup(path string) *yaml.Node {
	for {
		if n, ok := d.nodes[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i <= 0 {
			return nil
		}
		path = path[:i]
	}
}

// fieldErrors reports the error of a domain value's Validate, which
// locates problems by path below prefix, each at the line of its node.
func (d *decoder) fieldErrors(prefix string, err error) {
	var fe oncall.FieldErrors
	if !errors.As(err, &fe) {
		if err != nil {
			d.errorf(d.lookup(prefix), prefix, "%v", err)
		}
		return
	}
	for _, e := range fe {
		path := prefix
		switch {
		case e.Path == "":
		case strings.HasPrefix(e.Path, "["):
			path += e.Path
		default:
			path = join(prefix, e.Path)
		}
		d.errorf(d.lookup(path), path, "%s", e.Msg)
	}
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
	d.remember(path, n)
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
	for key, val := range o.vals {
		d.remember(join(path, key), val)
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
	d.remember(path, n)
	items := make([]*yaml.Node, len(n.Content))
	for i, item := range n.Content {
		items[i] = d.deref(item)
		d.remember(index(path, i), items[i])
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
	if !oncall.ValidName(s) {
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
		case oncall.IsUserID(s), withEmail && oncall.IsEmail(s):
			out = append(out, s)
		case withEmail:
			d.errorf(item, p, "%q is neither a Slack user ID (like U0123ABCD) nor an email", s)
		default:
			d.errorf(item, p, "%q is not a Slack user ID (like U0123ABCD)", s)
		}
	}
	return out
}

// members reads a rotation's members: Slack user IDs, emails, or people
// keys; a person (by key or email) becomes their Slack ID.
func (d *decoder) members(n *yaml.Node, path string) []string {
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
		if d.findPerson != nil {
			if person, ok := d.findPerson(s); ok {
				s = person.Slack
			}
		}
		if oncall.IsUserID(s) || oncall.IsEmail(s) {
			out = append(out, s)
		} else {
			d.errorf(item, p, "%q is not a Slack user ID (like U0123ABCD), an email or a person of people", s)
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

// Names, user IDs and channels follow the oncall domain's rules, one home
// for each.
func validChannel(s string) bool { return oncall.IsChannel(s) }

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

func isEmptyList(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.SequenceNode && len(n.Content) == 0
}
