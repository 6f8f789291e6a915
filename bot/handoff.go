package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
)

// handoffBlockID marks a handoff message (schedule and shift start, Unix
// seconds), so one posted but not recorded is not posted again.
const handoffBlockID = "handoff-%s-%d"

// PostHandoff posts a handoff message, once, in channel ("#name" or an ID;
// the bot joins it) and in the direct messages of users.
func (n *Notifier) PostHandoff(ctx context.Context, schedule string, startUnix int64, channel string, users []string, text string) error {
	blockID := fmt.Sprintf(handoffBlockID, schedule, startUnix)
	var targets []string
	if strings.TrimSpace(channel) != "" {
		ch, err := n.channelID(ctx, channel)
		if err != nil {
			return err
		}
		if _, _, _, err := n.api.JoinConversationContext(ctx, ch); err != nil && ErrorCode(err) != "method_not_supported_for_channel_type" {
			return fmt.Errorf("join %s: %w", channel, err)
		}
		targets = append(targets, ch)
	}
	for _, u := range users {
		dm, _, _, err := n.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{u}})
		if err != nil {
			return fmt.Errorf("conversations.open with %s: %w", u, err)
		}
		targets = append(targets, dm.ID)
	}
	for _, ch := range targets {
		if _, err := n.postOnce(ctx, ch, blockID, text, []slack.Block{mrkdwnSection(text)}); err != nil {
			return fmt.Errorf("post handoff of %s: %w", schedule, err)
		}
	}
	return nil
}

// SetUsergroup makes the user group (handle or ID) hold exactly users.
// Slack refuses an empty group; then it is left as it is.
func (n *Notifier) SetUsergroup(ctx context.Context, handleOrID string, users []string) error {
	if len(users) == 0 {
		return nil
	}
	groups, err := n.api.GetUserGroupsContext(ctx)
	if err != nil {
		return fmt.Errorf("usergroups.list: %w", err)
	}
	name := strings.TrimPrefix(handleOrID, "@")
	id := ""
	for _, g := range groups {
		if g.ID == name || g.Handle == name {
			id = g.ID
		}
	}
	if id == "" {
		return fmt.Errorf("user group %s: %w", handleOrID, ErrNoSuchChannel)
	}
	if _, err := n.api.UpdateUserGroupMembersContext(ctx, id, strings.Join(users, ",")); err != nil {
		return fmt.Errorf("usergroups.users.update %s: %w", handleOrID, err)
	}
	return nil
}
