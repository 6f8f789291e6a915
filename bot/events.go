package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/incidents"
)

// The reaction that puts a message on the timeline, like pinning it.
const pinReaction = "pushpin"

// eventEnvelope is the part of an Events API request the handler reads.
type eventEnvelope struct {
	Type      string          `json:"type"`
	Challenge string          `json:"challenge"`
	EventID   string          `json:"event_id"`
	EventTime int64           `json:"event_time"`
	Event     json.RawMessage `json:"event"`
}

// slackEvent is the part of an inner event the handler reads: pin_added and reaction_added.
type slackEvent struct {
	Type      string `json:"type"`
	User      string `json:"user"`       // who pinned or reacted
	ChannelID string `json:"channel_id"` // pin_added
	Reaction  string `json:"reaction"`   // reaction_added
	Item      struct {
		Type    string        `json:"type"`
		Channel string        `json:"channel"`
		TS      string        `json:"ts"`      // reaction_added
		Message *slackMessage `json:"message"` // pin_added
	} `json:"item"`
}

// slackMessage is a message as events and conversations.history carry it.
type slackMessage struct {
	TS       string `json:"ts"`
	ThreadTS string `json:"thread_ts"`
	User     string `json:"user"`
	BotID    string `json:"bot_id"`
	Text     string `json:"text"`
}

// serveEvent answers POST /slack/events (already verified).
func (h *Handler) serveEvent(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "could not read the event")
		return
	}
	status, answer := h.handleEventsBody(r.Context(), body, r.Header.Get("X-Slack-Retry-Num"))
	if status != http.StatusOK {
		msg, _ := answer.(string)
		writeJSONError(w, status, msg)
		return
	}
	if answer == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, answer)
}

// handleEventsBody handles an Events API request body: it echoes
// url_verification and stores each interesting event_callback as a durable
// job (idempotent by event_id, so Slack's retries collapse) before answering.
// It returns the HTTP status and the answer (a string message when not 200).
// It is shared by HTTP and Socket Mode.
func (h *Handler) handleEventsBody(ctx context.Context, body []byte, retryNum string) (int, any) {
	var env eventEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return http.StatusBadRequest, "malformed event"
	}
	log := h.log.WithFields(logrus.Fields{"event_id": env.EventID, "retry": retryNum})
	switch env.Type {
	case "url_verification":
		return http.StatusOK, map[string]string{"challenge": env.Challenge}
	case "event_callback":
	default:
		return http.StatusOK, nil // app_rate_limited and friends: nothing to do
	}
	var ev slackEvent
	if err := json.Unmarshal(env.Event, &ev); err != nil || env.EventID == "" {
		return http.StatusBadRequest, "malformed event_callback"
	}
	if !wanted(ev) {
		return http.StatusOK, nil
	}
	if h.o.EnqueueEvent == nil {
		log.Error("Slack event dropped: no job queue configured")
		return http.StatusServiceUnavailable, "events are not accepted: no job queue"
	}
	payload := map[string]string{
		"event":      string(env.Event),
		"event_id":   env.EventID,
		"event_time": strconv.FormatInt(env.EventTime, 10),
	}
	if err := h.o.EnqueueEvent(ctx, "slack-event:"+env.EventID, payload); err != nil {
		log.WithError(err).Error("could not store a Slack event")
		return http.StatusServiceUnavailable, "could not store the event; retry"
	}
	return http.StatusOK, nil
}

// wanted reports whether the event is one HandleEvent acts on.
func wanted(ev slackEvent) bool {
	switch ev.Type {
	case "pin_added":
		return ev.Item.Type == "" || ev.Item.Type == "message"
	case "reaction_added":
		return ev.Reaction == pinReaction && ev.Item.Type == "message"
	}
	return false
}

