package bot

import (
	"github.com/incidentbot/incidentbot/templates"
)

// M is the data of a message template: the sentence's facts by name, each
// ready mrkdwn (escaped by the caller).
type M = map[string]any

// Lang is the locale the bot writes its Slack messages in, from the
// embedded templates (templates/default/slack); the zero Lang is English.
type Lang = templates.Lang
