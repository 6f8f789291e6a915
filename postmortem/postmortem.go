// Package postmortem writes blameless postmortem drafts: Markdown from an
// incident and its whole timeline through the templates package, HTML from
// that Markdown through goldmark, and an export directory for a team's wiki
// that keeps people's edits theirs.
//
// Pages and acknowledgements come from the timeline. Draft reads these
// Fields of an incidents.EventPaged event (the pager records them):
//
//	user       the Slack user ID paged (or target: "user:U…", "schedule:primary", "channel:#sre")
//	schedule   the schedule the person was on call for, or policy: the escalation policy
//	level      the escalation level, 1 for the first
//	escalation "true" when the page is a later level because nobody acknowledged
//
// and Fields["permalink"] of any event as its Slack link.
package postmortem

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/templates"
)

// ErrInvalid reports input a draft cannot be written from, or a status or
// state that does not exist.
var ErrInvalid = errors.New("invalid")

// Status is where the postmortem is in its review: draft → in-review → final.
type Status string

// The postmortem statuses.
const (
	StatusDraft    Status = "draft"
	StatusInReview Status = "in-review"
	StatusFinal    Status = "final"
)

// ParseStatus parses a status as a person types it ("in review" and
// "in-review" both work).
func ParseStatus(s string) (Status, error) {
	norm := strings.Join(strings.Fields(strings.ToLower(s)), "-")
	switch st := Status(norm); st {
	case StatusDraft, StatusInReview, StatusFinal:
		return st, nil
	case "review", "inreview":
		return StatusInReview, nil
	}
	return "", fmt.Errorf("%w: unknown postmortem status %q (use draft, in-review or final)", ErrInvalid, s)
}

// Regenerates reports whether the bot still rewrites the draft when the
// incident changes: until a person makes it final.
func (s Status) Regenerates() bool { return s != StatusFinal }

// ActionState is whether a follow-up is done.
type ActionState string

// The action states.
const (
	ActionOpen ActionState = "open"
	ActionDone ActionState = "done"
)

// Action is one follow-up item of an incident.
type Action struct {
	ID    int
	Text  string
	Owner string    // Slack user ID or a name
	Due   time.Time // zero = no due date
	State ActionState
	Link  string // a ticket or pull request, http(s)
}

// Previous is an earlier incident of the same alert group or alert name.
type Previous struct {
	Incident   *incidents.Incident
	Postmortem string // the URL of its postmortem, when it has one
}

// Links are the places the postmortem links to.
type Links struct {
	Channel     string // permalink of the incident channel
	ChannelName string // the channel's name, without '#'
	WebBase     string // the bot's public URL (INCIDENTBOT_PUBLIC_URL)
}

// Input is everything a draft is written from; the caller loads it.
type Input struct {
	Incident *incidents.Incident
	Timeline []incidents.Event // in any order
	Actions  []Action
	Previous *Previous
	Status   Status // empty = draft
	Owner    string // empty = the commander
	Zone     *time.Location
	Locale   templates.Locale // empty = English
	Links    Links
	// Names maps Slack user IDs to display names; IDs without one are
	// shown as @U….
	Names map[string]string
	// SeverityDescription is the configured description of the severity.
	SeverityDescription string
	// AlertLines is how many alert events the timeline lists one by one;
	// past it they are counted per alert name instead. Zero means 100.
	AlertLines int
}

// defaultAlertLines is the alert events a timeline lists before it
// summarises them.
const defaultAlertLines = 100

// Draft is a written postmortem.
type Draft struct {
	Number   int64
	Title    string
	Severity string
	Status   Status
	Date     time.Time     // detection, UTC
	Duration time.Duration // detection to resolution, or to now while open
	Ongoing  bool
	Services []string
	Storm    bool
	Markdown []byte // front matter, then the body
}

// Body returns the Markdown without its front matter.
func (d *Draft) Body() []byte { return StripFrontMatter(d.Markdown) }

// Drafter writes drafts with a template set and a clock.
type Drafter struct {
	templates *templates.Set
	now       func() time.Time
}

// New returns a Drafter; now stamps each draft and measures open incidents.
func New(set *templates.Set, now func() time.Time) *Drafter {
	return &Drafter{templates: set, now: now}
}

// Draft writes the postmortem of in.Incident.
func (d *Drafter) Draft(in Input) (*Draft, error) {
	if in.Incident == nil {
		return nil, fmt.Errorf("%w: a postmortem needs its incident", ErrInvalid)
	}
	if in.Status == "" {
		in.Status = StatusDraft
	}
	if _, err := ParseStatus(string(in.Status)); err != nil {
		return nil, err
	}
	if in.Locale == "" {
		in.Locale = templates.EN
	}
	if in.Zone == nil {
		in.Zone = time.UTC
	}
	if in.AlertLines <= 0 {
		in.AlertLines = defaultAlertLines
	}
	view := buildView(in, d.templates.Lang(in.Locale), d.now().UTC())
	fm := FrontMatter{
		Title: fmt.Sprintf("#%d: %s", view.Number, view.Title), Date: view.DetectedAt,
		Tags: tags(in.Incident, view.Services), Severity: view.Severity, Status: string(in.Status),
		Incident: view.Number,
	}
	var b bytes.Buffer
	// Most of a big postmortem is its timeline, about 200 bytes an event.
	b.Grow(16<<10 + 200*len(in.Timeline))
	fm.write(&b)
	b.WriteString("\n")
	if err := d.templates.ExecutePostmortem(&b, view); err != nil {
		return nil, fmt.Errorf("postmortem of incident #%d: %w", view.Number, err)
	}
	return &Draft{
		Number: view.Number, Title: view.Title, Severity: view.Severity, Status: in.Status,
		Date: view.DetectedAt, Duration: view.Duration, Ongoing: view.Ongoing,
		Services: view.Services, Storm: view.Storm, Markdown: templates.CleanBytes(b.Bytes()),
	}, nil
}
