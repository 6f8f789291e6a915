package postmortem

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/templates"
)

// Limits that keep a storm's postmortem readable.
const (
	maxGeneratorURLs = 30
	maxFiredNames    = 20
)

// viewer turns Slack IDs into names while the view is built.
type viewer struct {
	in   Input
	inc  *incidents.Incident
	lang templates.Lang // the events' sentences
	now  time.Time
}

// buildView fills the template data from the input, with events in lang's
// words. now is UTC.
func buildView(in Input, lang templates.Lang, now time.Time) *templates.Postmortem {
	inc := in.Incident
	v := viewer{in: in, inc: inc, lang: lang, now: now}
	p := &templates.Postmortem{
		Locale: in.Locale, Zone: in.Zone, Generated: now,
		Number: inc.Number, Title: oneLine(inc.Title), Description: inc.Description,
		Severity: inc.Severity, SeverityDescription: in.SeverityDescription,
		Status: string(in.Status), IncidentStatus: string(inc.Status),
		Commander: v.person(inc.Commander), Summary: inc.Summary, Storm: inc.Storm,
		DetectedAt: inc.DetectedAt.UTC(), DeclaredAt: inc.DeclaredAt.UTC(),
		AckedAt: deref(inc.AcknowledgedAt), MitigatedAt: deref(inc.MitigatedAt), ResolvedAt: deref(inc.ResolvedAt),
	}
	if p.Title == "" {
		p.Title = fmt.Sprintf("Incident %d", inc.Number)
	}
	p.Owner = p.Commander
	if in.Owner != "" {
		p.Owner = v.person(in.Owner)
	}
	if p.DetectedAt.IsZero() {
		p.DetectedAt = p.DeclaredAt
	}
	p.Ongoing = p.ResolvedAt.IsZero()
	p.Duration = inc.Duration(now) // the one definition the summary, the web view and the stats show
	p.ToDeclare = measure(p.DetectedAt, p.DeclaredAt)
	p.ToAck = measure(p.DetectedAt, p.AckedAt)
	p.ToMitigate = measure(p.DetectedAt, p.MitigatedAt)
	p.ToResolve = measure(p.DetectedAt, p.ResolvedAt)

	alerts := inc.SortedAlerts()
	p.Services = services(inc, alerts)
	p.Labels = commonLabels(inc, alerts)
	for _, a := range alerts {
		if a.Firing() {
			p.AlertsFiring++
		}
	}
	if !inc.AllAlertsInline() {
		// A storm incident carries its first alerts only; the counts are of all.
		p.AlertsFiring = inc.FiringCount
	}

	events := sortedEvents(in.Timeline)
	v.timeline(p, events)
	v.detection(p, alerts, events)
	v.response(p, events)
	v.actions(p)
	v.supporting(p, alerts, events)
	v.links(p)
	return p
}

func (v viewer) person(id string) string {
	switch id {
	case "":
		return ""
	case incidents.ActorAlertmanager:
		return "Alertmanager"
	case incidents.ActorBot:
		return "incidentbot"
	}
	if n := v.in.Names[id]; n != "" {
		return n
	}
	if looksLikeSlackID(id) {
		return "@" + id
	}
	return id
}

