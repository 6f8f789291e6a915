package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/stats"
)

// statsReply answers /incident stats with the figures of the period.
func (h *Handler) statsReply(ctx context.Context, log *logrus.Entry, cmd IncidentCommand) reply {
	if h.o.Stats == nil {
		return ephemeralf("Figures are not available here.")
	}
	r, err := h.o.Stats(ctx, cmd.Period, cmd.Service)
	if err != nil {
		return ephemeralf("%s", h.friendly(log, 0, err))
	}
	text, blocks := StatsBlocks(r, cmd.Period)
	return reply{ResponseType: ephemeral, Text: text, Blocks: slack.Blocks{BlockSet: blocks}}
}

// StatsBlocks renders a report for Slack, short enough to read on a phone:
// the incident figures, then the delivery (DORA) figures per service.
func StatsBlocks(r stats.Report, period time.Duration) (string, []slack.Block) {
	scope := "all services"
	if r.Service != "" {
		scope = EscapeMrkdwn(Truncate(r.Service, 100))
	}
	days := int(period / (24 * time.Hour))
	text := fmt.Sprintf("Incident figures, last %d days, %s: %d incidents, %d open", days, scope, r.Incidents, r.Open)
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(fmt.Sprintf("Last %d days · %s", days, Truncate(orAll(r.Service), 100)))),
		slack.NewSectionBlock(nil, []*slack.TextBlockObject{
			mrkdwn(fmt.Sprintf("*Incidents*\n%d (%d open)", r.Incidents, r.Open)),
			mrkdwn("*By severity*\n" + countsLine(r.BySeverity)),
			mrkdwn("*Time to acknowledge*\n" + durationsLine(r.TimeToAcknowledge)),
			mrkdwn("*Time to restore*\n" + durationsLine(r.TimeToRestore)),
			mrkdwn("*Time to resolve*\n" + durationsLine(r.TimeToResolve)),
			mrkdwn(fmt.Sprintf("*Follow-ups*\n%d open, %d done", r.FollowUps.Open, r.FollowUps.Done)),
		}, nil),
	}
	if len(r.Longest) > 0 {
		var b strings.Builder
		b.WriteString("*Longest*")
		for _, l := range r.Longest[:min(3, len(r.Longest))] {
			open := ""
			if l.Open {
				open = ", still open"
			}
			fmt.Fprintf(&b, "\n#%d %s — %s (%s%s)", l.Number, escapeTruncate(oneLine(l.Title), 80), formatDuration(l.Duration.D()), EscapeMrkdwn(l.Severity), open)
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(b.String()), nil, nil))
	}
	if len(r.NoisiestAlerts) > 0 {
		var parts []string
		for _, a := range r.NoisiestAlerts[:min(3, len(r.NoisiestAlerts))] {
			parts = append(parts, fmt.Sprintf("%s (%d in %d incidents)", escapeTruncate(a.Name, 80), a.Alerts, a.Incidents))
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn("*Noisiest alerts*\n"+strings.Join(parts, "\n")), nil, nil))
	}
	if len(r.DORA) > 0 {
		var b strings.Builder
		b.WriteString("*Delivery (DORA)*")
		for _, d := range r.DORA[:min(5, len(r.DORA))] {
			fmt.Fprintf(&b, "\n*%s* %s: %.1f deploys/day · lead time %s · change fail rate %.0f%% · recovery %s · rework %.0f%%",
				escapeTruncate(d.Service, 60), escapeTruncate(d.Environment, 40), d.PerDay, medianOrNone(d.LeadTime),
				100*d.ChangeFailRate, medianOrNone(d.Recovery), 100*d.ReworkRate)
		}
		if len(r.DORA) > 5 {
			fmt.Fprintf(&b, "\n…and %d more on the web view", len(r.DORA)-5)
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(b.String()), nil, nil))
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn("Medians, p90 in brackets. Acknowledge and restore count from detection; restore is mitigation, else resolution.")))
	return text, blocks
}

func orAll(service string) string {
	if service == "" {
		return "all services"
	}
	return service
}

func countsLine(cs []stats.Count) string {
	if len(cs) == 0 {
		return "none"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s %d", escapeTruncate(c.Name, 40), c.Count)
	}
	return strings.Join(parts, " · ")
}

// durationsLine is "12m (p90 40m), 3 never acknowledged".
func durationsLine(d stats.Durations) string {
	line := "—"
	if d.Count > 0 {
		line = fmt.Sprintf("%s (p90 %s)", formatDuration(d.Median.D()), formatDuration(d.P90.D()))
	}
	if d.Missing > 0 {
		line += fmt.Sprintf(", %d %s", d.Missing, EscapeMrkdwn(d.MissingMeaning))
	}
	return line
}

func medianOrNone(d stats.Durations) string {
	if d.Count == 0 {
		return "—"
	}
	return formatDuration(d.Median.D())
}
