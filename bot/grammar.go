package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/incidents"
)

// Grammar limits.
const (
	// MaxRoleLength bounds a role name, in characters.
	MaxRoleLength = 40
	// maxNameLength bounds schedule names.
	maxNameLength = 64
	// maxQuoted is how much of a user's token an error message repeats.
	maxQuoted = 40
)

// UsageError says what was wrong with a slash command's text and how the
// subcommand is used. Msg and Usage are plain text that contains "<" and ">":
// escape them with EscapeMrkdwn before sending them as mrkdwn.
type UsageError struct {
	Msg   string // what was wrong, a sentence ending in "."
	Usage string // the usage line of the subcommand, or the general usage
}

// Error returns the message followed by the usage line.
func (e *UsageError) Error() string { return e.Msg + " Usage: " + e.Usage }

// usageErr builds a UsageError from a format.
func usageErr(usage, format string, args ...any) *UsageError {
	return &UsageError{Msg: fmt.Sprintf(format, args...), Usage: usage}
}

// UserRef is a user named in a command: a resolved Slack user ID from a
// mention Slack escaped (<@U123ABC|alice> or <@U123ABC>), or, from a plain
// "@alice" token, only a name that the handler must resolve or reject.
type UserRef struct {
	ID   string // Slack user ID; empty when unresolved
	Name string // the name Slack sent with the mention, or the typed name without "@"
}

// Resolved reports whether the reference carries a Slack user ID.
func (u UserRef) Resolved() bool { return u.ID != "" }

// IsZero reports whether no user is referenced.
func (u UserRef) IsZero() bool { return u.ID == "" && u.Name == "" }

// ChannelRef is a channel named with a Slack channel mention <#C123|name>.
type ChannelRef struct {
	ID   string
	Name string // may be empty
}

// IsZero reports whether no channel is referenced.
func (c ChannelRef) IsZero() bool { return c.ID == "" }

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
	VerbHelp       IncidentVerb = "help"
)

// IncidentVerbs lists the /incident subcommands in the order help shows them.
func IncidentVerbs() []IncidentVerb {
	return []IncidentVerb{
		VerbDeclare, VerbStatus, VerbSeverity, VerbCommander, VerbRole, VerbNote, VerbAction, VerbPage,
		VerbResolve, VerbReopen, VerbPostmortem, VerbTimeline, VerbList, VerbStats, VerbHelp,
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
		return "/incident action <text> [@owner]"
	case VerbPage:
		return "/incident page <schedule|@user>"
	case VerbResolve:
		return "/incident resolve [summary]"
	case VerbReopen:
		return "/incident reopen"
	case VerbPostmortem:
		return "/incident postmortem"
	case VerbTimeline:
		return "/incident timeline"
	case VerbList:
		return "/incident list"
	case VerbStats:
		return "/incident stats [7d|30d|90d]"
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
		return "record a follow-up action item"
	case VerbPage:
		return "page an on-call schedule or a person"
	case VerbResolve:
		return "resolve, with an optional summary"
	case VerbReopen:
		return "reopen a resolved incident"
	case VerbPostmortem:
		return "write the postmortem draft"
	case VerbTimeline:
		return "show the timeline"
	case VerbList:
		return "list open incidents"
	case VerbStats:
		return "incident metrics for a period (default 30d)"
	case VerbHelp:
		return "show this help"
	}
	return ""
}

const incidentGeneralUsage = "/incident [#<number>] <declare|status|severity|commander|role|note|action|page|resolve|reopen|postmortem|timeline|list|stats|help> …"

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
	// Topic for help: the subcommand asked about, if any.
	Topic IncidentVerb
}

