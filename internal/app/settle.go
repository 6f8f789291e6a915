package app

import (
	"context"
	"fmt"

	"github.com/incidentbot/incidentbot/templates"
)

// settle resolves, before any wiring, everything the wiring reads: the
// message templates and the language, from the config's locale; the Slack
// client; and the config with schedule members given by email turned into
// Slack user IDs. After it a.opts.Config is final: no part is wired with a
// config that a later step swaps.
func (a *App) settle(ctx context.Context) error {
	if err := a.settleMessages(); err != nil {
		return err
	}
	if a.opts.Env.SlackBotToken == "" {
		return nil // wireSlack says so
	}
	a.slack = a.newSlackClient()
	lookupCtx, cancel := context.WithTimeout(ctx, memberLookupTimeout)
	defer cancel()
	cfg, err := resolveMemberEmails(lookupCtx, a.slack, a.opts.Config)
	if err != nil {
		return err
	}
	a.opts.Config = cfg
	return nil
}

// settleMessages builds the templates (the config's override files in) and
// derives the language of every message, Slack's and the pages', once from
// the config's locale.
func (a *App) settleMessages() error {
	cfg := a.opts.Config
	topts := templates.Options{PostmortemFile: cfg.Postmortem.Template, ReportFiles: cfg.ReportTemplateFiles()}
	if !a.opts.Manual {
		// A message that fails to render is a bug: log it and write English
		// (tests, driving the app by hand, panic instead).
		topts.OnMessageError = func(err error) { a.log.WithError(err).Error("a Slack message template failed") }
	}
	set, err := templates.New(topts)
	if err != nil {
		return fmt.Errorf("postmortem templates: %w", err)
	}
	loc := templates.EN
	if cfg.Locale != "" {
		if loc, err = templates.ParseLocale(cfg.Locale); err != nil {
			return fmt.Errorf("locale: %w", err)
		}
	}
	a.templates, a.locale, a.lang = set, loc, set.Lang(loc)
	return nil
}
