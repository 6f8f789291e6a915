package command

import (
	"strings"
	"unicode/utf8"
)

// Report actions of /incident report <obligation> <action>.
const (
	ReportDraft     = "draft"
	ReportSubmitted = "submitted"
)

// maxReference bounds the authority's reference a submission records.
const maxReference = 200

// classifyArgs reads what follows /incident classify: one obligation name.
func classifyArgs(cmd *Incident, in input) error {
	args, usage := in.toks, in.usage
	if len(args) != 1 {
		return usage.t("grammar.classify_needs", nil)
	}
	name := strings.ToLower(args[0].text)
	if !isObligationName(name) {
		return usage.t("grammar.obligation_not", facts{"Token": quote(args[0].text)})
	}
	cmd.Obligation = name
	return nil
}

// reportArgs reads what follows /incident report: an obligation,
// optionally a report's name (without it: the obligation's next report to
// submit), then draft, or submitted and an optional reference (the rest of
// the line, plain text).
func reportArgs(cmd *Incident, in input) error {
	text, args, usage := in.text, in.toks, in.usage
	if len(args) < 2 {
		return usage.t("grammar.report_needs", nil)
	}
	if !isObligationName(strings.ToLower(args[0].text)) {
		return usage.t("grammar.obligation_not", facts{"Token": quote(args[0].text)})
	}
	cmd.Obligation = strings.ToLower(args[0].text)
	args = args[1:]
	if w := strings.ToLower(args[0].text); w != ReportDraft && w != ReportSubmitted {
		if !isObligationName(w) {
			return usage.t("grammar.obligation_not", facts{"Token": quote(args[0].text)})
		}
		if len(args) < 2 {
			return usage.t("grammar.report_needs", nil)
		}
		cmd.Report, args = w, args[1:]
	}
	switch action := strings.ToLower(args[0].text); action {
	case ReportDraft:
		if len(args) > 1 {
			return usage.t("grammar.report_draft_extra", nil)
		}
		cmd.ReportAction = action
	case ReportSubmitted:
		cmd.ReportAction = action
		cmd.Text = strings.Join(strings.Fields(plainText(restOf(text, args[1:]))), " ")
		if n := utf8.RuneCountInString(cmd.Text); n > maxReference {
			return usage.t("grammar.reference_long", facts{"Max": maxReference})
		}
	default:
		return usage.t("grammar.report_action_not", facts{"Token": quote(args[0].text)})
	}
	return nil
}

// isObligationName reports whether s may name an obligation or a report
// (reporting.ValidName): lowercase letters, digits, - and _.
func isObligationName(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '-' || s[0] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
