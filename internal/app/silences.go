package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/amapi"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/labels"
)

// Silences from Slack, wired: the Alertmanager API client (alertmanager:),
// /incident silence and unsilence and the summary's buttons, and the job
// that expires an incident's "until resolved" silences when it resolves.
// Every silence is on the timeline (incidents.EventSilenced and
// EventUnsilenced), which is the record the summary reads.

// nameLookup bounds the look-up of a person's name for a silence's createdBy.
const nameLookup = 2 * time.Second

// jobExpireSilences expires an incident's "until resolved" silences; the
// incidents service schedules it with every resolution.
var jobExpireSilences = jobs.Kind[int64]{Name: incidents.TaskSilencesExpire, Encode: encodeIncident, Decode: decodeIncident}

// wireAlertmanager builds the API client when alertmanager.urls is set and
// handles the expiry job (which does nothing without a client).
func (a *App) wireAlertmanager() error {
	jobs.Handle(a.runner, jobExpireSilences, a.expireResolvedSilences)
	am := a.opts.Config.Alertmanager
	if !am.Enabled() {
		return nil
	}
	o := amapi.Options{URLs: am.URLs, Timeout: am.Timeout}
	token := a.opts.Env.AlertmanagerAPIToken
	switch am.Auth {
	case config.AlertmanagerAuthBearer, config.AlertmanagerAuthBasic:
		if token == "" {
			return fmt.Errorf("ALERTMANAGER_API_TOKEN is required when alertmanager.auth is %s", am.Auth)
		}
		if am.Auth == config.AlertmanagerAuthBearer {
			o.BearerToken = token
		} else {
			o.Username, o.Password = am.Username, token
		}
	}
	c, err := amapi.New(o)
	if err != nil {
		return fmt.Errorf("alertmanager: %w", err)
	}
	a.am = c
	return nil
}

// silenceError turns an Alertmanager failure into what people read.
func silenceError(err error) error {
	var e *amapi.Error
	if !errors.As(err, &e) {
		return err
	}
	code := bot.SilenceUnreachable
	if e.Refused() {
		code = bot.SilenceRefused
	}
	return &bot.SilenceError{Code: code, Host: e.Host, Detail: shortDetail(err, e), Err: err}
}

// shortDetail is what to tell people: the message of the only
// Alertmanager that failed, or the joined messages of several.
func shortDetail(err error, e *amapi.Error) string {
	if strings.HasPrefix(err.Error(), "every Alertmanager failed") {
		return err.Error()
	}
	if e.Message != "" {
		if e.Status != 0 {
			return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
		}
		return e.Message
	}
	return fmt.Sprintf("HTTP %d", e.Status)
}

// apiMatchers converts matchers to the API's.
func apiMatchers(ms labels.Matchers) []amapi.Matcher {
	out := make([]amapi.Matcher, len(ms))
	for i, m := range ms {
		out[i] = amapi.Matcher{Name: m.Name, Value: m.Value,
			IsRegex: m.Type == labels.MatchRegexp || m.Type == labels.MatchNotRegexp,
			IsEqual: m.Type == labels.MatchEqual || m.Type == labels.MatchRegexp}
	}
	return out
}

// groupMatchers are the equality matchers of an incident's alert group:
// its group labels, or its common labels for an incident stored before
// group labels were (or grouped by nothing).
func groupMatchers(inc *incidents.Incident) labels.Matchers {
	group := inc.GroupLabels
	if len(group) == 0 {
		group = inc.Labels
	}
	names := make([]string, 0, len(group))
	for k := range group {
		names = append(names, k)
	}
	sort.Strings(names)
	var out labels.Matchers
	for _, k := range names {
		if group[k] == "" {
			continue
		}
		m, err := labels.NewMatcher(labels.MatchEqual, k, group[k])
		if err == nil {
			out = append(out, m)
		}
	}
	return out
}

// personName is who made a silence, for its createdBy: the person's name
// in Slack, else their handle, else their ID.
func (a *App) personName(ctx context.Context, id, handle string) string {
	if a.slack != nil && id != "" {
		a.directoryOnce.Do(func() { a.directory = bot.NewDirectory(a.slack) })
		ctx, cancel := context.WithTimeout(ctx, nameLookup)
		defer cancel()
		if n := a.directory.Names(ctx, []string{id})[id]; n != "" {
			return n
		}
	}
	if handle != "" {
		return handle
	}
	if id == "" {
		return incidents.ActorBot
	}
	return id
}

// silenceCommands implement bot.Silences.
type silenceCommands struct{ a *App }

var _ bot.Silences = silenceCommands{}