// Validate reports whether the command is well formed for its verb: the
// fields the verb needs are set and valid. ParseIncident only returns
// commands that pass it.
func (c IncidentCommand) Validate() error {
	bad := func(what string) error { return fmt.Errorf("invalid %s command: %s", c.Verb, what) }
	if c.Incident < 0 {
		return bad("negative incident number")
	}
	if c.Incident != 0 && !c.Verb.needsIncident() {
		return bad("takes no incident number")
	}
	switch c.Verb {
	case VerbDeclare:
		if c.OpenDeclareModal != (c.Title == "") {
			return bad("a title xor the declare modal")
		}
		if utf8.RuneCountInString(c.Title) > incidents.MaxTitle || strings.Join(strings.Fields(c.Title), " ") != c.Title {
			return bad("title")
		}
	case VerbStatus:
		if _, err := incidents.ParseStatus(string(c.Status)); err != nil {
			return bad("status")
		}
	case VerbSeverity:
		if c.Severity == "" {
			return bad("severity")
		}
	case VerbCommander:
		if c.User.IsZero() {
			return bad("user")
		}
	case VerbRole:
		if c.User.IsZero() || c.Role == "" || utf8.RuneCountInString(c.Role) > MaxRoleLength {
			return bad("role")
		}
	case VerbNote, VerbAction:
		if strings.TrimSpace(c.Text) == "" {
			return bad("text")
		}
	case VerbPage:
		n := 0
		if !c.User.IsZero() {
			n++
		}
		if c.Schedule != "" {
			n++
		}
		if !c.Channel.IsZero() {
			n++
		}
		if n != 1 {
			return bad("exactly one target")
		}
	case VerbStats:
		switch c.Period {
		case 7 * day, 30 * day, 90 * day:
		default:
			return bad("period")
		}
	case VerbHelp:
		if c.Topic != "" && c.Topic.usage() == incidentGeneralUsage {
			return bad("topic")
		}
	case VerbResolve, VerbReopen, VerbPostmortem, VerbTimeline, VerbList:
	default:
		return fmt.Errorf("unknown verb %q", c.Verb)
	}
	return nil
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
		if len(args) == 0 {
			return IncidentCommand{}, usageErr(usage, "action needs a description of what to do.")
		}
		last := args[len(args)-1]
		if u, ok := parseUser(last.text); ok && len(args) > 1 {
			cmd.User = u
			rest = strings.TrimSpace(text[args[0].start:last.start])
		}
		cmd.Text = plainText(rest)
		if cmd.Text == "" {
			return IncidentCommand{}, usageErr(usage, "action needs a description of what to do.")
		}

	case VerbPage:
		if len(args) != 1 {
			return IncidentCommand{}, usageErr(usage, "page needs one schedule name or one @user.")
		}
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
		if len(args) > 1 {
			return IncidentCommand{}, usageErr(usage, "stats takes at most one period.")
		}
		if len(args) == 1 {
			switch strings.ToLower(args[0].text) {
			case "7d":
				cmd.Period = 7 * day
			case "30d":
				cmd.Period = 30 * day
			case "90d":
				cmd.Period = 90 * day
			default:
				return IncidentCommand{}, usageErr(usage, "stats period must be 7d, 30d or 90d, not %s.", quote(args[0].text))
			}
		}

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

	case VerbReopen, VerbPostmortem, VerbTimeline, VerbList:
		if len(args) > 0 {
			return IncidentCommand{}, usageErr(usage, "%s takes no arguments.", verb)
		}
	}
	return cmd, nil
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

// OncallVerb is the subcommand of /oncall.
type OncallVerb string

// The /oncall subcommands.
const (
	OncallNow      OncallVerb = "now"      // no text: who is on call now, every schedule
	OncallSchedule OncallVerb = "schedule" // <schedule>: now and the next shifts
	OncallOverride OncallVerb = "override"
	OncallHandoff  OncallVerb = "handoff"
	OncallHelp     OncallVerb = "help"
)

func (v OncallVerb) usage() string {
	switch v {
	case OncallNow:
		return "/oncall"
	case OncallSchedule:
		return "/oncall <schedule>"
	case OncallOverride:
		return "/oncall override <schedule> @user <from> <to>"
	case OncallHandoff:
		return "/oncall handoff [schedule]"
	case OncallHelp:
		return "/oncall help"
	}
	return oncallGeneralUsage
}

const oncallGeneralUsage = "/oncall [<schedule> | override <schedule> @user <from> <to> | handoff [schedule] | help]"

// OncallUsage returns the help text of /oncall. It is plain text; escape it for mrkdwn.
func OncallUsage() string {
	return strings.Join([]string{
		"Usage of /oncall:",
		"/oncall — who is on call now, for every schedule",
		"/oncall <schedule> — who is on call now and the next shifts",
		"/oncall override <schedule> @user <from> <to> — put someone on call for a while",
		"    <from> and <to> are 2026-03-01T09:00 (in the schedule's time zone),",
		"    2026-03-01 09:00 (the same), or RFC 3339 with a zone, 2026-03-01T09:00:00+05:00",
		"/oncall handoff [schedule] — post the shift handoff now",
		"/oncall help — show this help",
	}, "\n")
}

// TimeArg is a time typed in a command: either absolute (RFC 3339 with a
// zone) or a wall-clock time that still needs the schedule's zone.
type TimeArg struct {
	// Time is the absolute time when Zoned; otherwise its UTC fields hold the
	// wall-clock date and time as typed.
	Time  time.Time
	Zoned bool
}

// In returns the time, reading a wall-clock time in loc (nil: UTC). In a DST
// gap or overlap it follows time.Date's normalization.
func (t TimeArg) In(loc *time.Location) time.Time {
	if t.Zoned {
		return t.Time
	}
	if loc == nil {
		loc = time.UTC
	}
	w := t.Time
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, loc)
}

