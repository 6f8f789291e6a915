package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
	"github.com/incidentbot/incidentbot/paging/acklink"
	"github.com/incidentbot/incidentbot/paging/email"
	"github.com/incidentbot/incidentbot/paging/ntfy"
	"github.com/incidentbot/incidentbot/paging/twilio"
	"github.com/incidentbot/incidentbot/paging/webhook"
)

// wirePaging builds the paging engine (package paging) with a sender per
// configured method, the Slack side when Slack is configured, and the
// endpoints people acknowledge from: Twilio's webhooks and acknowledge links.
func (a *App) wirePaging(ctx context.Context, mux *http.ServeMux) error {
	env, cfg := a.opts.Env, a.opts.Config
	senders, fallbacks, err := a.senders()
	if err != nil {
		return err
	}
	key, err := a.store.Secret(ctx, "ack-links")
	if err != nil {
		return fmt.Errorf("the acknowledge links' key: %w", err)
	}
	signer, err := acklink.New(key, a.opts.Now)
	if err != nil {
		return err
	}
	var slackSide paging.Slack
	if a.notifier != nil {
		slackSide = a.notifier
	}
	o := paging.Options{
		Store: a.store, Incidents: a.service, Queue: a.runner, Directory: directory{cfg}, Overrides: a.store,
		Slack: slackSide, SlackError: slackJobError, Senders: senders, Fallbacks: fallbacks, DefaultRules: cfg.Paging.Rules,
		Links: ackLinks{signer: signer, base: env.PublicURL}, AckLinkTTL: cfg.Paging.AckLinkTTL, PublicURL: env.PublicURL,
		Words: a.lang, Location: cfg.Timezone, Now: a.opts.Now, Logger: a.log.WithField("component", "paging"), Registerer: a.opts.Registry,
		Maintenance: pagingHold{a},
	}
	if cfg.Paging.Twilio != nil {
		o.CallbackURL = func(id string) string { return twilio.CallbackURL(env.PublicURL, id) }
	}
	if a.pager, err = paging.New(o); err != nil {
		return err
	}
	a.pager.Register(a.runner)
	if cfg.Paging.Twilio != nil {
		mux.Handle(twilio.PathPrefix, twilio.NewHandler(a.pager, twilio.HandlerOptions{
			AuthToken: env.TwilioAuthToken, PublicURL: env.PublicURL, Logger: a.log.WithField("component", "twilio"),
		}))
	}
	mux.Handle("/ack/", acklink.NewHandler(signer, ackByLink{a.pager}, a.log.WithField("component", "ack-link")))
	return nil
}

// senders builds a sender for each method a provider is configured for;
// push and webhook need none beyond each person's address.
func (a *App) senders() (map[oncall.Method]paging.Sender, map[oncall.Method]paging.Sender, error) {
	env, pg := a.opts.Env, a.opts.Config.Paging
	senders := map[oncall.Method]paging.Sender{
		oncall.MethodPush:    ntfy.New(ntfy.Options{Logger: a.log.WithField("component", "ntfy")}),
		oncall.MethodWebhook: webhook.New(webhook.Options{Logger: a.log.WithField("component", "webhook-pages"), Now: a.opts.Now}),
	}
	fallbacks := map[oncall.Method]paging.Sender{}
	twilioClient := func(t *config.Twilio, token, tokenVar string) (paging.Sender, error) {
		if token == "" {
			return nil, fmt.Errorf("%s is required when paging.twilio is set", tokenVar)
		}
		return twilio.New(twilio.Options{AccountSID: t.AccountSID, AuthToken: token, From: t.From,
			MessagingServiceSID: t.MessagingServiceSID, BaseURL: t.APIURL, Logger: a.log.WithField("component", "twilio")}), nil
	}
	if pg.Twilio != nil {
		c, err := twilioClient(pg.Twilio, env.TwilioAuthToken, "TWILIO_AUTH_TOKEN")
		if err != nil {
			return nil, nil, err
		}
		senders[oncall.MethodSMS], senders[oncall.MethodVoice] = c, c
	}
	if pg.Fallback != nil {
		c, err := twilioClient(pg.Fallback, env.TwilioFallbackAuthToken, "TWILIO_FALLBACK_AUTH_TOKEN")
		if err != nil {
			return nil, nil, err
		}
		fallbacks[oncall.MethodSMS], fallbacks[oncall.MethodVoice] = c, c
	}
	if s := pg.SMTP; s != nil {
		c, err := email.New(email.Options{Host: s.Host, Port: s.Port, Username: s.Username, Password: env.SMTPPassword,
			From: s.From, TLS: email.TLSMode(s.TLS), AckValidFor: pg.AckLinkTTL, Logger: a.log.WithField("component", "smtp"), Now: a.opts.Now})
		if err != nil {
			return nil, nil, fmt.Errorf("paging.smtp: %w", err)
		}
		senders[oncall.MethodEmail] = c
	}
	return senders, fallbacks, nil
}

