// Package ntfy pages through ntfy (https://ntfy.sh, or a self-hosted server):
// a push notification to the topic the person's phone subscribes to, urgent,
// with an Acknowledge button.
//
// It publishes as JSON to the server's root URL (docs.ntfy.sh "Publishing",
// "Publish as JSON") rather than as headers to the topic URL: titles are often
// not ASCII (Russian incident titles), and JSON carries UTF-8 as it is, where
// headers would need RFC 2047 encoding; the action needs no quoting either.
// The body is
//
//	{"topic": "alice-pager", "title": "#42 sev1: Checkout is down",
//	 "message": "…", "priority": 5, "tags": ["rotating_light", "sev1"],
//	 "click": "<incident URL>",
//	 "actions": [{"action": "http", "label": "Acknowledge", "url": "<ack URL>",
//	              "method": "POST", "clear": true}]}
//
// Priority 5 is ntfy's max/urgent (long vibration bursts, a pop-over); a test
// page is sent at 3 (default), tagged test_tube and without the action. The
// http action makes the app POST to the ack URL with an empty body when the
// button is tapped, and clear the notification when the answer is 2xx
// ("Action buttons", "Send HTTP request"). A message longer than ntfy's 4,096
// bytes would become an attachment, so it is cut to fit.
//
// ntfy answers the published message as JSON; its "id" is the receipt's ID.
// An error answer is JSON {"code", "http", "error", "link"}; the error says
// its code and text, never the topic URL or the token.
package ntfy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
	"github.com/incidentbot/incidentbot/paging/internal/post"
)

// Priorities (docs.ntfy.sh "Message priority").
const (
	priorityDefault = 3
	priorityUrgent  = 5
)

// MaxMessage is the longest message ntfy takes as text (bytes).
const MaxMessage = 4096

// Options configure a Sender; the zero value works.
type Options struct {
	// Timeout bounds one publish, answer included; default 10s.
	Timeout time.Duration
	// Client is the HTTP client to copy (a proxy, a private CA); its
	// redirect policy and timeout are replaced. Nil means a default client.
	Client *http.Client
	// Logger gets one line per send, without the topic URL or token; nil
	// discards.
	Logger *logrus.Entry
}

// Sender publishes push pages. It is safe for concurrent use.
type Sender struct {
	client *http.Client
	log    *logrus.Entry
}

var _ paging.Sender = (*Sender)(nil)

// New returns a Sender.
func New(o Options) *Sender {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	o.Logger = discard.IfNil(o.Logger)
	return &Sender{client: post.Client(o.Client, o.Timeout), log: o.Logger}
}

// Action is an ntfy action button as the JSON publish takes it.
type action struct {
	Action string `json:"action"`
	Label  string `json:"label"`
	URL    string `json:"url"`
	Method string `json:"method,omitempty"`
	Clear  bool   `json:"clear"`
}

// publish is the JSON publish body.
type publish struct {
	Topic    string   `json:"topic"`
	Title    string   `json:"title,omitempty"`
	Message  string   `json:"message"`
	Priority int      `json:"priority"`
	Tags     []string `json:"tags,omitempty"`
	Click    string   `json:"click,omitempty"`
	Actions  []action `json:"actions,omitempty"`
}

