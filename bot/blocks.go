package bot

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/templates"
)

// Block Kit limits the renderers keep to (Slack's Block Kit reference).
const (
	maxBlocks          = 50   // blocks in one message
	maxHeaderText      = 150  // header block plain_text
	maxSectionText     = 3000 // section block text
	maxFieldText       = 2000 // each section field
	maxFields          = 10   // fields in one section
	maxButtonText      = 75   // button label
	maxContextElements = 10   // elements in one context block
	maxMessageText     = 3000 // the fallback "text" we send with blocks (ours, not Slack's 40k)
)

// Action IDs of the buttons the bot posts; the interaction handler dispatches on them.
// Every button's value is the incident number in decimal.
const (
	ActionAcknowledge = "incident_ack"
	ActionStatus      = "incident_status"
	actionResolve     = "incident_resolve"
	actionReopen      = "incident_reopen"
	actionPostmortem  = "incident_postmortem"
	ActionJoin        = "incident_join"
)

// defaultMaxAlerts is how many alerts the summary lists when
// summaryOptions.MaxAlerts is zero.
const defaultMaxAlerts = 10

// maxAlertText bounds the annotation shown for one alert, so ten alerts and
// the rest of the message stay readable.
const maxAlertText = 300

// maxLinkURL bounds a URL we link to; longer ones are left out rather than cut.
const maxLinkURL = 2000

// summaryOptions tune summaryBlocks. The zero value is usable: no links,
// times in UTC, no running duration for an open incident.
type summaryOptions struct {
	// PublicURL is the bot's base URL (INCIDENTBOT_PUBLIC_URL) for links to
	// the web view; only http and https URLs are linked.
	PublicURL string
	// Now ends the duration of an open incident.
	Now time.Time
	// Location is the zone times are shown in; nil means UTC.
	Location *time.Location
	// MaxAlerts caps the alerts listed (then "…and N more"); 0 means defaultMaxAlerts.
	MaxAlerts int
	// Lang is the language of the words around the facts; zero is English.
	Lang Lang
	// Silences offers the Silence buttons (an Alertmanager API is configured).
	Silences bool
}

// summaryBlocks renders the live summary message of an incident, the one the
// bot pins in the incident channel and updates in place: a header, the key
// facts as fields, the description or resolution summary, the alerts, links
// and the action buttons that fit the incident's state.
//
// Everything that comes from alerts or users is escaped, and every Block Kit
// limit holds whatever the size of the incident.
func summaryBlocks(inc *incidents.Incident, opts summaryOptions) []slack.Block {
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	l := opts.Lang
	num := strconv.FormatInt(inc.Number, 10)
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(slacktext.Truncate(
			l.Text("summary.header", M{"Number": inc.Number, "Title": oneLine(inc.Title)}), maxHeaderText))),
	}

	fields := []*slack.TextBlockObject{
		field(l.Text("summary.severity", nil), severityText(l, inc.Severity)),
		field(l.Text("summary.status", nil), statusEmoji(inc.Status)+" "+statusName(l, inc.Status)),
		field(l.Text("summary.commander", nil), commanderText(l, inc.Commander)),
		field(l.Text("summary.duration", nil), durationText(l, inc, opts.Now)),
		field(l.Text("summary.roles", nil), rolesText(l, inc.Roles)),
		field(l.Text("summary.declared", nil), inc.DeclaredAt.In(loc).Format("2006-01-02 15:04 MST")),
	}
	if inc.ResolvedAt != nil {
		fields = append(fields, field(l.Text("summary.resolved", nil), inc.ResolvedAt.In(loc).Format("2006-01-02 15:04 MST")))
	}
	blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil))

	if d := strings.TrimSpace(inc.Description); d != "" {
		blocks = append(blocks, mrkdwnSection(slacktext.EscapeTruncate(d, maxSectionText)))
	}
	if s := strings.TrimSpace(inc.Summary); s != "" && !inc.Open() {
		head := l.Text("summary.resolution", nil) + " "
		blocks = append(blocks, mrkdwnSection(head+slacktext.EscapeTruncate(s, maxSectionText-len(head))))
	}

	blocks = append(blocks, alertBlocks(l, inc, opts.MaxAlerts)...)
	if b := actionItemsBlock(l, inc, loc, opts.Now); b != nil {
		blocks = append(blocks, b)
	}
	if b := reportingBlock(l, inc, loc, opts.Now); b != nil {
		blocks = append(blocks, b)
	}
	blocks = append(blocks, silenceBlocks(l, inc, loc)...)
	if ctx := summaryContext(l, inc, opts.PublicURL); ctx != nil {
		blocks = append(blocks, ctx)
	}
	blocks = append(blocks, slack.NewActionBlock("incident_actions", summaryButtons(l, inc, num)...))
	if b := silenceButtons(l, inc); b != nil && opts.Silences {
		blocks = append(blocks, b)
	}
	return blocks
}

