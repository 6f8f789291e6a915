package command

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/postmortem"
	"github.com/incidentbot/incidentbot/templates"
)

// IncidentVerb is the subcommand of /incident.
type IncidentVerb string

// The /incident subcommands.
const (
	VerbDeclare    IncidentVerb = "declare"
	VerbStatus     IncidentVerb = "status"
	VerbSeverity   IncidentVerb = "severity"
	VerbCommander  IncidentVerb = "commander"
	VerbRole       IncidentVerb = "role"
	VerbNote       IncidentVerb = "note"
	VerbAction     IncidentVerb = "action"
	VerbPage       IncidentVerb = "page"
	VerbResolve    IncidentVerb = "resolve"
	VerbReopen     IncidentVerb = "reopen"
	VerbPostmortem IncidentVerb = "postmortem"
	VerbTimeline   IncidentVerb = "timeline"
	VerbList       IncidentVerb = "list"
	VerbStats      IncidentVerb = "stats"
	VerbAck        IncidentVerb = "ack"
	VerbCause      IncidentVerb = "cause"
	VerbHelp       IncidentVerb = "help"
	VerbClassify   IncidentVerb = "classify"  // regulatory reporting (reporting.go)
	VerbReport     IncidentVerb = "report"    // regulatory reporting (reporting.go)
	VerbSilence    IncidentVerb = "silence"   // Alertmanager silences (silence.go)
	VerbUnsilence  IncidentVerb = "unsilence" // Alertmanager silences (silence.go)
)

// incidentTable is /incident: every verb, in the order help shows them.
// The usage line and help of each are the messages grammar.usage_incident
// and help.incident_verb of its name. It is filled in init because help's
// parser looks verbs up in it.
var incidentTable = &table[IncidentVerb, Incident]{}

func init() {
	incidentTable.verbs = []verb[IncidentVerb, Incident]{
		{name: VerbDeclare, args: declareArgs},
		{name: VerbAck, onIncident: true},
		{name: VerbStatus, args: statusArgs, onIncident: true}, // to resolved: Closers only, which the runner checks
		{name: VerbSeverity, args: severityArgs, onIncident: true},
		{name: VerbCommander, args: commanderArgs, onIncident: true},
		{name: VerbRole, args: roleArgs, onIncident: true},
		{name: VerbNote, args: noteArgs, onIncident: true},
		{name: VerbAction, args: actionArgs, onIncident: true},
		{name: VerbPage, args: pageArgs, onIncident: true},
		{name: VerbCause, args: causeArgs, onIncident: true},
		{name: VerbResolve, args: resolveArgs, onIncident: true, who: Closers},
		{name: VerbReopen, onIncident: true, who: Closers},
		{name: VerbPostmortem, args: postmortemArgs, onIncident: true},
		{name: VerbTimeline, onIncident: true},
		{name: VerbList, args: listArgs},
		{name: VerbStats, args: statsArgs},
		{name: VerbClassify, args: classifyArgs, onIncident: true},
		{name: VerbReport, args: reportArgs, onIncident: true},
		{name: VerbSilence, args: silenceArgs, onIncident: true},
		{name: VerbUnsilence, onIncident: true},
		{name: VerbHelp, args: helpArgs},
	}
}

// IncidentVerbs lists the /incident subcommands in the order help shows them.
func IncidentVerbs() []IncidentVerb { return incidentTable.names() }

// OnIncident reports whether the verb acts on one incident: the one given
// as #<number>, else the channel's.
func (v IncidentVerb) OnIncident() bool {
	r, _ := incidentTable.row(v)
	return r.onIncident
}

// Who says who may run the verb.
func (v IncidentVerb) Who() Who {
	r, _ := incidentTable.row(v)
	return r.who
}

// describe is the one-line explanation help shows for the verb, in l.
func (v IncidentVerb) describe(l templates.Lang) string {
	return l.Text("help.incident_verb", facts{"Verb": string(v), "DueForms": oncall.DueForms})
}

