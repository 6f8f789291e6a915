package slacksim

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Slack's documented limits on channels.
const (
	maxChannelName = 80
	maxTopic       = 250
	maxPurpose     = 250
	maxInvite      = 1000
)

// checkChannelName applies conversations.create's naming rules: lower-case letters,
// digits, hyphens and underscores, at most 80 characters. It returns Slack's error code,
// or "" when the name is valid.
func checkChannelName(name string) string {
	if name == "" {
		return "invalid_name_required"
	}
	if utf8.RuneCountInString(name) > maxChannelName {
		return "invalid_name_maxlength"
	}
	punct := true
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			punct = false
		case r == '-', r == '_':
		default:
			return "invalid_name_specials"
		}
	}
	if punct {
		return "invalid_name_punctuation"
	}
	return ""
}

// lookupChannel finds a conversation by ID; with byName, "#name" works too, as
// chat.postMessage allows.
func (s *Server) lookupChannel(ref string, byName bool) (*channel, *apiError) {
	if ref == "" {
		return nil, fail("channel_not_found")
	}
	if byName && strings.HasPrefix(ref, "#") {
		if c := s.channelByNameLocked(ref[1:]); c != nil {
			return c, nil
		}
		return nil, fail("channel_not_found")
	}
	if c := s.channels[ref]; c != nil {
		return c, nil
	}
	return nil, fail("channel_not_found")
}

// imWithLocked returns the bot's direct-message conversation with a user, opening it
// on first use, as posting to a user ID does in Slack.
func (s *Server) imWithLocked(userID string) *channel {
	if c := s.imLocked(userID); c != nil {
		return c
	}
	c := &channel{Channel: Channel{
		ID:      s.nextIDLocked("D"),
		IsIM:    true,
		User:    userID,
		Created: s.now().UTC().Truncate(time.Second),
	}}
	c.members = []string{userID, BotUserID}
	s.channels[c.ID] = c
	s.chanOrder = append(s.chanOrder, c.ID)
	return c
}