// Silence makes the silence, then records it; a silence that cannot be
// recorded is expired again, so the timeline never misses one.
func (c silenceCommands) Silence(ctx context.Context, n int64, req bot.SilenceRequest) (incidents.SilenceFact, error) {
	a := c.a
	if a.am == nil {
		return incidents.SilenceFact{}, &bot.SilenceError{Code: bot.SilenceNotConfigured}
	}
	inc, err := a.service.Get(ctx, n)
	if err != nil {
		return incidents.SilenceFact{}, err
	}
	if !inc.Open() {
		return incidents.SilenceFact{}, &bot.SilenceError{Code: bot.SilenceResolved}
	}
	ms := groupMatchers(inc)
	if len(req.Matchers) > 0 {
		if ms, err = labels.ParseMatchers(req.Matchers); err != nil {
			return incidents.SilenceFact{}, &bot.SilenceError{Code: bot.SilenceRefused, Host: "incidentbot", Detail: err.Error()}
		}
	}
	if len(ms) == 0 {
		return incidents.SilenceFact{}, &bot.SilenceError{Code: bot.SilenceNoMatchers}
	}
	now := a.opts.Now().UTC()
	ends := now.Add(req.For)
	if req.UntilResolved {
		ends = now.Add(command.MaxSilence) // the job at the resolution expires it sooner
	}
	id, err := a.am.Create(ctx, amapi.Silence{Matchers: apiMatchers(ms), StartsAt: now, EndsAt: ends,
		CreatedBy: a.personName(ctx, req.Actor, req.ActorName), Comment: a.incidentURL(n)})
	if err != nil {
		a.log.WithField("incident", n).WithError(err).Warn("Alertmanager made no silence")
		return incidents.SilenceFact{}, silenceError(err)
	}
	fact := incidents.SilenceFact{ID: id, Matchers: ms.String(), Ends: ends, UntilResolved: req.UntilResolved, By: req.Actor, At: now}
	if err := a.service.RecordVisible(ctx, n, incidents.SilencedEvent(n, fact, req.For)); err != nil {
		if xerr := a.am.Expire(context.WithoutCancel(ctx), id); xerr != nil {
			a.log.WithField("incident", n).WithError(xerr).Error("a silence that could not be recorded could not be expired either")
		}
		return incidents.SilenceFact{}, err
	}
	if req.UntilResolved {
		// Resolved meanwhile: its expiry job may have run before the silence was recorded.
		if inc, err := a.service.Get(ctx, n); err == nil && !inc.Open() {
			if err := a.runner.Enqueue(ctx, jobExpireSilences.Job(fmt.Sprintf("silence-expire:%d:late", n), n, time.Time{})); err != nil {
				return fact, err
			}
		}
	}
	return fact, nil
}

// Unsilence expires the incident's silences in force, recording each one
// Alertmanager took (or no longer knows).
func (c silenceCommands) Unsilence(ctx context.Context, n int64, actor string) ([]incidents.SilenceFact, error) {
	a := c.a
	if a.am == nil {
		return nil, &bot.SilenceError{Code: bot.SilenceNotConfigured}
	}
	events, err := a.service.Timeline(ctx, n)
	if err != nil {
		return nil, err
	}
	live := incidents.Silences(events, a.opts.Now())
	if len(live) == 0 {
		return nil, &bot.SilenceError{Code: bot.SilenceNone}
	}
	gone, err := a.expireSilences(ctx, n, live, incidents.UnsilenceByHand, actor)
	if err != nil {
		return gone, silenceError(err)
	}
	return gone, nil
}

// expireSilences expires silences in Alertmanager and records those that
// went (one unknown to Alertmanager is gone as well); it stops at the
// first failure, having recorded the ones before it.
func (a *App) expireSilences(ctx context.Context, n int64, ss []incidents.SilenceFact, why, actor string) ([]incidents.SilenceFact, error) {
	var gone []incidents.SilenceFact
	var events []incidents.Event
	var failed error
	now := a.opts.Now().UTC()
	for _, s := range ss {
		if err := a.am.Expire(ctx, s.ID); err != nil && !errors.Is(err, amapi.ErrNotFound) {
			failed = err
			break
		}
		gone = append(gone, s)
		events = append(events, incidents.UnsilencedEvent(n, s, why, actor, now))
	}
	if len(events) > 0 {
		if err := a.service.RecordVisible(ctx, n, events...); err != nil {
			return nil, err
		}
	}
	return gone, failed
}

// expireResolvedSilences is the silence.expire_resolved job: the resolved
// incident's "until resolved" silences are expired (again and again with
// backoff while Alertmanager fails).
func (a *App) expireResolvedSilences(ctx context.Context, _ jobs.Job, n int64) error {
	if a.am == nil {
		return nil
	}
	inc, err := a.service.Get(ctx, n)
	if errors.Is(err, incidents.ErrNotFound) {
		return jobs.Permanent(err)
	}
	if err != nil || inc.Open() {
		return err // reopened: its silences stand
	}
	events, err := a.service.Timeline(ctx, n)
	if err != nil {
		return err
	}
	var due []incidents.SilenceFact
	for _, s := range incidents.Silences(events, a.opts.Now()) {
		if s.UntilResolved {
			due = append(due, s)
		}
	}
	if len(due) == 0 {
		return nil
	}
	_, err = a.expireSilences(ctx, n, due, incidents.UnsilenceResolved, incidents.ActorBot)
	return err
}

// incidentURL is an incident's page: a silence's comment links it.
func (a *App) incidentURL(n int64) string {
	return fmt.Sprintf("%s/incidents/%d", strings.TrimRight(a.opts.Env.PublicURL, "/"), n)
}

// silenceFacts says whether incidents may carry silences or maintenance
// holds, so the summary reads them from the timeline.
func (a *App) silenceFacts() bool {
	return a.am != nil || len(a.opts.Config.EscalationPolicies) > 0
}

// withFacts fills what the summary shows from an incident's timeline: its
// regulatory clocks, its silences and its maintenance hold, reading the
// timeline once, and only when any of them is configured.
func (a *App) withFacts(ctx context.Context, inc *incidents.Incident) error {
	clocks, silences := len(a.opts.Config.Reporting) > 0, a.silenceFacts()
	if !clocks && !silences {
		return nil
	}
	events, err := a.store.Timeline(ctx, inc.Number)
	if err != nil {
		return err
	}
	now := a.opts.Now()
	if clocks {
		inc.Reporting = a.reportClocks(inc, events, now)
	}
	if silences {
		inc.Silences = incidents.Silences(events, now)
		inc.Maintenance = incidents.HeldFor(events)
	}
	return nil
}
