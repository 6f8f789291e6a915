package bot

import (
	"fmt"
	"slices"
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
	// Regulatory reporting (bot/reporting_grammar.go).
	VerbClassify IncidentVerb = "classify"
	VerbReport   IncidentVerb = "report"
	// Alertmanager silences (bot/silence_grammar.go).
	VerbSilence   IncidentVerb = "silence"
	VerbUnsilence IncidentVerb = "unsilence"
)

// IncidentVerbs lists the /incident subcommands in the order help shows them.
func IncidentVerbs() []IncidentVerb {
	return []IncidentVerb{
		VerbDeclare, VerbAck, VerbStatus, VerbSeverity, VerbCommander, VerbRole, VerbNote, VerbAction, VerbPage,
		VerbCause, VerbResolve, VerbReopen, VerbPostmortem, VerbTimeline, VerbList, VerbStats,
		VerbClassify, VerbReport, VerbSilence, VerbUnsilence, VerbHelp,
	}
}

// needsIncident reports whether the verb acts on one incident, so it may take
// a leading #<number>.
func (v IncidentVerb) needsIncident() bool {
	switch v {
	case VerbDeclare, VerbList, VerbStats, VerbHelp:
		return false
	}
	return true
}

// usageLine is the verb's usage line; an unknown verb has the general usage.
func (v IncidentVerb) usageLine() usageLine {
	if slices.Contains(IncidentVerbs(), v) {
		return usageLine{verb: string(v)}
	}
	return usageLine{}
}

// usage returns the usage line of the verb, in English.
func (v IncidentVerb) usage() string { return v.usageLine().text(Lang{}) }

// describe is the one-line explanation help shows for the verb, in l.
func (v IncidentVerb) describe(l Lang) string {
	return l.Text("help.incident_verb", M{"Verb": string(v), "DueForms": oncall.DueForms})
}

// incidentGeneralUsage is the general usage line of /incident in English
// (grammar.usage_incident of no verb).
const incidentGeneralUsage = "/incident [#<number>] <declare|ack|status|severity|commander|role|note|action|page|cause|resolve|reopen|postmortem|timeline|list|stats|classify|report|silence|unsilence|help> …"

// IncidentUsage returns the help text of /incident in English.
func IncidentUsage() string { return IncidentUsageIn(Lang{}) }