func (s *Server) channelJSON(c *channel, withMembers bool) obj {
	if c.IsIM {
		return obj{
			"id": c.ID, "is_im": true, "is_open": true, "user": c.User,
			"created": c.Created.Unix(), "is_org_shared": false, "priority": 0,
		}
	}
	out := obj{
		"id":                    c.ID,
		"name":                  c.Name,
		"name_normalized":       c.Name,
		"is_channel":            !c.IsPrivate,
		"is_group":              c.IsPrivate,
		"is_im":                 false,
		"is_mpim":               false,
		"is_private":            c.IsPrivate,
		"created":               c.Created.Unix(),
		"creator":               c.Creator,
		"is_archived":           c.IsArchived,
		"is_general":            c.IsGeneral,
		"unlinked":              0,
		"is_shared":             false,
		"is_ext_shared":         false,
		"is_org_shared":         false,
		"is_pending_ext_shared": false,
		"pending_shared":        []string{},
		"is_member":             c.isMember(BotUserID),
		"topic":                 obj{"value": c.Topic, "creator": c.topicBy, "last_set": unixOrZero(c.topicAt)},
		"purpose":               obj{"value": c.Purpose, "creator": c.purposeBy, "last_set": unixOrZero(c.purposeAt)},
		"previous_names":        []string{},
		"priority":              0,
	}
	if withMembers {
		out["num_members"] = len(c.members)
	}
	return out
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func (s *Server) authTest(c *call) (obj, *apiError) {
	return obj{
		"url":     c.base + "/",
		"team":    "Incidentbot Simulator",
		"user":    BotName,
		"team_id": TeamID,
		"user_id": BotUserID,
		"bot_id":  BotID,
	}, nil
}

func (s *Server) conversationsCreate(c *call) (obj, *apiError) {
	name := c.arg("name")
	if code := checkChannelName(name); code != "" {
		return nil, fail(code)
	}
	if s.channelByNameLocked(name) != nil {
		return nil, fail("name_taken")
	}
	if len(s.channels) >= s.opts.MaxChannels {
		return nil, fail("too_many_convos_for_team")
	}
	ch := s.newChannelLocked(name, c.arg("is_private") == "true" || c.arg("is_private") == "1", BotUserID)
	ch.members = []string{BotUserID}
	s.logf("slacksim: created #%s (%s)", name, ch.ID)
	return obj{"channel": s.channelJSON(ch, false)}, nil
}

func (s *Server) conversationsInvite(c *call) (obj, *apiError) {
	ch, err := s.lookupChannel(c.arg("channel"), false)
	if err != nil {
		return nil, err
	}
	if ch.IsIM {
		return nil, fail("method_not_supported_for_channel_type")
	}
	if ch.IsArchived {
		return nil, fail("is_archived")
	}
	if !ch.isMember(BotUserID) {
		return nil, fail("not_in_channel")
	}
	ids := splitList(c.arg("users"))
	if len(ids) == 0 {
		return nil, fail("no_user")
	}
	if len(ids) > maxInvite {
		return nil, fail("too_many_users")
	}
	force := c.arg("force") == "true"
	var failures []obj
	var add []string
	for _, id := range ids {
		code := ""
		switch u := s.users[id]; {
		case id == BotUserID:
			code = "cant_invite_self"
		case u == nil || u.Deleted:
			code = "user_not_found"
		case ch.isMember(id) || slices.Contains(add, id):
			code = "already_in_channel"
		}
		if code != "" {
			failures = append(failures, obj{"user": id, "ok": false, "error": code})
			continue
		}
		add = append(add, id)
	}
	if len(failures) > 0 && (!force || len(add) == 0) {
		return nil, &apiError{code: failures[0]["error"].(string), extra: obj{"errors": failures}}
	}
	ch.members = append(ch.members, add...)
	out := obj{"channel": s.channelJSON(ch, false)}
	if len(failures) > 0 {
		out["errors"] = failures
	}
	return out, nil
}

func (s *Server) conversationsInfo(c *call) (obj, *apiError) {
	ch, err := s.lookupChannel(c.arg("channel"), false)
	if err != nil {
		return nil, err
	}
	if ch.IsPrivate && !ch.isMember(BotUserID) {
		return nil, fail("channel_not_found")
	}
	return obj{"channel": s.channelJSON(ch, c.arg("include_num_members") == "true")}, nil
}

// writableChannel finds a channel the bot may change: it exists, is not a DM, is not
// archived and has the bot as a member.
func (s *Server) writableChannel(ref string) (*channel, *apiError) {
	ch, err := s.lookupChannel(ref, false)
	if err != nil {
		return nil, err
	}
	if ch.IsIM {
		return nil, fail("method_not_supported_for_channel_type")
	}
	if ch.IsArchived {
		return nil, fail("is_archived")
	}
	if !ch.isMember(BotUserID) {
		return nil, fail("not_in_channel")
	}
	return ch, nil
}

func (s *Server) conversationsSetTopic(c *call) (obj, *apiError) {
	ch, err := s.writableChannel(c.arg("channel"))
	if err != nil {
		return nil, err
	}
	topic := c.arg("topic")
	if utf8.RuneCountInString(topic) > maxTopic {
		return nil, fail("too_long")
	}
	ch.Topic, ch.topicBy, ch.topicAt = topic, BotUserID, s.now()
	return obj{"channel": s.channelJSON(ch, false)}, nil
}

func (s *Server) conversationsSetPurpose(c *call) (obj, *apiError) {
	ch, err := s.writableChannel(c.arg("channel"))
	if err != nil {
		return nil, err
	}
	purpose := c.arg("purpose")
	if utf8.RuneCountInString(purpose) > maxPurpose {
		return nil, fail("too_long")
	}
	ch.Purpose, ch.purposeBy, ch.purposeAt = purpose, BotUserID, s.now()
	return obj{"channel": s.channelJSON(ch, false)}, nil
}

func (s *Server) conversationsArchive(c *call) (obj, *apiError) {
	ch, err := s.lookupChannel(c.arg("channel"), false)
	if err != nil {
		return nil, err
	}
	switch {
	case ch.IsIM:
		return nil, fail("method_not_supported_for_channel_type")
	case ch.IsArchived:
		return nil, fail("already_archived")
	case ch.IsGeneral:
		return nil, fail("cant_archive_general")
	case !ch.isMember(BotUserID):
		return nil, fail("not_in_channel")
	}
	ch.IsArchived = true
	return obj{}, nil
}

func (s *Server) conversationsUnarchive(c *call) (obj, *apiError) {
	ch, err := s.lookupChannel(c.arg("channel"), false)
	if err != nil {
		return nil, err
	}
	switch {
	case ch.IsIM:
		return nil, fail("method_not_supported_for_channel_type")
	case !ch.IsArchived:
		return nil, fail("not_archived")
	case !ch.isMember(BotUserID):
		return nil, fail("not_in_channel")
	}
	ch.IsArchived = false
	return obj{}, nil
}

func (s *Server) conversationsJoin(c *call) (obj, *apiError) {
	ch, err := s.lookupChannel(c.arg("channel"), false)
	if err != nil {
		return nil, err
	}
	switch {
	case ch.IsIM || ch.IsPrivate:
		return nil, fail("method_not_supported_for_channel_type")
	case ch.IsArchived:
		return nil, fail("is_archived")
	}
	out := obj{}
	if ch.isMember(BotUserID) {
		out["warning"] = "already_in_channel"
		out["response_metadata"] = obj{"warnings": []string{"already_in_channel"}}
	} else {
		ch.members = append(ch.members, BotUserID)
	}
	out["channel"] = s.channelJSON(ch, false)
	return out, nil
}

// Slack opens a DM with 1 user and a group DM with 2 to 8.
const maxOpenUsers = 8

// imLocked returns the bot's DM with a user, or nil when none was opened yet.
func (s *Server) imLocked(userID string) *channel {
	for _, id := range s.chanOrder {
		if c := s.channels[id]; c.IsIM && c.User == userID {
			return c
		}
	}
	return nil
}

// imJSON is the full IM object conversations.open gives with return_im.
func imJSON(c *channel) obj {
	return obj{
		"id": c.ID, "created": c.Created.Unix(), "is_im": true, "is_org_shared": false,
		"user": c.User, "last_read": "0000000000.000000", "latest": nil,
		"unread_count": 0, "unread_count_display": 0, "is_open": true, "priority": 0,
	}
}

// conversationsOpen opens (or finds) the bot's DM with one user: the same D… channel
// for the same user every time, with no_op and already_open once it exists.
func (s *Server) conversationsOpen(c *call) (obj, *apiError) {
	answer := func(ch *channel, existed bool) obj {
		out := obj{"channel": obj{"id": ch.ID}}
		if truthy(c.arg("return_im")) {
			out["channel"] = imJSON(ch)
		}
		if existed {
			out["no_op"], out["already_open"] = true, true
		}
		return out
	}
	if ref := c.arg("channel"); ref != "" {
		existing, err := s.lookupChannel(ref, false)
		if err != nil {
			return nil, err
		}
		if !existing.IsIM {
			return nil, fail("method_not_supported_for_channel_type")
		}
		return answer(existing, true), nil
	}
	ids := splitList(c.arg("users"))
	switch {
	case len(ids) == 0:
		return nil, fail("users_list_not_supplied")
	case len(ids) > maxOpenUsers:
		return nil, fail("too_many_users")
	case len(ids) > 1:
		return nil, failWith("invalid_arguments", "[ERROR] slacksim does not simulate group DMs (mpim): give one user")
	}
	u := s.users[ids[0]]
	switch {
	case u == nil:
		return nil, fail("user_not_found")
	case u.Deleted:
		return nil, fail("user_disabled")
	case u.ID == BotUserID:
		return nil, fail("cannot_dm_bot")
	}
	if ch := s.imLocked(u.ID); ch != nil {
		return answer(ch, true), nil
	}
	if truthy(c.arg("prevent_creation")) {
		return nil, fail("channel_not_found")
	}
	return answer(s.imWithLocked(u.ID), false), nil
}

// parseLimit reads a limit argument; def when absent, at most max.
func parseLimit(v string, def, max int) (int, *apiError) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fail("invalid_limit")
	}
	if n == 0 {
		return def, nil
	}
	return min(n, max), nil
}

