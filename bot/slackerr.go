package bot

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/incidents"
)

// ErrPermanent marks a failure of the bot's own that no retry can fix, such as
// every candidate channel name being taken. IsPermanent reports it.
var ErrPermanent = errors.New("cannot be done by retrying")

// ErrorCode returns Slack's error code ("channel_not_found") carried by err, or
// "" when err is not an error answer from the Web API.
func ErrorCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	var pse *slack.SlackErrorResponse
	if errors.As(err, &pse) && pse != nil {
		return pse.Err
	}
	return ""
}

// RetryDelay returns how long Slack asked us to wait (its Retry-After) when err
// is a rate limit, and whether it is one. The job runner reschedules the job
// after exactly that delay.
func RetryDelay(err error) (time.Duration, bool) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) && rl != nil {
		return rl.RetryAfter, true
	}
	if ErrorCode(err) == "ratelimited" { // a 200 answer with the code, no header
		return 0, true
	}
	return 0, false
}

// permanentCodes are Slack error codes that retrying the same call cannot fix:
// credentials, scopes, a channel that is gone or archived, a message Slack
// refuses as malformed.
var permanentCodes = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true,
	"token_revoked": true, "token_expired": true, "no_permission": true,
	"missing_scope": true, "not_allowed_token_type": true, "ekm_access_denied": true,
	"team_access_not_granted": true, "org_login_required": true, "access_denied": true,
	"channel_not_found": true, "is_archived": true, "not_in_channel": true,
	"method_not_supported_for_channel_type": true, "restricted_action": true,
	"invalid_blocks": true, "invalid_blocks_format": true, "msg_too_long": true,
	"no_text": true, "too_many_attachments": true, "invalid_attachments": true,
	"invalid_arguments": true, "invalid_arg_name": true, "invalid_array_arg": true,
	"invalid_charset": true, "invalid_form_data": true, "invalid_post_type": true,
	"missing_post_type": true, "cant_update_message": true, "edit_window_closed": true,
	"invalid_name": true, "invalid_name_specials": true, "invalid_name_maxlength": true,
	"invalid_name_punctuation": true, "invalid_name_required": true,
	"too_many_convos_for_team": true, "too_long": true, "unknown_method": true,
	"deprecated_endpoint": true, "two_factor_setup_required": true,
}

// IsPermanent reports whether err is one that retrying cannot fix: Slack refused
// the credentials, the scope, the channel or the message itself, the incident
// does not exist, or the bot gave up (ErrPermanent). Rate limits, Slack's 5xx
// answers, network errors and everything unknown are temporary.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	if _, ok := RetryDelay(err); ok {
		return false
	}
	if errors.Is(err, ErrPermanent) || errors.Is(err, incidents.ErrNotFound) {
		return true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		// 4xx other than 429 will not change on retry; 5xx may.
		return sc.Code >= 400 && sc.Code < 500 && sc.Code != http.StatusTooManyRequests
	}
	return permanentCodes[ErrorCode(err)]
}

// userMessageIn turns a Slack failure into a sentence for the people in
// Slack, in l, e.g. "Slack says the bot lacks the scope channels:manage; add
// it to the app and reinstall it." The result is safe to post as mrkdwn.
func userMessageIn(l Lang, err error) string {
	if err == nil {
		return ""
	}
	if d, ok := RetryDelay(err); ok {
		if d > 0 {
			return l.Text("slackerr.rate_limited_for", l.Short(d))
		}
		return l.Text("slackerr.rate_limited", nil)
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code >= 500 {
			return l.Text("slackerr.slack_trouble", sc.Code)
		}
		return l.Text("slackerr.http_refused", sc.Code)
	}
	if errors.Is(err, incidents.ErrNotFound) {
		return l.Text("slackerr.no_incident", nil)
	}
	code := ErrorCode(err)
	switch code {
	case "":
		if errors.Is(err, ErrPermanent) {
			return slacktext.Escape(err.Error())
		}
		return l.Text("slackerr.unreachable", nil)
	case "missing_scope":
		var se slack.SlackErrorResponse
		needed := ""
		if errors.As(err, &se) {
			needed = strings.TrimSpace(se.Needed)
		}
		if needed == "" {
			return l.Text("slackerr.missing_scope_unknown", nil)
		}
		return l.Text("slackerr.missing_scope", slacktext.Escape(needed))
	case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive":
		return l.Text("slackerr.bad_token", code)
	case "channel_not_found":
		return l.Text("slackerr.channel_not_found", nil)
	case "not_in_channel":
		return l.Text("slackerr.not_in_channel", nil)
	case "is_archived":
		return l.Text("slackerr.is_archived", nil)
	case "restricted_action":
		return l.Text("slackerr.restricted_action", nil)
	case "name_taken":
		return l.Text("slackerr.name_taken", nil)
	case "too_many_convos_for_team":
		return l.Text("slackerr.too_many_channels", nil)
	case "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text":
		return l.Text("slackerr.malformed", code)
	case "user_not_found":
		return l.Text("slackerr.user_not_found", nil)
	case "cant_invite_self":
		return l.Text("slackerr.cant_invite_self", nil)
	case "already_in_channel":
		return l.Text("slackerr.already_in_channel", nil)
	}
	return l.Text("slackerr.other", slacktext.Escape(code))
}
