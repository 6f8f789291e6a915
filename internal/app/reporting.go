package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/reporting"
	"github.com/incidentbot/incidentbot/templates"
)

// Regulatory reporting, wired: the configured obligations (reporting:),
// the clocks computed from each incident's timeline (its classified and
// report_submitted events are the record), /incident classify and report,
// and the reminder and overdue jobs.

// reportPoint is a moment of one report's deadline: a reminder Before it,
// or (Before 0) the moment it is overdue.
type reportPoint struct {
	Incident   int64
	Obligation string
	Report     string
	Due        time.Time // whole seconds, UTC
	Before     time.Duration
}

// key is the job key of the point: one job per incident, report, deadline
// and point, so a restart neither loses (the job is stored) nor repeats
// one (the key collapses a second enqueue; the event ID a second run).
func (p reportPoint) key(kind string) string {
	return fmt.Sprintf("%s:%d:%s:%s:%d:%d", kind, p.Incident, p.Obligation, p.Report, p.Due.Unix(), int64(p.Before/time.Second))
}

// blockID marks the point's Slack messages (channel and commander's DM).
func (p reportPoint) blockID(kind string) string {
	return strings.ReplaceAll(p.key(kind), ":", "-")
}

var (
	jobReportRemind  = jobs.Kind[reportPoint]{Name: "reporting.remind", Encode: encodeReportPoint, Decode: decodeReportPoint}
	jobReportOverdue = jobs.Kind[reportPoint]{Name: "reporting.overdue", Encode: encodeReportPoint, Decode: decodeReportPoint}
)

// reportingJobKinds are appended to jobKinds.
var reportingJobKinds = []string{jobReportRemind.Name, jobReportOverdue.Name}

func encodeReportPoint(p reportPoint) map[string]string {
	return map[string]string{"incident": strconv.FormatInt(p.Incident, 10), "obligation": p.Obligation, "report": p.Report,
		"due": strconv.FormatInt(p.Due.Unix(), 10), "before": strconv.FormatInt(int64(p.Before/time.Second), 10)}
}

func decodeReportPoint(m map[string]string) (reportPoint, error) {
	n, err := jobs.PayloadInt(m, "incident")
	if err != nil {
		return reportPoint{}, err
	}
	due, err := jobs.PayloadInt(m, "due")
	if err != nil {
		return reportPoint{}, err
	}
	before, err := jobs.PayloadInt(m, "before")
	if err != nil {
		return reportPoint{}, err
	}
	if m["obligation"] == "" || m["report"] == "" {
		return reportPoint{}, fmt.Errorf("no obligation or report in %v", m)
	}
	return reportPoint{Incident: n, Obligation: m["obligation"], Report: m["report"], Due: time.Unix(due, 0).UTC(),
		Before: time.Duration(before) * time.Second}, nil
}

// wireReporting handles the reporting jobs.
func (a *App) wireReporting() {
	jobs.Handle(a.runner, jobReportRemind, a.remindReport)
	jobs.Handle(a.runner, jobReportOverdue, a.announceOverdue)
}

// detectedAt is when an incident's deadlines count detection from.
func detectedAt(inc *incidents.Incident) time.Time {
	if inc.DetectedAt.IsZero() {
		return inc.DeclaredAt
	}
	return inc.DetectedAt
}

// reportClocks are inc's regulatory reports at now, from its timeline and
// the configured obligations (one no longer configured is left out).
func (a *App) reportClocks(inc *incidents.Incident, events []incidents.Event, now time.Time) []incidents.ReportClock {
	var out []incidents.ReportClock
	for _, f := range incidents.ReportingFacts(events) {
		if ob, ok := a.opts.Config.Obligation(f.Obligation); ok {
			out = append(out, clocksOf(ob, f, detectedAt(inc), now, a.opts.Config.Timezone)...)
		}
	}
	return out
}