func encodeCursor(kind, v string) string {
	return base64.StdEncoding.EncodeToString([]byte(kind + ":" + v))
}

func decodeCursor(kind, cursor string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(cursor)
	if err != nil {
		return "", false
	}
	return strings.CutPrefix(string(b), kind+":")
}

// offsetCursor turns a cursor into an offset in a list of n items.
func offsetCursor(kind, cursor string, n int) (int, *apiError) {
	if cursor == "" {
		return 0, nil
	}
	v, ok := decodeCursor(kind, cursor)
	off, err := strconv.Atoi(v)
	if !ok || err != nil || off < 0 || off > n {
		return 0, fail("invalid_cursor")
	}
	return off, nil
}

// window is a range of message timestamps, as conversations.history and
// conversations.replies take it: oldest and latest, each included only with
// inclusive; a cursor continues a read past its last message.
type window struct {
	oldest, latest     string
	oldestIn, latestIn bool
}

// readWindow reads oldest, latest and inclusive. inclusive applies to both ends
// ("Include messages with oldest or latest timestamps in results").
func readWindow(c *call) (window, *apiError) {
	in := truthy(c.arg("inclusive"))
	w := window{oldest: c.arg("oldest"), latest: c.arg("latest"), oldestIn: in, latestIn: in}
	if w.latest != "" && !validTS(w.latest) {
		return w, fail("invalid_ts_latest")
	}
	if w.oldest != "" && !validTS(w.oldest) {
		return w, fail("invalid_ts_oldest")
	}
	return w, nil
}

