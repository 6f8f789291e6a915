package templates

import "time"

// Postmortem is what a postmortem template sees. The postmortem package
// fills it from an incident and its timeline; text is raw (templates escape
// it with md, cell or code), times are UTC, and a zero time or a Measure
// that is not Known means "did not happen".
type Postmortem struct {
	Locale    Locale
	Zone      *time.Location // the team's zone for local times
	Generated time.Time

	Number              int64
	Title               string
	Description         string
	Severity            string
	SeverityDescription string
	Status              string // postmortem status: draft, in-review, final
	IncidentStatus      string
	Owner               string
	Commander           string
	Summary             string // the resolve summary; empty = ask for one
	Storm               bool

	DetectedAt   time.Time
	DeclaredAt   time.Time
	AckedAt      time.Time
	MitigatedAt  time.Time
	ResolvedAt   time.Time
	Duration     time.Duration // detection to resolution, or to Generated while open
	Ongoing      bool
	ToDeclare    Measure // first alert → incident opened
	ToAck        Measure // first alert → first acknowledgement
	ToMitigate   Measure // first alert → mitigated
	ToResolve    Measure // first alert → resolved
	Services     []string
	Labels       []Label // labels common to the incident's alerts
	FirstAlert   *Alert
	Fired        []AlertCount // what fired, by alert name, most first
	AlertEvents  int
	AlertsFiring int

	Roles      []Role
	Responders []string
	Pages      []Page
	Acks       []Ack

	Timeline Timeline
	Actions  []Action
	Open     int // actions not done
	Done     int

	GeneratorURLs []Ref
	Dashboards    []Ref
	Runbooks      []Ref
	Pins          []Entry
	Previous      *Previous

	IncidentURL   string // the web view of the incident
	PostmortemURL string
	Channel       Ref // the incident channel and its permalink
}

// Measure is a time between two moments that may not have happened.
type Measure struct {
	D     time.Duration
	Known bool
}

// Label is one alert label.
type Label struct{ Name, Value string }

// Alert is the first alert of the incident.
type Alert struct {
	Name, Summary, URL string
	At                 time.Time
	Labels             []Label
}

// AlertCount is how often one alert name fired and resolved.
type AlertCount struct {
	Name            string
	Fired, Resolved int
	First, Last     time.Time
}

// Role is a role and who held it last.
type Role struct{ Role, Person string }

// Page is one page or escalation step.
type Page struct {
	At         time.Time
	Target     string // who was paged
	Via        string // schedule or policy
	Level      int    // escalation level, 1 = first
	Escalation bool   // a later level because nobody acknowledged
	Text       string
}

// Ack is one acknowledgement.
type Ack struct {
	At    time.Time
	By    string
	After Measure // since the first page, when there was one
}

// Timeline is every event oldest first, in days (one day when the incident
// fits in one day of the team's zone), with alert storms summarised.
type Timeline struct {
	Days     []Day
	MultiDay bool
	Total    int // events on the timeline, alerts included
	// Summarised is set when alert events were too many to list: they are
	// counted in Alerts and left out of Days.
	Summarised bool
	Alerts     []AlertCount
	AlertFirst time.Time
	AlertLast  time.Time
	Omitted    int // alert events left out
	Groups     int // of them, alert groups that joined the storm
}

// Day is the events of one day in the team's zone.
type Day struct {
	Date   time.Time // midnight in the team's zone
	Events []Entry
}

// Entry is one line of the timeline. Local, UTC and Label are
// precomputed: a timeline can have many thousands of lines.
type Entry struct {
	At    time.Time
	Local string // "22:40" in the team's zone
	UTC   string // "17:40"
	Kind  string // the incidents.EventType
	Label string // Kind in the locale's words
	Actor string
	Text  string
	Link  string // the Slack permalink, when known: a safe URL, ready for a link destination
	// Line is the entry as the default templates print it, already
	// escaped Markdown: "22:40 (17:40 UTC) — alice · Note: text ([Slack](…))".
	// Built in Go because text/template costs about 3 µs a field on a
	// 10,000-event timeline; a template may build its own from the fields.
	Line string
}

// Action is one follow-up.
type Action struct {
	ID      string
	Text    string
	Owner   string
	Due     time.Time
	Done    bool
	Overdue bool
	Link    string
}

// Ref is a link with its text.
type Ref struct{ Text, URL string }

// Previous is the earlier incident of the same alert group.
type Previous struct {
	Number        int64
	Title         string
	At            time.Time
	URL           string
	PostmortemURL string
}

// Sample is postmortem data with every field set, for trial runs of a
// template.
func Sample(loc Locale) *Postmortem {
	at := time.Date(2026, 11, 30, 14, 5, 0, 0, time.UTC)
	m := Measure{D: 5 * time.Minute, Known: true}
	e := Entry{At: at, Local: "14:05", UTC: "14:05", Kind: "note", Label: "Note", Actor: "alice", Text: "sample", Link: "https://example.slack.com/archives/C1/p1", Line: "14:05 (14:05 UTC) — alice · Note: sample"}
	ac := AlertCount{Name: "HighErrorRate", Fired: 2, Resolved: 1, First: at, Last: at}
	return &Postmortem{
		Locale: loc, Zone: time.UTC, Generated: at,
		Number: 1, Title: "Sample", Description: "d", Severity: "sev1", SeverityDescription: "Critical",
		Status: "draft", IncidentStatus: "resolved", Owner: "alice", Commander: "alice", Summary: "s",
		DetectedAt: at, DeclaredAt: at, AckedAt: at, MitigatedAt: at, ResolvedAt: at, Duration: time.Hour,
		ToDeclare: m, ToAck: m, ToMitigate: m, ToResolve: m,
		Services: []string{"checkout"}, Labels: []Label{{"service", "checkout"}},
		FirstAlert: &Alert{Name: "HighErrorRate", Summary: "s", URL: "https://prom.example/graph", At: at, Labels: []Label{{"a", "b"}}},
		Fired:      []AlertCount{ac}, AlertEvents: 3, AlertsFiring: 1,
		Roles: []Role{{"commander", "alice"}}, Responders: []string{"alice"},
		Pages: []Page{{At: at, Target: "bob", Via: "primary", Level: 1, Text: "paged"}},
		Acks:  []Ack{{At: at, By: "bob", After: m}},
		Timeline: Timeline{
			Days: []Day{{Date: at, Events: []Entry{e}}}, MultiDay: true, Total: 1,
			Summarised: true, Alerts: []AlertCount{ac}, AlertFirst: at, AlertLast: at, Omitted: 3, Groups: 1,
		},
		Actions:       []Action{{ID: "1", Text: "t", Owner: "bob", Due: at, Overdue: true, Link: "https://example.com"}},
		Open:          1,
		GeneratorURLs: []Ref{{"HighErrorRate", "https://prom.example/graph"}},
		Dashboards:    []Ref{{"dashboard", "https://grafana.example/d/1"}},
		Runbooks:      []Ref{{"runbook", "https://wiki.example/rb"}},
		Pins:          []Entry{e},
		Previous:      &Previous{Number: 0, Title: "p", At: at, URL: "https://bot.example/incidents/0", PostmortemURL: "https://bot.example/postmortems/0"},
		IncidentURL:   "https://bot.example/incidents/1", PostmortemURL: "https://bot.example/postmortems/1",
		Channel: Ref{"#inc-1-sample", "https://example.slack.com/archives/C1"},
	}
}