// clocksOf evaluates one obligation from its facts.
func clocksOf(ob reporting.Obligation, f incidents.ObligationFacts, detected, now time.Time, loc *time.Location) []incidents.ReportClock {
	facts := reporting.Facts{Detected: detected, Classified: f.ClassifiedAt}
	for _, s := range f.Submissions {
		facts.Submissions = append(facts.Submissions, reporting.Submission{Report: s.Report, At: s.At, Reference: s.Reference})
	}
	statuses := reporting.Evaluate(ob, facts, now, loc)
	out := make([]incidents.ReportClock, len(statuses))
	for i, st := range statuses {
		out[i] = incidents.ReportClock{Obligation: ob.Name, Report: st.Report, Due: st.Due, Waits: st.Waits,
			After: ob.Reports[i].Due.After.String(), Capped: st.Capped, State: string(st.State), Submitted: st.First, Reference: st.Reference}
	}
	return out
}

// withClocks fills inc.Reporting from its timeline; without obligations
// configured it reads nothing.
func (a *App) withClocks(ctx context.Context, inc *incidents.Incident) error {
	if len(a.opts.Config.Reporting) == 0 {
		return nil
	}
	events, err := a.store.Timeline(ctx, inc.Number)
	if err != nil {
		return err
	}
	inc.Reporting = a.reportClocks(inc, events, a.opts.Now())
	return nil
}

// notifierService is the incidents service as the notifier reads it: each
// incident with its report clocks, which the pinned summary shows.
type notifierService struct {
	*incidents.Service
	a *App
}

var _ bot.NotifierService = notifierService{}

// Get implements bot.NotifierService.
func (s notifierService) Get(ctx context.Context, n int64) (*incidents.Incident, error) {
	inc, err := s.Service.Get(ctx, n)
	if err != nil {
		return nil, err
	}
	if err := s.a.withFacts(ctx, inc); err != nil { // clocks, silences, maintenance
		return nil, err
	}
	return inc, nil
}

// obligation finds a configured obligation, or refuses naming the ones there are.
func (a *App) obligation(name string) (reporting.Obligation, error) {
	if ob, ok := a.opts.Config.Obligation(name); ok {
		return ob, nil
	}
	names := make([]string, len(a.opts.Config.Reporting))
	for i, o := range a.opts.Config.Reporting {
		names[i] = o.Name
	}
	list := strings.Join(names, ", ")
	if list == "" {
		list = "none"
	}
	return reporting.Obligation{}, &incidents.UserError{Kind: incidents.ErrInvalid, Code: "unknown_obligation",
		Data:    map[string]any{"Name": name, "Names": list},
		Message: fmt.Sprintf("there is no regulatory reporting obligation %q (configured: %s)", name, list)}
}

// classifiedReport finds the report of an obligation incident n was
// classified under (report empty: its next report to submit), with the
// incident and its timeline, and returns the report's name.
func (a *App) classifiedReport(ctx context.Context, n int64, obName, report string) (reporting.Obligation, string, *incidents.Incident, []incidents.Event, error) {
	ob, err := a.obligation(obName)
	if err != nil {
		return ob, "", nil, nil, err
	}
	if _, ok := ob.Report(report); !ok && report != "" {
		return ob, "", nil, nil, &incidents.UserError{Kind: incidents.ErrInvalid, Code: "unknown_report",
			Data:    map[string]any{"Obligation": ob.Name, "Report": report, "Reports": strings.Join(ob.ReportNames(), ", ")},
			Message: fmt.Sprintf("%s has no report %q (its reports: %s)", ob.Name, report, strings.Join(ob.ReportNames(), ", "))}
	}
	inc, err := a.service.Get(ctx, n)
	if err != nil {
		return ob, "", nil, nil, err
	}
	events, err := a.store.Timeline(ctx, n)
	if err != nil {
		return ob, "", nil, nil, err
	}
	if !incidents.Classified(events, ob.Name) {
		return ob, "", nil, nil, &incidents.UserError{Kind: incidents.ErrTransition, Code: "not_classified",
			Data:    map[string]any{"Number": n, "Obligation": ob.Name},
			Message: fmt.Sprintf("incident #%d is not classified under %s; run /incident classify %s first", n, ob.Name, ob.Name)}
	}
	if report == "" {
		report = nextReport(ob, events)
	}
	return ob, report, inc, events, nil
}