func looksLikeSlackID(s string) bool {
	if len(s) < 2 || len(s) > 20 || (s[0] != 'U' && s[0] != 'W' && s[0] != 'B') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// text turns the bot's mentions in stored text into names.
func (v viewer) text(s string) string { return slackText(s, v.in.Names, false) }

// eventText is an event's text for the timeline: a pinned message is Slack
// markup, and the verb the label already says is dropped ("Alert firing: X"
// after the label "Alert fired" is just "X"). Other locales than English
// write the sentence from the event's fields where it has them.
func (v viewer) eventText(ev incidents.Event) string {
	if ev.Type == incidents.EventMessagePinned {
		return slackText(ev.Text, v.in.Names, true)
	}
	if v.lang.Locale() != templates.EN {
		if said := v.lang.Event(string(ev.Type), ev.Fields, ev.Text); said != ev.Text {
			return v.localEventText(ev, said)
		}
	}
	s := v.text(ev.Text)
	for _, p := range redundant[ev.Type] {
		if s == p {
			return ""
		}
		if rest, ok := strings.CutPrefix(s, p+": "); ok {
			return rest
		}
		if rest, ok := strings.CutPrefix(s, p+" "); ok {
			return rest
		}
	}
	return s
}

// localEventText is the sentence said in another locale than English,
// without the label the timeline already shows.
func (v viewer) localEventText(ev incidents.Event, said string) string {
	s := v.text(said)
	label := v.lang.Word(string(ev.Type))
	if s == label {
		return ""
	}
	if rest, ok := strings.CutPrefix(s, label+": "); ok {
		return rest
	}
	if rest, ok := strings.CutPrefix(s, label+" "); ok {
		return rest
	}
	return s
}

// redundant are the verbs incidents writes at the start of event texts that
// the event's label already says.
var redundant = map[incidents.EventType][]string{
	incidents.EventAlertFired:      {"Alert firing"},
	incidents.EventAlertResolved:   {"Alert resolved"},
	incidents.EventStatusChanged:   {"Status"},
	incidents.EventSeverityChanged: {"Severity"},
	incidents.EventAcknowledged:    {"Acknowledged"},
	incidents.EventResolved:        {"Resolved"},
	incidents.EventReopened:        {"Reopened"},
	incidents.EventStormGroup:      {"Alert group joined the storm"},
	// "Declared: Declared sev4", "Paged: Paged @Alice" and "Postmortem:
	// Postmortem draft written" said it twice.
	incidents.EventDeclared:          {"Declared"},
	incidents.EventPaged:             {"Paged"},
	incidents.EventPostmortemWritten: {"Postmortem"},
	incidents.EventPostmortemStatus:  {"Postmortem"},
}

func sortedEvents(in []incidents.Event) []incidents.Event {
	out := make([]incidents.Event, len(in))
	copy(out, in)
	slices.SortStableFunc(out, func(a, b incidents.Event) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func isAlertEvent(t incidents.EventType) bool {
	return t == incidents.EventAlertFired || t == incidents.EventAlertResolved || t == incidents.EventStormGroup
}

// alertName finds the alertname of an alert event: from the incident's
// alert by fingerprint, else from the event's labels field.
func (v viewer) alertName(ev incidents.Event) string {
	if a, ok := v.inc.Alerts[ev.Fields["fingerprint"]]; ok && a.Labels["alertname"] != "" {
		return a.Labels["alertname"]
	}
	labels := ev.Fields["labels"]
	for _, kv := range strings.Split(labels, ", ") {
		if name, ok := strings.CutPrefix(kv, "alertname="); ok {
			return name
		}
	}
	if fp := ev.Fields["fingerprint"]; fp != "" {
		return fp
	}
	return "(unnamed)"
}

func (v viewer) timeline(p *templates.Postmortem, events []incidents.Event) {
	tl := &p.Timeline
	tl.Total = len(events)
	alertEvents := 0
	for _, ev := range events {
		if isAlertEvent(ev.Type) {
			alertEvents++
		}
	}
	p.AlertEvents = alertEvents
	tl.Summarised = alertEvents > v.in.AlertLines
	var counts map[string]*templates.AlertCount
	if tl.Summarised {
		counts = map[string]*templates.AlertCount{}
	}
	var day *templates.Day
	var dayKey int
	for _, ev := range events {
		at := ev.At.UTC()
		if tl.Summarised && isAlertEvent(ev.Type) {
			tl.Omitted++
			if tl.AlertFirst.IsZero() {
				tl.AlertFirst = at
			}
			tl.AlertLast = at
			if ev.Type == incidents.EventStormGroup {
				tl.Groups += stormGroups(ev)
				continue
			}
			name := v.alertName(ev)
			c := counts[name]
			if c == nil {
				c = &templates.AlertCount{Name: name, First: at}
				counts[name] = c
			}
			c.Last = at
			if ev.Type == incidents.EventAlertResolved {
				c.Resolved++
			} else {
				c.Fired++
			}
			continue
		}
		local := at.In(p.Zone)
		if key := local.Year()*1000 + local.YearDay(); day == nil || key != dayKey {
			tl.Days = append(tl.Days, templates.Day{Date: time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, p.Zone)})
			day, dayKey = &tl.Days[len(tl.Days)-1], key
		}
		day.Events = append(day.Events, v.entry(ev, at, local))
	}
	tl.MultiDay = len(tl.Days) > 1
	if counts != nil {
		for _, c := range counts {
			tl.Alerts = append(tl.Alerts, *c)
		}
		sortCounts(tl.Alerts)
	}
}

// stormGroups is how many alert groups a storm event records joining: a
// batch's summary names its count, an older event is one group.
func stormGroups(ev incidents.Event) int {
	if n, err := strconv.Atoi(ev.Fields["groups"]); err == nil && n > 0 {
		return n
	}
	return 1
}

func (v viewer) entry(ev incidents.Event, at, local time.Time) templates.Entry {
	var link string
	if p := ev.Fields["permalink"]; p != "" {
		link = templates.Dest(p)
	}
	e := templates.Entry{
		At: at, Local: clock(local), UTC: clock(at),
		Kind: string(ev.Type), Label: templates.Word(v.in.Locale, string(ev.Type)),
		Actor: v.person(ev.Actor), Text: v.eventText(ev), Link: link,
	}
	e.Line = templates.EntryLine(e)
	return e
}

// clock is t's "15:04" without Format's work, for every line of a timeline.
func clock(t time.Time) string {
	h, m, _ := t.Clock()
	return string([]byte{byte('0' + h/10), byte('0' + h%10), ':', byte('0' + m/10), byte('0' + m%10)})
}

// sortCounts orders by events, most first, then by name.
func sortCounts(cs []templates.AlertCount) {
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i].Fired+cs[i].Resolved, cs[j].Fired+cs[j].Resolved
		if a != b {
			return a > b
		}
		return cs[i].Name < cs[j].Name
	})
}

