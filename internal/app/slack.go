package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/pace"
	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/stats"
)

// slackTimeout bounds one Web API call; Slack answers far faster when healthy.
const slackTimeout = 20 * time.Second

// newSlackClient builds the Slack Web API client: paced per method and
// channel, shared by every worker; outside the metrics, so those count only
// calls actually sent.
func (a *App) newSlackClient() *slack.Client {
	env := a.opts.Env
	paced := pace.New(newSlackTransport(a.opts.Registry, http.DefaultTransport), pace.Options{Now: a.opts.Now, MaxWait: a.opts.SlackMaxWait})
	timeout := a.opts.SlackTimeout
	if timeout <= 0 {
		timeout = slackTimeout
	}
	httpClient := &http.Client{Timeout: timeout, Transport: paced}
	opts := []slack.Option{slack.OptionAPIURL(env.SlackAPIURL), slack.OptionHTTPClient(httpClient)}
	if env.SocketMode() {
		opts = append(opts, slack.OptionAppLevelToken(env.SlackAppToken))
	}
	return slack.New(env.SlackBotToken, opts...)
}

// wireSlack builds the notifier behind incident.sync jobs, the
// slash-command/interaction/event handlers and the nudge tick, over the
// client settle built (nil without SLACK_BOT_TOKEN).
func (a *App) wireSlack(mux *http.ServeMux) error {
	env, cfg := a.opts.Env, a.opts.Config
	if a.slack == nil {
		a.log.Warn("SLACK_BOT_TOKEN is unset: incidents are kept, but nothing is posted to Slack")
		return nil
	}

	a.notifier = bot.NewNotifier(a.slack, notifierService{a.service, a}, a.store, bot.NotifierOptions{
		ChannelPrefix: cfg.Slack.ChannelPrefix, AnnounceChannel: cfg.Slack.AnnounceChannel, Invite: cfg.Slack.Invite,
		PublicURL: env.PublicURL, Location: cfg.Timezone, Lang: a.lang, Now: a.opts.Now, Logger: a.log.WithField("component", "notifier"),
		RetriesMarked: true, Silences: a.am != nil,
	})
	a.handler = bot.NewHandler(a.slack, a.service, a.store, bot.HandlerOptions{
		SigningSecret: env.SlackSigningSecret, PublicURL: env.PublicURL, Location: cfg.Timezone, Lang: a.lang,
		Now: a.opts.Now, Logger: a.log.WithField("component", "slack"), EnqueueEvent: a.enqueueEvent,
		Deployments: a.store, Stats: a.stats, Paging: pagingHandler{a}, Oncall: oncallProvider{a},
		Postmortems: postmortemCommands{a}, Reporting: a.reportingCommands(), SlackAPIURL: env.SlackAPIURL,
		Silences: silenceCommands{a}, Maintenance: maintenanceCommands{a},
	})
	if !env.SocketMode() {
		a.handler.Register(mux)
	}
	slackJob(a, jobSlackEvent, func(ctx context.Context, _ jobs.Job, ev map[string]string) error {
		return a.handler.HandleEvent(ctx, ev)
	})
	slackJob(a, jobCoverRequest, a.runCoverRequest)
	slackJob(a, jobCoverTaken, a.runCoverTaken)
	jobs.Handle(a.runner, jobNudgeScan, a.scanNudges)
	slackJob(a, jobNudge, func(ctx context.Context, _ jobs.Job, g bot.Nudge) error {
		return a.notifier.Nudge(ctx, g.Incident, g.Due)
	})
	a.cron = jobs.NewCron(a.runner, jobs.CronOptions{Now: a.opts.Now, Logger: a.log.WithField("component", "cron")})
	if err := a.cron.AddTick("@every 1m", time.UTC, jobNudgeScan.Name, "nudge-scan"); err != nil {
		return fmt.Errorf("schedule the status-update nudges: %w", err)
	}
	if err := a.wireHandoffs(); err != nil {
		return fmt.Errorf("schedule the on-call handoffs: %w", err)
	}
	return nil
}

// runSocketMode serves Slack over Socket Mode until ctx ends.
func (a *App) runSocketMode(ctx context.Context) {
	client := socketmode.New(a.slack)
	if err := a.handler.RunSocketMode(ctx, client); err != nil && ctx.Err() == nil {
		a.log.WithError(err).Error("socket mode stopped")
	}
}

// syncSlack makes Slack reflect an incident: channel, invites, pinned summary, announcements.
func (a *App) syncSlack(ctx context.Context, j jobs.Job, n int64) error {
	if a.notifier == nil {
		return nil // no Slack configured
	}
	return slackJobError(a.notifier.Sync(ctx, n))
}

// opened runs what follows a new incident: its escalation is scheduled
// (committed with the incident, so it exists), and the deployments that may
// have caused it are offered in its channel.
func (a *App) opened(ctx context.Context, j jobs.Job, n int64) error {
	if err := a.pager.Start(ctx, n); err != nil {
		return err
	}
	if a.notifier == nil {
		return nil
	}
	inc, err := a.service.Get(ctx, n)
	if err != nil {
		return err
	}
	if inc.Service == "" {
		return nil
	}
	window := a.opts.Config.DORA.Window
	ds, err := a.store.Deployments(ctx, inc.DetectedAt.Add(-window), inc.DetectedAt.Add(time.Nanosecond))
	if err != nil {
		return err
	}
	err = a.notifier.OfferCauses(ctx, n, deploys.LikelyCauses(ds, inc.Service, "", inc.DetectedAt, window))
	if bot.NoChannelYet(err) && j.Attempts < maxChannelWaits {
		return jobs.RetryAfter(time.Second, err)
	}
	return slackJobError(err)
}

