// Package bot is the Slack adapter of incidentbot: request verification,
// the slash-command grammar, Block Kit rendering, the command, interaction
// and event handlers (over HTTP or Socket Mode), and the Notifier that makes
// Slack reflect incidents. What it created in Slack it records in its own
// store (package slackstate), apart from the incident domain.
package bot
