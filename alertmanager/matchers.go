package alertmanager

import "github.com/incidentbot/incidentbot/labels"

// The matchers live in package labels. These two names stay for the bot's
// silence grammar, which is being rewritten on another branch; new code
// imports labels.

// ParseMatchers is labels.ParseMatchers.
func ParseMatchers(ss []string) (labels.Matchers, error) { return labels.ParseMatchers(ss) }

// ParseError is labels.ParseError.
type ParseError = labels.ParseError