// Send publishes m to the topic URL m.To, with m.Token as a bearer token when
// it is set.
func (s *Sender) Send(ctx context.Context, m paging.Message) (paging.Receipt, error) {
	if m.Method != oncall.MethodPush {
		return paging.Receipt{}, fmt.Errorf("ntfy: cannot send a %q message", m.Method)
	}
	root, topic, err := splitTopicURL(m.To)
	if err != nil {
		return paging.Receipt{}, err
	}
	body, err := json.Marshal(message(topic, m))
	if err != nil {
		return paging.Receipt{}, fmt.Errorf("ntfy: %w", err)
	}
	hdr := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"incidentbot"}}
	if m.Token != "" {
		hdr.Set("Authorization", "Bearer "+m.Token)
	}
	log := s.log.WithFields(logrus.Fields{"incident": m.Incident, "notification": m.ID, "method": "push"})
	a, err := post.Do(ctx, s.client, root, hdr, body)
	if err != nil {
		log.WithError(err).Warn("ntfy: page not sent")
		return paging.Receipt{}, fmt.Errorf("ntfy: %w", err)
	}
	if a.Status < 200 || a.Status > 299 {
		err := answerError(a)
		log.WithError(err).Warn("ntfy: page refused")
		return paging.Receipt{}, err
	}
	var got struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(a.Body, &got); err != nil || got.ID == "" {
		// A 2xx without a message is not ntfy (a captive portal, a proxy's
		// page): the phone got nothing.
		log.WithField("status", a.Status).Warn("ntfy: answer without a message ID")
		return paging.Receipt{}, fmt.Errorf("ntfy: the server answered %d without a message ID; is this an ntfy server?", a.Status)
	}
	log.WithField("ntfy_id", got.ID).Info("ntfy: page sent")
	return paging.Receipt{Provider: "ntfy", ID: got.ID, Status: paging.StatusSent}, nil
}

func message(topic string, m paging.Message) publish {
	p := publish{
		Topic:    topic,
		Title:    m.Subject,
		Message:  m.Body,
		Priority: priorityUrgent,
		Tags:     []string{"rotating_light"},
		Click:    m.IncidentURL,
	}
	if p.Title == "" {
		p.Title = fmt.Sprintf("#%d %s", m.Incident, m.Title)
	}
	if m.Severity != "" {
		p.Tags = append(p.Tags, m.Severity)
	}
	if m.Test {
		p.Title = "[TEST] " + p.Title
		p.Message = "This is a test page. It acknowledges nothing.\n\n" + p.Message
		p.Priority = priorityDefault
		p.Tags = []string{"test_tube"}
	} else if m.AckURL != "" {
		p.Actions = []action{{Action: "http", Label: "Acknowledge", URL: m.AckURL, Method: http.MethodPost, Clear: true}}
	}
	p.Message = cut(strings.TrimSpace(p.Message), MaxMessage)
	if p.Message == "" {
		p.Message = p.Title
	}
	return p
}

// cut shortens s to at most n bytes without splitting a character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const more = "…"
	s = s[:n-len(more)]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + more
}

// topicRe is ntfy's topic name rule (docs.ntfy.sh "Picking a topic").
var topicRe = regexp.MustCompile(`^[-_A-Za-z0-9]{1,64}$`)

// splitTopicURL turns "https://ntfy.example.com/alice-pager" into the JSON
// publish URL "https://ntfy.example.com/" and the topic. A server under a
// path prefix ("https://example.com/ntfy/alice") keeps it. The error never
// repeats the URL.
func splitTopicURL(s string) (root, topic string, err error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", fmt.Errorf("ntfy: the topic URL is not an http(s) URL")
	}
	p := strings.TrimSuffix(u.Path, "/")
	i := strings.LastIndexByte(p, '/')
	topic = p[i+1:]
	if !topicRe.MatchString(topic) {
		return "", "", fmt.Errorf("ntfy: the topic URL does not end in a topic name (letters, digits, - and _, at most 64)")
	}
	u.Path, u.RawPath, u.Fragment = p[:i+1], "", ""
	return u.String(), topic, nil
}

// answerError reads ntfy's JSON error answer.
func answerError(a post.Answer) error {
	var e struct {
		Code  int    `json:"code"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(a.Body, &e); err == nil && e.Error != "" {
		return fmt.Errorf("ntfy: %d %s (code %d)", a.Status, e.Error, e.Code)
	}
	if a.Status >= 300 && a.Status < 400 {
		return fmt.Errorf("ntfy: the server answered %d, a redirect (not followed; configure the final URL)", a.Status)
	}
	return fmt.Errorf("ntfy: the server answered %d %s", a.Status, http.StatusText(a.Status))
}
