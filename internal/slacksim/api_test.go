package slacksim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/internal/slacksim"
)

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

func TestAuth(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	got, err := e.api.AuthTestContext(ctx)
	if err != nil {
		t.Fatalf("auth.test: %v", err)
	}
	if got.UserID != slacksim.BotUserID || got.TeamID != slacksim.TeamID || got.BotID != slacksim.BotID {
		t.Errorf("auth.test = %+v", got)
	}
	bad := slack.New("xoxb-wrong", slack.OptionAPIURL(e.srv.URL+"/api/"))
	if _, err := bad.AuthTestContext(ctx); slackErr(err) != "invalid_auth" {
		t.Errorf("wrong token: got %v, want invalid_auth", err)
	}
	resp, err := http.Post(e.srv.URL+"/api/auth.test", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got := decode(t, resp.Body); got["error"] != "not_authed" {
		t.Errorf("no token at all: %v, want not_authed", got)
	}
}

func TestUnknownMethod(t *testing.T) {
	e := newEnv(t)
	status, body, _ := e.post(t, "chat.postMesage", url.Values{})
	if status != http.StatusOK || body["ok"] != false || body["error"] != "unknown_method" {
		t.Errorf("got %d %v, want 200 unknown_method", status, body)
	}
}

func TestConversationsCreateNameRules(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tests := []struct {
		name, channel, want string
	}{
		{"ok", "inc-1-db-down", ""},
		{"underscore and digits", "inc_2_x9", ""},
		{"exactly 80", repeat("a", 80), ""},
		{"81 is too long", repeat("a", 81), "invalid_name_maxlength"},
		{"upper case", "Inc-3", "invalid_name_specials"},
		{"space", "inc 4", "invalid_name_specials"},
		{"hash", "#inc-5", "invalid_name_specials"},
		{"dot", "inc.6", "invalid_name_specials"},
		{"empty", "", "invalid_name_required"},
		{"only punctuation", "--_", "invalid_name_punctuation"},
		{"taken", "incidents", "name_taken"},
		{"taken by an earlier create", "inc-1-db-down", "name_taken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := e.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: tt.channel})
			if got := slackErr(err); got != tt.want {
				t.Fatalf("create %q: error %q, want %q", tt.channel, got, tt.want)
			}
			if tt.want != "" {
				return
			}
			if !strings.HasPrefix(ch.ID, "C") || ch.Name != tt.channel || !ch.IsMember || ch.Creator != slacksim.BotUserID {
				t.Errorf("channel = %+v", ch.GroupConversation)
			}
		})
	}
}