// alertBlocks lists the incident's alerts, firing first and oldest first
// within each group, at most max of them followed by a count of the rest.
func alertBlocks(l Lang, inc *incidents.Incident, max int) []slack.Block {
	if max <= 0 {
		max = defaultMaxAlerts
	}
	// Stay well inside the 50-block limit whatever the caller asks.
	if max > 30 {
		max = 30
	}
	alerts := inc.SortedAlerts()
	if len(alerts) == 0 {
		return nil
	}
	sort.SliceStable(alerts, func(a, b int) bool { return alerts[a].Firing() && !alerts[b].Firing() })
	firing := 0
	for _, a := range alerts {
		if a.Firing() {
			firing++
		}
	}

	out := []slack.Block{
		slack.NewDividerBlock(),
		mrkdwnSection(l.Text("summary.alerts", M{"Firing": firing, "Resolved": len(alerts) - firing})),
	}
	shown := alerts
	if len(shown) > max {
		shown = shown[:max]
	}
	for _, a := range shown {
		out = append(out, mrkdwnSection(alertText(l, a)))
	}
	if more := len(alerts) - len(shown); more > 0 {
		moreFiring := 0
		for _, a := range alerts[len(shown):] {
			if a.Firing() {
				moreFiring++
			}
		}
		out = append(out, slack.NewContextBlock("", mrkdwn(
			l.Text("summary.alerts_more", M{"More": more, "Firing": moreFiring}))))
	}
	return out
}

// alertText renders one alert: name and state, its summary, its labels and a
// link to where it was generated.
func alertText(l Lang, a incidents.Alert) string {
	name := a.Labels["alertname"]
	if name == "" {
		name = l.Text("summary.alert_unnamed", a.Fingerprint)
	}
	state, icon := l.Text("summary.alert_resolved", nil), ":white_check_mark:"
	if a.Firing() {
		state, icon = l.Text("summary.alert_firing", nil), ":fire:"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s *%s* — %s", icon, slacktext.EscapeTruncate(oneLine(name), 200), state)
	if s := alertSummary(a); s != "" {
		b.WriteString("\n" + slacktext.EscapeTruncate(oneLine(s), maxAlertText))
	}
	if l := labelsText(a.Labels); l != "" {
		b.WriteString("\n" + l)
	}
	link := ""
	if u := slacktext.LinkURL(a.GeneratorURL); u != "" && len(u) <= maxLinkURL {
		link = "\n<" + u + "|" + l.Text("summary.source", nil) + ">"
	}
	return trimBrokenEntity(slacktext.Truncate(b.String(), maxSectionText-len(link))) + link
}

// alertSummary picks the annotation people read first.
func alertSummary(a incidents.Alert) string {
	for _, k := range []string{"summary", "description", "message"} {
		if v := strings.TrimSpace(a.Annotations[k]); v != "" {
			return v
		}
	}
	return ""
}

// labelsText renders labels as key=value, sorted, without alertname.
func labelsText(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		if k != "alertname" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, slacktext.EscapeTruncate(oneLine(k), 100)+"="+slacktext.EscapeTruncate(oneLine(labels[k]), 200))
	}
	return escapeSafeJoin(parts, " · ", 1200)
}

// escapeSafeJoin joins already-escaped parts, stopping (with "…") before
// the result would pass max characters, so no entity is ever cut.
func escapeSafeJoin(parts []string, sep string, max int) string {
	var b strings.Builder
	n := 0
	for i, p := range parts {
		w := len([]rune(p))
		if i > 0 {
			w += len([]rune(sep))
		}
		if n+w > max-1 {
			b.WriteString(slacktext.Ellipsis)
			break
		}
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(p)
		n += w
	}
	return b.String()
}