// nextReport is the obligation's first report not submitted yet, in the
// obligation's order; when every one is, the last (a further submission
// updates it).
func nextReport(ob reporting.Obligation, events []incidents.Event) string {
	submitted := map[string]bool{}
	for _, f := range incidents.ReportingFacts(events) {
		if f.Obligation == ob.Name {
			for _, s := range f.Submissions {
				submitted[s.Report] = true
			}
		}
	}
	for _, r := range ob.Reports {
		if !submitted[r.Name] {
			return r.Name
		}
	}
	return ob.Reports[len(ob.Reports)-1].Name
}

// classify records that inc falls under ob (once: the event's ID is fixed),
// then starts its clocks.
func (a *App) classify(ctx context.Context, inc *incidents.Incident, events []incidents.Event, ob reporting.Obligation, actor string) ([]incidents.ReportClock, error) {
	now := a.opts.Now().UTC()
	text := "Classified under " + ob.Name
	fields := map[string]string{"obligation": ob.Name}
	if ob.Reference != "" {
		fields["reference"] = ob.Reference
	}
	ev := incidents.Event{ID: incidents.ReportingEventID(inc.Number, incidents.EventClassified, ob.Name), Type: incidents.EventClassified,
		At: now, Actor: actor, Text: text, Fields: fields}
	if err := a.service.Record(ctx, inc.Number, ev); err != nil {
		return nil, err
	}
	ev.Incident = inc.Number
	return a.clocksChanged(ctx, inc, append(events, ev), ob)
}

// clocksChanged schedules the reminders and overdue notices of ob's open
// reports after a classification or a submission, brings the summary up
// to date, and returns ob's clocks.
func (a *App) clocksChanged(ctx context.Context, inc *incidents.Incident, events []incidents.Event, ob reporting.Obligation) ([]incidents.ReportClock, error) {
	now := a.opts.Now()
	var mine []incidents.ReportClock
	for _, c := range a.reportClocks(inc, events, now) {
		if c.Obligation == ob.Name {
			mine = append(mine, c)
		}
	}
	for _, c := range mine {
		r, _ := ob.Report(c.Report)
		if err := a.scheduleReport(ctx, inc.Number, ob.Name, c, r.Remind, now); err != nil {
			return nil, err
		}
	}
	if err := a.runner.Enqueue(ctx, jobSync.Job(fmt.Sprintf("sync:%d", inc.Number), inc.Number, time.Time{})); err != nil {
		return nil, err
	}
	a.runner.Kick()
	return mine, nil
}

// scheduleReport enqueues a report's reminders and its overdue notice.
// Reminder points already passed are skipped, but for the latest of them
// while the deadline is still ahead: it goes out now.
func (a *App) scheduleReport(ctx context.Context, n int64, obligation string, c incidents.ReportClock, remind []time.Duration, now time.Time) error {
	if c.Due.IsZero() || !c.Open() {
		return nil
	}
	due := c.Due.Truncate(time.Second)
	points := slices.Clone(remind)
	slices.SortFunc(points, func(x, y time.Duration) int { return cmp.Compare(y, x) }) // earliest point first
	for i, before := range points {
		at := due.Add(-before)
		if !at.After(now) {
			laterPassed := i+1 < len(points) && !due.Add(-points[i+1]).After(now)
			if laterPassed || !due.After(now) {
				continue
			}
			at = time.Time{}
		}
		p := reportPoint{Incident: n, Obligation: obligation, Report: c.Report, Due: due, Before: before}
		if err := a.runner.Enqueue(ctx, jobReportRemind.Job(p.key("report-remind"), p, at)); err != nil {
			return err
		}
	}
	p := reportPoint{Incident: n, Obligation: obligation, Report: c.Report, Due: due}
	return a.runner.Enqueue(ctx, jobReportOverdue.Job(p.key("report-overdue"), p, due.Add(time.Second)))
}