func TestConversationsInvite(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.createChannel(t, "inc-1")
	if _, err := e.api.InviteUsersToConversationContext(ctx, id, "U0001", "U0002"); err != nil {
		t.Fatalf("invite: %v", err)
	}
	if got := e.sim.Members(id); strings.Join(got, ",") != slacksim.BotUserID+",U0001,U0002" {
		t.Errorf("members = %v", got)
	}
	archived := e.createChannel(t, "inc-archived")
	if err := e.api.ArchiveConversationContext(ctx, archived); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		channel string
		users   []string
		want    string
	}{
		{"already in channel", id, []string{"U0001"}, "already_in_channel"},
		{"unknown user", id, []string{"U9999"}, "user_not_found"},
		{"self", id, []string{slacksim.BotUserID}, "cant_invite_self"},
		{"one bad user fails all", id, []string{"U0003", "U9999"}, "user_not_found"},
		{"unknown channel", "C999", []string{"U0003"}, "channel_not_found"},
		{"bot not in channel", e.channel(t, "sre"), []string{"U0001"}, "not_in_channel"},
		{"archived", archived, []string{"U0003"}, "is_archived"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.api.InviteUsersToConversationContext(ctx, tt.channel, tt.users...)
			if got := slackErr(err); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := e.sim.Members(id); len(got) != 3 {
		t.Errorf("a failed invite changed members: %v", got)
	}
	// Slack's per-user error objects come along.
	_, body, _ := e.post(t, "conversations.invite", url.Values{"channel": {id}, "users": {"U0001"}})
	errs, _ := body["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["user"] != "U0001" {
		t.Errorf("errors = %v", body["errors"])
	}
}

func TestConversationsTopicPurposeArchive(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.createChannel(t, "inc-7")
	ch, err := e.api.SetTopicOfConversationContext(ctx, id, "DB down | sev1")
	if err != nil || ch.Topic.Value != "DB down | sev1" {
		t.Fatalf("setTopic: %v %+v", err, ch)
	}
	if _, err := e.api.SetTopicOfConversationContext(ctx, id, repeat("é", 250)); err != nil {
		t.Errorf("250 characters: %v", err)
	}
	if _, err := e.api.SetTopicOfConversationContext(ctx, id, repeat("x", 251)); slackErr(err) != "too_long" {
		t.Errorf("251 characters: %v, want too_long", err)
	}
	if _, err := e.api.SetTopicOfConversationContext(ctx, e.channel(t, "sre"), "x"); slackErr(err) != "not_in_channel" {
		t.Errorf("not a member: %v, want not_in_channel", err)
	}
	if ch, err := e.api.SetPurposeOfConversationContext(ctx, id, "Incident #7"); err != nil || ch.Purpose.Value != "Incident #7" {
		t.Errorf("setPurpose: %v %+v", err, ch)
	}
	if err := e.api.ArchiveConversationContext(ctx, id); err != nil {
		t.Fatalf("archive: %v", err)
	}
	if err := e.api.ArchiveConversationContext(ctx, id); slackErr(err) != "already_archived" {
		t.Errorf("archive twice: %v", err)
	}
	if _, _, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionText("hi", false)); slackErr(err) != "is_archived" {
		t.Errorf("post to archived: %v", err)
	}
	if _, err := e.api.SetTopicOfConversationContext(ctx, id, "x"); slackErr(err) != "is_archived" {
		t.Errorf("topic of archived: %v", err)
	}
	if _, err := e.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: "inc-7"}); slackErr(err) != "name_taken" {
		t.Errorf("an archived channel's name is still taken: %v", err)
	}
	if err := e.api.UnArchiveConversationContext(ctx, id); err != nil {
		t.Fatalf("unarchive: %v", err)
	}
	if err := e.api.UnArchiveConversationContext(ctx, id); slackErr(err) != "not_archived" {
		t.Errorf("unarchive twice: %v", err)
	}
	general := e.channel(t, "general")
	if _, _, _, err := e.api.JoinConversationContext(ctx, general); err != nil {
		t.Fatal(err)
	}
	if err := e.api.ArchiveConversationContext(ctx, general); slackErr(err) != "cant_archive_general" {
		t.Errorf("archive #general: %v", err)
	}
}