// trimBrokenEntity removes a partial entity ("&am…") that Truncate may
// have left before a trailing ellipsis.
func trimBrokenEntity(s string) string {
	body, ok := strings.CutSuffix(s, slacktext.Ellipsis)
	if !ok {
		return s
	}
	if i := strings.LastIndexByte(body, '&'); i >= 0 && !strings.Contains(body[i:], ";") {
		body = body[:i]
	}
	return body + slacktext.Ellipsis
}

// summaryContext links the incident page and names the service.
func summaryContext(l Lang, inc *incidents.Incident, publicURL string) slack.Block {
	var parts []string
	if u := incidentURL(publicURL, inc.Number); u != "" {
		parts = append(parts, slacktext.Link(u, l.Text("summary.incident_link", inc.Number)))
		if !inc.Open() {
			parts = append(parts, slacktext.Link(strings.TrimRight(publicURL, "/")+"/postmortems/"+strconv.FormatInt(inc.Number, 10), l.Text("summary.postmortem_link", nil)))
		}
	}
	parts = append(parts, previousLinks(l, inc, publicURL)...)
	if inc.Service != "" {
		parts = append(parts, l.Text("summary.service", slacktext.EscapeTruncate(oneLine(inc.Service), 200)))
	}
	if inc.Storm {
		parts = append(parts, l.Text("summary.storm", inc.StormGroups))
	}
	if len(parts) == 0 {
		return nil
	}
	return slack.NewContextBlock("", mrkdwn(strings.Join(parts, "  ·  ")))
}

// summaryButtons returns the buttons that make sense in the incident's state.
func summaryButtons(l Lang, inc *incidents.Incident, num string) []slack.BlockElement {
	var els []slack.BlockElement
	if inc.Open() {
		if inc.AcknowledgedAt == nil {
			els = append(els, slack.NewButtonBlockElement(ActionAcknowledge, num, plain(l.Text("summary.button_ack", nil))).WithStyle(slack.StylePrimary))
		}
		els = append(els, slack.NewButtonBlockElement(ActionStatus, num, plain(l.Text("summary.button_status", nil))))
		resolve := slack.NewButtonBlockElement(actionResolve, num, plain(l.Text("summary.button_resolve", nil))).WithStyle(slack.StyleDanger)
		resolve.WithConfirm(slack.NewConfirmationBlockObject(
			plain(l.Text("summary.confirm_resolve_title", nil)),
			plain(slacktext.Truncate(l.Text("summary.confirm_resolve", M{"Number": inc.Number, "Title": oneLine(inc.Title)}), 300)),
			plain(l.Text("summary.button_resolve", nil)), plain(l.Text("summary.cancel", nil))))
		els = append(els, resolve)
	} else {
		els = append(els, slack.NewButtonBlockElement(actionReopen, num, plain(l.Text("summary.button_reopen", nil))))
	}
	els = append(els, slack.NewButtonBlockElement(actionPostmortem, num, plain(l.Text("summary.button_postmortem", nil))))
	return els
}

// announceText renders the one-line announcement of an incident for the
// announce channel, with a mention of its channel channelID when it has one.
// kind is "opened" or "resolved" (anything else reads as an update). It returns the notification text (mrkdwn, escaped) and blocks
// with a Join button (action incident_join, value the incident number).
func announceText(l Lang, inc *incidents.Incident, channelID, kind, publicURL string) (string, []slack.Block) {
	num := strconv.FormatInt(inc.Number, 10)
	title := slacktext.EscapeTruncate(oneLine(inc.Title), 500)
	data := M{"Kind": kind, "Number": inc.Number, "Title": title}
	text := l.Text("announce.text", data)

	var line strings.Builder
	line.WriteString(l.Text("announce.line", data))
	details := []string{severityText(l, inc.Severity)}
	if kind == "resolved" && inc.ResolvedAt != nil {
		details = append(details, l.Text("announce.after", l.Short(inc.Duration(*inc.ResolvedAt))))
	} else if inc.Commander != "" {
		details = append(details, l.Text("announce.commander", userText(inc.Commander)))
	}
	if slacktext.IsID(channelID, "CGD") {
		details = append(details, slacktext.ChannelMention(channelID))
	}
	line.WriteString(" · " + strings.Join(details, " · "))
	if kind == "resolved" && strings.TrimSpace(inc.Summary) != "" {
		line.WriteString("\n" + slacktext.EscapeTruncate(inc.Summary, 1000))
	}

	join := slack.NewButtonBlockElement(ActionJoin, num, plain(l.Text("announce.join", nil)))
	if kind != "resolved" {
		join.WithStyle(slack.StylePrimary)
	}
	blocks := []slack.Block{
		slack.NewSectionBlock(mrkdwn(slacktext.Truncate(line.String(), maxSectionText)), nil, slack.NewAccessory(join)),
	}
	if u := incidentURL(publicURL, inc.Number); u != "" {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(slacktext.Link(u, l.Text("announce.page", nil)))))
	}
	return text, blocks
}