func (v viewer) detection(p *templates.Postmortem, alerts []incidents.Alert, events []incidents.Event) {
	if len(alerts) > 0 {
		a := alerts[0]
		p.FirstAlert = &templates.Alert{
			Name: a.Labels["alertname"], Summary: a.Annotations["summary"], URL: templates.SafeURL(a.GeneratorURL),
			At: a.StartsAt.UTC(), Labels: sortedLabels(a.Labels),
		}
		if p.FirstAlert.Name == "" {
			p.FirstAlert.Name = a.Fingerprint
		}
	}
	counts := map[string]*templates.AlertCount{}
	for _, ev := range events {
		if ev.Type != incidents.EventAlertFired {
			continue
		}
		name := v.alertName(ev)
		if p.FirstAlert == nil {
			p.FirstAlert = &templates.Alert{Name: name, At: ev.At.UTC(), URL: templates.SafeURL(ev.Fields["generator_url"])}
		}
		c := counts[name]
		if c == nil {
			c = &templates.AlertCount{Name: name, First: ev.At.UTC()}
			counts[name] = c
		}
		c.Fired++
		c.Last = ev.At.UTC()
	}
	if len(counts) == 0 {
		// No alert events on the timeline: count the incident's alerts.
		for _, a := range alerts {
			name := a.Labels["alertname"]
			if name == "" {
				name = a.Fingerprint
			}
			c := counts[name]
			if c == nil {
				c = &templates.AlertCount{Name: name, First: a.StartsAt.UTC()}
				counts[name] = c
			}
			c.Fired++
			c.Last = a.StartsAt.UTC()
		}
	}
	for _, c := range counts {
		p.Fired = append(p.Fired, *c)
	}
	sortCounts(p.Fired)
	if len(p.Fired) > maxFiredNames {
		rest := templates.AlertCount{Name: fmt.Sprintf("(%d more)", len(p.Fired)-maxFiredNames)}
		for _, c := range p.Fired[maxFiredNames:] {
			rest.Fired += c.Fired
		}
		p.Fired = append(p.Fired[:maxFiredNames:maxFiredNames], rest)
	}
}