func TestConversationsJoinInfoListMembers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sre := e.channel(t, "sre")
	info, err := e.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: sre, IncludeNumMembers: true})
	if err != nil || info.IsMember || info.NumMembers != 4 || info.Name != "sre" {
		t.Fatalf("info: %v %+v", err, info)
	}
	if _, err := e.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C404"}); slackErr(err) != "channel_not_found" {
		t.Errorf("info unknown: %v", err)
	}
	if _, err := e.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: sre}); slackErr(err) != "not_in_channel" {
		t.Errorf("history before join: %v", err)
	}
	ch, warning, _, err := e.api.JoinConversationContext(ctx, sre)
	if err != nil || !ch.IsMember || warning != "" {
		t.Fatalf("join: %v %q %+v", err, warning, ch)
	}
	if _, warning, _, err := e.api.JoinConversationContext(ctx, sre); err != nil || warning != "already_in_channel" {
		t.Errorf("join twice: %v %q", err, warning)
	}
	members, _, err := e.api.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{ChannelID: sre, Limit: 2})
	if err != nil || len(members) != 2 {
		t.Fatalf("members page: %v %v", err, members)
	}
	var all []string
	cursor := ""
	for {
		page, next, err := e.api.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{ChannelID: sre, Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(all) != 5 {
		t.Errorf("all members = %v", all)
	}
	chans, _, err := e.api.GetConversationsContext(ctx, &slack.GetConversationsParameters{ExcludeArchived: true})
	if err != nil || len(chans) != 4 {
		t.Errorf("list: %v %d channels", err, len(chans))
	}
	if _, _, err := e.api.GetConversationsContext(ctx, &slack.GetConversationsParameters{Cursor: "garbage"}); slackErr(err) != "invalid_cursor" {
		t.Errorf("bad cursor: %v", err)
	}
}

func TestPostMessage(t *testing.T) {
	e := newUnlimitedEnv(t)
	ctx := context.Background()
	id := e.createChannel(t, "inc-8")
	// The clock stands still: timestamps must still be unique and increasing.
	var tss []string
	for i := range 3 {
		_, ts, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionText("update "+string(rune('a'+i)), false))
		if err != nil {
			t.Fatal(err)
		}
		tss = append(tss, ts)
	}
	if !(tss[0] < tss[1] && tss[1] < tss[2]) || !strings.HasPrefix(tss[0], "1796014800.") {
		t.Errorf("timestamps %v", tss)
	}
	// By #name, with blocks.
	blocks := slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*sev1*", false, false), nil, nil))
	chID, ts, err := e.api.PostMessageContext(ctx, "#inc-8", blocks, slack.MsgOptionText("sev1", false))
	if err != nil || chID != id {
		t.Fatalf("post by name: %v %s", err, chID)
	}
	msg, ok := e.sim.Message(id, ts)
	if !ok || msg.User != slacksim.BotUserID || msg.BotID != slacksim.BotID || !bytes.Contains(msg.Blocks, []byte(`"*sev1*"`)) {
		t.Errorf("stored message %+v", msg)
	}
	// Threads.
	_, reply, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionText("in thread", false), slack.MsgOptionTS(tss[0]))
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := e.sim.Message(id, reply); m.ThreadTS != tss[0] {
		t.Errorf("reply thread_ts = %q", m.ThreadTS)
	}
	// History: newest first, replies left out, paged with a cursor.
	h, err := e.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: id, Limit: 2})
	if err != nil || len(h.Messages) != 2 || !h.HasMore || h.Messages[0].Timestamp != ts {
		t.Fatalf("history page 1: %v %+v", err, h)
	}
	h2, err := e.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: id, Limit: 2, Cursor: h.ResponseMetaData.NextCursor})
	if err != nil || len(h2.Messages) != 2 || h2.HasMore || h2.Messages[1].Timestamp != tss[0] {
		t.Fatalf("history page 2: %v %+v", err, h2)
	}
	if h2.Messages[1].ReplyCount != 1 {
		t.Errorf("parent reply_count = %d", h2.Messages[1].ReplyCount)
	}

	tests := []struct {
		name    string
		channel string
		opts    []slack.MsgOption
		want    string
	}{
		{"not a member", e.channel(t, "sre"), []slack.MsgOption{slack.MsgOptionText("x", false)}, "not_in_channel"},
		{"unknown channel", "C404", []slack.MsgOption{slack.MsgOptionText("x", false)}, "channel_not_found"},
		{"unknown name", "#nope", []slack.MsgOption{slack.MsgOptionText("x", false)}, "channel_not_found"},
		{"no text", id, []slack.MsgOption{slack.MsgOptionText("", false)}, "no_text"},
		{"40,001 characters", id, []slack.MsgOption{slack.MsgOptionText(repeat("x", 40001), false)}, "msg_too_long"},
		{"40,000 characters", id, []slack.MsgOption{slack.MsgOptionText(repeat("x", 40000), false)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.api.PostMessageContext(ctx, tt.channel, tt.opts...)
			if got := slackErr(err); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := e.sim.OKCalls("chat.postMessage"); got != 6 {
		t.Errorf("OKCalls = %d, want 6", got)
	}
	if got := e.sim.Calls("chat.postMessage"); got != 11 {
		t.Errorf("Calls = %d, want 11", got)
	}
}

func TestDirectMessage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ch, _, err := e.api.PostMessageContext(ctx, "U0002", slack.MsgOptionText("You are paged", false))
	if err != nil || !strings.HasPrefix(ch, "D") {
		t.Fatalf("DM: %v %s", err, ch)
	}
	open, _, _, err := e.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U0002"}})
	if err != nil || open.ID != ch {
		t.Errorf("conversations.open: %v %+v, want %s", err, open, ch)
	}
	if got := e.sim.Messages(ch); len(got) != 1 || got[0].Text != "You are paged" {
		t.Errorf("DM messages %+v", got)
	}
	if _, _, err := e.api.PostMessageContext(ctx, "U9999", slack.MsgOptionText("x", false)); slackErr(err) != "channel_not_found" {
		t.Errorf("DM unknown user: %v", err)
	}
}

func TestBlockKitLimits(t *testing.T) {
	e := newUnlimitedEnv(t)
	id := e.createChannel(t, "inc-blocks")
	section := func(n int) string {
		return `{"type":"section","text":{"type":"mrkdwn","text":"` + repeat("x", n) + `"}}`
	}
	button := func(text, actionID string) string {
		return `{"type":"button","text":{"type":"plain_text","text":"` + text + `"},"action_id":"` + actionID + `","value":"v"}`
	}
	actions := func(n int) string {
		els := make([]string, n)
		for i := range els {
			els[i] = button("b", "a"+string(rune('A'+i%26))+repeat("z", i/26))
		}
		return `{"type":"actions","elements":[` + strings.Join(els, ",") + `]}`
	}
	many := func(n int) string {
		list := make([]string, n)
		for i := range list {
			list[i] = section(1)
		}
		return "[" + strings.Join(list, ",") + "]"
	}
	tests := []struct {
		name, blocks, want, pointer string
	}{
		{"50 blocks", many(50), "", ""},
		{"51 blocks", many(51), "invalid_blocks", "/blocks"},
		{"section 3000", "[" + section(3000) + "]", "", ""},
		{"section 3001", "[" + section(3001) + "]", "invalid_blocks", "/blocks/0/text/text"},
		{"header 150", `[{"type":"header","text":{"type":"plain_text","text":"` + repeat("h", 150) + `"}}]`, "", ""},
		{"header 151", `[{"type":"header","text":{"type":"plain_text","text":"` + repeat("h", 151) + `"}}]`, "invalid_blocks", "/blocks/0/text/text"},
		{"header mrkdwn", `[{"type":"header","text":{"type":"mrkdwn","text":"h"}}]`, "invalid_blocks", "/blocks/0/text/type"},
		{"button text 75", `[{"type":"actions","elements":[` + button(repeat("b", 75), "a") + `]}]`, "", ""},
		{"button text 76", `[{"type":"actions","elements":[` + button(repeat("b", 76), "a") + `]}]`, "invalid_blocks", "/blocks/0/elements/0/text/text"},
		{"action_id 255", `[{"type":"actions","elements":[` + button("b", repeat("a", 255)) + `]}]`, "", ""},
		{"action_id 256", `[{"type":"actions","elements":[` + button("b", repeat("a", 256)) + `]}]`, "invalid_blocks", "/blocks/0/elements/0/action_id"},
		{"25 elements", "[" + actions(25) + "]", "", ""},
		{"26 elements", "[" + actions(26) + "]", "invalid_blocks", "/blocks/0/elements"},
		{"duplicate action_id", `[{"type":"actions","elements":[` + button("b", "x") + "," + button("c", "x") + `]}]`, "invalid_blocks", "/blocks/0/elements/1/action_id"},
		{"duplicate block_id", `[{"type":"divider","block_id":"a"},{"type":"divider","block_id":"a"}]`, "invalid_blocks", "/blocks/1/block_id"},
		{"unknown block type", `[{"type":"sparkle"}]`, "invalid_blocks", "/blocks/0/type"},
		{"empty text", `[{"type":"section","text":{"type":"mrkdwn","text":""}}]`, "invalid_blocks", "/blocks/0/text/text"},
		{"section without text", `[{"type":"section"}]`, "invalid_blocks", "/blocks/0"},
		{"11 fields", `[{"type":"section","fields":[` + strings.TrimSuffix(repeat(`{"type":"mrkdwn","text":"f"},`, 11), ",") + `]}]`, "invalid_blocks", "/blocks/0/fields"},
		{"button style", `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"b"},"style":"green"}]}]`, "invalid_blocks", "/blocks/0/elements/0/style"},
		{"not JSON", `[{"type":`, "invalid_blocks_format", ""},
		{"not an array", `{"type":"divider"}`, "invalid_blocks_format", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body, _ := e.post(t, "chat.postMessage", url.Values{"channel": {id}, "text": {"fallback"}, "blocks": {tt.blocks}})
			if tt.want == "" {
				if body["ok"] != true {
					t.Fatalf("rejected: %v", body)
				}
				return
			}
			if body["error"] != tt.want {
				t.Fatalf("error = %v, want %s", body["error"], tt.want)
			}
			if tt.pointer == "" {
				return
			}
			errs, _ := body["errors"].([]any)
			meta, _ := body["response_metadata"].(map[string]any)
			msgs, _ := meta["messages"].([]any)
			if len(errs) == 0 || len(msgs) != len(errs) {
				t.Fatalf("errors %v, messages %v", errs, msgs)
			}
			wantPtr := "[json-pointer:" + tt.pointer + "]"
			if !strings.HasSuffix(errs[0].(string), wantPtr) || !strings.HasPrefix(msgs[0].(string), "[ERROR] ") {
				t.Errorf("errors[0] = %q, want pointer %s", errs[0], wantPtr)
			}
		})
	}
	// Through slack-go: the error carries Slack's messages.
	long := slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", repeat("x", 3001), false, false), nil, nil)
	_, _, err := e.api.PostMessageContext(context.Background(), id, slack.MsgOptionBlocks(long))
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_blocks" || len(se.ResponseMetadata.Messages) == 0 ||
		se.ResponseMetadata.Messages[0] != "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]" {
		t.Errorf("slack-go error = %#v", err)
	}
}