// directory is the team as the config describes it, for the engine.
type directory struct{ cfg *config.Config }

func (d directory) Policy(name string) (oncall.EscalationPolicy, bool) {
	return d.cfg.EscalationPolicy(name)
}
func (d directory) Contact(user string) oncall.Person { return d.cfg.Contact(user) }
func (d directory) PersonByPhone(number string) (oncall.Person, bool) {
	return d.cfg.PersonByPhone(number)
}

func (d directory) Schedules() map[string]oncall.Schedule {
	out := make(map[string]oncall.Schedule, len(d.cfg.Schedules))
	for _, s := range d.cfg.Schedules {
		out[s.Name] = s
	}
	return out
}

// ackLinks signs the engine's acknowledge links: <public URL>/ack/<token>.
type ackLinks struct {
	signer *acklink.Signer
	base   string
}

func (l ackLinks) AckURL(n paging.Notification, expires time.Time) string {
	return strings.TrimRight(l.base, "/") + "/ack/" + l.signer.Sign(acklink.Claims{Incident: n.Incident, Notification: n.ID, Person: n.User, Expires: expires})
}

// ackByLink acknowledges from a verified link.
type ackByLink struct{ e *paging.Engine }

func (a ackByLink) AckByLink(ctx context.Context, c acklink.Claims) (string, error) {
	return a.e.AckByLink(ctx, c.Incident, c.Notification, c.Person)
}

// pagingHandler is the bot's view of paging: the Decline button and
// /incident page.
type pagingHandler struct{ a *App }

var _ bot.Paging = pagingHandler{}

// Decline stores the decline as a job and answers at once.
func (h pagingHandler) Decline(ctx context.Context, n int64, user string) (string, error) {
	declined, err := h.a.pager.Decline(ctx, n, user)
	if err != nil {
		return "", err
	}
	if !declined {
		return h.a.lang.Text("page.already_acknowledged", n), nil
	}
	return h.a.lang.Text("page.you_declined", n), nil
}

// PageByHand stores a page by hand as a job: target is "user:U…" or
// "schedule:name".
func (h pagingHandler) PageByHand(ctx context.Context, n int64, target, message, actor string) (string, error) {
	if t, err := oncall.ParseTarget(target); err == nil && t.Kind == oncall.TargetSchedule {
		if _, ok := h.a.opts.Config.Schedule(t.Name); !ok {
			return h.a.lang.Text("page.no_schedule", slacktext.Escape(t.Name)), nil
		}
	}
	t, err := h.a.pager.PageByHand(ctx, n, target, message, actor)
	if err != nil {
		return "", err
	}
	who := bot.M{"User": "<@" + t.Name + ">", "Schedule": "", "Number": n}
	if t.Kind == oncall.TargetSchedule {
		who["User"], who["Schedule"] = "", slacktext.Escape(t.Name)
	}
	return h.a.lang.Text("page.paging", who), nil
}

// Contact implements bot.Oncall: /oncall contact.
func (p oncallProvider) Contact(user string) string {
	l := p.a.lang
	methods, rules := p.a.pager.Contact(user)
	lines := []string{l.Text("oncall.contact_title", nil)}
	for _, m := range methods {
		addr := slacktext.Escape(m.Address)
		if m.Method == oncall.MethodSlack {
			addr = slacktext.UserMention(m.Address)
		}
		lines = append(lines, l.Text("oncall.contact_method", bot.M{"Method": string(m.Method), "Address": addr, "Ready": m.Ready}))
	}
	lines = append(lines, l.Text("oncall.contact_rules", slacktext.Escape(paging.RulesText(rules,
		func(string) string { return l.Text("oncall.rule_now", nil) },
		func(d string) string { return l.Text("oncall.rule_after", d) }))))
	return strings.Join(lines, "\n")
}

// TestPage implements bot.Oncall: /oncall test-page [method].
func (p oncallProvider) TestPage(ctx context.Context, user string, m oncall.Method) (string, error) {
	l := p.a.lang
	results, err := p.a.pager.TestPage(ctx, user, m)
	if err != nil {
		return "", err
	}
	if len(results) == 0 {
		return l.Text("oncall.test_none", nil), nil
	}
	lines := []string{l.Text("oncall.test_title", nil)}
	for _, r := range results {
		lines = append(lines, l.Text("oncall.test_result", bot.M{"Method": string(r.Method), "Provider": slacktext.Escape(r.Provider),
			"Status": slacktext.Escape(r.Status), "Error": slacktext.Escape(r.Error)}))
	}
	return strings.Join(lines, "\n"), nil
}