// IsZero reports whether no time was given.
func (t TimeArg) IsZero() bool { return t.Time.IsZero() }

// OncallCommand is a parsed /oncall command.
type OncallCommand struct {
	Verb     OncallVerb
	Schedule string  // schedule, override, and handoff (optional)
	User     UserRef // override
	From, To TimeArg // override
}

// OverrideWindow returns the override's start and end in the schedule's zone
// loc, and an error when the end is not after the start.
func (c OncallCommand) OverrideWindow(loc *time.Location) (from, to time.Time, err error) {
	from, to = c.From.In(loc), c.To.In(loc)
	if !to.After(from) {
		return from, to, usageErr(OncallOverride.usage(), "The override must end after it starts.")
	}
	return from, to, nil
}

// Validate reports whether the command is well formed for its verb.
// ParseOncall only returns commands that pass it.
func (c OncallCommand) Validate() error {
	switch c.Verb {
	case OncallNow, OncallHelp:
		if c.Schedule != "" || !c.User.IsZero() || !c.From.IsZero() || !c.To.IsZero() {
			return fmt.Errorf("invalid %s command: takes no arguments", c.Verb)
		}
	case OncallSchedule:
		if !isName(c.Schedule) {
			return fmt.Errorf("invalid %s command: schedule", c.Verb)
		}
	case OncallHandoff:
		if c.Schedule != "" && !isName(c.Schedule) {
			return fmt.Errorf("invalid %s command: schedule", c.Verb)
		}
	case OncallOverride:
		if !isName(c.Schedule) || c.User.IsZero() || c.From.IsZero() || c.To.IsZero() {
			return fmt.Errorf("invalid %s command: missing field", c.Verb)
		}
		if c.From.Zoned == c.To.Zoned && !c.To.Time.After(c.From.Time) {
			return fmt.Errorf("invalid %s command: ends before it starts", c.Verb)
		}
	default:
		return fmt.Errorf("unknown verb %q", c.Verb)
	}
	return nil
}

// ParseOncall parses the text of an /oncall slash command. Empty text asks
// who is on call now. Times in override are 2006-01-02T15:04 or
// "2006-01-02 15:04" in the schedule's zone (resolved later with TimeArg.In),
// or RFC 3339 with an explicit zone. Every error is a *UsageError. It never
// panics, whatever the text.
func ParseOncall(text string) (OncallCommand, error) {
	toks := tokenize(text)
	if len(toks) == 0 {
		return OncallCommand{Verb: OncallNow}, nil
	}
	first := toks[0].text
	args := toks[1:]
	switch strings.ToLower(first) {
	case "help":
		if len(args) > 0 {
			return OncallCommand{}, usageErr(OncallHelp.usage(), "help takes no arguments.")
		}
		return OncallCommand{Verb: OncallHelp}, nil

	case "handoff":
		usage := OncallHandoff.usage()
		if len(args) > 1 {
			return OncallCommand{}, usageErr(usage, "handoff takes at most one schedule.")
		}
		cmd := OncallCommand{Verb: OncallHandoff}
		if len(args) == 1 {
			if !isName(args[0].text) {
				return OncallCommand{}, usageErr(usage, "%s is not a schedule name.", quote(args[0].text))
			}
			cmd.Schedule = args[0].text
		}
		return cmd, nil

	case "override":
		return parseOverride(args)
	}

	if !isName(first) {
		return OncallCommand{}, usageErr(oncallGeneralUsage, "%s is neither a subcommand nor a schedule name.", quote(first))
	}
	if len(args) > 0 {
		return OncallCommand{}, usageErr(OncallSchedule.usage(), "Name one schedule; %s is extra.", quote(args[0].text))
	}
	return OncallCommand{Verb: OncallSchedule, Schedule: first}, nil
}