func TestChatUpdateEphemeralPermalink(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.createChannel(t, "inc-9")
	if _, err := e.api.InviteUsersToConversationContext(ctx, id, "U0001"); err != nil {
		t.Fatal(err)
	}
	_, ts, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionText("status: investigating", false))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	if _, _, text, err := e.api.UpdateMessageContext(ctx, id, ts, slack.MsgOptionText("status: resolved", false)); err != nil || text != "status: resolved" {
		t.Fatalf("update: %v %q", err, text)
	}
	m, _ := e.sim.Message(id, ts)
	if m.Text != "status: resolved" || m.Edited == nil || m.Edited.User != slacksim.BotUserID {
		t.Errorf("updated message %+v", m)
	}
	if _, _, _, err := e.api.UpdateMessageContext(ctx, id, "1700000000.000001", slack.MsgOptionText("x", false)); slackErr(err) != "message_not_found" {
		t.Errorf("update unknown: %v", err)
	}
	userTS, err := e.sim.UserPost(ctx, "U0001", id, "I'm on it")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := e.api.UpdateMessageContext(ctx, id, userTS, slack.MsgOptionText("x", false)); slackErr(err) != "cant_update_message" {
		t.Errorf("update a user's message: %v", err)
	}
	if _, err := e.api.PostEphemeralContext(ctx, id, "U0001", slack.MsgOptionText("only you", false)); err != nil {
		t.Fatalf("ephemeral: %v", err)
	}
	if eph := e.sim.Ephemerals(); len(eph) != 1 || eph[0].User != "U0001" || eph[0].Text != "only you" {
		t.Errorf("ephemerals %+v", eph)
	}
	if _, err := e.api.PostEphemeralContext(ctx, id, "U0003", slack.MsgOptionText("x", false)); slackErr(err) != "user_not_in_channel" {
		t.Errorf("ephemeral to a non-member: %v", err)
	}
	link, err := e.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: id, Ts: ts})
	if err != nil || !strings.HasSuffix(link, "/archives/"+id+"/p"+strings.Replace(ts, ".", "", 1)) {
		t.Errorf("permalink %q %v", link, err)
	}
	if _, err := e.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: id, Ts: "1.000001"}); slackErr(err) != "message_not_found" {
		t.Errorf("permalink unknown: %v", err)
	}
}

