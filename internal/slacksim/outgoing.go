package slacksim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrNoBotURL is returned when the simulator must call the bot but no bot URL is set.
var ErrNoBotURL = errors.New("slacksim: no bot URL set (Options.BotURL or SetBotURL)")

// Sign returns Slack's request signature, "v0=" + hex(HMAC-SHA256(secret,
// "v0:" + timestamp + ":" + body)), the value of the X-Slack-Signature header.
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// deliver POSTs a signed request to the bot at path and returns its answer with the
// body read into memory (closing it is optional).
func (s *Server) deliver(ctx context.Context, path, contentType string, body []byte, header http.Header) (*http.Response, error) {
	s.mu.Lock()
	base := s.botURL
	s.mu.Unlock()
	if base == "" {
		return nil, ErrNoBotURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("slacksim: request to bot: %w", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	ts := strconv.FormatInt(s.now().Unix(), 10)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", Sign(s.opts.SigningSecret, ts, body))
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("slacksim: POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxBotAnswer))
	if err != nil {
		return nil, fmt.Errorf("slacksim: reading the bot's answer to %s: %w", path, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	s.logf("slacksim: POST %s → %d", path, resp.StatusCode)
	return resp, nil
}

// responseURL is a response_url handed to the bot.
type responseURL struct {
	id        string
	channel   string
	user      string
	originTS  string // the message an interaction came from, for replace_original
	ephemeral bool   // the origin is an ephemeral message
	issued    time.Time
	uses      int
}

func (s *Server) newResponseURLLocked(base, channelID, userID, originTS string, ephemeral bool) string {
	now := s.now()
	if len(s.responses) >= s.opts.MaxRecords {
		for id, r := range s.responses {
			if now.Sub(r.issued) > responseURLLifetime || r.uses >= responseURLMaxUses {
				delete(s.responses, id)
			}
		}
		for id := range s.responses {
			if len(s.responses) < s.opts.MaxRecords {
				break
			}
			delete(s.responses, id)
		}
	}
	id := s.nextIDLocked("R") + randomHex(8)
	s.responses[id] = &responseURL{id: id, channel: channelID, user: userID, originTS: originTS, ephemeral: ephemeral, issued: now}
	return base + "/response/" + id
}

// selfURL is the simulator's own base URL as the bot reaches it, learnt from the first
// request that reaches the simulator or set with SetSelfURL.
func (s *Server) selfURL() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.self == "" {
		return "", errors.New("slacksim: own URL unknown: call SetSelfURL(srv.URL) or make any request to the simulator first")
	}
	return s.self, nil
}

// SetSelfURL tells the simulator its own base URL (e.g. httptest.Server.URL), used in
// the response_url values it sends to the bot. The first request that reaches the
// simulator sets it too (the bot's auth.test at start-up does).
func (s *Server) SetSelfURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.self = strings.TrimRight(u, "/")
}

// SlashCommand sends a slash command typed by userID in channelID to
// <BotURL>/slack/commands, signed, as Slack does. Like Slack, it escapes
// the &, < and > the user typed (typedText); mentions, channel links and
// URLs given in Slack's own form (<@U1|bob>, <#C1|ops>, <https://…>) pass
// as they are, as if Slack's client had made them. An immediate answer with a body is
// recorded in Responses (Source "immediate"); an in_channel one is also posted.
func (s *Server) SlashCommand(ctx context.Context, userID, channelID, command, text string) (*http.Response, error) {
	if !strings.HasPrefix(command, "/") || strings.ContainsAny(command, " \t\n") {
		return nil, fmt.Errorf("slacksim: command %q must look like /name", command)
	}
	self, err := s.selfURL()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	u, ch := s.users[userID], s.channels[channelID]
	switch {
	case u == nil || u.IsBot:
		s.mu.Unlock()
		return nil, fmt.Errorf("slacksim: no user %s", userID)
	case ch == nil:
		s.mu.Unlock()
		return nil, fmt.Errorf("slacksim: no channel %s", channelID)
	case (ch.IsPrivate || ch.IsIM) && !ch.isMember(userID):
		s.mu.Unlock()
		return nil, fmt.Errorf("slacksim: %s cannot see channel %s", userID, channelID)
	case ch.IsArchived:
		s.mu.Unlock()
		return nil, fmt.Errorf("slacksim: channel %s is archived", channelID)
	}
	chName := ch.Name
	if ch.IsIM {
		chName = "directmessage"
	}
	form := url.Values{
		"token":                 {s.opts.VerificationToken},
		"team_id":               {TeamID},
		"team_domain":           {TeamDomain},
		"channel_id":            {ch.ID},
		"channel_name":          {chName},
		"user_id":               {u.ID},
		"user_name":             {u.Name},
		"command":               {command},
		"text":                  {typedText(text)},
		"api_app_id":            {AppID},
		"is_enterprise_install": {"false"},
		"response_url":          {s.newResponseURLLocked(self, ch.ID, u.ID, "", false)},
		"trigger_id":            {s.issueTriggerLocked(u.ID, ch.ID)},
	}
	s.mu.Unlock()
	resp, err := s.deliver(ctx, "/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
	if err != nil {
		return nil, err
	}
	s.recordImmediate(resp, ch.ID, u.ID)
	return resp, nil
}

// slackToken matches what Slack's client puts in a command's text itself.
var slackToken = regexp.MustCompile(`^<(?:[@#][UWC][A-Z0-9]+(?:\|[^<>]*)?|![a-z^][^<>]*|https?://[^<>\s]+)>`)

// typedText is text as Slack sends it: the typed &, < and > as entities.
// Text already in that form (the bot package's tests write it so) is kept.
func typedText(text string) string {
	var b strings.Builder
	for i := 0; i < len(text); {
		if text[i] == '<' {
			if m := slackToken.FindString(text[i:]); m != "" {
				b.WriteString(m)
				i += len(m)
				continue
			}
		}
		switch text[i] {
		case '&':
			if rest := text[i:]; strings.HasPrefix(rest, "&amp;") || strings.HasPrefix(rest, "&lt;") || strings.HasPrefix(rest, "&gt;") {
				b.WriteByte('&') // already in Slack's form
			} else {
				b.WriteString("&amp;")
			}
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteByte(text[i])
		}
		i++
	}
	return b.String()
}

// recordImmediate records a slash command's immediate answer, as Slack shows it.
func (s *Server) recordImmediate(resp *http.Response, channelID, userID string) {
	if resp.StatusCode != http.StatusOK {
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if len(bytes.TrimSpace(body)) == 0 {
		return
	}
	var msg responseMessage
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(body, &msg); err != nil {
			return
		}
	} else {
		msg.Text = string(body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applyResponseLocked(&responseURL{channel: channelID, user: userID}, msg, "immediate")
}

// responseMessage is what the bot sends to a response_url or answers a command with.
type responseMessage struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

// applyResponseLocked shows a response: it replaces or deletes the original, posts in
// the channel, or shows an ephemeral message to the user.
func (s *Server) applyResponseLocked(r *responseURL, msg responseMessage, source string) {
	ch := s.channels[r.channel]
	blocks := msg.Blocks
	if string(bytes.TrimSpace(blocks)) == "null" || len(bytes.TrimSpace(blocks)) == 0 {
		blocks = nil
	}
	rec := Response{
		ResponseURLID: r.id, Source: source, Channel: r.channel, User: r.user,
		ResponseType: msg.ResponseType, ReplaceOriginal: msg.ReplaceOriginal, DeleteOriginal: msg.DeleteOriginal,
		Text: msg.Text, Blocks: slices.Clone(blocks), At: s.now(),
	}
	if rec.ResponseType == "" {
		rec.ResponseType = "ephemeral"
	}
	s.respLog = trim(append(s.respLog, rec), s.opts.MaxRecords)
	if ch == nil {
		return
	}
	switch {
	case r.originTS != "" && msg.DeleteOriginal:
		if r.ephemeral {
			s.ephemerals = slices.DeleteFunc(s.ephemerals, func(e Ephemeral) bool {
				return e.Channel == r.channel && e.TS == r.originTS && e.User == r.user
			})
			return
		}
		ch.messages = slices.DeleteFunc(ch.messages, func(m *message) bool { return m.TS == r.originTS })
	case r.originTS != "" && msg.ReplaceOriginal:
		if r.ephemeral {
			for i, e := range s.ephemerals {
				if e.Channel == r.channel && e.TS == r.originTS && e.User == r.user {
					s.ephemerals[i].Text, s.ephemerals[i].Blocks = msg.Text, blocks
				}
			}
			return
		}
		if m := ch.findMessage(r.originTS); m != nil && m.User == BotUserID {
			m.Text, m.Blocks = msg.Text, blocks
			m.Edited = &Edit{User: BotUserID, TS: s.nextTSLocked()}
		}
	case msg.ResponseType == "in_channel":
		s.postLocked(ch, BotUserID, content{text: msg.Text, blocks: blocks}, msg.ThreadTS)
	default:
		e := Ephemeral{Channel: ch.ID, User: r.user, TS: s.nextTSLocked(), ThreadTS: msg.ThreadTS, Text: msg.Text, Blocks: blocks}
		s.ephemerals = trim(append(s.ephemerals, e), s.opts.MaxRecords)
	}
}

// serveResponseURL takes what the bot posts to a response_url.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	s.noteSelf(r)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAPIBody))
	if err != nil {
		http.Error(w, "request_too_large", http.StatusRequestEntityTooLarge)
		return
	}
	var msg responseMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	if len(bytes.TrimSpace(msg.Blocks)) > 0 && string(bytes.TrimSpace(msg.Blocks)) != "null" {
		blocks, ok := parseBlocks(string(msg.Blocks))
		if !ok {
			http.Error(w, "invalid_blocks_format", http.StatusBadRequest)
			return
		}
		if errs := checkBlocks(blocks, "message", "/blocks"); len(errs) > 0 {
			http.Error(w, "invalid_blocks", http.StatusBadRequest)
			return
		}
		if len(blocks) == 0 {
			msg.Blocks = nil
		}
	} else {
		msg.Blocks = nil
	}
	if !msg.DeleteOriginal && msg.Text == "" && msg.Blocks == nil {
		http.Error(w, "no_text", http.StatusBadRequest)
		return
	}
	if len([]rune(msg.Text)) > maxMessageText {
		http.Error(w, "msg_too_long", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ru := s.responses[r.PathValue("id")]
	switch {
	case ru == nil:
		http.Error(w, "no_service", http.StatusNotFound)
		return
	case s.now().Sub(ru.issued) > responseURLLifetime:
		http.Error(w, "expired_url", http.StatusNotFound)
		return
	case ru.uses >= responseURLMaxUses:
		http.Error(w, "used_url", http.StatusNotFound)
		return
	}
	ru.uses++
	s.applyResponseLocked(ru, msg, "response_url")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok")
}

// noteSelf learns the simulator's own address from a request that reached it.
func (s *Server) noteSelf(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.self == "" && r.Host != "" {
		s.self = baseURL(r)
	}
}

// ClickButton clicks a button in a message as userID, sending a block_actions payload
// to <BotURL>/slack/interactions. The button is found by action_id and, when value is
// not empty, by value; ephemeral messages shown to userID count too. The click fails
// when no such button exists, as a user cannot click one.
func (s *Server) ClickButton(ctx context.Context, userID, channelID, messageTS, actionID, value string) (*http.Response, error) {
	self, err := s.selfURL()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	u, ch := s.users[userID], s.channels[channelID]
	if u == nil || u.IsBot || ch == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("slacksim: no user %s or channel %s", userID, channelID)
	}
	if (ch.IsPrivate || ch.IsIM) && !ch.isMember(userID) {
		s.mu.Unlock()
		return nil, fmt.Errorf("slacksim: %s cannot see channel %s", userID, channelID)
	}
	var blocks json.RawMessage
	var msgObj obj
	ephemeral := false
	if m := ch.findMessage(messageTS); m != nil {
		blocks, msgObj = m.Blocks, s.messageJSON(ch, m)
	} else {
		for _, e := range s.ephemerals {
			if e.Channel == channelID && e.TS == messageTS && e.User == userID {
				blocks, ephemeral = e.Blocks, true
			}
		}
		if !ephemeral {
			s.mu.Unlock()
			return nil, fmt.Errorf("slacksim: no message %s in %s", messageTS, channelID)
		}
	}
	btn, ok := findButton(blocks, actionID, value)
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("slacksim: message %s has no button %q (value %q)", messageTS, actionID, value)
	}
	now := s.now()
	actionTS := formatTS(now.UnixMicro())
	payload := obj{
		"type":                  "block_actions",
		"team":                  obj{"id": TeamID, "domain": TeamDomain},
		"user":                  obj{"id": u.ID, "username": u.Name, "name": u.Name, "team_id": TeamID},
		"api_app_id":            AppID,
		"token":                 s.opts.VerificationToken,
		"is_enterprise_install": false,
		"enterprise":            nil,
		"channel":               obj{"id": ch.ID, "name": channelName(ch)},
		"container": obj{
			"type": "message", "message_ts": messageTS, "channel_id": ch.ID, "is_ephemeral": ephemeral,
		},
		"trigger_id":   s.issueTriggerLocked(u.ID, ch.ID),
		"response_url": s.newResponseURLLocked(self, ch.ID, u.ID, messageTS, ephemeral),
		"state":        obj{"values": obj{}},
		"actions": []obj{{
			"type":      "button",
			"action_id": btn.ActionID,
			"block_id":  btn.BlockID,
			"text":      obj{"type": "plain_text", "text": btn.Text, "emoji": true},
			"value":     btn.Value,
			"action_ts": actionTS,
		}},
	}
	if msgObj != nil {
		payload["message"] = msgObj
	}
	s.mu.Unlock()
	return s.sendPayload(ctx, payload)
}

func (s *Server) sendPayload(ctx context.Context, payload obj) (*http.Response, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("slacksim: payload: %w", err)
	}
	form := url.Values{"payload": {string(b)}}
	return s.deliver(ctx, "/slack/interactions", "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
}

func channelName(ch *channel) string {
	if ch.IsIM {
		return "directmessage"
	}
	return ch.Name
}

// button is a button found in a message's blocks.
type button struct {
	BlockID, ActionID, Value, Text string
}

// findButton finds a button by action_id (and value, when not empty) in sections'
// accessories and actions blocks.
func findButton(blocks json.RawMessage, actionID, value string) (button, bool) {
	for _, b := range buttons(blocks) {
		if b.ActionID == actionID && (value == "" || b.Value == value) {
			return b, true
		}
	}
	return button{}, false
}

func buttons(raw json.RawMessage) []button {
	var blocks []struct {
		Type      string `json:"type"`
		BlockID   string `json:"block_id"`
		Accessory *struct {
			Type     string `json:"type"`
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
			Text     struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"accessory"`
		Elements []struct {
			Type     string `json:"type"`
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
			Text     json.RawMessage
		} `json:"elements"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &blocks) != nil {
		return nil
	}
	var out []button
	for _, b := range blocks {
		if a := b.Accessory; a != nil && a.Type == "button" {
			out = append(out, button{BlockID: b.BlockID, ActionID: a.ActionID, Value: a.Value, Text: a.Text.Text})
		}
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			if e.Type != "button" {
				continue
			}
			var t struct {
				Text string `json:"text"`
			}
			_ = json.Unmarshal(e.Text, &t)
			out = append(out, button{BlockID: b.BlockID, ActionID: e.ActionID, Value: e.Value, Text: t.Text})
		}
	}
	return out
}

// StateValue is one input's value in a view submission, in Slack's shape. Set the
// field that fits the element's Type.
type StateValue struct {
	Type                 string   `json:"type"`
	Value                *string  `json:"value,omitempty"`
	SelectedOption       *Option  `json:"selected_option,omitempty"`
	SelectedOptions      []Option `json:"selected_options,omitempty"`
	SelectedUser         string   `json:"selected_user,omitempty"`
	SelectedUsers        []string `json:"selected_users,omitempty"`
	SelectedConversation string   `json:"selected_conversation,omitempty"`
	SelectedChannel      string   `json:"selected_channel,omitempty"`
	SelectedDate         string   `json:"selected_date,omitempty"`
	SelectedTime         string   `json:"selected_time,omitempty"`
}

// Option is a selected option.
type Option struct {
	Text  string
	Value string
}

// MarshalJSON writes the option as Slack does, with a plain_text text object.
func (o Option) MarshalJSON() ([]byte, error) {
	return json.Marshal(obj{"text": obj{"type": "plain_text", "text": o.Text, "emoji": true}, "value": o.Value})
}

// TextValue is the StateValue of a plain_text_input.
func TextValue(v string) StateValue { return StateValue{Type: "plain_text_input", Value: &v} }

// SelectValue is the StateValue of a static_select.
func SelectValue(text, value string) StateValue {
	return StateValue{Type: "static_select", SelectedOption: &Option{Text: text, Value: value}}
}

// SubmitView submits an open modal as its user, with values keyed by block_id then
// action_id, sending a view_submission payload to <BotURL>/slack/interactions. Every
// key must name an input in the view. An empty 200 answer closes the view; a
// response_action of "errors" keeps it open with View.Errors set; "update" replaces it;
// "clear" closes it.
func (s *Server) SubmitView(ctx context.Context, userID, viewID string, values map[string]map[string]StateValue) (*http.Response, error) {
	s.mu.Lock()
	vw, u := s.views[viewID], s.users[userID]
	switch {
	case u == nil:
		s.mu.Unlock()
		return nil, fmt.Errorf("slacksim: no user %s", userID)
	case vw == nil || !vw.Open:
		s.mu.Unlock()
		return nil, fmt.Errorf("slacksim: no open view %s", viewID)
	case vw.User != userID:
		s.mu.Unlock()
		return nil, fmt.Errorf("slacksim: view %s belongs to %s, not %s", viewID, vw.User, userID)
	}
	inputs := viewInputs(vw.JSON)
	for blockID, actions := range values {
		for actionID := range actions {
			if !inputs[blockID+"\x00"+actionID] {
				s.mu.Unlock()
				return nil, fmt.Errorf("slacksim: view %s has no input %s/%s", viewID, blockID, actionID)
			}
		}
	}
	v := obj{}
	for k, val := range vw.obj {
		v[k] = val
	}
	if values == nil {
		values = map[string]map[string]StateValue{}
	}
	v["state"] = obj{"values": values}
	payload := obj{
		"type":                  "view_submission",
		"team":                  obj{"id": TeamID, "domain": TeamDomain},
		"user":                  obj{"id": u.ID, "username": u.Name, "name": u.Name, "team_id": TeamID},
		"api_app_id":            AppID,
		"token":                 s.opts.VerificationToken,
		"trigger_id":            s.issueTriggerLocked(u.ID, ""),
		"view":                  v,
		"response_urls":         []obj{},
		"is_enterprise_install": false,
		"enterprise":            nil,
	}
	s.mu.Unlock()
	resp, err := s.sendPayload(ctx, payload)
	if err != nil {
		return nil, err
	}
	s.applySubmissionAnswer(resp, viewID)
	return resp, nil
}

// applySubmissionAnswer does what Slack does with the bot's answer to a submission.
func (s *Server) applySubmissionAnswer(resp *http.Response, viewID string) {
	if resp.StatusCode != http.StatusOK {
		return // Slack shows an error in the modal and keeps it open
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var answer struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
		View           json.RawMessage   `json:"view"`
	}
	if len(bytes.TrimSpace(body)) > 0 {
		_ = json.Unmarshal(body, &answer)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	vw := s.views[viewID]
	if vw == nil {
		return
	}
	switch answer.ResponseAction {
	case "errors":
		vw.Errors = answer.Errors
	case "update", "push":
		if v, err := parseView(string(answer.View)); err == nil {
			vw.Errors = nil
			s.storeViewLocked(vw, v)
		}
	default: // empty answer or "clear"
		vw.Open, vw.Errors = false, nil
	}
}

// viewInputs lists a view's inputs as "block_id\x00action_id".
func viewInputs(raw json.RawMessage) map[string]bool {
	var v struct {
		Blocks []struct {
			Type    string `json:"type"`
			BlockID string `json:"block_id"`
			Element struct {
				ActionID string `json:"action_id"`
			} `json:"element"`
			Elements []struct {
				ActionID string `json:"action_id"`
			} `json:"elements"`
			Accessory struct {
				ActionID string `json:"action_id"`
			} `json:"accessory"`
		} `json:"blocks"`
	}
	out := map[string]bool{}
	if json.Unmarshal(raw, &v) != nil {
		return out
	}
	for _, b := range v.Blocks {
		switch b.Type {
		case "input":
			out[b.BlockID+"\x00"+b.Element.ActionID] = true
		case "actions":
			for _, e := range b.Elements {
				out[b.BlockID+"\x00"+e.ActionID] = true
			}
		case "section":
			if b.Accessory.ActionID != "" {
				out[b.BlockID+"\x00"+b.Accessory.ActionID] = true
			}
		}
	}
	return out
}

// SendEvent delivers an Events API event (an object with at least "type") to
// <BotURL>/slack/events inside an event_callback envelope, and returns the event_id,
// which ResendEvent takes to deliver the same envelope again as a Slack retry.
func (s *Server) SendEvent(ctx context.Context, event any) (string, *http.Response, error) {
	raw, err := json.Marshal(event)
	if err != nil {
		return "", nil, fmt.Errorf("slacksim: event: %w", err)
	}
	var ev obj
	if err := json.Unmarshal(raw, &ev); err != nil || ev == nil {
		return "", nil, errors.New("slacksim: event must be a JSON object")
	}
	typ, _ := ev["type"].(string)
	if typ == "" {
		return "", nil, errors.New("slacksim: event needs a type")
	}
	now := s.now()
	if _, ok := ev["event_ts"]; !ok {
		ev["event_ts"] = formatTS(now.UnixMicro())
	}
	s.mu.Lock()
	id := "Ev" + s.nextIDLocked("")
	s.mu.Unlock()
	envelope := obj{
		"token":                 s.opts.VerificationToken,
		"team_id":               TeamID,
		"context_team_id":       TeamID,
		"api_app_id":            AppID,
		"event":                 ev,
		"type":                  "event_callback",
		"event_id":              id,
		"event_time":            now.Unix(),
		"authorizations":        []obj{{"team_id": TeamID, "user_id": BotUserID, "is_bot": true, "is_enterprise_install": false}},
		"is_ext_shared_channel": false,
	}
	body, err := json.Marshal(envelope)
	if err != nil {
		return "", nil, fmt.Errorf("slacksim: envelope: %w", err)
	}
	s.mu.Lock()
	s.sentEvents[id] = sentEvent{typ: typ, body: body}
	s.sentOrder = append(s.sentOrder, id)
	if over := len(s.sentOrder) - s.opts.MaxRecords; over > 0 {
		for _, old := range s.sentOrder[:over] {
			delete(s.sentEvents, old)
		}
		s.sentOrder = slices.Delete(s.sentOrder, 0, over)
	}
	s.mu.Unlock()
	resp, err := s.deliverEvent(ctx, id, typ, body, 0, "")
	return id, resp, err
}

// sentEvent is an envelope kept for retries.
type sentEvent struct {
	typ  string
	body []byte
}

// ResendEvent delivers a sent event again as Slack's retry number retryNum (1–3) with
// the given reason ("http_timeout", "http_error", "connection_failed",
// "too_many_redirects", "ssl_error", "unknown_error"), in the X-Slack-Retry-Num and
// X-Slack-Retry-Reason headers.
func (s *Server) ResendEvent(ctx context.Context, eventID string, retryNum int, reason string) (*http.Response, error) {
	s.mu.Lock()
	ev, ok := s.sentEvents[eventID]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("slacksim: no sent event %s", eventID)
	}
	if retryNum < 1 || retryNum > 3 {
		return nil, fmt.Errorf("slacksim: Slack retries an event 1 to 3 times, not %d", retryNum)
	}
	return s.deliverEvent(ctx, eventID, ev.typ, ev.body, retryNum, reason)
}

func (s *Server) deliverEvent(ctx context.Context, id, typ string, body []byte, retry int, reason string) (*http.Response, error) {
	h := http.Header{}
	if retry > 0 {
		h.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
		h.Set("X-Slack-Retry-Reason", reason)
	}
	resp, err := s.deliver(ctx, "/slack/events", "application/json", body, h)
	rec := DeliveredEvent{EventID: id, Type: typ, Retry: retry}
	if err != nil {
		rec.Err = err.Error()
	} else {
		rec.Status = resp.StatusCode
		if resp.StatusCode/100 != 2 {
			err = fmt.Errorf("slacksim: event %s: bot answered HTTP %d", id, resp.StatusCode)
		}
	}
	s.mu.Lock()
	s.events = trim(append(s.events, rec), s.opts.MaxRecords)
	s.mu.Unlock()
	return resp, err
}

// VerifyURL sends Slack's url_verification request and checks that the bot echoes the
// challenge, as Slack does when the Request URL is saved.
func (s *Server) VerifyURL(ctx context.Context) error {
	challenge := randomHex(16)
	body, _ := json.Marshal(obj{"token": s.opts.VerificationToken, "challenge": challenge, "type": "url_verification"})
	resp, err := s.deliver(ctx, "/slack/events", "application/json", body, nil)
	if err != nil {
		return err
	}
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("slacksim: url_verification: HTTP %d", resp.StatusCode)
	}
	var got struct {
		Challenge string `json:"challenge"`
	}
	if json.Unmarshal(answer, &got) == nil && got.Challenge == challenge {
		return nil
	}
	if strings.TrimSpace(string(answer)) == challenge {
		return nil
	}
	return fmt.Errorf("slacksim: url_verification: the bot did not echo the challenge")
}

// channelType is the channel_type of message events.
func channelType(ch *channel) string {
	switch {
	case ch.IsIM:
		return "im"
	case ch.IsPrivate:
		return "group"
	}
	return "channel"
}

// UserPost posts a message as a user and, when the bot is a member of the channel,
// sends it the message event. It returns the message's ts. As in Slack, a failed
// delivery does not undo the post: its outcome is in Events.
func (s *Server) UserPost(ctx context.Context, userID, channelID, text string) (string, error) {
	s.mu.Lock()
	u, ch := s.users[userID], s.channels[channelID]
	switch {
	case u == nil || u.IsBot:
		s.mu.Unlock()
		return "", fmt.Errorf("slacksim: no user %s", userID)
	case ch == nil:
		s.mu.Unlock()
		return "", fmt.Errorf("slacksim: no channel %s", channelID)
	case ch.IsArchived:
		s.mu.Unlock()
		return "", fmt.Errorf("slacksim: channel %s is archived", channelID)
	case !ch.isMember(userID):
		s.mu.Unlock()
		return "", fmt.Errorf("slacksim: %s is not in %s", userID, channelID)
	case strings.TrimSpace(text) == "" || len([]rune(text)) > maxMessageText:
		s.mu.Unlock()
		return "", fmt.Errorf("slacksim: message text must be 1 to %d characters", maxMessageText)
	}
	m := s.postLocked(ch, userID, content{text: text}, "")
	ev := obj{"type": "message", "channel": ch.ID, "user": userID, "text": text, "ts": m.TS, "event_ts": m.TS, "channel_type": channelType(ch), "team": TeamID}
	botIn := ch.isMember(BotUserID)
	s.mu.Unlock()
	if botIn {
		_, _, _ = s.SendEvent(ctx, ev) // the outcome is in Events(); the post stands
	}
	return m.TS, nil
}

// UserPin pins a message as a user and, when the bot is a member of the channel,
// sends it the pin_added event. The pin stays even if the delivery fails; its outcome
// is in Events.
func (s *Server) UserPin(ctx context.Context, userID, channelID, ts string) error {
	s.mu.Lock()
	u, ch := s.users[userID], s.channels[channelID]
	if u == nil || u.IsBot || ch == nil {
		s.mu.Unlock()
		return fmt.Errorf("slacksim: no user %s or channel %s", userID, channelID)
	}
	m := ch.findMessage(ts)
	switch {
	case m == nil:
		s.mu.Unlock()
		return fmt.Errorf("slacksim: message_not_found")
	case m.Pinned:
		s.mu.Unlock()
		return fmt.Errorf("slacksim: already_pinned")
	case ch.IsArchived:
		s.mu.Unlock()
		return fmt.Errorf("slacksim: is_archived")
	case !ch.isMember(userID):
		s.mu.Unlock()
		return fmt.Errorf("slacksim: not_in_channel")
	}
	m.Pinned, m.PinnedBy = true, userID
	now := s.now()
	pins := 0
	for _, x := range ch.messages {
		if x.Pinned {
			pins++
		}
	}
	ev := obj{
		"type": "pin_added", "user": userID, "channel_id": ch.ID, "item_user": m.User,
		"item": obj{
			"type": "message", "channel": ch.ID, "message": s.messageJSON(ch, m),
			"created": now.Unix(), "created_by": userID,
		},
		"pin_count":   pins,
		"pinned_info": obj{"channel": ch.ID, "pinned_by": userID, "pinned_ts": now.Unix()},
		"event_ts":    formatTS(now.UnixMicro()),
	}
	botIn := ch.isMember(BotUserID)
	s.mu.Unlock()
	if botIn {
		_, _, _ = s.SendEvent(ctx, ev) // the outcome is in Events(); the action stands
	}
	return nil
}

// UserReact adds an emoji reaction (e.g. "pushpin") as a user and, when the bot is a
// member of the channel, sends it the reaction_added event; its outcome is in Events.
func (s *Server) UserReact(ctx context.Context, userID, channelID, ts, name string) error {
	if !validEmojiName(name) {
		return fmt.Errorf("slacksim: invalid_name")
	}
	s.mu.Lock()
	u, ch := s.users[userID], s.channels[channelID]
	if u == nil || u.IsBot || ch == nil {
		s.mu.Unlock()
		return fmt.Errorf("slacksim: no user %s or channel %s", userID, channelID)
	}
	m := ch.findMessage(ts)
	switch {
	case m == nil:
		s.mu.Unlock()
		return fmt.Errorf("slacksim: message_not_found")
	case ch.IsArchived:
		s.mu.Unlock()
		return fmt.Errorf("slacksim: is_archived")
	case !ch.isMember(userID) && (ch.IsPrivate || ch.IsIM):
		s.mu.Unlock()
		return fmt.Errorf("slacksim: channel_not_found")
	case !addReaction(m, name, userID):
		s.mu.Unlock()
		return fmt.Errorf("slacksim: already_reacted")
	}
	ev := obj{
		"type": "reaction_added", "user": userID, "reaction": name, "item_user": m.User,
		"item":     obj{"type": "message", "channel": ch.ID, "ts": m.TS},
		"event_ts": formatTS(s.now().UnixMicro()),
	}
	botIn := ch.isMember(BotUserID)
	s.mu.Unlock()
	if botIn {
		_, _, _ = s.SendEvent(ctx, ev) // the outcome is in Events(); the action stands
	}
	return nil
}
