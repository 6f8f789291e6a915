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
	"github.com/incidentbot/incidentbot/stats"
	"github.com/incidentbot/incidentbot/templates"
)

// statsReply answers /incident stats with the figures of the period.
func (h *Handler) statsReply(ctx context.Context, log *logrus.Entry, cmd command.Incident) reply {
	if h.o.Stats == nil {
		return ephemeralf("%s", h.t("stats.unavailable", nil))
	}
	r, err := h.o.Stats(ctx, cmd.Period, cmd.Service)
	if err != nil {
		return ephemeralf("%s", h.friendly(log, 0, err))
	}
	text, blocks := statsBlocks(h.o.Lang, r, cmd.Period)
	return reply{ResponseType: ephemeral, Text: text, Blocks: slack.Blocks{BlockSet: blocks}}
}

// statsBlocks renders a report for Slack in l, short enough to read on a
// phone: the incident figures, then the delivery (DORA) figures per service.
func statsBlocks(l Lang, r stats.Report, period time.Duration) (string, []slack.Block) {
	scope := l.Text("stats.all_services", nil)
	if r.Service != "" {
		scope = slacktext.Escape(slacktext.Truncate(r.Service, 100))
	}
	days := int(period / (24 * time.Hour))
	text := l.Text("stats.text", M{"Days": days, "Scope": scope, "Incidents": r.Incidents, "Open": r.Open})
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(l.Text("stats.header", M{"Days": days, "Scope": slacktext.Truncate(orAll(l, r.Service), 100)}))),
		slack.NewSectionBlock(nil, []*slack.TextBlockObject{
			mrkdwn(l.Text("stats.incidents", M{"Incidents": r.Incidents, "Open": r.Open})),
			mrkdwn(l.Text("stats.by_severity", countsLine(l, r.BySeverity))),
			mrkdwn(l.Text("stats.time_to_acknowledge", durationsLine(l, r.TimeToAcknowledge))),
			mrkdwn(l.Text("stats.time_to_restore", durationsLine(l, r.TimeToRestore))),
			mrkdwn(l.Text("stats.time_to_resolve", durationsLine(l, r.TimeToResolve))),
			mrkdwn(l.Text("stats.followups", M{"Open": r.FollowUps.Open, "Done": r.FollowUps.Done})),
		}, nil),
	}
	if g := r.Regulatory; g.Reports > 0 {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(l.Text("stats.regulatory", M{
			"OnTime": g.OnTime, "Late": g.Late, "Overdue": g.Overdue, "Pending": g.Pending})), nil, nil))
	}
	if len(r.Longest) > 0 {
		var b strings.Builder
		b.WriteString(l.Text("stats.longest", nil))
		for _, x := range r.Longest[:min(3, len(r.Longest))] {
			b.WriteString("\n" + l.Text("stats.longest_item", M{"Number": x.Number, "Title": slacktext.EscapeTruncate(oneLine(x.Title), 80),
				"Duration": l.Short(x.Duration.D()), "Severity": slacktext.Escape(x.Severity), "Open": x.Open}))
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(b.String()), nil, nil))
	}
	if len(r.NoisiestAlerts) > 0 {
		var parts []string
		for _, a := range r.NoisiestAlerts[:min(3, len(r.NoisiestAlerts))] {
			parts = append(parts, l.Text("stats.noisiest_item", M{"Name": slacktext.EscapeTruncate(a.Name, 80), "Alerts": a.Alerts, "Incidents": a.Incidents}))
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(l.Text("stats.noisiest", nil)+"\n"+strings.Join(parts, "\n")), nil, nil))
	}
	if len(r.DORA) > 0 {
		var b strings.Builder
		b.WriteString(l.Text("stats.dora", nil))
		for _, d := range r.DORA[:min(5, len(r.DORA))] {
			b.WriteString("\n" + l.Text("stats.dora_item", M{
				"Service": slacktext.EscapeTruncate(d.Service, 60), "Environment": slacktext.EscapeTruncate(d.Environment, 40),
				"PerDay": decimal(l, d.PerDay, 1), "LeadTime": medianOrNone(l, d.LeadTime),
				"FailRate": decimal(l, 100*d.ChangeFailRate, 0), "Recovery": medianOrNone(l, d.Recovery),
				"Rework": decimal(l, 100*d.ReworkRate, 0),
			}))
		}
		if len(r.DORA) > 5 {
			b.WriteString("\n" + l.Text("stats.dora_more", len(r.DORA)-5))
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(b.String()), nil, nil))
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn(l.Text("stats.note", nil))))
	return text, blocks
}

// decimal is f with prec decimals, with a decimal comma in Russian.
func decimal(l Lang, f float64, prec int) string {
	s := fmt.Sprintf("%.*f", prec, f)
	if l.Locale() == templates.RU {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func orAll(l Lang, service string) string {
	if service == "" {
		return l.Text("stats.all_services", nil)
	}
	return service
}

func countsLine(l Lang, cs []stats.Count) string {
	if len(cs) == 0 {
		return l.Text("stats.none", nil)
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s %d", slacktext.EscapeTruncate(c.Name, 40), c.Count)
	}
	return strings.Join(parts, " · ")
}

// durationsLine is "12m (p90 40m), 3 never acknowledged".
func durationsLine(l Lang, d stats.Durations) string {
	line := "—"
	if d.Count > 0 {
		line = l.Text("stats.durations", M{"Median": l.Short(d.Median.D()), "P90": l.Short(d.P90.D())})
	}
	if d.Missing > 0 {
		line += ", " + l.Text("stats.missing", M{"Count": d.Missing, "Meaning": slacktext.Escape(d.MissingMeaning)})
	}
	return line
}

func medianOrNone(l Lang, d stats.Durations) string {
	if d.Count == 0 {
		return "—"
	}
	return l.Short(d.Median.D())
}
