package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/reporting"
)

// Reporting is what /incident classify and /incident report need of
// regulatory reporting; internal/app implements it with the configured
// obligations. Errors are incidents.UserErrors for people (an unknown
// obligation or report, classified twice, not classified) or
// incidents.ErrNotFound for an unknown incident.
type Reporting interface {
	// Classify records that incident n falls under obligation and returns
	// its reports' clocks.
	Classify(ctx context.Context, n int64, obligation, actor string) ([]incidents.ReportClock, error)
	// Draft writes the draft of a report (empty: the obligation's next
	// report to submit) and returns the address of its page and the
	// report's clock.
	Draft(ctx context.Context, n int64, obligation, report, actor string) (url string, clock incidents.ReportClock, err error)
	// Submit records the submission of a report (empty: the obligation's
	// next), with the authority's reference (optional), and returns the
	// report submitted and the obligation's clocks after it.
	Submit(ctx context.Context, n int64, obligation, report, reference, actor string) (submitted string, clocks []incidents.ReportClock, err error)
}

// reportingReply answers /incident classify and /incident report.
func (h *Handler) reportingReply(ctx context.Context, log *logrus.Entry, n int64, cmd command.Incident, actor string) reply {
	if h.o.Reporting == nil {
		return ephemeralf("%s", h.t("reporting.unavailable", nil))
	}
	l, loc, now := h.o.Lang, h.o.Location, h.o.Now()
	data := M{"Actor": slacktext.UserMention(actor), "Number": n, "Obligation": slacktext.Escape(cmd.Obligation), "Report": slacktext.Escape(cmd.Report)}
	switch {
	case cmd.Verb == command.VerbClassify:
		clocks, err := h.o.Reporting.Classify(ctx, n, cmd.Obligation, actor)
		if err != nil {
			return ephemeralf("%s", h.friendly(log, n, err))
		}
		data["Clocks"] = clockLines(l, clocks, loc, now)
		return inChannelf("%s", h.t("reporting.classified", data))
	case cmd.ReportAction == command.ReportDraft:
		url, c, err := h.o.Reporting.Draft(ctx, n, cmd.Obligation, cmd.Report, actor)
		if err != nil {
			return ephemeralf("%s", h.friendly(log, n, err))
		}
		data["Link"] = slacktext.Link(url, h.t("reporting.draft_link", nil))
		data["Clock"] = clockLine(l, c, loc, now)
		data["Report"] = slacktext.Escape(c.Report)
		return inChannelf("%s", h.t("reporting.drafted", data))
	}
	report, clocks, err := h.o.Reporting.Submit(ctx, n, cmd.Obligation, cmd.Report, cmd.Text, actor)
	if err != nil {
		return ephemeralf("%s", h.friendly(log, n, err))
	}
	data["Reference"] = slacktext.Escape(cmd.Text)
	data["Report"] = slacktext.Escape(report)
	for _, c := range clocks {
		if c.Report == report {
			data["State"] = stateWord(l, c.State)
		}
	}
	data["Clocks"] = clockLines(l, clocks, loc, now)
	return inChannelf("%s", h.t("reporting.submitted", data))
}

// clockLines lists an obligation's reports, one line each.
func clockLines(l Lang, clocks []incidents.ReportClock, loc *time.Location, now time.Time) string {
	lines := make([]string, len(clocks))
	for i, c := range clocks {
		lines[i] = "• " + clockLine(l, c, loc, now)
	}
	return strings.Join(lines, "\n")
}

// clockLine is one report with its deadline and state: "*initial* — due
// Wed 25 Nov 2026 10:00 +05, in 3h 20m · due soon".
func clockLine(l Lang, c incidents.ReportClock, loc *time.Location, now time.Time) string {
	data := M{"Report": slacktext.Escape(c.Report), "State": stateWord(l, c.State), "Capped": c.Capped, "Late": c.State == incidents.ReportLate}
	switch {
	case !c.Submitted.IsZero():
		data["Submitted"] = when(l, c.Submitted, loc)
		data["Reference"] = slacktext.Escape(slacktext.Truncate(c.Reference, 100))
		return l.Text("reporting.clock_submitted", data)
	case c.Due.IsZero():
		data["Waits"] = slacktext.Escape(c.Waits)
		data["After"] = afterText(l, c.After)
		return l.Text("reporting.clock_waits", data)
	}
	data["Due"] = when(l, c.Due, loc)
	data["Overdue"] = now.After(c.Due)
	data["Left"] = l.Short(c.Due.Sub(now))
	if now.After(c.Due) {
		data["Left"] = l.Short(now.Sub(c.Due))
	}
	return l.Text("reporting.clock_due", data)
}

