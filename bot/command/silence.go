package command

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/labels"
	"github.com/incidentbot/incidentbot/oncall"
)

// Bounds of a silence made from Slack.
const (
	MinSilence = time.Minute
	MaxSilence = 30 * 24 * time.Hour
)

// silenceForms is the usage text of a silence's length, for answers.
const silenceForms = "30m, 1h, 4h, 1h30m, 2d, until resolved"

// parseSilenceFor reads how long /incident silence lasts: a duration (Go's
// h, m and s, plus d for days and w for weeks: 4h, 90m, 1h30m, 2d), or
// "until resolved". It returns the length or untilResolved and the rest of
// the text (the matchers, if any).
func parseSilenceFor(text string) (d time.Duration, untilResolved bool, rest string, ok bool) {
	toks := tokenize(text)
	if len(toks) == 0 {
		return 0, false, "", false
	}
	if len(toks) >= 2 && strings.EqualFold(toks[0].text, "until") && strings.EqualFold(toks[1].text, "resolved") {
		return 0, true, restOf(text, toks[2:]), true
	}
	if strings.EqualFold(toks[0].text, "until-resolved") {
		return 0, true, restOf(text, toks[1:]), true
	}
	d, ok = ParseLength(toks[0].text)
	return d, false, restOf(text, toks[1:]), ok
}

// ParseLength reads a Go duration that may also count days (d) and weeks
// (w), as a sum of parts: 2d, 1w2d, 1d12h, 90m. The summary's Silence
// buttons carry such a length too.
func ParseLength(s string) (time.Duration, bool) {
	s = strings.ToLower(s)
	if s == "" || len(s) > 32 {
		return 0, false
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, false
		}
		n, err := strconv.ParseInt(s[:i], 10, 32)
		if err != nil {
			return 0, false
		}
		var unit time.Duration
		switch s[i] {
		case 'w':
			unit = 7 * 24 * time.Hour
		case 'd':
			unit = 24 * time.Hour
		case 'h':
			unit = time.Hour
		case 'm':
			unit = time.Minute
		case 's':
			unit = time.Second
		default:
			return 0, false
		}
		if time.Duration(n) > (MaxSilence*4)/unit {
			return 0, false
		}
		total += time.Duration(n) * unit
		s = s[i+1:]
	}
	return total, true
}

// parseMatcherText reads matchers in Alertmanager's syntax as people type
// them in Slack: {a="b", c=~"d"}, a="b",c="d", or several separated by
// spaces (a="b" c!="d"). Slack's escaping is undone and typographic quotes
// (“ ” ‘ ’, which Slack clients put in) become plain ones. It returns them
// printed back in canonical form.
func parseMatcherText(text string) ([]string, error) {
	text = strings.TrimSpace(strings.NewReplacer("“", `"`, "”", `"`, "„", `"`, "‘", "'", "’", "'").Replace(slacktext.Unescape(text)))
	if text == "" {
		return nil, nil
	}
	ms, err := labels.ParseMatchers([]string{text})
	if err != nil {
		fields := strings.Fields(text)
		var errFields error
		if ms, errFields = labels.ParseMatchers(fields); errFields != nil {
			return nil, err
		}
	}
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return out, nil
}

// matcherErrorText is a matcher parse error as a sentence, without the entry
// index the parser adds.
func matcherErrorText(err error) string {
	var pe *labels.ParseError
	if errors.As(err, &pe) {
		msg := pe.Reason
		if pe.Column > 0 {
			msg = "column " + strconv.Itoa(pe.Column) + ": " + msg
		}
		if pe.Err != nil {
			msg += ": " + pe.Err.Error()
		}
		return msg
	}
	return err.Error()
}