func TestPinsAndReactions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.createChannel(t, "inc-10")
	_, ts, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionText("Incident summary", false))
	if err != nil {
		t.Fatal(err)
	}
	ref := slack.NewRefToMessage(id, ts)
	if err := e.api.AddPinContext(ctx, id, ref); err != nil {
		t.Fatalf("pin: %v", err)
	}
	if err := e.api.AddPinContext(ctx, id, ref); slackErr(err) != "already_pinned" {
		t.Errorf("pin twice: %v", err)
	}
	if err := e.api.AddPinContext(ctx, id, slack.NewRefToMessage(id, "1700000000.000009")); slackErr(err) != "message_not_found" {
		t.Errorf("pin unknown: %v", err)
	}
	if pins := e.sim.Pins(id); len(pins) != 1 || pins[0].TS != ts {
		t.Errorf("pins %+v", pins)
	}
	if err := e.api.AddReactionContext(ctx, "eyes", ref); err != nil {
		t.Fatalf("react: %v", err)
	}
	if err := e.api.AddReactionContext(ctx, "eyes", ref); slackErr(err) != "already_reacted" {
		t.Errorf("react twice: %v", err)
	}
	if err := e.api.AddReactionContext(ctx, ":eyes:", ref); slackErr(err) != "invalid_name" {
		t.Errorf("react with colons: %v", err)
	}
	h, err := e.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: id})
	if err != nil || len(h.Messages) != 1 || len(h.Messages[0].Reactions) != 1 || len(h.Messages[0].PinnedTo) != 1 {
		t.Errorf("history shows pins and reactions: %v %+v", err, h.Messages)
	}
}