// when is a moment as Slack lines show deadlines: "Wed 25 Nov 2026 10:00 +05".
func when(l Lang, t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	return l.ShortDate(t) + " " + t.Format("15:04 MST")
}

// stateWord is a report state in l.
func stateWord(l Lang, state string) string { return l.Text("reporting.state", state) }

// afterText is a deadline's duration in l: "72h", "1 month" / "1 месяц".
func afterText(l Lang, after string) string {
	d, err := reporting.ParseDuration(after)
	if err != nil {
		return slacktext.Escape(after)
	}
	var parts []string
	if d.Months > 0 {
		parts = append(parts, l.Text("reporting.months", d.Months))
	}
	switch {
	case d.D > 0 && d.D%time.Hour == 0:
		parts = append(parts, l.Text("reporting.hours", int(d.D/time.Hour))) // 72h as the law says it, not 3d
	case d.D > 0:
		parts = append(parts, l.Short(d.D))
	}
	return strings.Join(parts, " ")
}

// reportingBlock lists the incident's regulatory reports in its summary;
// nil without any.
func reportingBlock(l Lang, inc *incidents.Incident, loc *time.Location, now time.Time) slack.Block {
	if len(inc.Reporting) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(l.Text("summary.reporting", nil))
	last := ""
	for _, c := range inc.Reporting {
		if c.Obligation != last {
			b.WriteString("\n" + l.Text("summary.reporting_obligation", slacktext.Escape(c.Obligation)))
			last = c.Obligation
		}
		b.WriteString("\n" + reportIcon(c.State) + " " + clockLine(l, c, loc, now))
	}
	return mrkdwnSection(slacktext.Truncate(b.String(), maxSectionText))
}

func reportIcon(state string) string {
	switch state {
	case incidents.ReportOnTime:
		return ":white_check_mark:"
	case incidents.ReportLate:
		return ":warning:"
	case incidents.ReportOverdue:
		return ":rotating_light:"
	case incidents.ReportDueSoon:
		return ":alarm_clock:"
	}
	return ":hourglass_flowing_sand:"
}

// ReportNotice is a regulatory report's reminder or overdue notice.
type ReportNotice struct {
	Incident *incidents.Incident
	Clock    incidents.ReportClock
	// Overdue makes it the one announcement that the deadline passed;
	// otherwise it is a reminder before it.
	Overdue bool
	// BlockID marks the message, so each notice is posted once in the
	// channel and once to the commander, also after a retry.
	BlockID string
}

// PostReportNotice posts a reminder or overdue notice in the incident's
// channel and sends it to its commander, each once per BlockID. It returns
// an error NoChannelYet reports while the channel does not exist.
func (n *Notifier) PostReportNotice(ctx context.Context, rn ReportNotice) error {
	l, c := n.opts.Lang, rn.Clock
	now := n.opts.Now()
	data := M{"Number": rn.Incident.Number, "Obligation": slacktext.Escape(c.Obligation), "Report": slacktext.Escape(c.Report),
		"Due": when(l, c.Due, n.opts.Location), "Left": l.Short(c.Due.Sub(now)), "Late": l.Short(now.Sub(c.Due))}
	name := "reporting.reminder"
	if rn.Overdue {
		name = "reporting.overdue"
	}
	text := l.Text(name, data)
	if _, err := n.PostOnce(ctx, rn.Incident.Number, rn.BlockID, text); err != nil {
		return err
	}
	if !slacktext.IsID(rn.Incident.Commander, "UW") {
		return nil
	}
	dm, _, _, err := n.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{rn.Incident.Commander}})
	if err != nil {
		return fmt.Errorf("open a DM with %s: %w", rn.Incident.Commander, err)
	}
	if _, err := n.postOnce(ctx, dm.ID, rn.BlockID, text, []slack.Block{mrkdwnSection(text)}); err != nil {
		return fmt.Errorf("send the commander of incident #%d the %s notice: %w", rn.Incident.Number, c.Report, err)
	}
	return nil
}
