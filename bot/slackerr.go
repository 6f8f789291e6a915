package bot

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

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

// UserMessage turns a Slack failure into a sentence for the people in Slack,
// e.g. "Slack says the bot lacks the scope channels:manage; add it to the app
// and reinstall it." The result is safe to post as mrkdwn.
func UserMessage(err error) string {
	if err == nil {
		return ""
	}
	if d, ok := RetryDelay(err); ok {
		if d > 0 {
			return fmt.Sprintf("Slack is rate-limiting the bot; it will try again in %s.", formatDuration(d))
		}
		return "Slack is rate-limiting the bot; it will try again shortly."
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code >= 500 {
			return fmt.Sprintf("Slack is having trouble (HTTP %d); the bot will try again.", sc.Code)
		}
		return fmt.Sprintf("Slack refused the request (HTTP %d).", sc.Code)
	}
	if errors.Is(err, incidents.ErrNotFound) {
		return "That incident does not exist."
	}
	code := ErrorCode(err)
	switch code {
	case "":
		if errors.Is(err, ErrPermanent) {
			return EscapeMrkdwn(err.Error())
		}
		return "The bot could not reach Slack; it will try again."
	case "missing_scope":
		var se slack.SlackErrorResponse
		needed := ""
		if errors.As(err, &se) {
			needed = strings.TrimSpace(se.Needed)
		}
		if needed == "" {
			return "Slack says the bot lacks a permission scope this needs; check the app's scopes against slack-app-manifest.yaml and reinstall it."
		}
		return fmt.Sprintf("Slack says the bot lacks the scope %s; add it to the app and reinstall it.", EscapeMrkdwn(needed))
	case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive":
		return "Slack does not accept the bot's token (" + code + "); check SLACK_BOT_TOKEN and that the app is still installed."
	case "channel_not_found":
		return "Slack cannot find that channel; it may have been deleted, or it is private and the bot is not in it."
	case "not_in_channel":
		return "The bot is not a member of that channel; invite it with /invite @incidentbot."
	case "is_archived":
		return "That channel is archived; unarchive it first."
	case "restricted_action":
		return "The workspace's settings do not let the bot do that (restricted_action); ask a Slack admin."
	case "name_taken":
		return "A channel with that name already exists."
	case "too_many_convos_for_team":
		return "The workspace has reached Slack's limit on channels."
	case "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text":
		return "Slack refused the bot's message as malformed (" + code + "); this is a bug, please report it."
	case "user_not_found":
		return "Slack does not know that user."
	case "cant_invite_self":
		return "The bot cannot invite itself."
	case "already_in_channel":
		return "That user is already in the channel."
	}
	return fmt.Sprintf("Slack answered with the error %q.", EscapeMrkdwn(code))
}