// IncidentUsageIn returns the help text of /incident in l: one usage line
// and explanation per subcommand. It is plain text; escape it for mrkdwn.
func IncidentUsageIn(l Lang) string {
	var b strings.Builder
	b.WriteString(l.Text("help.incident", nil))
	b.WriteString("\n")
	for _, v := range IncidentVerbs() {
		fmt.Fprintf(&b, "%s — %s\n", v.usageLine().text(l), v.describe(l))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// IncidentCommand is a parsed /incident command. Verb says which fields are set.
type IncidentCommand struct {
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
	// text: Slack's escaping undone by UnescapeSlack, so mentions in it are
	// inert words such as "@alice". Escape it again to display it.
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
	// DueDate against the clock and the team's zone; empty: none.
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

// DefaultSeverities are the names of incidents.DefaultSeverities, used when
// none are configured.
func DefaultSeverities() []string {
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
func ParseIncident(text string, severities []string) (IncidentCommand, error) {
	if len(severities) == 0 {
		severities = DefaultSeverities()
	}
	toks := tokenize(text)
	var cmd IncidentCommand
	if len(toks) > 0 && strings.HasPrefix(toks[0].text, "#") {
		n, err := parseIncidentNumber(toks[0].text)
		if err != nil {
			return IncidentCommand{}, err
		}
		cmd.Incident = n
		toks = toks[1:]
		if len(toks) == 0 {
			return IncidentCommand{}, usageLine{}.t("grammar.number_alone", M{"Number": n})
		}
	}
	if len(toks) == 0 {
		return IncidentCommand{Verb: VerbHelp}, nil
	}
	verb, ok := lookupIncidentVerb(toks[0].text)
	if !ok {
		return IncidentCommand{}, usageLine{}.t("grammar.unknown_subcommand", M{"Token": quote(toks[0].text)})
	}
	cmd.Verb = verb
	usage := verb.usageLine()
	if cmd.Incident != 0 && !verb.needsIncident() {
		return IncidentCommand{}, usage.t("grammar.no_number", M{"Verb": string(verb)})
	}
	args := toks[1:]
	rest := restOf(text, args)

	switch verb {
	case VerbDeclare:
		if len(args) > 0 {
			last := args[len(args)-1]
			if sev, ok := matchSeverity(last.text, severities); ok {
				cmd.Severity = sev
				rest = strings.TrimSpace(text[args[0].start:last.start])
			}
		}
		title := strings.Join(strings.Fields(slacktext.Unescape(rest)), " ")
		if title == "" {
			cmd.OpenDeclareModal = true
			break
		}
		if n := utf8.RuneCountInString(title); n > incidents.MaxTitle {
			return IncidentCommand{}, usage.t("grammar.title_long", M{"Length": n, "Max": incidents.MaxTitle})
		}
		cmd.Title = title

	case VerbStatus:
		if len(args) != 1 {
			return IncidentCommand{}, usage.t("grammar.status_needs", nil)
		}
		st, err := incidents.ParseStatus(args[0].text)
		if err != nil {
			return IncidentCommand{}, usage.t("grammar.status_not", M{"Token": quote(args[0].text)})
		}
		cmd.Status = st

	case VerbSeverity:
		if len(args) != 1 {
			return IncidentCommand{}, usage.t("grammar.severity_needs", M{"Severities": strings.Join(severities, ", ")})
		}
		sev, ok := matchSeverity(args[0].text, severities)
		if !ok {
			return IncidentCommand{}, usage.t("grammar.severity_not", M{"Severities": strings.Join(severities, ", "), "Token": quote(args[0].text)})
		}
		cmd.Severity = sev

	case VerbCommander:
		if len(args) != 1 {
			return IncidentCommand{}, usage.t("grammar.commander_needs", nil)
		}
		u, ok := parseUser(args[0].text)
		if !ok {
			return IncidentCommand{}, usage.t("grammar.commander_not", M{"Token": quote(args[0].text)})
		}
		cmd.User = u

	case VerbRole:
		if len(args) < 2 {
			return IncidentCommand{}, usage.t("grammar.role_needs", nil)
		}
		u, ok := parseUser(args[len(args)-1].text)
		if !ok {
			return IncidentCommand{}, usage.t("grammar.role_user_last", M{"Token": quote(args[len(args)-1].text)})
		}
		name := strings.ToLower(strings.Join(tokenTexts(args[:len(args)-1]), " "))
		if err := checkRoleName(usage, name); err != nil {
			return IncidentCommand{}, err
		}
		cmd.Role, cmd.User = name, u

	case VerbNote:
		cmd.Text = plainText(rest)
		if cmd.Text == "" {
			return IncidentCommand{}, usage.t("grammar.note_needs", nil)
		}

	case VerbAction:
		if err := parseActionArgs(&cmd, text, args, usage); err != nil {
			return IncidentCommand{}, err
		}

	case VerbPage:
		if len(args) == 0 {
			return IncidentCommand{}, usage.t("grammar.page_needs", nil)
		}
		cmd.Text = plainText(restOf(text, args[1:]))
		a := args[0].text
		if u, ok := parseUser(a); ok {
			cmd.User = u
		} else if c, ok := parseChannel(a); ok {
			cmd.Channel = c
		} else if isName(a) {
			cmd.Schedule = a
		} else {
			return IncidentCommand{}, usage.t("grammar.page_not", M{"Token": quote(a)})
		}

	case VerbResolve:
		cmd.Text = plainText(rest)

	case VerbStats:
		cmd.Period = 30 * day
		if len(args) > 2 {
			return IncidentCommand{}, usage.t("grammar.stats_too_many", nil)
		}
		periods := map[string]time.Duration{"7d": 7 * day, "30d": 30 * day, "90d": 90 * day}
		seenPeriod := false
		for _, a := range args {
			word := strings.ToLower(a.text)
			if p, ok := periods[word]; ok && !seenPeriod {
				cmd.Period, seenPeriod = p, true
				continue
			}
			if looksLikePeriod(word) {
				return IncidentCommand{}, usage.t("grammar.stats_period", M{"Token": quote(a.text)})
			}
			if name := plainText(a.text); isName(name) && cmd.Service == "" {
				cmd.Service = name
				continue
			}
			return IncidentCommand{}, usage.t("grammar.stats_not", M{"Token": quote(a.text)})
		}

	case VerbCause:
		if len(args) != 2 || strings.ToLower(args[0].text) != "deploy" {
			return IncidentCommand{}, usage.t("grammar.cause_needs", nil)
		}
		id := plainText(args[1].text)
		if id == "" || strings.HasPrefix(args[1].text, "<") || utf8.RuneCountInString(id) > deploys.MaxIDLen || strings.ContainsAny(id, "<>&") {
			return IncidentCommand{}, usage.t("grammar.cause_not_id", M{"Token": quote(args[1].text)})
		}
		cmd.Deployment = id

	case VerbHelp:
		if len(args) > 1 {
			return IncidentCommand{}, usage.t("grammar.help_too_many", nil)
		}
		if len(args) == 1 {
			t, ok := lookupIncidentVerb(args[0].text)
			if !ok {
				return IncidentCommand{}, usage.t("grammar.help_unknown", M{"Token": quote(args[0].text)})
			}
			cmd.Topic = t
		}

	case VerbPostmortem:
		if err := parsePostmortemArgs(&cmd, args, usage); err != nil {
			return IncidentCommand{}, err
		}

	case VerbList:
		if err := parseListArgs(&cmd, args, usage); err != nil {
			return IncidentCommand{}, err
		}

	case VerbClassify:
		if err := parseClassifyArgs(&cmd, args, usage); err != nil {
			return IncidentCommand{}, err
		}

	case VerbReport:
		if err := parseReportArgs(&cmd, text, args, usage); err != nil {
			return IncidentCommand{}, err
		}

	case VerbSilence:
		if err := parseSilenceArgs(&cmd, text, args, usage); err != nil {
			return IncidentCommand{}, err
		}

	case VerbReopen, VerbTimeline, VerbAck, VerbUnsilence:
		if len(args) > 0 {
			return IncidentCommand{}, usage.t("grammar.no_args", M{"Verb": string(verb)})
		}
	}
	return cmd, nil
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

// IncidentHelp returns the usage line of one subcommand, for "/incident help
// <subcommand>", in English; an empty or unknown verb gives the whole help text.
func IncidentHelp(v IncidentVerb) string { return IncidentHelpIn(Lang{}, v) }

// IncidentHelpIn is IncidentHelp in l. It is plain text; escape it for mrkdwn.
func IncidentHelpIn(l Lang, v IncidentVerb) string {
	if u := v.usageLine(); u.verb != "" {
		return u.text(l) + " — " + v.describe(l)
	}
	return IncidentUsageIn(l)
}

func lookupIncidentVerb(s string) (IncidentVerb, bool) {
	v := IncidentVerb(strings.ToLower(s))
	for _, k := range IncidentVerbs() {
		if v == k {
			return v, true
		}
	}
	return "", false
}

func matchSeverity(s string, severities []string) (string, bool) {
	for _, sev := range severities {
		if sev != "" && strings.EqualFold(s, sev) {
			return sev, true
		}
	}
	return "", false
}

func parseIncidentNumber(tok string) (int64, error) {
	digits := strings.TrimPrefix(tok, "#")
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, usageLine{}.t("grammar.number_bad", M{"Token": quote(tok)})
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n <= 0 {
		return 0, usageLine{}.t("grammar.number_zero", M{"Token": quote(tok)})
	}
	return n, nil
}

// checkRoleName says what is wrong with a role name; nil when nothing is.
func checkRoleName(usage usageLine, name string) *UsageError {
	if name == "" {
		return usage.t("grammar.role_name_needs", nil)
	}
	if utf8.RuneCountInString(name) > MaxRoleLength {
		return usage.t("grammar.role_name_long", M{"Max": MaxRoleLength})
	}
	for _, r := range name {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == ' ') {
			return usage.t("grammar.role_name_char", M{"Char": quote(string(r))})
		}
	}
	return nil
}
