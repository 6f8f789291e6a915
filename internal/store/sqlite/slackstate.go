package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/incidentbot/incidentbot/bot/slackstate"
	"github.com/incidentbot/incidentbot/incidents"
)

var _ slackstate.Store = (*Store)(nil)

const slackCols = `number, version, channel_id, channel_name, summary_ts, summary_pinned, announced_open,
	announced_resolved, announced_resolved_at, topic, purpose, invited, nudged_at`

func scanSlack(row *sql.Row) (slackstate.Incident, error) {
	var (
		st                  slackstate.Incident
		pinned              int
		resolvedAt, nudgeAt int64
	)
	err := row.Scan(&st.Number, &st.Version, &st.ChannelID, &st.ChannelName, &st.SummaryTS, &pinned, &st.AnnouncedOpen,
		&st.AnnouncedResolved, &resolvedAt, &st.Topic, &st.Purpose, &st.Invited, &nudgeAt)
	st.SummaryPinned, st.AnnouncedResolvedAt, st.NudgedAt = pinned != 0, fromTS(resolvedAt), fromTS(nudgeAt)
	return st, err
}

// SlackState implements slackstate.Store.
func (s *Store) SlackState(ctx context.Context, number int64) (slackstate.Incident, error) {
	st, err := scanSlack(s.r.QueryRowContext(ctx, `SELECT `+slackCols+` FROM slack_state WHERE number = ?`, number))
	if errors.Is(err, sql.ErrNoRows) {
		return slackstate.Incident{Number: number}, nil
	}
	if err != nil {
		return slackstate.Incident{}, fmt.Errorf("slack state of incident #%d: %w", number, err)
	}
	return st, nil
}

// PutSlackState implements slackstate.Store: an insert that fails on an
// existing row for version 0, else an UPDATE conditional on the version.
func (s *Store) PutSlackState(ctx context.Context, st *slackstate.Incident) error {
	pinned := 0
	if st.SummaryPinned {
		pinned = 1
	}
	args := []any{st.ChannelID, st.ChannelName, st.SummaryTS, pinned, st.AnnouncedOpen, st.AnnouncedResolved,
		ts(st.AnnouncedResolvedAt), st.Topic, st.Purpose, st.Invited, ts(st.NudgedAt), st.Number}
	var (
		ok  bool
		err error
	)
	if st.Version == 0 {
		ok, err = s.exec(ctx, `INSERT INTO slack_state (channel_id, channel_name, summary_ts, summary_pinned,
			announced_open, announced_resolved, announced_resolved_at, topic, purpose, invited, nudged_at, number, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (number) DO NOTHING`, args...)
	} else {
		ok, err = s.exec(ctx, `UPDATE slack_state SET channel_id = ?, channel_name = ?, summary_ts = ?, summary_pinned = ?,
			announced_open = ?, announced_resolved = ?, announced_resolved_at = ?, topic = ?, purpose = ?, invited = ?,
			nudged_at = ?, version = version + 1 WHERE number = ? AND version = ?`, append(args, st.Version)...)
	}
	if err != nil {
		return fmt.Errorf("put slack state of incident #%d: %w", st.Number, err)
	}
	if !ok {
		return fmt.Errorf("put slack state of incident #%d at version %d: %w", st.Number, st.Version, incidents.ErrConflict)
	}
	st.Version++
	return nil
}

// SlackStateByChannel implements slackstate.Store through the channel index.
func (s *Store) SlackStateByChannel(ctx context.Context, channelID string) (slackstate.Incident, error) {
	if channelID == "" {
		return slackstate.Incident{}, fmt.Errorf("slack state of channel %q: %w", channelID, slackstate.ErrNotFound)
	}
	st, err := scanSlack(s.r.QueryRowContext(ctx, `SELECT `+slackCols+` FROM slack_state
		WHERE channel_id = ? AND channel_id <> '' ORDER BY number LIMIT 1`, channelID))
	if errors.Is(err, sql.ErrNoRows) {
		return slackstate.Incident{}, fmt.Errorf("slack state of channel %s: %w", channelID, slackstate.ErrNotFound)
	}
	if err != nil {
		return slackstate.Incident{}, fmt.Errorf("slack state of channel %s: %w", channelID, err)
	}
	return st, nil
}
