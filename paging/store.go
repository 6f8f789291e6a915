package paging

import (
	"context"
	"errors"
	"time"

	"github.com/incidentbot/incidentbot/oncall"
)

// NotificationState is where one notification is.
type NotificationState string

// Notification states. A notification is created pending with its due
// time; the job that sends it moves it to sending before it calls the
// provider, so a crash in the call is seen (at most once: it is not sent
// again, the person moves on to their next step instead).
const (
	NotifyPending   NotificationState = "pending"
	NotifySending   NotificationState = "sending"
	NotifySent      NotificationState = "sent"      // the provider took it
	NotifyDelivered NotificationState = "delivered" // the provider says it arrived (or the call was answered)
	NotifyFailed    NotificationState = "failed"    // not reached: the person moved on
	NotifyCancelled NotificationState = "cancelled" // acknowledged or resolved before it was due
)

// Done reports whether the state is final for sending (nothing more will be sent).
func (s NotificationState) Done() bool { return s != NotifyPending && s != NotifySending }

// Notification is one step of one person's notification rules for one page
// (or one method of a test page): sent by Method when due.
type Notification struct {
	// ID is PageID + "/" + step + "/" + method: stable, URL-safe once escaped.
	ID       string
	Page     string // the page's ID; empty for a test page
	Incident int64  // 0 for a test page
	Person   string // the people key, or the Slack ID of someone not in people
	User     string // the person's Slack user ID
	Method   oncall.Method
	Step     int // index in the person's rules
	Kind     NotificationKind
	// Note is a page by hand's message, shown with the incident.
	Note  string
	State NotificationState
	DueAt time.Time
	// Provider, ProviderID and Status are what the provider answered and
	// reported since (Twilio's SID and its latest status).
	Provider, ProviderID, Status string
	// Error is why it failed, without personal data.
	Error     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NotificationKind says what a notification is for.
type NotificationKind string

// Notification kinds.
const (
	KindPage   NotificationKind = "page"   // wakes someone for an incident
	KindTest   NotificationKind = "test"   // /oncall test-page: acknowledges nothing, counts nowhere
	KindNotice NotificationKind = "notice" // tells someone woken by push or email who acknowledged
)

// Escalation is the state of one incident's escalation: how far declines
// moved its remaining steps forward, and which steps have run.
type Escalation struct {
	Incident int64
	// Shift is how much earlier than planned the steps not yet run are due.
	Shift time.Duration
	// Done are the keys of the steps that have run.
	Done []string
	// Version makes PutEscalation conditional: it stores only over the
	// version read (0: none stored yet) and increments it.
	Version   int64
	UpdatedAt time.Time
}

// Store is what the engine keeps beside the pages.
type Store interface {
	oncall.PageStore
	// SetPageLinked records that the page's message now links the
	// incident's channel (it was sent before the channel existed).
	SetPageLinked(ctx context.Context, id string) error

	// AddNotification stores n unless one with n.ID exists; it returns the
	// stored one and whether n was added.
	AddNotification(ctx context.Context, n Notification) (Notification, bool, error)
	// MoveNotification replaces notification n.ID with n if its stored
	// state is one of from; it reports whether it did.
	MoveNotification(ctx context.Context, n Notification, from ...NotificationState) (bool, error)
	// Notification returns one notification; ErrNotFound if none.
	Notification(ctx context.Context, id string) (Notification, error)
	// Notifications returns an incident's notifications, by due time then ID.
	Notifications(ctx context.Context, incident int64) ([]Notification, error)
	// NotificationsTo returns the notifications to a person (by Slack ID)
	// created at or after since, newest first.
	NotificationsTo(ctx context.Context, user string, since time.Time) ([]Notification, error)

	// GetEscalation returns an incident's escalation; ErrNotFound if none.
	GetEscalation(ctx context.Context, incident int64) (Escalation, error)
	// PutEscalation stores e if the stored version is still e.Version
	// (ErrConflict otherwise) and increments e.Version.
	PutEscalation(ctx context.Context, e *Escalation) error
}

// Errors of a Store.
var (
	ErrNotFound = oncall.ErrNotFound // pages are oncall's records
	ErrConflict = errors.New("changed concurrently")
)
