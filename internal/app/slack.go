package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/jobs"
)

// Job kinds of the Slack side.
const (
	kindSlackEvent = "slack.event"
	kindNudgeScan  = "incident.nudge_scan"
	kindNudge      = "incident.nudge"
)

// slackTimeout bounds one Web API call; Slack answers far faster when healthy.
const slackTimeout = 20 * time.Second

// wireSlack builds the Slack client, the notifier behind incident.sync jobs,
// the slash-command/interaction/event handlers and the nudge tick.
func (a *App) wireSlack(mux *http.ServeMux) error {
	env, cfg := a.opts.Env, a.opts.Config
	if env.SlackBotToken == "" {
		a.log.Warn("SLACK_BOT_TOKEN is unset: incidents are kept, but nothing is posted to Slack")
		return nil
	}
	httpClient := &http.Client{Timeout: slackTimeout}
	opts := []slack.Option{slack.OptionAPIURL(env.SlackAPIURL), slack.OptionHTTPClient(httpClient)}
	if env.SocketMode() {
		opts = append(opts, slack.OptionAppLevelToken(env.SlackAppToken))
	}
	a.slack = slack.New(env.SlackBotToken, opts...)

	a.notifier = bot.NewNotifier(a.slack, a.service, a.store, bot.NotifierOptions{
		ChannelPrefix: cfg.Slack.ChannelPrefix, AnnounceChannel: cfg.Slack.AnnounceChannel, Invite: cfg.Slack.Invite,
		PublicURL: env.PublicURL, Location: cfg.Timezone, Now: a.opts.Now, Logger: a.log.WithField("component", "notifier"),
	})
	a.handler = bot.NewHandler(a.slack, a.service, a.store, bot.HandlerOptions{
		SigningSecret: env.SlackSigningSecret, PublicURL: env.PublicURL, Location: cfg.Timezone,
		Now: a.opts.Now, Logger: a.log.WithField("component", "slack"), Enqueue: a.enqueue,
	})
	if !env.SocketMode() {
		a.handler.Register(mux)
	}
	a.runner.Handle(kindSlackEvent, func(ctx context.Context, j jobs.Job) error {
		return slackJobError(a.handler.HandleEvent(ctx, j.Payload))
	})
	a.runner.Handle(kindNudgeScan, a.scanNudges)
	a.runner.Handle(kindNudge, func(ctx context.Context, j jobs.Job) error {
		n, err1 := strconv.ParseInt(j.Payload["incident"], 10, 64)
		due, err2 := strconv.ParseInt(j.Payload["due"], 10, 64)
		if err1 != nil || err2 != nil {
			return jobs.Permanent(fmt.Errorf("nudge job %s has a bad payload", j.Key))
		}
		return slackJobError(a.notifier.Nudge(ctx, n, time.Unix(due, 0).UTC()))
	})
	a.cron = jobs.NewCron(a.runner, jobs.CronOptions{Now: a.opts.Now, Logger: a.log.WithField("component", "cron")})
	if err := a.cron.AddTick("@every 1m", time.UTC, kindNudgeScan, "nudge-scan"); err != nil {
		return fmt.Errorf("schedule the status-update nudges: %w", err)
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
func (a *App) syncSlack(ctx context.Context, j jobs.Job) error {
	if a.notifier == nil {
		return nil // no Slack configured
	}
	n, err := strconv.ParseInt(j.Payload["incident"], 10, 64)
	if err != nil {
		return jobs.Permanent(fmt.Errorf("sync job %s without an incident number", j.Key))
	}
	err = a.notifier.Sync(ctx, n)
	if errors.Is(err, incidents.ErrNotFound) && j.Attempts < maxEarlySyncAttempts {
		// Sync is scheduled just before its incident is stored; a worker that
		// polls in between comes back a moment later.
		return jobs.RetryAfter(earlySyncRetry, err)
	}
	return slackJobError(err)
}

// A sync that finds no incident retries this often before giving up.
const (
	maxEarlySyncAttempts = 20
	earlySyncRetry       = 250 * time.Millisecond
)

// scanNudges enqueues one job per status-update reminder that is due.
func (a *App) scanNudges(ctx context.Context, _ jobs.Job) error {
	due, err := a.notifier.DueNudges(ctx, a.opts.Now())
	if err != nil {
		return err
	}
	for _, g := range due {
		err := a.enqueue(ctx, g.Key(), kindNudge, map[string]string{
			"incident": strconv.FormatInt(g.Incident, 10), "due": strconv.FormatInt(g.Due.Unix(), 10),
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (a *App) enqueue(ctx context.Context, key, kind string, payload map[string]string) error {
	if err := a.runner.Enqueue(ctx, jobs.Job{Key: key, Kind: kind, Payload: payload}); err != nil {
		return err
	}
	a.runner.Kick()
	return nil
}

// slackJobError maps Slack's answers to the job runner's retry rules:
// 429 waits exactly Retry-After, what retrying cannot fix is dropped, the
// rest backs off.
func slackJobError(err error) error {
	if err == nil {
		return nil
	}
	if d, ok := bot.RetryDelay(err); ok {
		return jobs.RetryAfter(d, err)
	}
	if bot.Permanent(err) {
		return jobs.Permanent(err)
	}
	return err
}

var _ bot.NotifierService = (*incidents.Service)(nil)