// HandleEvent is the job handler of the events EnqueueEvent stored: it records messages
// pinned, or given the 📌 reaction, in an incident channel on the incident's
// timeline, once per message (the event ID is derived from the message), with
// the author, the message's own time and a permalink. Events elsewhere, and
// the bot's own pins, are ignored. An error means the job should be retried
// (Slack errors are wrapped with %w, so RetryDelay and IsPermanent classify them).
func (h *Handler) HandleEvent(ctx context.Context, payload map[string]string) error {
	raw := payload["event"]
	var ev slackEvent
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		h.log.WithError(err).Warn("dropping a malformed Slack event job")
		return nil // retrying cannot fix it
	}
	if !wanted(ev) {
		return nil
	}
	channel := ev.Item.Channel
	if channel == "" {
		channel = ev.ChannelID
	}
	log := h.log.WithFields(logrus.Fields{"event": ev.Type, "channel": channel, "event_id": payload["event_id"]})
	if channel == "" {
		log.Warn("Slack event without a channel")
		return nil
	}
	inc, err := h.incidentOfChannel(ctx, channel)
	if errors.Is(err, incidents.ErrNotFound) {
		return nil // not an incident channel
	}
	if err != nil {
		return fmt.Errorf("find the incident of channel %s: %w", channel, err)
	}
	bot, err := h.botUserID(ctx)
	if err != nil {
		return err
	}
	if ev.User == bot {
		return nil // the bot pinning its own summary
	}
	log = log.WithField("incident", inc.Number)

	var msg *slackMessage
	switch ev.Type {
	case "pin_added":
		msg = ev.Item.Message
	case "reaction_added":
		if msg, err = h.fetchMessage(ctx, channel, ev.Item.TS); err != nil {
			if IsPermanent(err) {
				log.WithError(err).Warn("cannot read the reacted message; not retrying")
				return nil
			}
			return err // the job runner honours RetryDelay(err) for rate limits
		}
	}
	if msg == nil || msg.TS == "" {
		log.Info("the message is gone; nothing to record")
		return nil
	}
	if msg.User == bot {
		// The bot's own messages (the summary, announcements, nudges) say
		// what the timeline already holds; a 📌 on them adds nothing.
		log.Info("a pin of the bot's own message; nothing to record")
		return nil
	}
	at, err := tsTime(msg.TS)
	if err != nil {
		log.WithError(err).Warn("message with a malformed ts")
		return nil
	}
	link, err := h.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channel, Ts: msg.TS})
	if err != nil {
		if !IsPermanent(err) {
			return fmt.Errorf("chat.getPermalink: %w", err) // transient (rate limit, 5xx, network): retry
		}
		log.WithError(err).Info("no permalink for a pinned message")
		link = ""
	}
	author := msg.User
	if author == "" && msg.BotID != "" {
		author = msg.BotID
	}
	fields := map[string]string{"pinned_by": ev.User, "via": strings.TrimSuffix(ev.Type, "_added")}
	if link != "" {
		fields["permalink"] = link
	}
	if msg.ThreadTS != "" && msg.ThreadTS != msg.TS {
		fields["thread_ts"] = msg.ThreadTS
	}
	err = h.svc.Record(ctx, inc.Number, incidents.Event{
		ID:     fmt.Sprintf("%d:pin:%s:%s", inc.Number, channel, msg.TS),
		Type:   incidents.EventMessagePinned,
		At:     at,
		Actor:  author,
		Text:   msg.Text,
		Fields: fields,
	})
	if err != nil {
		return fmt.Errorf("record a pinned message: %w", err)
	}
	return nil
}

// fetchMessage returns the message with ts in channel: a top-level message
// from conversations.history, else a thread reply from conversations.replies;
// nil when it no longer exists.
func (h *Handler) fetchMessage(ctx context.Context, channel, ts string) (*slackMessage, error) {
	hist, err := h.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
		ChannelID: channel, Latest: ts, Inclusive: true, Limit: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("conversations.history %s: %w", channel, err)
	}
	for _, m := range hist.Messages {
		if m.Timestamp == ts {
			return fromSlack(m), nil
		}
	}
	// Not top-level: a thread reply (conversations.replies accepts a reply's ts).
	msgs, _, _, err := h.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
		ChannelID: channel, Timestamp: ts, Latest: ts, Inclusive: true, Limit: 1,
	})
	if code := ErrorCode(err); code == "thread_not_found" || code == "message_not_found" {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("conversations.replies %s: %w", channel, err)
	}
	for _, m := range msgs {
		if m.Timestamp == ts {
			return fromSlack(m), nil
		}
	}
	return nil, nil
}

func fromSlack(m slack.Message) *slackMessage {
	return &slackMessage{TS: m.Timestamp, ThreadTS: m.ThreadTimestamp, User: m.User, BotID: m.BotID, Text: m.Text}
}

// tsTime converts a Slack message ts ("1700000000.123456") to its time.
func tsTime(ts string) (time.Time, error) {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s <= 0 {
		return time.Time{}, fmt.Errorf("ts %q: not a Slack timestamp", ts)
	}
	var micros int64
	if frac != "" {
		if len(frac) > 6 {
			frac = frac[:6]
		}
		for len(frac) < 6 {
			frac += "0"
		}
		if micros, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return time.Time{}, fmt.Errorf("ts %q: not a Slack timestamp", ts)
		}
	}
	return time.Unix(s, micros*1000).UTC(), nil
}
