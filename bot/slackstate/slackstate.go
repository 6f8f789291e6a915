// Package slackstate holds the bot's bookkeeping of what it created in Slack
// for each incident (channel, pinned summary, announce lines, topic, invites,
// reminders), so that every Slack side effect happens exactly once. It is the
// Slack adapter's state, kept apart from the incident domain; the stores in
// internal/store implement Store.
package slackstate

import (
	"context"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// Incident is the Slack state of one incident.
type Incident struct {
	// Number is the incident's number.
	Number int64
	// Version is 0 until the state is first stored, then counts the stores.
	Version int64

	ChannelID   string
	ChannelName string
	// SummaryTS is the ts of the pinned live summary in the channel.
	SummaryTS string
	// SummaryPinned records that the message at SummaryTS is pinned.
	SummaryPinned bool
	// AnnouncedOpen and AnnouncedResolved are the ts of the announce-channel
	// lines, so each is posted once.
	AnnouncedOpen     string
	AnnouncedResolved string
	// AnnouncedResolvedAt is the resolution the last resolved line was for (a
	// reopened and resolved-again incident is announced again).
	AnnouncedResolvedAt time.Time
	// Topic and Purpose are what the bot last set on the channel, so they are
	// set again only when they change.
	Topic   string
	Purpose string
	// Invited lists (comma-separated, sorted) the users the bot has invited or
	// found uninvitable, so someone who leaves is not pulled back on every update.
	Invited string
	// NudgedAt is the due time of the last status-update reminder posted, so
	// each interval is reminded once.
	NudgedAt time.Time
}

// ErrNotFound means no incident has the channel; it is
// incidents.ErrNotFound.
var ErrNotFound = incidents.ErrNotFound

// Store keeps the Slack state of incidents. Errors: ErrNotFound,
// incidents.ErrConflict.
type Store interface {
	// SlackState returns the state of incident number: the zero state (Number
	// set, Version 0) when none was stored yet.
	SlackState(ctx context.Context, number int64) (Incident, error)
	// PutSlackState stores st only if the stored version still equals
	// st.Version (0: nothing stored yet), else incidents.ErrConflict; on
	// success st.Version is incremented. Times are stored in UTC with at least
	// millisecond precision.
	PutSlackState(ctx context.Context, st *Incident) error
	// SlackStateByChannel returns the state whose ChannelID is channelID;
	// ErrNotFound if none.
	SlackStateByChannel(ctx context.Context, channelID string) (Incident, error)
}