func (w window) contains(ts string) bool {
	if w.latest != "" && (tsLess(w.latest, ts) || (!w.latestIn && ts == w.latest)) {
		return false
	}
	if w.oldest != "" && (tsLess(ts, w.oldest) || (!w.oldestIn && ts == w.oldest)) {
		return false
	}
	return true
}

// historyMember checks the bot may read a conversation's messages.
func historyMember(ch *channel) *apiError {
	if ch.isMember(BotUserID) {
		return nil
	}
	if ch.IsPrivate {
		return fail("channel_not_found")
	}
	return fail("not_in_channel")
}

// conversationsHistory gives the channel's top-level messages (and thread replies
// also sent to the channel) in the window, newest first, limit at a time (100 by
// default, at most 999); next_cursor continues with older ones, in the same window.
func (s *Server) conversationsHistory(c *call) (obj, *apiError) {
	ch, err := s.lookupChannel(c.arg("channel"), false)
	if err != nil {
		return nil, err
	}
	if err := historyMember(ch); err != nil {
		return nil, err
	}
	limit, err := parseLimit(c.arg("limit"), 100, 999)
	if err != nil {
		return nil, err
	}
	w, err := readWindow(c)
	if err != nil {
		return nil, err
	}
	if cur := c.arg("cursor"); cur != "" {
		ts, ok := decodeCursor("before", cur)
		if !ok || !validTS(ts) {
			return nil, fail("invalid_cursor")
		}
		if w.latest == "" || !tsLess(w.latest, ts) {
			w.latest, w.latestIn = ts, false
		}
	}
	var page []obj
	more := false
	pins := 0
	for i := len(ch.messages) - 1; i >= 0; i-- {
		m := ch.messages[i]
		if m.Pinned {
			pins++
		}
		if m.ThreadTS != "" && m.ThreadTS != m.TS && !m.ReplyBroadcast {
			continue // thread replies are in conversations.replies, not here
		}
		if !w.contains(m.TS) {
			continue
		}
		if len(page) == limit {
			more = true
			continue
		}
		page = append(page, s.messageJSON(ch, m))
	}
	out := obj{"messages": nonNil(page), "has_more": more, "pin_count": pins}
	next := ""
	if more {
		next = encodeCursor("before", page[len(page)-1]["ts"].(string))
	}
	out["response_metadata"] = obj{"next_cursor": next}
	return out, nil
}