func parseOverride(args []token) (OncallCommand, error) {
	usage := OncallOverride.usage()
	if len(args) < 2 {
		return OncallCommand{}, usageErr(usage, "override needs a schedule, an @user, a start and an end.")
	}
	cmd := OncallCommand{Verb: OncallOverride}
	if !isName(args[0].text) {
		return OncallCommand{}, usageErr(usage, "%s is not a schedule name.", quote(args[0].text))
	}
	cmd.Schedule = args[0].text
	u, ok := parseUser(args[1].text)
	if !ok {
		return OncallCommand{}, usageErr(usage, "override needs an @user after the schedule, not %s.", quote(args[1].text))
	}
	cmd.User = u

	var times []TimeArg
	rest := args[2:]
	for len(rest) > 0 {
		if len(times) == 2 {
			return OncallCommand{}, usageErr(usage, "override takes a start and an end only; %s is extra.", quote(rest[0].text))
		}
		tok := rest[0].text
		rest = rest[1:]
		// "2006-01-02 15:04" arrives as two tokens.
		if len(rest) > 0 && isDate(tok) && isClock(rest[0].text) {
			tok += "T" + rest[0].text
			rest = rest[1:]
		}
		t, err := parseTimeArg(tok)
		if err != nil {
			return OncallCommand{}, usageErr(usage, "%s is not a time; write 2026-03-01T09:00 (schedule's zone) or 2026-03-01T09:00:00+05:00.", quote(tok))
		}
		times = append(times, t)
	}
	if len(times) < 2 {
		return OncallCommand{}, usageErr(usage, "override needs a start and an end time.")
	}
	cmd.From, cmd.To = times[0], times[1]
	if cmd.From.Zoned == cmd.To.Zoned && !cmd.To.Time.After(cmd.From.Time) {
		return OncallCommand{}, usageErr(usage, "The override must end after it starts.")
	}
	return cmd, nil
}

// parseTimeArg reads RFC 3339 (with a zone) or a wall-clock 2006-01-02T15:04.
func parseTimeArg(s string) (TimeArg, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return TimeArg{Time: t, Zoned: true}, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return TimeArg{Time: t}, nil
		}
	}
	return TimeArg{}, fmt.Errorf("not a time: %q", s)
}

func isDate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

func isClock(s string) bool {
	_, err := time.Parse("15:04", s)
	return err == nil
}

// token is one word of command text with its byte offsets in the text.
type token struct {
	text       string
	start, end int
}

// tokenize splits text at white space. Slack's escaped sequences <…> (user,
// channel and link mentions) stay one token even when they contain spaces.
func tokenize(text string) []token {
	var toks []token
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		start := i
		if r == '<' {
			if j := strings.IndexByte(text[i:], '>'); j > 0 {
				i += j + 1
				// A mention glued to more text ("<@U1>,") stays one token.
				for i < len(text) {
					r, size := utf8.DecodeRuneInString(text[i:])
					if unicode.IsSpace(r) {
						break
					}
					i += size
				}
				toks = append(toks, token{text: text[start:i], start: start, end: i})
				continue
			}
		}
		for i < len(text) {
			r, size := utf8.DecodeRuneInString(text[i:])
			if unicode.IsSpace(r) {
				break
			}
			i += size
		}
		toks = append(toks, token{text: text[start:i], start: start, end: i})
	}
	return toks
}

// plainText is free text of a command as the user meant it: Slack's escaping
// undone (see UnescapeSlack) and surrounding white space trimmed.
func plainText(s string) string { return strings.TrimSpace(UnescapeSlack(s)) }

// restOf returns the text from the first of toks to the end, trimmed.
func restOf(text string, toks []token) string {
	if len(toks) == 0 {
		return ""
	}
	return strings.TrimSpace(text[toks[0].start:])
}

func tokenTexts(toks []token) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.text
	}
	return out
}

// parseUser reads <@U123|name>, <@U123> or a plain @name.
func parseUser(tok string) (UserRef, bool) {
	if inner, ok := strings.CutPrefix(tok, "<@"); ok {
		inner, ok = strings.CutSuffix(inner, ">")
		if !ok {
			return UserRef{}, false
		}
		id, name, _ := strings.Cut(inner, "|")
		if !isSlackID(id, "UW") || strings.ContainsAny(name, "<>|") {
			return UserRef{}, false
		}
		return UserRef{ID: id, Name: name}, true
	}
	if name, ok := strings.CutPrefix(tok, "@"); ok && isUserName(name) {
		return UserRef{Name: name}, true
	}
	return UserRef{}, false
}

// parseChannel reads <#C123|name> or <#C123>.
func parseChannel(tok string) (ChannelRef, bool) {
	inner, ok := strings.CutPrefix(tok, "<#")
	if !ok {
		return ChannelRef{}, false
	}
	inner, ok = strings.CutSuffix(inner, ">")
	if !ok {
		return ChannelRef{}, false
	}
	id, name, _ := strings.Cut(inner, "|")
	if !isSlackID(id, "CGD") || strings.ContainsAny(name, "<>|") {
		return ChannelRef{}, false
	}
	return ChannelRef{ID: id, Name: name}, true
}

// isUserName accepts what a Slack handle may be: letters, digits, . - _ '.
func isUserName(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 80 {
		return false
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(".-_'", r)) {
			return false
		}
	}
	return true
}

// isName accepts a schedule name: ASCII letters, digits, . - _.
func isName(s string) bool {
	if s == "" || len(s) > maxNameLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// quote repeats a user's token in an error message, shortened.
func quote(s string) string {
	return strconv.Quote(Truncate(s, maxQuoted))
}