// pointClock loads what a reminder or an overdue notice is about: the
// incident and its report's clock now. ok is false when there is nothing
// to do: the event is already on the timeline (done before), the report
// was submitted, or its deadline moved (a newer job has the new one).
func (a *App) pointClock(ctx context.Context, p reportPoint, eventID string) (*incidents.Incident, incidents.ReportClock, bool, error) {
	inc, err := a.service.Get(ctx, p.Incident)
	if errors.Is(err, incidents.ErrNotFound) {
		return nil, incidents.ReportClock{}, false, jobs.Permanent(err)
	}
	if err != nil {
		return nil, incidents.ReportClock{}, false, err
	}
	events, err := a.store.Timeline(ctx, p.Incident)
	if err != nil {
		return nil, incidents.ReportClock{}, false, err
	}
	if slices.ContainsFunc(events, func(e incidents.Event) bool { return e.ID == eventID }) {
		return nil, incidents.ReportClock{}, false, nil
	}
	inc.Reporting = a.reportClocks(inc, events, a.opts.Now())
	for _, c := range inc.Reporting {
		if c.Obligation == p.Obligation && c.Report == p.Report {
			return inc, c, c.Open() && c.Due.Unix() == p.Due.Unix(), nil
		}
	}
	return nil, incidents.ReportClock{}, false, nil
}

// remindReport is the reporting.remind job: the channel and the commander
// hear that a report is due soon, once.
func (a *App) remindReport(ctx context.Context, j jobs.Job, p reportPoint) error {
	id := incidents.ReportingEventID(p.Incident, incidents.EventReportReminder, p.Obligation, p.Report,
		strconv.FormatInt(p.Due.Unix(), 10), strconv.FormatInt(int64(p.Before/time.Second), 10))
	inc, c, ok, err := a.pointClock(ctx, p, id)
	if err != nil || !ok || a.opts.Now().After(c.Due) {
		return err // too late for a reminder: the overdue notice follows
	}
	return a.reportNotice(ctx, j, inc, c, p, false, incidents.Event{
		ID: id, Type: incidents.EventReportReminder, Actor: incidents.ActorBot,
		Text:   fmt.Sprintf("Reminder: the %s report (%s) is due %s", p.Report, p.Obligation, c.Due.UTC().Format(time.RFC3339)),
		Fields: map[string]string{"obligation": p.Obligation, "report": p.Report, "due": c.Due.UTC().Format(time.RFC3339), "before": p.Before.String()},
	})
}

// announceOverdue is the reporting.overdue job: a report not submitted by
// its deadline is announced, once.
func (a *App) announceOverdue(ctx context.Context, j jobs.Job, p reportPoint) error {
	id := incidents.ReportingEventID(p.Incident, incidents.EventReportOverdue, p.Obligation, p.Report, strconv.FormatInt(p.Due.Unix(), 10))
	inc, c, ok, err := a.pointClock(ctx, p, id)
	if err != nil || !ok {
		return err
	}
	if !a.opts.Now().After(c.Due) {
		return jobs.RetryAfter(c.Due.Sub(a.opts.Now())+time.Second, nil)
	}
	return a.reportNotice(ctx, j, inc, c, p, true, incidents.Event{
		ID: id, Type: incidents.EventReportOverdue, Actor: incidents.ActorBot,
		Text:   fmt.Sprintf("The %s report (%s) is overdue: it was due %s", p.Report, p.Obligation, c.Due.UTC().Format(time.RFC3339)),
		Fields: map[string]string{"obligation": p.Obligation, "report": p.Report, "due": c.Due.UTC().Format(time.RFC3339)},
	})
}