func TestUsers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.api.GetUserInfoContext(ctx, "U0001")
	if err != nil || u.Name != "alice" || u.Profile.Email != "alice@example.com" {
		t.Fatalf("users.info: %v %+v", err, u)
	}
	if _, err := e.api.GetUserInfoContext(ctx, "U404"); slackErr(err) != "user_not_found" {
		t.Errorf("users.info unknown: %v", err)
	}
	u, err = e.api.GetUserByEmailContext(ctx, "Alice@Example.com")
	if err != nil || u.ID != "U0001" {
		t.Errorf("lookupByEmail: %v %+v", err, u)
	}
	if _, err := e.api.GetUserByEmailContext(ctx, "nobody@example.com"); slackErr(err) != "users_not_found" {
		t.Errorf("lookupByEmail unknown: %v", err)
	}
	if err := e.sim.AddUser(slacksim.User{ID: "U0005", Name: "erin", Email: "erin@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.AddUser(slacksim.User{ID: "U0005", Name: "erin"}); err == nil {
		t.Error("AddUser accepted a duplicate ID")
	}
	if u, err := e.api.GetUserByEmailContext(ctx, "erin@example.com"); err != nil || u.ID != "U0005" {
		t.Errorf("added user: %v %+v", err, u)
	}
}

func modal(title string, blocks ...slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      slack.NewTextBlockObject("plain_text", title, false, false),
		Submit:     slack.NewTextBlockObject("plain_text", "Declare", false, false),
		CallbackID: "declare",
		Blocks:     slack.Blocks{BlockSet: blocks},
	}
}

func titleInput() slack.Block {
	return slack.NewInputBlock("title", slack.NewTextBlockObject("plain_text", "Title", false, false), nil,
		slack.NewPlainTextInputBlockElement(nil, "title_input"))
}

func TestViews(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	trig := e.sim.IssueTrigger("U0001", e.channel(t, "incidents"))
	resp, err := e.api.OpenViewContext(ctx, trig, modal("Declare incident", titleInput()))
	if err != nil || !strings.HasPrefix(resp.ID, "V") || resp.Hash == "" {
		t.Fatalf("views.open: %v %+v", err, resp)
	}
	if _, err := e.api.OpenViewContext(ctx, trig, modal("Again", titleInput())); slackErr(err) != "exchanged_trigger_id" {
		t.Errorf("trigger reused: %v", err)
	}
	if _, err := e.api.OpenViewContext(ctx, "1.2.3", modal("x", titleInput())); slackErr(err) != "invalid_trigger_id" {
		t.Errorf("unknown trigger: %v", err)
	}
	old := e.sim.IssueTrigger("U0001", "")
	e.clock.Advance(3*time.Second + time.Millisecond)
	if _, err := e.api.OpenViewContext(ctx, old, modal("x", titleInput())); slackErr(err) != "expired_trigger_id" {
		t.Errorf("expired trigger: %v", err)
	}
	if _, err := e.api.OpenViewContext(ctx, e.sim.IssueTrigger("U0001", ""), modal(repeat("t", 25), titleInput())); slackErr(err) != "invalid_arguments" {
		t.Errorf("25-character title: %v", err)
	}
	views := e.sim.Views()
	if len(views) != 1 || views[0].User != "U0001" || views[0].CallbackID != "declare" || !views[0].Open {
		t.Fatalf("views %+v", views)
	}
	upd, err := e.api.UpdateViewContext(ctx, modal("Declare (step 2)", titleInput()), "", resp.Hash, resp.ID)
	if err != nil || upd.Hash == resp.Hash {
		t.Fatalf("views.update: %v %+v", err, upd)
	}
	if _, err := e.api.UpdateViewContext(ctx, modal("x", titleInput()), "", resp.Hash, resp.ID); slackErr(err) != "hash_conflict" {
		t.Errorf("stale hash: %v", err)
	}
	if _, err := e.api.UpdateViewContext(ctx, modal("x", titleInput()), "", "", "V404"); slackErr(err) != "not_found" {
		t.Errorf("unknown view: %v", err)
	}
}

