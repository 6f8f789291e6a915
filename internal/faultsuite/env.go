package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/internal/inboxsim"
	"github.com/incidentbot/incidentbot/internal/slacksim"
	"github.com/incidentbot/incidentbot/internal/twiliosim"
)

// The simulated team: two people on call with every method, the primary
// paged at once, the secondary after escalateAfter.
const (
	botToken      = "xoxb-faultsuite"
	signingSecret = "faultsuite-signing-secret"
	webhookToken  = "faultsuite-webhook-token"
	twilioSID     = "AC0123456789abcdef0123456789abcdef"
	twilioToken   = "faultsuite-twilio-token"
	twilioFrom    = "+15005550006"
	alice         = "U0001"
	bob           = "U0002"
	alicePhone    = "+77010000001"
	bobPhone      = "+77010000002"
)

// envOptions shape the simulated world and the bot's config.
type envOptions struct {
	// dir holds the data dir, the config, the logs and backups.
	dir string
	// stormMaxNew and stormWindow are the config's storm guard.
	stormMaxNew int
	stormWindow time.Duration
	// autoResolveAfter is the config's auto_resolve.after.
	autoResolveAfter time.Duration
	// sms, voice and escalate are when the primary's SMS and call come,
	// and when the secondary is paged.
	sms, voice, escalate time.Duration
}

// env is the world a bot runs in: Slack, Twilio, a mail server and ntfy,
// each a simulator on 127.0.0.1 that counts everything it is sent.
type env struct {
	o       envOptions
	slack   *slacksim.Server
	twilio  *twiliosim.Server
	inbox   *inboxsim.Sim
	servers []*http.Server

	slackBase string // the Slack simulator's base URL

	addr    string // the bot's listen address
	dataDir string
	config  string
	logPath string
}

// newEnv starts the simulators and writes the bot's config.
func newEnv(o envOptions) (*env, error) {
	e := &env{o: o, dataDir: filepath.Join(o.dir, "data"), config: filepath.Join(o.dir, "incidentbot.yaml"), logPath: filepath.Join(o.dir, "serve.log")}
	// The bot's address, kept across restarts so the simulators reach it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.addr = ln.Addr().String()
	ln.Close()

	e.slack = slacksim.New(slacksim.Options{Token: botToken, SigningSecret: signingSecret, BotURL: e.url(), Seed: 1, Unlimited: true})
	slackURL, err := e.serve(e.slack.Handler())
	if err != nil {
		return nil, err
	}
	e.slack.SetSelfURL(slackURL)
	e.slackBase = slackURL
	if ch, ok := e.slack.ChannelByName("incidents"); ok {
		e.slack.AddMember(ch.ID, slacksim.BotUserID)
	}
	e.twilio = twiliosim.New(twiliosim.Options{AccountSID: twilioSID, AuthToken: twilioToken, Numbers: []string{twilioFrom},
		InboundURL: e.url() + "/webhooks/twilio/sms", AutoDeliver: true, MaxMessages: 1 << 20, MaxCalls: 1 << 20})
	twilioURL, err := e.serve(e.twilio.Handler())
	if err != nil {
		return nil, err
	}
	if e.inbox, err = inboxsim.Start(inboxsim.Options{Keep: 1 << 20}); err != nil {
		return nil, err
	}
	ntfyURL, err := e.serve(e.inbox.NtfyHandler())
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(e.dataDir, 0o700); err != nil {
		return nil, err
	}
	return e, os.WriteFile(e.config, []byte(e.yaml(slackURL, twilioURL, ntfyURL)), 0o600)
}

func (e *env) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	e.servers = append(e.servers, srv)
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), nil
}

// close stops the simulators.
func (e *env) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range e.servers {
		s.Shutdown(ctx)
	}
	e.twilio.Close()
	e.inbox.Close()
}

// url is the bot's base URL.
func (e *env) url() string { return "http://" + e.addr }

// environ is the bot's environment.
func (e *env) environ() []string {
	slackURL := e.slackBase
	return []string{
		"SLACK_BOT_TOKEN=" + botToken, "SLACK_SIGNING_SECRET=" + signingSecret, "SLACK_API_URL=" + slackURL + "/api/",
		"INCIDENTBOT_DATA_DIR=" + e.dataDir, "INCIDENTBOT_LISTEN=" + e.addr, "INCIDENTBOT_PUBLIC_URL=" + e.url(),
		"INCIDENTBOT_CONFIG=" + e.config, "ALERTMANAGER_WEBHOOK_TOKEN=" + webhookToken, "TWILIO_AUTH_TOKEN=" + twilioToken,
		"MONGODB_URI=", "LOG_LEVEL=info", "LOG_FORMAT=json",
	}
}

func dur(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) + "s" }

// yaml is the bot's config: every alert pages the primary (alice) by Slack,
// push and email at once, SMS and a call later, then the secondary (bob).
func (e *env) yaml(slackURL, twilioURL, ntfyURL string) string {
	host, port, _ := net.SplitHostPort(e.inbox.SMTPAddr())
	o := e.o
	person := func(key, slack, phone string) string {
		return fmt.Sprintf(`  %[1]s:
    slack: %[2]s
    phone: "%[3]s"
    email: %[1]s@example.com
    ntfy: {server: %[4]s, topic: %[1]s-pager}
    rules:
      - {after: 0s, notify: [slack, push, email]}
      - {after: %[5]s, notify: [sms]}
      - {after: %[6]s, notify: [voice]}
`, key, slack, phone, ntfyURL, dur(o.sms), dur(o.voice))
	}
	return strings.Join([]string{`# written by internal/faultsuite
timezone: UTC
admins: [U0001]
slack:
  announce_channel: "#incidents"
  channel_prefix: inc
  invite: [U0003]
routes:
  - matchers: ['severity="critical"']
    severity: sev1
    escalation_policy: default
  - matchers: []
    severity: sev2
    escalation_policy: default
`, fmt.Sprintf("storm: {max_new: %d, window: %s}\n", o.stormMaxNew, dur(o.stormWindow)),
		fmt.Sprintf("auto_resolve: {enabled: true, after: %s}\n", dur(o.autoResolveAfter)),
		`schedules:
  - name: primary
    timezone: UTC
    rotations:
      - {name: all, type: weekly, start: "2026-01-05T09:00:00Z", handoff_time: "09:00", members: [alice]}
  - name: secondary
    timezone: UTC
    rotations:
      - {name: all, type: weekly, start: "2026-01-05T09:00:00Z", handoff_time: "09:00", members: [bob]}
escalation_policies:
  - name: default
    repeat: 0
    levels:
      - {delay: 0s, targets: ["schedule:primary"]}
`, fmt.Sprintf("      - {delay: %s, targets: [\"schedule:secondary\"]}\n", dur(o.escalate)),
		"people:\n", person("alice", alice, alicePhone), person("bob", bob, bobPhone),
		fmt.Sprintf(`paging:
  twilio: {account_sid: %s, from: "%s", api_url: %s}
  smtp: {host: %s, port: %s, from: "incidentbot <pager@example.com>", tls: none}
`, twilioSID, twilioFrom, twilioURL, host, port),
	}, "")
}