// incidentURL is the web view's page of the incident, or "" without a usable base URL.
func incidentURL(publicURL string, number int64) string {
	base := strings.TrimRight(strings.TrimSpace(publicURL), "/")
	if slacktext.LinkURL(base) == "" {
		return ""
	}
	return base + "/incidents/" + strconv.FormatInt(number, 10)
}

func severityText(l Lang, sev string) string {
	if sev == "" {
		return l.Text("summary.none", nil)
	}
	return slacktext.EscapeTruncate(oneLine(sev), 100)
}

// statusEmoji gives each status its emoji.
func statusEmoji(s incidents.Status) string {
	switch s {
	case incidents.StatusTriggered:
		return ":red_circle:"
	case incidents.StatusInvestigating:
		return ":mag:"
	case incidents.StatusIdentified:
		return ":dart:"
	case incidents.StatusMonitoring:
		return ":eyes:"
	case incidents.StatusResolved:
		return ":white_check_mark:"
	case incidents.StatusReopened:
		return ":repeat:"
	}
	return ":grey_question:"
}

// statusName is the status for people: "Investigating".
func statusName(l Lang, s incidents.Status) string {
	name := slacktext.EscapeTruncate(oneLine(string(s)), 100)
	if name == "" {
		return l.Text("summary.unknown", nil)
	}
	return l.Text("summary.state", name)
}

func commanderText(l Lang, id string) string {
	if id == "" {
		return l.Text("summary.unassigned", nil)
	}
	return userText(id)
}

// userText mentions a user by ID, or shows a malformed ID as short escaped text.
func userText(id string) string {
	if slacktext.IsID(id, "UW") {
		return slacktext.UserMention(id)
	}
	return slacktext.EscapeTruncate(oneLine(id), 100)
}

// rolesText lists roles as "name: @user", sorted by role name.
func rolesText(l Lang, roles map[string]string) string {
	if len(roles) == 0 {
		return l.Text("summary.none", nil)
	}
	names := make([]string, 0, len(roles))
	for k := range roles {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, slacktext.EscapeTruncate(oneLine(n), 60)+": "+userText(roles[n]))
	}
	return escapeSafeJoin(parts, "\n", maxFieldText-len("*Roles*\n"))
}

// durationText is how long the incident has lasted (incidents.Incident.Duration:
// from detection to its resolution, or to now), saying what it measures.
func durationText(l Lang, inc *incidents.Incident, now time.Time) string {
	if inc.Started().IsZero() || inc.Open() && now.IsZero() {
		return "—"
	}
	return l.Text("summary.duration_value", M{"Duration": l.Short(inc.Duration(now)), "Open": inc.Open()})
}

// field renders one "*Label*\nvalue" section field within the field limit.
func field(label, value string) *slack.TextBlockObject {
	return mrkdwn(slacktext.Truncate("*"+label+"*\n"+value, maxFieldText))
}

func mrkdwnSection(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(text), nil, nil)
}

func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, false)
}

// plain is a plain_text object; like slacktext.Escape it removes control
// characters and bidi overrides, as a title can reach a header this way.
func plain(text string) *slack.TextBlockObject {
	text = templates.CleanText(text)
	if text == "" {
		text = " " // Slack rejects empty text objects
	}
	return slack.NewTextBlockObject(slack.PlainTextType, text, true, false)
}

// oneLine folds white space (newlines included) into single spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
