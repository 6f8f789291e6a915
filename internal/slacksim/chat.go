package slacksim

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Slack's documented limits on messages.
const (
	maxMessageText = 40000
	maxAttachments = 100
)

// content is a message's text, blocks and attachments as given to a chat method.
type content struct {
	text        string
	hasText     bool
	blocks      json.RawMessage
	hasBlocks   bool
	attachments json.RawMessage
}

// readContent validates the text, blocks and attachments arguments of a chat method.
func readContent(c *call, requireSome bool) (content, *apiError) {
	var out content
	out.text, out.hasText = c.args["text"]
	if raw, ok := c.args["blocks"]; ok && strings.TrimSpace(raw) != "" {
		blocks, ok := parseBlocks(raw)
		if !ok {
			return out, fail("invalid_blocks_format")
		}
		if errs := checkBlocks(blocks, "message", "/blocks"); len(errs) > 0 {
			return out, invalidBlocks(errs)
		}
		out.hasBlocks = true
		if len(blocks) > 0 {
			out.blocks = compactJSON(raw)
		}
	}
	if raw, ok := c.args["attachments"]; ok && strings.TrimSpace(raw) != "" {
		var list []json.RawMessage
		if err := json.Unmarshal([]byte(raw), &list); err != nil {
			return out, fail("invalid_attachments")
		}
		if len(list) > maxAttachments {
			return out, fail("too_many_attachments")
		}
		if len(list) > 0 {
			out.attachments = compactJSON(raw)
		}
	}
	if requireSome && out.text == "" && out.blocks == nil && out.attachments == nil {
		return out, fail("no_text")
	}
	if utf8.RuneCountInString(out.text) > maxMessageText {
		return out, fail("msg_too_long")
	}
	return out, nil
}

func compactJSON(raw string) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(raw)); err != nil {
		return json.RawMessage(raw)
	}
	return b.Bytes()
}

// postTarget resolves chat.postMessage's channel argument: an ID, "#name", or a user
// ID (the bot's DM with that user).
func (s *Server) postTarget(ref string) (*channel, *apiError) {
	if ref != "" && (ref[0] == 'U' || ref[0] == 'W') {
		if u := s.users[ref]; u != nil && !u.Deleted && u.ID != BotUserID {
			return s.imWithLocked(ref), nil
		}
		return nil, fail("channel_not_found")
	}
	ch, err := s.lookupChannel(ref, true)
	if err != nil {
		return nil, err
	}
	if ch.IsArchived {
		return nil, fail("is_archived")
	}
	if !ch.isMember(BotUserID) {
		if ch.IsPrivate {
			return nil, fail("channel_not_found")
		}
		return nil, fail("not_in_channel")
	}
	return ch, nil
}

func (s *Server) chatPostMessage(c *call) (obj, *apiError) {
	ch, err := s.postTarget(c.arg("channel"))
	if err != nil {
		return nil, err
	}
	body, err := readContent(c, true)
	if err != nil {
		return nil, err
	}
	threadTS := c.arg("thread_ts")
	if threadTS != "" {
		if !validTS(threadTS) {
			return nil, fail("invalid_thread_ts")
		}
		if parent := ch.findMessage(threadTS); parent != nil {
			if parent.ThreadTS != "" {
				threadTS = parent.ThreadTS // a reply's ts means its thread
			} else {
				parent.ThreadTS = parent.TS
			}
		}
	}
	m := s.postLocked(ch, BotUserID, body, threadTS)
	m.ReplyBroadcast = threadTS != "" && c.arg("reply_broadcast") == "true"
	m.plainText = c.arg("mrkdwn") == "false"
	return obj{"channel": ch.ID, "ts": m.TS, "message": s.messageJSON(ch, m)}, nil
}

