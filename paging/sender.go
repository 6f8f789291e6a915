// Package paging wakes people: the escalation engine decides who is paged
// and when (oncall's policies and schedules), each person's notification
// rules decide how (Slack, push, SMS, voice, email, webhook), and every step
// is a durable job, so a restart neither loses nor repeats one. The senders
// of each method live in their own packages (paging/twilio, paging/email,
// paging/ntfy, paging/webhook; the Slack DM in bot) behind Sender.
package paging

import (
	"context"
	"errors"

	"github.com/incidentbot/incidentbot/oncall"
)

// Message is one notification of one person by one method. To is personal
// data (a phone number, an email address): senders never log it.
type Message struct {
	// ID names this notification in callbacks (Twilio's status and key
	// presses, acknowledge links); stable across retries.
	ID       string
	Incident int64
	// Test marks a test page (/oncall test-page): it says so everywhere and
	// acknowledges nothing.
	Test   bool
	Method oncall.Method
	// Person is the person's display name (never an address).
	Person string
	// To is the address: an E.164 number (SMS, voice), an email address,
	// an ntfy topic URL (server + "/" + topic), a webhook URL.
	To string
	// Token authenticates to To where the method needs it (an ntfy access
	// token); Secret signs the body (the webhook's HMAC key). Optional.
	Token, Secret string
	// Subject is one line: "#42 sev1: Checkout is down".
	Subject string
	// Body is plain text, a few lines: what, how bad, where to look.
	Body string
	// Spoken is what a phone call reads out (no links, no symbols).
	Spoken string
	// IncidentURL is the incident's web page.
	IncidentURL string
	// AckURL acknowledges the incident when POSTed to (push actions) or
	// opened and confirmed (email); signed and expiring. Empty for a test.
	AckURL string
	// CallbackURL is where the provider reports delivery status and key
	// presses for this notification (Twilio); empty when not needed.
	CallbackURL string
	// Severity and Title are the incident's, for senders that format their
	// own (the webhook's JSON).
	Severity, Title string
	// Notice marks a follow-up to an earlier page (who acknowledged): low
	// priority, nothing to acknowledge.
	Notice bool
	// Reply is how to acknowledge by text ("Reply 1 or ACK 42 to
	// acknowledge"), Keys the key presses of a call ("Press 1 to
	// acknowledge, 2 to escalate"), Language the call's voice language
	// (BCP 47, "en-US"): in the team's language. Empty: the sender's English.
	Reply, Keys, Language string
}

// Receipt is what a provider answered when it took a message.
type Receipt struct {
	// Provider names who took it: "twilio", "smtp", "ntfy", "webhook", "slack".
	Provider string
	// ID is the provider's ID for the message (Twilio's SID), if any.
	ID string
	// Status is the provider's first status (Twilio's "queued"); "sent"
	// when the provider says no more.
	Status string
}

// Sender sends messages of one or more methods. It returns an error when
// the provider did not take the message: a timeout, a 5xx, a refusal.
// Any error moves the person on (to a fallback sender, else to their next
// notification step) rather than retrying the same sender.
type Sender interface {
	Send(ctx context.Context, m Message) (Receipt, error)
}

// ErrNotConfigured is returned (wrapped) by a sender whose provider is not
// configured, e.g. SMS without Twilio credentials.
var ErrNotConfigured = errors.New("provider not configured")

// Delivery statuses a provider may report after it took a message, as
// Twilio names them. Failed and Undelivered move the person on at once.
const (
	StatusQueued      = "queued"
	StatusSent        = "sent"
	StatusDelivered   = "delivered"
	StatusFailed      = "failed"
	StatusUndelivered = "undelivered"
	// Calls:
	StatusRinging    = "ringing"
	StatusInProgress = "in-progress"
	StatusCompleted  = "completed"
	StatusBusy       = "busy"
	StatusNoAnswer   = "no-answer"
	StatusCanceled   = "canceled"
)

// unreached reports whether a reported status means the person was not reached.
func unreached(status string) bool {
	switch status {
	case StatusFailed, StatusUndelivered, StatusBusy, StatusNoAnswer, StatusCanceled:
		return true
	}
	return false
}