// reportNotice posts a reminder or overdue notice (when Slack is
// configured), then records it on the timeline, then brings the summary
// up to date. Posting is idempotent by block ID, so a retry after a crash
// between the two posts nothing twice.
func (a *App) reportNotice(ctx context.Context, j jobs.Job, inc *incidents.Incident, c incidents.ReportClock, p reportPoint, overdue bool, ev incidents.Event) error {
	if a.notifier != nil {
		kind := "report-remind"
		if overdue {
			kind = "report-overdue"
		}
		err := a.notifier.PostReportNotice(ctx, bot.ReportNotice{Incident: inc, Clock: c, Overdue: overdue, BlockID: p.blockID(kind)})
		switch {
		case bot.NoChannelYet(err) && j.Attempts < maxChannelWaits:
			return jobs.RetryAfter(time.Second, err)
		case bot.NoChannelYet(err):
			a.log.WithFields(logrus.Fields{"incident": inc.Number, "report": c.Report}).Warn("no incident channel: the report notice is on the timeline only")
		case err != nil:
			return slackJobError(err)
		}
	}
	if err := a.service.Record(ctx, inc.Number, ev); err != nil {
		return err
	}
	if err := a.runner.Enqueue(ctx, jobSync.Job(fmt.Sprintf("sync:%d", inc.Number), inc.Number, time.Time{})); err != nil {
		return err
	}
	a.runner.Kick()
	return nil
}

// autoClassify classifies incident n under every obligation that starts by
// itself for its severity or service and has not yet: part of the
// incident.sync job, so it follows every change of the incident.
func (a *App) autoClassify(ctx context.Context, n int64) error {
	if !slices.ContainsFunc(a.opts.Config.Reporting, func(o reporting.Obligation) bool { return len(o.Severities)+len(o.Services) > 0 }) {
		return nil // nothing starts by itself: no read
	}
	var due []reporting.Obligation
	inc, err := a.service.Get(ctx, n)
	if err != nil {
		return err
	}
	for _, ob := range a.opts.Config.Reporting {
		if ob.AppliesTo(inc.Severity, inc.ServiceName()) {
			due = append(due, ob)
		}
	}
	if len(due) == 0 {
		return nil
	}
	events, err := a.store.Timeline(ctx, n)
	if err != nil {
		return err
	}
	for _, ob := range due {
		if incidents.Classified(events, ob.Name) {
			continue
		}
		if _, err := a.classify(ctx, inc, events, ob, incidents.ActorBot); err != nil {
			return err
		}
		a.log.WithFields(logrus.Fields{"incident": n, "obligation": ob.Name}).Info("classified under a reporting obligation by its severity or service")
	}
	return nil
}

// reportDraftURL is the address of a report's draft.
func (a *App) reportDraftURL(n int64, obligation, report string) string {
	return fmt.Sprintf("%s/incidents/%d/reports/%s/%s.md", strings.TrimRight(a.opts.Env.PublicURL, "/"), n,
		url.PathEscape(obligation), url.PathEscape(report))
}

