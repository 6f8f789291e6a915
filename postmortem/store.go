package postmortem

import (
	"context"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// Record is a stored postmortem: its review status and owner, the last draft
// the bot wrote and what it was written from, and the Slack message that
// announced it.
type Record struct {
	// Number is the incident's number, and the record's identity.
	Number int64
	// Version is 0 until the record is first stored, then counts the stores.
	Version int64

	Status Status
	Owner  string // Slack user ID; empty = the incident's commander

	// The last draft written, as Draft returned it.
	Title    string
	Severity string
	Date     time.Time     // detection, UTC
	Duration time.Duration // detection to resolution, or to WrittenAt while open
	Ongoing  bool
	Services []string
	Storm    bool
	Markdown []byte
	// WrittenAt is when the draft was last written, UTC.
	WrittenAt time.Time
	// Source identifies what the draft was written from (incident version,
	// timeline length, status, owner): the same source is not written again.
	Source string

	// MessageTS is the ts of the draft's link posted in the incident channel;
	// empty until it is posted.
	MessageTS string
}

// Draft returns the record's last draft.
func (r Record) Draft() *Draft {
	return &Draft{
		Number: r.Number, Title: r.Title, Severity: r.Severity, Status: r.Status, Date: r.Date,
		Duration: r.Duration, Ongoing: r.Ongoing, Services: r.Services, Storm: r.Storm, Markdown: r.Markdown,
	}
}

// SetDraft copies a freshly written draft into the record.
func (r *Record) SetDraft(d *Draft, at time.Time) {
	r.Title, r.Severity, r.Date, r.Duration, r.Ongoing = d.Title, d.Severity, d.Date.UTC(), d.Duration, d.Ongoing
	r.Services, r.Storm, r.Markdown, r.WrittenAt = d.Services, d.Storm, d.Markdown, at.UTC()
}

// ErrNotFound means no record is stored for the incident; it is
// incidents.ErrNotFound.
var ErrNotFound = incidents.ErrNotFound

// Store keeps postmortem records. Errors: ErrNotFound,
// incidents.ErrConflict.
type Store interface {
	// Postmortem returns the record of incident number; ErrNotFound when
	// none was stored.
	Postmortem(ctx context.Context, number int64) (Record, error)
	// PutPostmortem stores r only if the stored version still equals
	// r.Version (0: nothing stored yet), else incidents.ErrConflict; on
	// success r.Version is incremented. Times are stored in UTC with at least
	// millisecond precision; Markdown may be megabytes.
	PutPostmortem(ctx context.Context, r *Record) error
	// Postmortems returns every record, newest first (by Date, then by
	// number). Without markdown the records come back with Markdown nil (the
	// list of the web view needs no bodies).
	Postmortems(ctx context.Context, markdown bool) ([]Record, error)
}