func TestUsergroups(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	groups, err := e.api.GetUserGroupsContext(ctx)
	if err != nil || len(groups) != 1 || groups[0].Handle != "oncall-primary" {
		t.Fatalf("usergroups.list: %v %+v", err, groups)
	}
	g, err := e.api.UpdateUserGroupMembersContext(ctx, groups[0].ID, "U0002,U0003")
	if err != nil || len(g.Users) != 2 {
		t.Fatalf("usergroups.users.update: %v %+v", err, g)
	}
	if got := e.sim.UsergroupUsers("oncall-primary"); strings.Join(got, ",") != "U0002,U0003" {
		t.Errorf("UsergroupUsers = %v", got)
	}
	if _, err := e.api.UpdateUserGroupMembersContext(ctx, groups[0].ID, "U404"); slackErr(err) != "invalid_users" {
		t.Errorf("unknown user: %v", err)
	}
	if _, err := e.api.UpdateUserGroupMembersContext(ctx, "S404", "U0001"); slackErr(err) != "no_such_subteam" {
		t.Errorf("unknown group: %v", err)
	}
}

func TestFileUpload(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.createChannel(t, "inc-11")
	content := "# Postmortem\n\nAll good."
	f, err := e.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Filename: "postmortem-11.md", FileSize: len(content), Content: content, Channel: id, Title: "Postmortem #11",
	})
	if err != nil || !strings.HasPrefix(f.ID, "F") {
		t.Fatalf("upload: %v %+v", err, f)
	}
	files := e.sim.Files()
	if len(files) != 1 || string(files[0].Content) != content || !files[0].Completed || files[0].Channel != id || files[0].Title != "Postmortem #11" {
		t.Errorf("files %+v", files)
	}
	if msgs := e.sim.Messages(id); len(msgs) != 1 || len(msgs[0].Files) != 1 {
		t.Errorf("shared message %+v", msgs)
	}
	_, body, _ := e.post(t, "files.completeUploadExternal", url.Values{"files": {`[{"id":"` + f.ID + `"}]`}})
	if body["error"] != "file_not_found" {
		t.Errorf("complete twice: %v", body)
	}
	_, body, _ = e.post(t, "files.getUploadURLExternal", url.Values{"filename": {"x"}, "length": {"0"}})
	if body["error"] != "missing_argument" {
		t.Errorf("length 0: %v", body)
	}
}

func TestJSONBodies(t *testing.T) {
	e := newEnv(t)
	id := e.createChannel(t, "inc-12")
	call := func(method, auth, body string) map[string]any {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/"+method, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return decode(t, resp.Body)
	}
	if got := call("chat.postMessage", testToken, `{"channel":"`+id+`","text":"json","blocks":[{"type":"divider"}]}`); got["ok"] != true {
		t.Errorf("JSON post: %v", got)
	}
	if got := call("chat.postMessage", "", `{"token":"`+testToken+`","channel":"`+id+`","text":"json"}`); got["error"] != "not_authed" {
		t.Errorf("JSON with the token in the body: %v, want not_authed", got)
	}
	if got := call("conversations.history", testToken, `{"channel":"`+id+`"}`); got["error"] != "channel_not_found" {
		t.Errorf("JSON to a form-only method: %v, want the arguments ignored", got)
	}
	if got := call("chat.postMessage", testToken, `{"channel":`); got["error"] != "invalid_json" {
		t.Errorf("broken JSON: %v", got)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/chat.postMessage", strings.NewReader("<xml/>"))
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got := decode(t, resp.Body); got["error"] != "invalid_post_type" {
		t.Errorf("XML body: %v", got)
	}
}