func (v viewer) response(p *templates.Postmortem, events []incidents.Event) {
	inc := v.inc
	if inc.Commander != "" {
		p.Roles = append(p.Roles, templates.Role{Role: incidents.RoleCommander, Person: v.person(inc.Commander)})
	}
	for _, r := range sortedKeys(inc.Roles) {
		p.Roles = append(p.Roles, templates.Role{Role: r, Person: v.person(inc.Roles[r])})
	}
	seen := map[string]bool{}
	add := func(id string) {
		if id == "" || id == incidents.ActorAlertmanager || id == incidents.ActorBot || seen[id] {
			return
		}
		seen[id] = true
		p.Responders = append(p.Responders, v.person(id))
	}
	add(inc.Commander)
	for _, r := range sortedKeys(inc.Roles) {
		add(inc.Roles[r])
	}
	var firstPage time.Time
	for _, ev := range events {
		switch ev.Type {
		case incidents.EventPaged:
			pg := templates.Page{At: ev.At.UTC(), Text: v.text(ev.Text)}
			target := ev.Fields["user"]
			if target == "" {
				target = ev.Fields["target"]
			}
			if id, ok := strings.CutPrefix(target, "user:"); ok {
				target = id
			}
			pg.Target = v.person(target)
			if pg.Target == "" {
				pg.Target = pg.Text
			}
			pg.Via = ev.Fields["schedule"]
			if pg.Via == "" {
				pg.Via = ev.Fields["policy"]
			}
			pg.Level, _ = strconv.Atoi(ev.Fields["level"])
			pg.Escalation = ev.Fields["escalation"] == "true" || pg.Level > 1
			p.Pages = append(p.Pages, pg)
			if firstPage.IsZero() {
				firstPage = pg.At
			}
		case incidents.EventAcknowledged:
			ack := templates.Ack{At: ev.At.UTC(), By: v.person(ev.Actor)}
			if !firstPage.IsZero() {
				ack.After = measure(firstPage, ack.At)
			}
			p.Acks = append(p.Acks, ack)
			add(ev.Actor)
		case incidents.EventAlertFired, incidents.EventAlertResolved, incidents.EventStormGroup, incidents.EventSlack:
		default:
			add(ev.Actor)
		}
	}
}

func (v viewer) actions(p *templates.Postmortem) {
	as := make([]Action, len(v.in.Actions))
	copy(as, v.in.Actions)
	sort.SliceStable(as, func(i, j int) bool { return as[i].ID < as[j].ID })
	for _, a := range as {
		done := a.State == ActionDone
		p.Actions = append(p.Actions, templates.Action{
			ID: strconv.Itoa(a.ID), Text: v.text(a.Text), Owner: v.person(a.Owner), Due: a.Due.UTC(),
			Done: done, Overdue: !done && !a.Due.IsZero() && a.Due.Before(v.now), Link: templates.SafeURL(a.Link),
		})
		if done {
			p.Done++
		} else {
			p.Open++
		}
	}
}

// Annotation keys that name dashboards and runbooks, as Alertmanager
// rules commonly spell them.
func annotationKind(key string) string {
	k := strings.ToLower(key)
	switch {
	case strings.Contains(k, "runbook") || strings.Contains(k, "playbook"):
		return "runbook"
	case strings.Contains(k, "dashboard") || strings.Contains(k, "grafana"):
		return "dashboard"
	}
	return ""
}