// postLocked appends a message from author (the bot or a user) to a channel.
func (s *Server) postLocked(ch *channel, author string, body content, threadTS string) *message {
	m := &message{Message: Message{
		Channel:     ch.ID,
		TS:          s.nextTSLocked(),
		ThreadTS:    threadTS,
		User:        author,
		Text:        body.text,
		Blocks:      body.blocks,
		Attachments: body.attachments,
	}}
	if author == BotUserID {
		m.BotID = BotID
	}
	s.appendMessageLocked(ch, m)
	return m
}

func (s *Server) chatPostEphemeral(c *call) (obj, *apiError) {
	ch, err := s.postTarget(c.arg("channel"))
	if err != nil {
		return nil, err
	}
	uid := c.arg("user")
	if u := s.users[uid]; u == nil || u.Deleted {
		return nil, fail("user_not_found")
	}
	if !ch.isMember(uid) {
		return nil, fail("user_not_in_channel")
	}
	body, err := readContent(c, true)
	if err != nil {
		return nil, err
	}
	e := Ephemeral{Channel: ch.ID, User: uid, TS: s.nextTSLocked(), ThreadTS: c.arg("thread_ts"), Text: body.text, Blocks: body.blocks}
	s.ephemerals = trim(append(s.ephemerals, e), s.opts.MaxRecords)
	return obj{"message_ts": e.TS}, nil
}

func (s *Server) chatUpdate(c *call) (obj, *apiError) {
	ch, err := s.lookupChannel(c.arg("channel"), false)
	if err != nil {
		return nil, err
	}
	m := ch.findMessage(c.arg("ts"))
	if m == nil {
		return nil, fail("message_not_found")
	}
	if m.User != BotUserID {
		return nil, fail("cant_update_message")
	}
	if ch.IsArchived {
		return nil, fail("is_inactive")
	}
	body, err := readContent(c, false)
	if err != nil {
		return nil, err
	}
	_, hasAttachments := c.args["attachments"]
	if !body.hasText && !body.hasBlocks && !hasAttachments {
		return nil, fail("no_text")
	}
	if body.hasText {
		m.Text = body.text
	}
	if body.hasBlocks {
		m.Blocks = body.blocks // an empty array removes them
	}
	if hasAttachments {
		m.Attachments = body.attachments
	}
	if m.Text == "" && m.Blocks == nil && m.Attachments == nil {
		return nil, fail("no_text")
	}
	m.Edited = &Edit{User: BotUserID, TS: s.nextTSLocked()}
	return obj{"channel": ch.ID, "ts": m.TS, "text": m.Text, "message": s.messageJSON(ch, m)}, nil
}

func (s *Server) chatGetPermalink(c *call) (obj, *apiError) {
	ch, err := s.lookupChannel(c.arg("channel"), false)
	if err != nil {
		return nil, err
	}
	m := ch.findMessage(c.arg("message_ts"))
	if m == nil {
		return nil, fail("message_not_found")
	}
	return obj{"channel": ch.ID, "permalink": permalink(c.base, ch.ID, m)}, nil
}

func permalink(base, channelID string, m *message) string {
	link := base + "/archives/" + channelID + "/p" + strings.Replace(m.TS, ".", "", 1)
	if m.ThreadTS != "" && m.ThreadTS != m.TS {
		link += "?thread_ts=" + m.ThreadTS + "&cid=" + channelID
	}
	return link
}

// messageItem finds the message a pins or reactions call names.
func (s *Server) messageItem(c *call) (*channel, *message, *apiError) {
	chID, ts := c.arg("channel"), c.arg("timestamp")
	if chID == "" && ts == "" {
		return nil, nil, fail("no_item_specified")
	}
	ch, err := s.lookupChannel(chID, false)
	if err != nil {
		return nil, nil, err
	}
	if !validTS(ts) {
		return nil, nil, fail("bad_timestamp")
	}
	m := ch.findMessage(ts)
	if m == nil {
		return nil, nil, fail("message_not_found")
	}
	if ch.IsArchived {
		return nil, nil, fail("is_archived")
	}
	if !ch.isMember(BotUserID) {
		return nil, nil, fail("not_in_channel")
	}
	return ch, m, nil
}

