package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
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
)

// IncidentVerbs lists the /incident subcommands in the order help shows them.
func IncidentVerbs() []IncidentVerb {
	return []IncidentVerb{
		VerbDeclare, VerbAck, VerbStatus, VerbSeverity, VerbCommander, VerbRole, VerbNote, VerbAction, VerbPage,
		VerbCause, VerbResolve, VerbReopen, VerbPostmortem, VerbTimeline, VerbList, VerbStats, VerbHelp,
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

// usage returns the usage line of the verb.
func (v IncidentVerb) usage() string {
	switch v {
	case VerbDeclare:
		return "/incident declare <title> [sev1..sev4]"
	case VerbStatus:
		return "/incident status <investigating|identified|monitoring|resolved>"
	case VerbSeverity:
		return "/incident severity <sev1..sev4>"
	case VerbCommander:
		return "/incident commander @user"
	case VerbRole:
		return "/incident role <name> @user"
	case VerbNote:
		return "/incident note <text>"
	case VerbAction:
		return "/incident action <text> [@owner] [due <date>] | action done|reopen <id>"
	case VerbPage:
		return "/incident page <schedule|@user> [message]"
	case VerbResolve:
		return "/incident resolve [summary]"
	case VerbReopen:
		return "/incident reopen"
	case VerbPostmortem:
		return "/incident postmortem [status draft|in-review|final]"
	case VerbTimeline:
		return "/incident timeline"
	case VerbList:
		return "/incident list [actions [@owner]]"
	case VerbStats:
		return "/incident stats [7d|30d|90d] [service]"
	case VerbAck:
		return "/incident ack"
	case VerbCause:
		return "/incident cause deploy <id>"
	case VerbHelp:
		return "/incident help [subcommand]"
	}
	return incidentGeneralUsage
}

// describe is the one-line explanation help shows for the verb.
func (v IncidentVerb) describe() string {
	switch v {
	case VerbDeclare:
		return "open a new incident (no title: open the declare form)"
	case VerbStatus:
		return "set the status"
	case VerbSeverity:
		return "change the severity"
	case VerbCommander:
		return "hand the incident to a new commander"
	case VerbRole:
		return "assign a role such as comms or scribe"
	case VerbNote:
		return "add a note to the timeline"
	case VerbAction:
		return "record a follow-up (due: " + DueForms + "), or mark one done or open again"
	case VerbPage:
		return "page an on-call schedule or a person"
	case VerbResolve:
		return "resolve, with an optional summary"
	case VerbReopen:
		return "reopen a resolved incident"
	case VerbPostmortem:
		return "write the postmortem draft now, or move it through review (final: the bot stops rewriting it)"
	case VerbTimeline:
		return "show the timeline"
	case VerbList:
		return "list open incidents, or the open follow-ups (of one owner)"
	case VerbStats:
		return "incident and delivery figures for a period (default 30d), optionally for one service"
	case VerbAck:
		return "acknowledge: you are on it (stops the paging)"
	case VerbCause:
		return "record the deployment that caused the incident (its id from the deploy webhook)"
	case VerbHelp:
		return "show this help"
	}
	return ""
}

const incidentGeneralUsage = "/incident [#<number>] <declare|ack|status|severity|commander|role|note|action|page|cause|resolve|reopen|postmortem|timeline|list|stats|help> …"

// IncidentUsage returns the help text of /incident: one usage line and
// explanation per subcommand. It is plain text; escape it for mrkdwn.
func IncidentUsage() string {
	var b strings.Builder
	b.WriteString("Usage of /incident (inside an incident channel the incident is implied; elsewhere put #<number> first, e.g. /incident #42 note …):\n")
	for _, v := range IncidentVerbs() {
		fmt.Fprintf(&b, "%s — %s\n", v.usage(), v.describe())
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
			return IncidentCommand{}, usageErr(incidentGeneralUsage, "Say what to do with incident #%d, e.g. /incident #%d timeline.", n, n)
		}
	}
	if len(toks) == 0 {
		return IncidentCommand{Verb: VerbHelp}, nil
	}
	verb, ok := lookupIncidentVerb(toks[0].text)
	if !ok {
		return IncidentCommand{}, usageErr(incidentGeneralUsage, "Unknown subcommand %s; try /incident help.", quote(toks[0].text))
	}
	cmd.Verb = verb
	usage := verb.usage()
	if cmd.Incident != 0 && !verb.needsIncident() {
		return IncidentCommand{}, usageErr(usage, "%s does not take an incident number.", verb)
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
		title := strings.Join(strings.Fields(UnescapeSlack(rest)), " ")
		if title == "" {
			cmd.OpenDeclareModal = true
			break
		}
		if n := utf8.RuneCountInString(title); n > incidents.MaxTitle {
			return IncidentCommand{}, usageErr(usage, "The title is %d characters long; keep it within %d.", n, incidents.MaxTitle)
		}
		cmd.Title = title

	case VerbStatus:
		if len(args) != 1 {
			return IncidentCommand{}, usageErr(usage, "status needs one of investigating, identified, monitoring, resolved.")
		}
		st, err := incidents.ParseStatus(args[0].text)
		if err != nil {
			return IncidentCommand{}, usageErr(usage, "status needs one of investigating, identified, monitoring, resolved, not %s.", quote(args[0].text))
		}
		cmd.Status = st

	case VerbSeverity:
		if len(args) != 1 {
			return IncidentCommand{}, usageErr(usage, "severity needs one of %s.", strings.Join(severities, ", "))
		}
		sev, ok := matchSeverity(args[0].text, severities)
		if !ok {
			return IncidentCommand{}, usageErr(usage, "severity needs one of %s, not %s.", strings.Join(severities, ", "), quote(args[0].text))
		}
		cmd.Severity = sev

	case VerbCommander:
		if len(args) != 1 {
			return IncidentCommand{}, usageErr(usage, "commander needs exactly one @user.")
		}
		u, ok := parseUser(args[0].text)
		if !ok {
			return IncidentCommand{}, usageErr(usage, "commander needs an @user, not %s.", quote(args[0].text))
		}
		cmd.User = u

	case VerbRole:
		if len(args) < 2 {
			return IncidentCommand{}, usageErr(usage, "role needs a role name and an @user.")
		}
		u, ok := parseUser(args[len(args)-1].text)
		if !ok {
			return IncidentCommand{}, usageErr(usage, "role needs an @user last, not %s.", quote(args[len(args)-1].text))
		}
		name := strings.ToLower(strings.Join(tokenTexts(args[:len(args)-1]), " "))
		if err := checkRoleName(name); err != "" {
			return IncidentCommand{}, usageErr(usage, "%s", err)
		}
		cmd.Role, cmd.User = name, u

	case VerbNote:
		cmd.Text = plainText(rest)
		if cmd.Text == "" {
			return IncidentCommand{}, usageErr(usage, "note needs some text.")
		}

	case VerbAction:
		if err := parseActionArgs(&cmd, text, args, usage); err != nil {
			return IncidentCommand{}, err
		}

	case VerbPage:
		if len(args) == 0 {
			return IncidentCommand{}, usageErr(usage, "page needs one schedule name or one @user.")
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
			return IncidentCommand{}, usageErr(usage, "page needs a schedule name or an @user, not %s.", quote(a))
		}

	case VerbResolve:
		cmd.Text = plainText(rest)

	case VerbStats:
		cmd.Period = 30 * day
		if len(args) > 2 {
			return IncidentCommand{}, usageErr(usage, "stats takes at most a period and a service.")
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
				return IncidentCommand{}, usageErr(usage, "stats takes one period, 7d, 30d or 90d, not %s.", quote(a.text))
			}
			if name := plainText(a.text); isName(name) && cmd.Service == "" {
				cmd.Service = name
				continue
			}
			return IncidentCommand{}, usageErr(usage, "stats takes a period (7d, 30d or 90d) and one service name, not %s.", quote(a.text))
		}

	case VerbCause:
		if len(args) != 2 || strings.ToLower(args[0].text) != "deploy" {
			return IncidentCommand{}, usageErr(usage, "cause needs the word deploy and a deployment id, e.g. /incident cause deploy d-1a2b3c4d5e6f.")
		}
		id := plainText(args[1].text)
		if id == "" || strings.HasPrefix(args[1].text, "<") || utf8.RuneCountInString(id) > deploys.MaxIDLen || strings.ContainsAny(id, "<>&") {
			return IncidentCommand{}, usageErr(usage, "%s is not a deployment id.", quote(args[1].text))
		}
		cmd.Deployment = id

	case VerbHelp:
		if len(args) > 1 {
			return IncidentCommand{}, usageErr(usage, "help takes at most one subcommand.")
		}
		if len(args) == 1 {
			t, ok := lookupIncidentVerb(args[0].text)
			if !ok {
				return IncidentCommand{}, usageErr(usage, "There is no subcommand %s.", quote(args[0].text))
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

	case VerbReopen, VerbTimeline, VerbAck:
		if len(args) > 0 {
			return IncidentCommand{}, usageErr(usage, "%s takes no arguments.", verb)
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
// <subcommand>"; an empty or unknown verb gives the whole help text.
func IncidentHelp(v IncidentVerb) string {
	if u := v.usage(); u != incidentGeneralUsage {
		return u + " — " + v.describe()
	}
	return IncidentUsage()
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
		return 0, usageErr(incidentGeneralUsage, "%s is not an incident number; write it as #42.", quote(tok))
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n <= 0 {
		return 0, usageErr(incidentGeneralUsage, "%s is not an incident number; numbers start at #1.", quote(tok))
	}
	return n, nil
}

func checkRoleName(name string) string {
	if name == "" {
		return "role needs a role name before the @user."
	}
	if utf8.RuneCountInString(name) > MaxRoleLength {
		return fmt.Sprintf("The role name is too long; keep it within %d characters.", MaxRoleLength)
	}
	for _, r := range name {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == ' ') {
			return fmt.Sprintf("A role name has letters, digits, spaces, - and _ only; %s is not allowed.", quote(string(r)))
		}
	}
	return ""
}
