package bot

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/incidents"
)

func TestSlackErrorClassification(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("sync incident #1: post summary: %w", err) }
	tests := []struct {
		name      string
		err       error
		delay     time.Duration
		limited   bool
		permanent bool
		message   string // a part of userMessageIn's English
	}{
		{"rate limit", wrap(&slack.RateLimitedError{RetryAfter: 30 * time.Second}), 30 * time.Second, true, false, "try again in 30s"},
		{"5xx", wrap(slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}), 0, false, false, "HTTP 503"},
		{"4xx", wrap(slack.StatusCodeError{Code: 400, Status: "400 Bad Request"}), 0, false, true, "HTTP 400"},
		{"network", wrap(&url.Error{Op: "Post", URL: "https://slack.com/api/chat.postMessage", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}), 0, false, false, "could not reach Slack"},
		{"missing scope", wrap(slack.SlackErrorResponse{Err: "missing_scope", Needed: "channels:manage"}), 0, false, true, "lacks the scope channels:manage"},
		{"invalid auth", wrap(slack.SlackErrorResponse{Err: "invalid_auth"}), 0, false, true, "SLACK_BOT_TOKEN"},
		{"account inactive", wrap(slack.SlackErrorResponse{Err: "account_inactive"}), 0, false, true, "token"},
		{"channel not found", wrap(slack.SlackErrorResponse{Err: "channel_not_found"}), 0, false, true, "cannot find that channel"},
		{"archived", wrap(slack.SlackErrorResponse{Err: "is_archived"}), 0, false, true, "archived"},
		{"invalid blocks", wrap(slack.SlackErrorResponse{Err: "invalid_blocks"}), 0, false, true, "malformed"},
		{"msg too long", wrap(slack.SlackErrorResponse{Err: "msg_too_long"}), 0, false, true, "malformed"},
		{"internal error", wrap(slack.SlackErrorResponse{Err: "internal_error"}), 0, false, false, `"internal_error"`},
		{"ratelimited code", wrap(slack.SlackErrorResponse{Err: "ratelimited"}), 0, true, false, "rate-limiting"},
		{"unknown incident", fmt.Errorf("sync: %w", incidents.ErrNotFound), 0, false, true, "does not exist"},
		{"bot gave up", fmt.Errorf("names all taken: %w", ErrPermanent), 0, false, true, "names all taken"},
		{"odd code escaped", wrap(slack.SlackErrorResponse{Err: "<!channel>"}), 0, false, false, "&lt;!channel&gt;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := RetryDelay(tt.err)
			if d != tt.delay || ok != tt.limited {
				t.Errorf("RetryDelay = %s, %v; want %s, %v", d, ok, tt.delay, tt.limited)
			}
			if got := IsPermanent(tt.err); got != tt.permanent {
				t.Errorf("Permanent = %v, want %v", got, tt.permanent)
			}
			if got := userMessageIn(Lang{}, tt.err); !strings.Contains(got, tt.message) {
				t.Errorf("userMessageIn(en) = %q, want it to contain %q", got, tt.message)
			}
		})
	}
	if IsPermanent(nil) || userMessageIn(Lang{}, nil) != "" {
		t.Error("nil error classified as a failure")
	}
}