// conversationsReplies gives a thread: ts names its parent or any message in it.
// The parent comes first on the first page, then the replies in the window, oldest
// first, limit at a time (1,000 by default and at most); next_cursor continues.
func (s *Server) conversationsReplies(c *call) (obj, *apiError) {
	ch, err := s.lookupChannel(c.arg("channel"), false)
	if err != nil {
		return nil, err
	}
	if err := historyMember(ch); err != nil {
		return nil, err
	}
	ts := c.arg("ts")
	if ts == "" {
		return nil, failWith("invalid_arguments", "[ERROR] missing required field: ts")
	}
	m := ch.findMessage(ts)
	if m == nil {
		return nil, fail("thread_not_found")
	}
	root := m.TS
	if m.ThreadTS != "" {
		root = m.ThreadTS
	}
	parent := ch.findMessage(root)
	if parent == nil {
		return nil, fail("thread_not_found")
	}
	limit, err := parseLimit(c.arg("limit"), 1000, 1000)
	if err != nil {
		return nil, err
	}
	w, err := readWindow(c)
	if err != nil {
		return nil, err
	}
	var page []obj
	after, last := "", ""
	if cur := c.arg("cursor"); cur != "" {
		v, ok := decodeCursor("after", cur)
		if !ok || !validTS(v) {
			return nil, fail("invalid_cursor")
		}
		after = v
	} else {
		page = append(page, s.messageJSON(ch, parent))
		last = parent.TS
	}
	more := false
	for _, r := range ch.messages {
		if r == parent || r.ThreadTS != root || !w.contains(r.TS) || (after != "" && !tsLess(after, r.TS)) {
			continue
		}
		if len(page) >= limit {
			more = true
			break
		}
		page = append(page, s.messageJSON(ch, r))
		last = r.TS
	}
	next := ""
	if more && last != "" {
		next = encodeCursor("after", last)
	}
	return obj{"messages": nonNil(page), "has_more": more, "response_metadata": obj{"next_cursor": next}}, nil
}

func (s *Server) conversationsMembers(c *call) (obj, *apiError) {
	ch, err := s.lookupChannel(c.arg("channel"), false)
	if err != nil {
		return nil, err
	}
	if ch.IsPrivate && !ch.isMember(BotUserID) {
		return nil, fail("channel_not_found")
	}
	limit, err := parseLimit(c.arg("limit"), 100, 1000)
	if err != nil {
		return nil, err
	}
	off, err := offsetCursor("members", c.arg("cursor"), len(ch.members))
	if err != nil {
		return nil, err
	}
	end := min(off+limit, len(ch.members))
	next := ""
	if end < len(ch.members) {
		next = encodeCursor("members", strconv.Itoa(end))
	}
	return obj{"members": slices.Clone(ch.members[off:end]), "response_metadata": obj{"next_cursor": next}}, nil
}

func (s *Server) conversationsList(c *call) (obj, *apiError) {
	want := map[string]bool{"public_channel": true}
	if t := c.arg("types"); t != "" {
		want = map[string]bool{}
		for _, typ := range splitList(t) {
			switch typ {
			case "public_channel", "private_channel", "im", "mpim":
				want[typ] = true
			default:
				return nil, fail("invalid_types")
			}
		}
	}
	exclude := c.arg("exclude_archived") == "true" || c.arg("exclude_archived") == "1"
	var all []*channel
	for _, id := range s.chanOrder {
		ch := s.channels[id]
		switch {
		case ch.IsIM && !want["im"],
			!ch.IsIM && ch.IsPrivate && (!want["private_channel"] || !ch.isMember(BotUserID)),
			!ch.IsIM && !ch.IsPrivate && !want["public_channel"],
			exclude && ch.IsArchived:
			continue
		}
		all = append(all, ch)
	}
	limit, err := parseLimit(c.arg("limit"), 100, 1000)
	if err != nil {
		return nil, err
	}
	off, err := offsetCursor("list", c.arg("cursor"), len(all))
	if err != nil {
		return nil, err
	}
	end := min(off+limit, len(all))
	page := make([]obj, 0, end-off)
	for _, ch := range all[off:end] {
		page = append(page, s.channelJSON(ch, true))
	}
	next := ""
	if end < len(all) {
		next = encodeCursor("list", strconv.Itoa(end))
	}
	return obj{"channels": page, "response_metadata": obj{"next_cursor": next}}, nil
}

func splitList(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func nonNil(list []obj) []obj {
	if list == nil {
		return []obj{}
	}
	return list
}