// IncidentHelpText is "/incident help [topic]" in l: the usage line and
// explanation of the topic, or of every subcommand when topic is empty or
// unknown. It is plain text; escape it for mrkdwn.
func IncidentHelpText(l templates.Lang, topic IncidentVerb) string {
	if u := incidentTable.usage(topic); u.verb != "" {
		return u.text(l) + " — " + topic.describe(l)
	}
	var b strings.Builder
	b.WriteString(l.Text("help.incident", nil))
	b.WriteString("\n")
	for _, v := range IncidentVerbs() {
		fmt.Fprintf(&b, "%s — %s\n", incidentTable.usage(v).text(l), v.describe(l))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Incident is a parsed /incident command. Verb says which fields are set.
type Incident struct {
	Verb IncidentVerb
	// Incident is the number given as a leading #<number>; 0 means the
	// incident of the channel the command was typed in.
	Incident int64

	// Title of declare: plain text (see Text) on one line. Empty together
	// with OpenDeclareModal.
	Title string
	// OpenDeclareModal is set by declare without a title: open the declare form
	// (with Severity preselected, if one was given).
	OpenDeclareModal bool
	// Severity for declare (optional) and severity, spelled as configured.
	Severity string
	// Status for status.
	Status incidents.Status
	// User for commander, role, page (a person) and action (the optional owner).
	User UserRef
	// Role name for role, lowercased.
	Role string
	// Text of note and action, and the optional summary of resolve, as plain
	// text: Slack's escaping undone by slacktext.Unescape, so mentions in it
	// are inert words such as "@alice". Escape it again to display it.
	Text string
	// Schedule for page, when a schedule rather than a person is paged.
	Schedule string
	// Channel for page, when a channel mention was given.
	Channel ChannelRef
	// Period for stats: 7, 30 or 90 days.
	Period time.Duration
	// Service for stats, when the figures are for one service.
	Service string
	// Deployment for cause: the deployment's ID.
	Deployment string
	// Topic for help: the subcommand asked about, if any.
	Topic IncidentVerb
	// Due of action: the due date as typed (lowercased), resolved by
	// oncall.DueDate against the clock and the team's zone; empty: none.
	Due string
	// ActionMark for action done|reopen: ActionMarkDone or ActionMarkReopen,
	// with ActionID the follow-up's number.
	ActionMark string
	ActionID   int
	// ListActions for list actions [@owner] (User: the owner).
	ListActions bool
	// PostmortemStatus for postmortem status; empty: write the draft.
	PostmortemStatus postmortem.Status
	// Obligation for classify and report: the regulatory reporting
	// obligation's name, lowercased; Report the report's, for report (empty:
	// the obligation's next report to submit), and ReportAction ReportDraft
	// or ReportSubmitted (Text: the authority's reference, optional).
	Obligation   string
	Report       string
	ReportAction string
	// SilenceFor is how long silence lasts, or SilenceUntilResolved: until
	// the incident resolves. SilenceMatchers are the matchers given, in
	// canonical form and comma-separated (a="b", c=~"d"); empty: the
	// incident's alert group.
	SilenceFor           time.Duration
	SilenceUntilResolved bool
	SilenceMatchers      string
}

const day = 24 * time.Hour

// maxRoleLength bounds a role name, in characters.
const maxRoleLength = 40

// defaultSeverities are the names of incidents.DefaultSeverities, used
// when none are configured.
func defaultSeverities() []string {
	sevs := incidents.DefaultSeverities()
	names := make([]string, len(sevs))
	for i, s := range sevs {
		names[i] = s.Name
	}
	return names
}

// ParseIncident parses the text of an /incident slash command. severities
// are the configured severity names (nil: sev1..sev4); they match case-
// insensitively and come back spelled as configured.
//
// Empty text is help. An optional leading #<number> names the incident for
// the subcommands that act on one. Every error is a *UsageError. It never
// panics, whatever the text.
func ParseIncident(text string, severities []string) (Incident, error) {
	if len(severities) == 0 {
		severities = defaultSeverities()
	}
	toks := tokenize(text)
	var cmd Incident
	if len(toks) > 0 && strings.HasPrefix(toks[0].text, "#") {
		n, err := parseIncidentNumber(toks[0].text)
		if err != nil {
			return Incident{}, err
		}
		cmd.Incident = n
		toks = toks[1:]
		if len(toks) == 0 {
			return Incident{}, usageLine{}.t("grammar.number_alone", facts{"Number": n})
		}
	}
	if len(toks) == 0 {
		return Incident{Verb: VerbHelp}, nil
	}
	v, ok := incidentTable.lookup(toks[0].text)
	if !ok {
		return Incident{}, usageLine{}.t("grammar.unknown_subcommand", facts{"Token": quote(toks[0].text)})
	}
	cmd.Verb = v.name
	if cmd.Incident != 0 && !v.onIncident {
		return Incident{}, incidentTable.usage(v.name).t("grammar.no_number", facts{"Verb": string(v.name)})
	}
	if err := incidentTable.parse(v, &cmd, text, toks[1:], severities); err != nil {
		return Incident{}, err
	}
	return cmd, nil
}

func parseIncidentNumber(tok string) (int64, error) {
	digits := strings.TrimPrefix(tok, "#")
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, usageLine{}.t("grammar.number_bad", facts{"Token": quote(tok)})
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n <= 0 {
		return 0, usageLine{}.t("grammar.number_zero", facts{"Token": quote(tok)})
	}
	return n, nil
}

// declare <title> [severity]; no title: the declare form.
func declareArgs(c *Incident, in input) error {
	rest := in.rest()
	if len(in.toks) > 0 {
		last := in.toks[len(in.toks)-1]
		if sev, ok := MatchSeverity(last.text, in.severities); ok {
			c.Severity = sev
			rest = strings.TrimSpace(in.text[in.toks[0].start:last.start])
		}
	}
	title := strings.Join(strings.Fields(slacktext.Unescape(rest)), " ")
	if title == "" {
		c.OpenDeclareModal = true
		return nil
	}
	if n := utf8.RuneCountInString(title); n > incidents.MaxTitle {
		return in.usage.t("grammar.title_long", facts{"Length": n, "Max": incidents.MaxTitle})
	}
	c.Title = title
	return nil
}

func statusArgs(c *Incident, in input) error {
	if len(in.toks) != 1 {
		return in.usage.t("grammar.status_needs", nil)
	}
	st, err := incidents.ParseStatus(in.toks[0].text)
	if err != nil {
		return in.usage.t("grammar.status_not", facts{"Token": quote(in.toks[0].text)})
	}
	c.Status = st
	return nil
}

func severityArgs(c *Incident, in input) error {
	sevs := strings.Join(in.severities, ", ")
	if len(in.toks) != 1 {
		return in.usage.t("grammar.severity_needs", facts{"Severities": sevs})
	}
	sev, ok := MatchSeverity(in.toks[0].text, in.severities)
	if !ok {
		return in.usage.t("grammar.severity_not", facts{"Severities": sevs, "Token": quote(in.toks[0].text)})
	}
	c.Severity = sev
	return nil
}

// MatchSeverity finds s among the configured severity names, in any case,
// and returns it spelled as configured. The declare form reads it too.
func MatchSeverity(s string, severities []string) (string, bool) {
	for _, sev := range severities {
		if sev != "" && strings.EqualFold(s, sev) {
			return sev, true
		}
	}
	return "", false
}

func commanderArgs(c *Incident, in input) error {
	if len(in.toks) != 1 {
		return in.usage.t("grammar.commander_needs", nil)
	}
	u, ok := parseUser(in.toks[0].text)
	if !ok {
		return in.usage.t("grammar.commander_not", facts{"Token": quote(in.toks[0].text)})
	}
	c.User = u
	return nil
}

// role <name> @user: the name may be several words.
func roleArgs(c *Incident, in input) error {
	if len(in.toks) < 2 {
		return in.usage.t("grammar.role_needs", nil)
	}
	last := in.toks[len(in.toks)-1].text
	u, ok := parseUser(last)
	if !ok {
		return in.usage.t("grammar.role_user_last", facts{"Token": quote(last)})
	}
	name := strings.ToLower(strings.Join(tokenTexts(in.toks[:len(in.toks)-1]), " "))
	if err := checkRoleName(in.usage, name); err != nil {
		return err
	}
	c.Role, c.User = name, u
	return nil
}

// checkRoleName says what is wrong with a role name; nil when nothing is.
func checkRoleName(usage usageLine, name string) *UsageError {
	if name == "" {
		return usage.t("grammar.role_name_needs", nil)
	}
	if utf8.RuneCountInString(name) > maxRoleLength {
		return usage.t("grammar.role_name_long", facts{"Max": maxRoleLength})
	}
	for _, r := range name {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == ' ') {
			return usage.t("grammar.role_name_char", facts{"Char": quote(string(r))})
		}
	}
	return nil
}

func noteArgs(c *Incident, in input) error {
	c.Text = plainText(in.rest())
	if c.Text == "" {
		return in.usage.t("grammar.note_needs", nil)
	}
	return nil
}

// page <schedule|@user|#channel> [message]
func pageArgs(c *Incident, in input) error {
	if len(in.toks) == 0 {
		return in.usage.t("grammar.page_needs", nil)
	}
	c.Text = plainText(restOf(in.text, in.toks[1:]))
	a := in.toks[0].text
	if u, ok := parseUser(a); ok {
		c.User = u
	} else if ch, ok := parseChannel(a); ok {
		c.Channel = ch
	} else if isName(a) {
		c.Schedule = a
	} else {
		return in.usage.t("grammar.page_not", facts{"Token": quote(a)})
	}
	return nil
}

func resolveArgs(c *Incident, in input) error {
	c.Text = plainText(in.rest())
	return nil
}

// stats [7d|30d|90d] [service], in either order.
func statsArgs(c *Incident, in input) error {
	c.Period = 30 * day
	if len(in.toks) > 2 {
		return in.usage.t("grammar.stats_too_many", nil)
	}
	periods := map[string]time.Duration{"7d": 7 * day, "30d": 30 * day, "90d": 90 * day}
	seenPeriod := false
	for _, a := range in.toks {
		word := strings.ToLower(a.text)
		if p, ok := periods[word]; ok && !seenPeriod {
			c.Period, seenPeriod = p, true
			continue
		}
		if looksLikePeriod(word) {
			return in.usage.t("grammar.stats_period", facts{"Token": quote(a.text)})
		}
		if name := plainText(a.text); isName(name) && c.Service == "" {
			c.Service = name
			continue
		}
		return in.usage.t("grammar.stats_not", facts{"Token": quote(a.text)})
	}
	return nil
}

// looksLikePeriod reports a word such as 14d or 2w: meant as a period, not a service.
func looksLikePeriod(w string) bool {
	n := len(w)
	if n < 2 || !strings.ContainsRune("dwhm", rune(w[n-1])) {
		return false
	}
	for _, c := range w[:n-1] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// cause deploy <id>
func causeArgs(c *Incident, in input) error {
	if len(in.toks) != 2 || strings.ToLower(in.toks[0].text) != "deploy" {
		return in.usage.t("grammar.cause_needs", nil)
	}
	tok := in.toks[1].text
	id := plainText(tok)
	if id == "" || strings.HasPrefix(tok, "<") || utf8.RuneCountInString(id) > deploys.MaxIDLen || strings.ContainsAny(id, "<>&") {
		return in.usage.t("grammar.cause_not_id", facts{"Token": quote(tok)})
	}
	c.Deployment = id
	return nil
}

// help [subcommand]
func helpArgs(c *Incident, in input) error {
	if len(in.toks) > 1 {
		return in.usage.t("grammar.help_too_many", nil)
	}
	if len(in.toks) == 1 {
		v, ok := incidentTable.lookup(in.toks[0].text)
		if !ok {
			return in.usage.t("grammar.help_unknown", facts{"Token": quote(in.toks[0].text)})
		}
		c.Topic = v.name
	}
	return nil
}