// silenceArgs reads what follows /incident silence.
func silenceArgs(cmd *Incident, in input) error {
	text, args, usage := in.text, in.toks, in.usage
	if len(args) == 0 {
		return usage.t("grammar.silence_needs", facts{"Forms": silenceForms})
	}
	d, untilResolved, rest, ok := parseSilenceFor(restOf(text, args))
	if !ok {
		return usage.t("grammar.silence_length_not", facts{"Token": quote(args[0].text), "Forms": silenceForms})
	}
	if !untilResolved && (d < MinSilence || d > MaxSilence) {
		return usage.t("grammar.silence_length_range", facts{"Token": quote(args[0].text), "Min": "1m", "Max": "30d"})
	}
	ms, err := parseMatcherText(rest)
	if err != nil {
		return usage.t("grammar.silence_matchers_not", facts{"Reason": matcherErrorText(err)})
	}
	cmd.SilenceFor, cmd.SilenceUntilResolved, cmd.SilenceMatchers = d, untilResolved, strings.Join(ms, ", ")
	return nil
}

// maintenanceArgs reads what follows /oncall maintenance:
// <service|matchers> <from> <to> [reason]. Matchers are one word
// (a="b",c="d") or braces, which may hold spaces ({a="b", c="d"}).
func maintenanceArgs(cmd *Oncall, in input) error {
	text, args, usage := in.text, in.toks, in.usage
	if len(args) == 0 {
		return usage.t("grammar.maintenance_needs", nil)
	}
	first := args[0].text
	rest := args[1:]
	switch {
	case strings.HasPrefix(first, "{"):
		end := 0
		for end < len(args) && !strings.HasSuffix(args[end].text, "}") {
			end++
		}
		if end == len(args) {
			return usage.t("grammar.maintenance_matchers_not", facts{"Reason": "missing closing '}'"})
		}
		ms, err := parseMatcherText(text[args[0].start:args[end].end])
		if err != nil {
			return usage.t("grammar.maintenance_matchers_not", facts{"Reason": matcherErrorText(err)})
		}
		cmd.Matchers, rest = strings.Join(ms, ", "), args[end+1:]
	case strings.ContainsAny(first, "=~"):
		ms, err := parseMatcherText(first)
		if err != nil {
			return usage.t("grammar.maintenance_matchers_not", facts{"Reason": matcherErrorText(err)})
		}
		cmd.Matchers = strings.Join(ms, ", ")
	case isName(first):
		cmd.Service = first
	default:
		return usage.t("grammar.maintenance_target_not", facts{"Token": quote(first)})
	}
	if cmd.Matchers == "" && cmd.Service == "" {
		return usage.t("grammar.maintenance_needs", nil)
	}
	from, rest, ok := takeTime(rest)
	if !ok {
		return timeNeeded(usage, rest)
	}
	to, rest, ok := takeTime(rest)
	if !ok {
		return timeNeeded(usage, rest)
	}
	cmd.From, cmd.To = from, to
	cmd.Reason = strings.Join(strings.Fields(plainText(restOf(text, rest))), " ")
	if n := len([]rune(cmd.Reason)); n > maxReason {
		return usage.t("grammar.maintenance_reason_long", facts{"Max": maxReason})
	}
	return nil
}

// maintenanceRemoveArgs reads /oncall maintenance remove <id>.
func maintenanceRemoveArgs(cmd *Oncall, in input) error {
	if len(in.toks) != 1 || !isOverrideID(in.toks[0].text) {
		return in.usage.t("grammar.maintenance_remove_needs", nil)
	}
	cmd.ID = in.toks[0].text
	return nil
}

// maxReason bounds a maintenance window's reason (maintenance.MaxReason).
const maxReason = 300

// timeNeeded says which time is missing or malformed.
func timeNeeded(usage usageLine, rest []token) error {
	if len(rest) == 0 {
		return usage.t("grammar.times_needs", nil)
	}
	return usage.t("grammar.time_not", facts{"Token": quote(rest[0].text), "Forms": oncall.TimeForms})
}

// SplitMatchers is the list of a canonical, comma-separated matcher text
// (as the grammar writes it); nil for none.
func SplitMatchers(text string) []string {
	if text == "" {
		return nil
	}
	ms, err := labels.ParseMatchers([]string{text})
	if err != nil {
		return []string{text} // not canonical: the receiver's parse reports it
	}
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return out
}