// stats computes /incident stats: the period ending now, in the team's zone.
func (a *App) stats(ctx context.Context, period time.Duration, service string) (stats.Report, error) {
	return stats.ForPeriod(ctx, statsSource{a}, period, a.opts.Now(), stats.Options{
		Service: service, Zone: a.opts.Config.Timezone, Severities: severityNames(a.opts.Config),
	})
}

// severityNames lists the configured severities, most severe first.
func severityNames(cfg *config.Config) []string {
	names := make([]string, len(cfg.Severities))
	for i, s := range cfg.Severities {
		names[i] = s.Name
	}
	return names
}

// statsSource reads a report's data from the app's store.
type statsSource struct{ a *App }

func (s statsSource) Incidents(ctx context.Context, since time.Time) ([]*incidents.Incident, error) {
	list, err := s.a.service.List(ctx, incidents.ListOptions{Since: since})
	if err != nil {
		return nil, err
	}
	for _, inc := range list { // one timeline read each, only with obligations configured
		if err := s.a.withClocks(ctx, inc); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func (s statsSource) Deployments(ctx context.Context, from, to time.Time) ([]deploys.Deployment, error) {
	return s.a.store.Deployments(ctx, from, to)
}

func (s statsSource) Causes(ctx context.Context) (map[int64]string, error) {
	return s.a.store.Causes(ctx)
}

// maxChannelWaits bounds how often work that needs the incident's channel
// (likely causes, the postmortem link, report notices) waits for it before
// it goes without.
const maxChannelWaits = 20

// scanNudges enqueues one job per status-update reminder that is due.
func (a *App) scanNudges(ctx context.Context, _ jobs.Job, _ struct{}) error {
	due, err := a.notifier.DueNudges(ctx, a.opts.Now())
	if err != nil {
		return err
	}
	for _, g := range due {
		if err := a.runner.Enqueue(ctx, jobNudge.Job(g.Key(), g, time.Time{})); err != nil {
			return err
		}
	}
	return nil
}

// enqueueEvent stores a Slack event as a job before Slack is answered.
func (a *App) enqueueEvent(ctx context.Context, key string, ev map[string]string) error {
	return a.runner.Enqueue(ctx, jobSlackEvent.Job(key, ev, time.Time{}))
}

// slackJob registers a job kind whose work is Slack's, the one way such a
// job runs: nothing to do without Slack, and its failure classified once
// (slackJobError: 429 and pacing waits run again when their turn comes,
// 5xx and timeouts back off, what retrying cannot fix is dropped).
func slackJob[P any](a *App, k jobs.Kind[P], run func(ctx context.Context, j jobs.Job, p P) error) {
	jobs.Handle(a.runner, k, func(ctx context.Context, j jobs.Job, p P) error {
		if a.notifier == nil {
			return nil
		}
		return slackJobError(run(ctx, j, p))
	})
}

// jobContext tells a job's Slack calls its priority (pages first, then
// severe incidents' work, cosmetic work last), and, from its second attempt
// on, that an earlier attempt may have posted what it is about to post (the
// notifier then looks for it before posting again).
func jobContext(ctx context.Context, j jobs.Job) context.Context {
	if j.Attempts > 1 {
		ctx = bot.WithEarlierAttempt(ctx, j.CreatedAt)
	}
	return pace.WithPriority(ctx, pacePriority(j.Priority))
}

// pacePriority maps a job's priority onto the pacing's.
func pacePriority(p int) pace.Priority {
	switch {
	case p <= jobs.PriorityPage:
		return pace.Page
	case p < jobs.PriorityNormal:
		return pace.Urgent
	case p > jobs.PriorityNormal:
		return pace.Cosmetic
	}
	return pace.Normal
}

// slackJobError maps Slack's answers to the job runner's retry rules:
// 429 waits exactly Retry-After, what retrying cannot fix is dropped, the
// rest backs off.
func slackJobError(err error) error {
	if err == nil {
		return nil
	}
	var wait *pace.WaitError
	if errors.As(err, &wait) {
		return jobs.RetryAfter(wait.RetryAfter, err) // its turn comes then; nothing was sent
	}
	if d, ok := bot.RetryDelay(err); ok {
		return jobs.RetryAfter(d, err)
	}
	if bot.IsPermanent(err) {
		return jobs.Permanent(err)
	}
	return err
}

var _ bot.NotifierService = (*incidents.Service)(nil)

// Pages returns the people paged in [from, to), for the stats' pages figures.
func (s statsSource) Pages(ctx context.Context, from, to time.Time) ([]stats.PageRecord, error) {
	recs, err := s.a.store.PagesBetween(ctx, from, to)
	if err != nil {
		return nil, err
	}
	var out []stats.PageRecord
	for _, r := range recs {
		if r.User != "" {
			out = append(out, stats.PageRecord{User: r.User, At: r.At})
		}
	}
	return out, nil
}
