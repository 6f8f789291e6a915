package oncall

import (
	"context"
	"errors"
	"time"
)

// PageState is where one page is: open until the incident is acknowledged,
// resolved, or the person declines.
type PageState string

// Page states.
const (
	PageOpen         PageState = "open"
	PageAcknowledged PageState = "acknowledged" // the incident was acknowledged (by anyone)
	PageDeclined     PageState = "declined"     // this person declined: escalate now
	PageClosed       PageState = "closed"       // resolved, or nobody acknowledged in time
)

// PageRecord is one page sent to one target of one escalation step: a
// person's direct message or a channel's message. ID is Step + ":" + Target
// (PageID), so a step that runs again finds the pages it already sent.
type PageRecord struct {
	ID       string
	Incident int64
	Step     string // the step's job key: page:<n>:<round>:<level>, or a manual page's key
	Target   string // "user:U…" or "channel:#name"
	User     string // the Slack user ID for user targets
	Schedule string // the schedule the user was on call for; empty for direct targets
	Policy   string // the escalation policy; empty for manual pages
	Level    int    // 1-based escalation level; 0 for manual pages
	Round    int    // 0-based round
	// Channel and TS locate the page's message once posted; empty before.
	Channel, TS string
	// Linked is true once the message links the incident's channel (a page
	// sent before the channel existed is linked when it is created).
	Linked   bool
	State    PageState
	At       time.Time // when the page was recorded
	ClosedAt time.Time // when State left PageOpen
	ClosedBy string    // who acknowledged or declined
}

// PageID is the ID of the page of one target by one step.
func PageID(step, target string) string { return step + ":" + target }

// ErrNotFound is returned for a page or override that is not stored;
// paging's stores return it too (paging.ErrNotFound).
var ErrNotFound = errors.New("not found")

// PageStore keeps the pages sent, so that an escalation step that runs
// twice (a restart, two replicas) pages each person once, and so that an
// acknowledgement can update every open page of the incident.
type PageStore interface {
	// AddPage stores p unless a page with p.ID exists; it reports whether
	// p was stored. The stored page is returned either way.
	AddPage(ctx context.Context, p PageRecord) (PageRecord, bool, error)
	// SetPageMessage records where the page's message was posted.
	SetPageMessage(ctx context.Context, id, channel, ts string) error
	// ClosePage moves an open page to state (not PageOpen) at, by who; it
	// reports whether the page was open. A closed page stays as it is.
	ClosePage(ctx context.Context, id string, state PageState, at time.Time, by string) (bool, error)
	// Pages returns an incident's pages, oldest first (then by ID).
	Pages(ctx context.Context, incident int64) ([]PageRecord, error)
	// PagesBetween returns the pages recorded in [from, to), oldest first.
	PagesBetween(ctx context.Context, from, to time.Time) ([]PageRecord, error)
}
