package slacksim

import (
	"html/template"

	"github.com/incidentbot/incidentbot/internal/mrkdwn"
)

// The web view renders messages with package mrkdwn, which incidentbot's own
// web view shares.

type nameResolver = mrkdwn.Names

func renderMrkdwn(text string, names nameResolver) template.HTML { return mrkdwn.HTML(text, names) }

func renderPlain(text string, emoji bool) template.HTML { return mrkdwn.Plain(text, emoji) }

func safeLinkURL(u string) bool { return mrkdwn.SafeURL(u) }
