package slacksim_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/internal/slacksim"
)

func TestConversationsOpen(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.sim.AddUser(slacksim.User{ID: "U0009", Name: "gone", Deleted: true}); err != nil {
		t.Fatal(err)
	}
	first, noOp, already, err := e.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U0002"}})
	if err != nil || !strings.HasPrefix(first.ID, "D") || noOp || already {
		t.Fatalf("first open: %v %+v no_op=%v already_open=%v", err, first, noOp, already)
	}
	again, noOp, already, err := e.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U0002"}, ReturnIM: true})
	if err != nil || again.ID != first.ID || !noOp || !already || !again.IsIM || again.User != "U0002" || again.Created == 0 {
		t.Fatalf("second open: %v %+v no_op=%v already_open=%v", err, again, noOp, already)
	}
	other, _, _, err := e.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U0003"}})
	if err != nil || other.ID == first.ID {
		t.Fatalf("another user's DM: %v %+v", err, other)
	}
	// Without return_im only the ID comes back, as Slack does.
	_, body, _ := e.post(t, "conversations.open", url.Values{"users": {"U0002"}})
	if ch := body["channel"].(map[string]any); len(ch) != 1 || ch["id"] != first.ID {
		t.Errorf("plain answer %v", body)
	}
	if dm, ok := e.sim.DirectMessage("U0002"); !ok || dm.ID != first.ID || !dm.IsIM || strings.Join(dm.Members, ",") != "U0002,"+slacksim.BotUserID {
		t.Errorf("DirectMessage = %+v %v", dm, ok)
	}

	tests := []struct {
		name string
		args url.Values
		want string
	}{
		{"resume by channel", url.Values{"channel": {first.ID}}, ""},
		{"no users", url.Values{}, "users_list_not_supplied"},
		{"unknown user", url.Values{"users": {"U404"}}, "user_not_found"},
		{"deleted user", url.Values{"users": {"U0009"}}, "user_disabled"},
		{"the bot itself", url.Values{"users": {slacksim.BotUserID}}, "cannot_dm_bot"},
		{"nine users", url.Values{"users": {"U1,U2,U3,U4,U5,U6,U7,U8,U9"}}, "too_many_users"},
		{"group DM", url.Values{"users": {"U0001,U0002"}}, "invalid_arguments"},
		{"unknown channel", url.Values{"channel": {"D404"}}, "channel_not_found"},
		{"a public channel", url.Values{"channel": {e.channel(t, "sre")}}, "method_not_supported_for_channel_type"},
		{"prevent_creation, none yet", url.Values{"users": {"U0004"}, "prevent_creation": {"true"}}, "channel_not_found"},
		{"prevent_creation, exists", url.Values{"users": {"U0002"}, "prevent_creation": {"true"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body, _ := e.post(t, "conversations.open", tt.args)
			if got, _ := body["error"].(string); got != tt.want {
				t.Errorf("conversations.open %v: %q, want %q (%v)", tt.args, got, tt.want, body)
			}
		})
	}
	if _, ok := e.sim.DirectMessage("U0004"); ok {
		t.Error("prevent_creation opened a DM")
	}
}

func TestDirectMessagePostUpdateClick(t *testing.T) {
	e := newEnv(t)
	b := newBot(t, e.sim)
	ctx := context.Background()
	dm, _, _, err := e.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U0002"}})
	if err != nil {
		t.Fatal(err)
	}
	ack := slack.NewButtonBlockElement("page_ack", "page-7", slack.NewTextBlockObject("plain_text", "Acknowledge", false, false))
	ch, ts, err := e.api.PostMessageContext(ctx, dm.ID, slack.MsgOptionText("You are paged for #7", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", ":rotating_light: *Incident #7*", false, false), nil, nil),
			slack.NewActionBlock("page", ack)))
	if err != nil || ch != dm.ID {
		t.Fatalf("post to the DM: %v %s", err, ch)
	}
	// Posting to the user ID lands in the same DM.
	if ch, _, err := e.api.PostMessageContext(ctx, "U0002", slack.MsgOptionText("reminder", false)); err != nil || ch != dm.ID {
		t.Errorf("post to the user ID: %v %s", err, ch)
	}
	// Only the DM's user can click; the click is a block_actions from the DM.
	if _, err := e.sim.ClickButton(ctx, "U0003", dm.ID, ts, "page_ack", ""); err == nil {
		t.Error("another user clicked a button in bob's DM")
	}
	if _, err := e.sim.ClickButton(ctx, "U0002", dm.ID, ts, "page_ack", "page-7"); err != nil {
		t.Fatal(err)
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(payload(t, b.last(t).Body)), &cb); err != nil {
		t.Fatal(err)
	}
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != "U0002" || cb.Channel.ID != dm.ID || cb.Channel.Name != "directmessage" ||
		cb.Container.ChannelID != dm.ID || cb.Message.Timestamp != ts || len(cb.ActionCallback.BlockActions) != 1 ||
		cb.ActionCallback.BlockActions[0].Value != "page-7" {
		t.Errorf("callback %+v", cb)
	}
	// chat.update replaces the buttons, as the pager does once someone acknowledges.
	done := slack.NewContextBlock("", slack.NewTextBlockObject("mrkdwn", ":white_check_mark: Acknowledged by <@U0002>", false, false))
	if _, _, _, err := e.api.UpdateMessageContext(ctx, dm.ID, ts, slack.MsgOptionText("Acknowledged", false), slack.MsgOptionBlocks(done)); err != nil {
		t.Fatalf("chat.update in the DM: %v", err)
	}
	if m, _ := e.sim.Message(dm.ID, ts); m.Text != "Acknowledged" || m.Edited == nil || strings.Contains(string(m.Blocks), "page_ack") {
		t.Errorf("updated %+v", m)
	}
	if _, err := e.sim.ClickButton(ctx, "U0002", dm.ID, ts, "page_ack", ""); err == nil {
		t.Error("clicked a button chat.update removed")
	}
	// chat.update takes the channel ID, not the user ID.
	if _, _, _, err := e.api.UpdateMessageContext(ctx, "U0002", ts, slack.MsgOptionText("x", false)); slackErr(err) != "channel_not_found" {
		t.Errorf("chat.update to a user ID: %v", err)
	}
}