// renderReport writes the draft of a report from the incident's facts.
func (a *App) renderReport(inc *incidents.Incident, events []incidents.Event, ob reporting.Obligation, report string) ([]byte, error) {
	cfg, now := a.opts.Config, a.opts.Now()
	d := &templates.ReportDraft{
		Locale: a.locale, Zone: cfg.Timezone, Generated: now.UTC(),
		Obligation: ob.Name, ObligationTitle: ob.Title, Reference: ob.Reference, Report: report, Reports: ob.ReportNames(),
		Number: inc.Number, Title: inc.Title, Description: inc.Description, Severity: inc.Severity,
		IncidentStatus: string(inc.Status), Commander: inc.Commander, Summary: inc.Summary,
		DetectedAt: detectedAt(inc).UTC(), DeclaredAt: inc.DeclaredAt.UTC(), IncidentURL: incidentURL(a.opts.Env.PublicURL, inc.Number),
	}
	if s, ok := cfg.Severity(inc.Severity); ok {
		d.SeverityDescription = s.Description
	}
	if svc := inc.ServiceName(); svc != "" {
		d.Services = []string{svc}
	}
	for _, t := range []struct {
		dst *time.Time
		src *time.Time
	}{{&d.AckedAt, inc.AcknowledgedAt}, {&d.MitigatedAt, inc.MitigatedAt}, {&d.ResolvedAt, inc.ResolvedAt}} {
		if t.src != nil {
			*t.dst = t.src.UTC()
		}
	}
	end := now
	if inc.ResolvedAt != nil {
		end = *inc.ResolvedAt
	}
	d.Duration, d.Ongoing = max(end.Sub(detectedAt(inc)), 0), inc.Open()
	for _, f := range incidents.ReportingFacts(events) {
		if f.Obligation != ob.Name {
			continue
		}
		d.ClassifiedAt = f.ClassifiedAt.UTC()
		for _, s := range f.Submissions {
			d.Submissions = append(d.Submissions, templates.ReportSubmission{Report: s.Report, At: s.At.UTC(), Reference: s.Reference})
		}
		for _, c := range clocksOf(ob, f, detectedAt(inc), now, cfg.Timezone) {
			if c.Report == report {
				d.Due, d.Capped = c.Due, c.Capped
			}
		}
	}
	if alerts := inc.SortedAlerts(); len(alerts) > 0 {
		first := alerts[0]
		d.FirstAlert = &templates.Alert{Name: first.Labels["alertname"], Summary: first.Annotations["summary"], URL: first.GeneratorURL, At: first.StartsAt.UTC()}
		for _, al := range alerts {
			if name := al.Labels["alertname"]; name != "" && !slices.Contains(d.Fired, name) {
				d.Fired = append(d.Fired, name)
			}
		}
	}
	l := a.lang
	for _, e := range events {
		if e.Type == incidents.EventAlertFired || e.Type == incidents.EventAlertResolved {
			continue
		}
		entry := templates.Entry{At: e.At.UTC(), Local: e.At.In(cfg.Timezone).Format("2006-01-02 15:04 MST"), UTC: e.At.UTC().Format("15:04"),
			Kind: string(e.Type), Label: l.Word(string(e.Type)), Actor: e.Actor, Text: l.Event(string(e.Type), e.Fields, e.Text),
			Link: templates.Dest(e.Fields["permalink"])}
		entry.Line = templates.EntryLine(entry)
		d.Timeline = append(d.Timeline, entry)
	}
	for _, x := range inc.Actions {
		d.Actions = append(d.Actions, templates.Action{ID: strconv.Itoa(x.ID), Text: x.Text, Owner: x.Owner, Due: x.Due, Done: x.Done, Overdue: x.Overdue(now)})
	}
	return a.templates.RenderReport(ob.Template, d)
}

// incidentURL is the web view's page of incident n.
func incidentURL(publicURL string, n int64) string {
	return strings.TrimRight(publicURL, "/") + "/incidents/" + strconv.FormatInt(n, 10)
}

// reportingCommands answers /incident classify and /incident report.
type reportingCommands struct{ a *App }

// reportingCommands is nil without obligations configured, so the commands
// answer that regulatory reporting is not configured.
func (a *App) reportingCommands() bot.Reporting {
	if len(a.opts.Config.Reporting) == 0 {
		return nil
	}
	return reportingCommands{a}
}

var _ bot.Reporting = reportingCommands{}

// Classify implements bot.Reporting.
func (c reportingCommands) Classify(ctx context.Context, n int64, obligation, actor string) ([]incidents.ReportClock, error) {
	ob, err := c.a.obligation(obligation)
	if err != nil {
		return nil, err
	}
	inc, err := c.a.service.Get(ctx, n)
	if err != nil {
		return nil, err
	}
	events, err := c.a.store.Timeline(ctx, n)
	if err != nil {
		return nil, err
	}
	if incidents.Classified(events, ob.Name) {
		return nil, &incidents.UserError{Kind: incidents.ErrTransition, Code: "already_classified",
			Data:    map[string]any{"Number": n, "Obligation": ob.Name},
			Message: fmt.Sprintf("incident #%d is already classified under %s", n, ob.Name)}
	}
	return c.a.classify(ctx, inc, events, ob, actor)
}