func (s *Server) pinsAdd(c *call) (obj, *apiError) {
	_, m, err := s.messageItem(c)
	if err != nil {
		return nil, err
	}
	if m.Pinned {
		return nil, fail("already_pinned")
	}
	m.Pinned, m.PinnedBy = true, BotUserID
	return obj{}, nil
}

func (s *Server) reactionsAdd(c *call) (obj, *apiError) {
	name := c.arg("name")
	if !validEmojiName(name) {
		return nil, fail("invalid_name")
	}
	_, m, err := s.messageItem(c)
	if err != nil {
		return nil, err
	}
	if !addReaction(m, name, BotUserID) {
		return nil, fail("already_reacted")
	}
	return obj{}, nil
}

// addReaction records a reaction; false if the user already reacted with it.
func addReaction(m *message, name, userID string) bool {
	for i, r := range m.Reactions {
		if r.Name == name {
			if slices.Contains(r.Users, userID) {
				return false
			}
			m.Reactions[i].Users = append(m.Reactions[i].Users, userID)
			return true
		}
	}
	m.Reactions = append(m.Reactions, Reaction{Name: name, Users: []string{userID}})
	return true
}

// validEmojiName accepts an emoji name without colons, optionally with a skin tone
// ("thumbsup::skin-tone-2").
func validEmojiName(name string) bool {
	base, tone, hasTone := strings.Cut(name, "::")
	if hasTone && !strings.HasPrefix(tone, "skin-tone-") {
		return false
	}
	if base == "" || len(base) > 100 {
		return false
	}
	for _, r := range base {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '+' || r == '\'') {
			return false
		}
	}
	return true
}

// messageJSON renders a message as the Web API does.
func (s *Server) messageJSON(ch *channel, m *message) obj {
	o := obj{"type": "message", "ts": m.TS, "text": m.Text}
	if m.User != "" {
		o["user"] = m.User
	}
	if m.BotID != "" {
		o["bot_id"], o["app_id"] = m.BotID, AppID
	}
	if m.Subtype != "" {
		o["subtype"] = m.Subtype
	}
	if m.ThreadTS != "" {
		o["thread_ts"] = m.ThreadTS
	}
	if m.ThreadTS == m.TS {
		n := 0
		for _, r := range ch.messages {
			if r.ThreadTS == m.TS && r.TS != m.TS {
				n++
			}
		}
		o["reply_count"] = n
	}
	if m.Blocks != nil {
		o["blocks"] = m.Blocks
	}
	if m.Attachments != nil {
		o["attachments"] = m.Attachments
	}
	if m.Edited != nil {
		o["edited"] = obj{"user": m.Edited.User, "ts": m.Edited.TS}
	}
	if m.Pinned {
		o["pinned_to"] = []string{ch.ID}
	}
	if len(m.Reactions) > 0 {
		rs := make([]obj, len(m.Reactions))
		for i, r := range m.Reactions {
			rs[i] = obj{"name": r.Name, "users": r.Users, "count": len(r.Users)}
		}
		o["reactions"] = rs
	}
	if len(m.Files) > 0 {
		fs := make([]obj, 0, len(m.Files))
		for _, id := range m.Files {
			if f := s.files[id]; f != nil {
				fs = append(fs, obj{"id": f.ID, "name": f.Name, "title": f.Title})
			}
		}
		o["files"] = fs
	}
	return o
}

// validTS reports whether v looks like a Slack message timestamp ("1700000000.000100").
func validTS(v string) bool {
	sec, frac, ok := strings.Cut(v, ".")
	if !ok || len(frac) != 6 || sec == "" || len(sec) > 12 {
		return false
	}
	for _, r := range sec + frac {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// tsMicros turns a valid ts into microseconds.
func tsMicros(v string) int64 {
	sec, frac, _ := strings.Cut(v, ".")
	s, _ := strconv.ParseInt(sec, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	return s*1e6 + f
}

func tsLess(a, b string) bool { return tsMicros(a) < tsMicros(b) }
