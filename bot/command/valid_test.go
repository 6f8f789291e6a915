package command

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/oncall"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/postmortem"
)

// validIncident reports whether an /incident command is well formed for its
// verb: the fields the verb needs are set and valid. ParseIncident must only
// return commands that pass it.
func validIncident(c Incident) error {
	bad := func(what string) error { return fmt.Errorf("invalid %s command: %s", c.Verb, what) }
	if c.Incident < 0 {
		return bad("negative incident number")
	}
	if c.Incident != 0 && !c.Verb.OnIncident() {
		return bad("takes no incident number")
	}
	switch c.Verb {
	case VerbDeclare:
		if c.OpenDeclareModal != (c.Title == "") {
			return bad("a title xor the declare modal")
		}
		if utf8.RuneCountInString(c.Title) > incidents.MaxTitle || strings.Join(strings.Fields(c.Title), " ") != c.Title {
			return bad("title")
		}
	case VerbStatus:
		if _, err := incidents.ParseStatus(string(c.Status)); err != nil {
			return bad("status")
		}
	case VerbPostmortem:
		if c.PostmortemStatus != "" {
			if _, err := postmortem.ParseStatus(string(c.PostmortemStatus)); err != nil {
				return bad("postmortem status")
			}
		}
	case VerbSilence:
		if !c.SilenceUntilResolved && (c.SilenceFor < MinSilence || c.SilenceFor > MaxSilence) {
			return bad("silence length")
		}
	case VerbUnsilence:
	case VerbSeverity:
		if c.Severity == "" {
			return bad("severity")
		}
	case VerbCommander:
		if c.User.IsZero() {
			return bad("user")
		}
	case VerbRole:
		if c.User.IsZero() || c.Role == "" || utf8.RuneCountInString(c.Role) > maxRoleLength {
			return bad("role")
		}
	case VerbNote:
		if strings.TrimSpace(c.Text) == "" {
			return bad("text")
		}
	case VerbAction:
		if c.ActionMark != "" {
			if (c.ActionMark != ActionMarkDone && c.ActionMark != ActionMarkReopen) || c.ActionID <= 0 || c.Text != "" || c.Due != "" {
				return bad("done|reopen <id>")
			}
			break
		}
		if strings.TrimSpace(c.Text) == "" {
			return bad("text")
		}
		if c.Due != "" {
			if _, err := oncall.DueDate(c.Due, time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), time.UTC); err != nil {
				return bad("due")
			}
		}
	case VerbPage:
		n := 0
		if !c.User.IsZero() {
			n++
		}
		if c.Schedule != "" {
			n++
		}
		if !c.Channel.IsZero() {
			n++
		}
		if n != 1 {
			return bad("exactly one target")
		}
	case VerbStats:
		switch c.Period {
		case 7 * day, 30 * day, 90 * day:
		default:
			return bad("period")
		}
	case VerbHelp:
		if c.Topic != "" && incidentTable.usage(c.Topic).verb == "" {
			return bad("topic")
		}
	case VerbCause:
		if c.Deployment == "" {
			return bad("deployment")
		}
	case VerbList:
		if !c.ListActions && !c.User.IsZero() {
			return bad("an owner without actions")
		}
	case VerbClassify:
		if !isObligationName(c.Obligation) || c.Report != "" || c.ReportAction != "" {
			return bad("obligation")
		}
	case VerbReport:
		if !isObligationName(c.Obligation) || (c.Report != "" && !isObligationName(c.Report)) {
			return bad("obligation and report")
		}
		if (c.ReportAction != ReportDraft && c.ReportAction != ReportSubmitted) || (c.ReportAction == ReportDraft && c.Text != "") ||
			utf8.RuneCountInString(c.Text) > maxReference {
			return bad("draft|submitted [reference]")
		}
	case VerbResolve, VerbReopen, VerbTimeline, VerbAck:
	default:
		return fmt.Errorf("unknown verb %q", c.Verb)
	}
	return nil
}

// validOncall is validIncident for /oncall commands.
func validOncall(c Oncall) error {
	switch c.Verb {
	case OncallNow, OncallHelp, OncallContact, OncallTestPage:
		if c.Schedule != "" || !c.User.IsZero() || c.From != "" || c.To != "" || c.ID != "" {
			return fmt.Errorf("invalid %s command: takes no arguments", c.Verb)
		}
		if c.Method != "" && (c.Verb != OncallTestPage || c.Method == oncall.MethodSlack) {
			return fmt.Errorf("invalid %s command: method %q", c.Verb, c.Method)
		}
	case OncallSchedule, OncallCover:
		if !isName(c.Schedule) {
			return fmt.Errorf("invalid %s command: schedule", c.Verb)
		}
		if c.Verb == OncallCover && (c.From == "" || c.To == "") {
			return fmt.Errorf("invalid %s command: missing times", c.Verb)
		}
	case OncallHandoff, OncallOverrides:
		if c.Schedule != "" && !isName(c.Schedule) {
			return fmt.Errorf("invalid %s command: schedule", c.Verb)
		}
	case OncallOverrideRemove:
		if !isOverrideID(c.ID) {
			return fmt.Errorf("invalid %s command: id", c.Verb)
		}
	case OncallLoad:
		if c.Period <= 0 {
			return fmt.Errorf("invalid %s command: period", c.Verb)
		}
	case OncallOverride:
		if !isName(c.Schedule) || c.User.IsZero() || c.From == "" || c.To == "" {
			return fmt.Errorf("invalid %s command: missing field", c.Verb)
		}
	case OncallMaintenance, OncallMaintenanceList, OncallMaintenanceRemove:
		return validMaintenance(c)
	default:
		return fmt.Errorf("unknown verb %q", c.Verb)
	}
	return nil
}