// Draft implements bot.Reporting: the draft is written now (a template
// that fails says so at once) and served, always current, at its URL.
func (c reportingCommands) Draft(ctx context.Context, n int64, obligation, report, actor string) (string, incidents.ReportClock, error) {
	ob, report, inc, events, err := c.a.classifiedReport(ctx, n, obligation, report)
	if err != nil {
		return "", incidents.ReportClock{}, err
	}
	if _, err := c.a.renderReport(inc, events, ob, report); err != nil {
		return "", incidents.ReportClock{}, err
	}
	u := c.a.reportDraftURL(n, ob.Name, report)
	now := c.a.opts.Now().UTC()
	if err := c.a.service.Record(ctx, n, incidents.Event{
		ID:   incidents.ReportingEventID(n, incidents.EventReportDrafted, ob.Name, report, strconv.FormatInt(now.UnixNano(), 10)),
		Type: incidents.EventReportDrafted, At: now, Actor: actor, Text: fmt.Sprintf("Draft of the %s report (%s) written: %s", report, ob.Name, u),
		Fields: map[string]string{"obligation": ob.Name, "report": report, "url": u},
	}); err != nil {
		return "", incidents.ReportClock{}, err
	}
	for _, clock := range c.a.reportClocks(inc, events, c.a.opts.Now()) {
		if clock.Obligation == ob.Name && clock.Report == report {
			return u, clock, nil
		}
	}
	return u, incidents.ReportClock{Obligation: ob.Name, Report: report}, nil
}

// Submit implements bot.Reporting: the submission anchors the deadlines
// that count from it.
func (c reportingCommands) Submit(ctx context.Context, n int64, obligation, report, reference, actor string) (string, []incidents.ReportClock, error) {
	ob, report, inc, events, err := c.a.classifiedReport(ctx, n, obligation, report)
	if err != nil {
		return "", nil, err
	}
	now := c.a.opts.Now().UTC()
	fields := map[string]string{"obligation": ob.Name, "report": report}
	text := fmt.Sprintf("The %s report (%s) was submitted", report, ob.Name)
	if reference != "" {
		fields["reference"] = reference
		text += ", reference " + reference
	}
	ev := incidents.Event{ID: incidents.ReportingEventID(n, incidents.EventReportSubmitted, ob.Name, report, strconv.FormatInt(now.UnixNano(), 10)),
		Type: incidents.EventReportSubmitted, At: now, Actor: actor, Text: text, Fields: fields}
	if err := c.a.service.Record(ctx, n, ev); err != nil {
		return "", nil, err
	}
	ev.Incident = n
	clocks, err := c.a.clocksChanged(ctx, inc, append(events, ev), ob)
	return report, clocks, err
}

// webReporting gives the web view each incident's regulatory reports and
// their drafts.
type webReporting struct{ a *App }

// Clocks implements web.Reporting.
func (w webReporting) Clocks(inc *incidents.Incident, timeline []incidents.Event, now time.Time) []incidents.ReportClock {
	return w.a.reportClocks(inc, timeline, now)
}

// Draft implements web.Reporting: incidents.ErrNotFound for an obligation
// or report the incident does not have.
func (w webReporting) Draft(ctx context.Context, n int64, obligation, report string) ([]byte, error) {
	ob, report, inc, events, err := w.a.classifiedReport(ctx, n, obligation, report)
	var ue *incidents.UserError
	if errors.As(err, &ue) {
		return nil, fmt.Errorf("%s: %w", ue.Message, incidents.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return w.a.renderReport(inc, events, ob, report)
}