func (v viewer) supporting(p *templates.Postmortem, alerts []incidents.Alert, events []incidents.Event) {
	seen := map[string]bool{}
	more := 0
	addGen := func(name, u string) {
		if u == "" || seen[u] {
			return
		}
		seen[u] = true
		if len(p.GeneratorURLs) >= maxGeneratorURLs {
			more++
			return
		}
		p.GeneratorURLs = append(p.GeneratorURLs, templates.Ref{Text: name, URL: u})
	}
	for _, a := range alerts {
		name := a.Labels["alertname"]
		if name == "" {
			name = a.Fingerprint
		}
		addGen(name, a.GeneratorURL)
		for _, k := range sortedKeys(a.Annotations) {
			u := a.Annotations[k]
			if seen[u] || templates.SafeURL(u) == "" {
				continue
			}
			ref := templates.Ref{Text: name + " (" + k + ")", URL: u}
			switch annotationKind(k) {
			case "runbook":
				seen[u] = true
				p.Runbooks = append(p.Runbooks, ref)
			case "dashboard":
				seen[u] = true
				p.Dashboards = append(p.Dashboards, ref)
			}
		}
	}
	for _, ev := range events {
		if ev.Type == incidents.EventAlertFired {
			addGen(v.alertName(ev), ev.Fields["generator_url"])
		}
		if ev.Type == incidents.EventMessagePinned {
			p.Pins = append(p.Pins, v.entry(ev, ev.At.UTC(), ev.At.In(p.Zone)))
		}
	}
	if more > 0 {
		p.GeneratorURLs = append(p.GeneratorURLs, templates.Ref{Text: fmt.Sprintf("… and %d more", more)})
	}
	if prev := v.in.Previous; prev != nil && prev.Incident != nil {
		p.Previous = &templates.Previous{
			Number: prev.Incident.Number, Title: oneLine(prev.Incident.Title), At: prev.Incident.DetectedAt.UTC(),
			URL: v.webURL("/incidents/%d", prev.Incident.Number), PostmortemURL: templates.SafeURL(prev.Postmortem),
		}
	}
}

func (v viewer) webURL(format string, n int64) string {
	base := templates.SafeURL(v.in.Links.WebBase)
	if base == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + fmt.Sprintf(format, n)
}

func (v viewer) links(p *templates.Postmortem) {
	p.IncidentURL = v.webURL("/incidents/%d", v.inc.Number)
	p.PostmortemURL = v.webURL("/postmortems/%d", v.inc.Number)
	if name := v.in.Links.ChannelName; name != "" {
		p.Channel = templates.Ref{Text: "#" + strings.TrimPrefix(name, "#"), URL: templates.SafeURL(v.in.Links.Channel)}
	} else if u := templates.SafeURL(v.in.Links.Channel); u != "" {
		p.Channel = templates.Ref{Text: u, URL: u}
	}
}

func services(inc *incidents.Incident, alerts []incidents.Alert) []string {
	set := map[string]bool{}
	if inc.Service != "" {
		set[inc.Service] = true
	}
	for _, a := range alerts {
		if s := a.Labels["service"]; s != "" {
			set[s] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// commonLabels are the incident's group labels, else the labels every alert shares.
func commonLabels(inc *incidents.Incident, alerts []incidents.Alert) []templates.Label {
	if len(inc.Labels) > 0 {
		return sortedLabels(inc.Labels)
	}
	if len(alerts) == 0 {
		return nil
	}
	common := map[string]string{}
	for k, val := range alerts[0].Labels {
		common[k] = val
	}
	for _, a := range alerts[1:] {
		for k, val := range common {
			if a.Labels[k] != val {
				delete(common, k)
			}
		}
	}
	return sortedLabels(common)
}

func sortedLabels(m map[string]string) []templates.Label {
	var out []templates.Label
	for _, k := range sortedKeys(m) {
		out = append(out, templates.Label{Name: k, Value: m[k]})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func measure(from, to time.Time) templates.Measure {
	if from.IsZero() || to.IsZero() {
		return templates.Measure{}
	}
	return templates.Measure{D: nonNegative(to.Sub(from)), Known: true}
}

func nonNegative(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// tags are the front matter's tags: incident, the severity, services, storm.
func tags(inc *incidents.Incident, services []string) []string {
	out := []string{"incident"}
	if s := Slug(inc.Severity); s != "" {
		out = append(out, s)
	}
	for _, s := range services {
		if t := Slug(s); t != "" && t != "incident" {
			out = append(out, t)
		}
	}
	if inc.Storm {
		out = append(out, "alert-storm")
	}
	return dedupe(out)
}
