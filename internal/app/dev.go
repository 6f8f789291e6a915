//go:build !nodev

package app

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/inboxsim"
	"github.com/incidentbot/incidentbot/internal/slacksim"
	"github.com/incidentbot/incidentbot/internal/twiliosim"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging/twilio"
)

//go:embed dev.yaml
var devConfig []byte

// Settings of the simulated workspace `dev` runs against. The signing
// secret is new each run (randomToken): the simulator and the bot share it,
// and nobody else can sign a request the bot accepts.
const (
	devBotToken      = "xoxb-incidentbot-dev"
	devDefaultListen = "127.0.0.1:8080"
	devTwilioSID     = "AC00000000000000000000000000000001"
	devTwilioFrom    = "+15005550006"
)

// devAlertStart is when the sample alert started: the process's start, so
// the firing and the resolving curl name the same alert.
var devAlertStart = time.Now().UTC().Format(time.RFC3339)

// Dev runs `incidentbot dev`: the embedded store, the Slack simulator, the
// simulated phones (Twilio: SMS and calls) and inboxes (email, ntfy push)
// with their web views, and the bot, all on loopback unless
// INCIDENTBOT_LISTEN names another address, with a sample config. It needs
// no accounts and prints how to fire a first alert (and resolve it) to
// stdout; logs go to stderr.
//
// The bot listens on INCIDENTBOT_LISTEN (default 127.0.0.1:8080); the
// simulators on the next port (8081) when it is free, else on any free one:
// the printed URLs say which.
func Dev(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer, o DevOptions, info BuildInfo) error {
	listen := getenv("INCIDENTBOT_LISTEN")
	if listen == "" {
		listen = devDefaultListen
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("INCIDENTBOT_LISTEN %q: %w", listen, err)
	}
	var warnings []string
	if host == "" || host == "0.0.0.0" || host == "::" {
		warnings = append(warnings, fmt.Sprintf("INCIDENTBOT_LISTEN %s would listen on every interface; dev serves this machine only, on 127.0.0.1", listen))
		host = "127.0.0.1"
	} else if w := devListenWarning(host); w != "" {
		warnings = append(warnings, w)
	}
	cfg, err := devConfigFile(o.Config, getenv)
	if err != nil {
		return err
	}
	signingSecret, twilioToken := randomToken(), randomToken()
	botLn, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return fmt.Errorf("dev: listen on %s (set INCIDENTBOT_LISTEN to another address): %w", net.JoinHostPort(host, port), err)
	}
	simLn, err := listenNextTo(host, botLn.Addr().(*net.TCPAddr).Port)
	if err != nil {
		botLn.Close()
		return fmt.Errorf("dev: listen for the simulators: %w", err)
	}
	botURL := "http://" + botLn.Addr().String()
	simURL := "http://" + simLn.Addr().String()

	dataDir := o.DataDir
	if dataDir == "" {
		if dataDir, err = os.MkdirTemp("", "incidentbot-dev-"); err != nil {
			return err
		}
	}
	token := randomToken()
	vars := map[string]string{
		"SLACK_BOT_TOKEN": devBotToken, "SLACK_SIGNING_SECRET": signingSecret, "SLACK_API_URL": simURL + "/api/",
		"INCIDENTBOT_DATA_DIR": dataDir, "INCIDENTBOT_LISTEN": botLn.Addr().String(), "INCIDENTBOT_PUBLIC_URL": botURL,
		"ALERTMANAGER_WEBHOOK_TOKEN": token, "MONGODB_URI": "", "TWILIO_AUTH_TOKEN": twilioToken,
		"LOG_LEVEL": getenv("LOG_LEVEL"), "LOG_FORMAT": orDefault(getenv("LOG_FORMAT"), "text"),
	}
	env := config.LoadEnv(func(k string) string { return vars[k] }, func(string) bool { return false })
	if err := env.Validate(); err != nil {
		return err
	}
	log, err := NewLogger(env, stderr)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		log.Warn(w)
	}

	sims, err := startDevSimulators(botURL, simURL, signingSecret, twilioToken, log)
	if err != nil {
		return err
	}
	defer sims.close()
	sims.rewire(cfg, simURL)
	simSrv := &http.Server{Handler: sims.mux, ReadHeaderTimeout: 10 * time.Second}
	go simSrv.Serve(simLn)
	defer simSrv.Close()

	fmt.Fprintf(stdout, `incidentbot dev — everything on this machine, no accounts needed

  Slack simulator (web view):  %[1]s/
  phones (SMS and calls):      %[1]s/twilio/
  inboxes (email and push):    %[1]s/inbox/
  incidentbot web view:        %[2]s/
  Alertmanager webhook:        %[2]s/webhooks/alertmanager
  webhook token:               %[3]s
  data dir:                    %[4]s

Fire a sample alert:

  curl -sS -X POST %[2]s/webhooks/alertmanager \
    -H 'Authorization: Bearer %[3]s' -H 'Content-Type: application/json' \
    -d '%[5]s'

then open %[1]s/ to see the incident channel, its pinned summary and buttons,
and type /incident commands there as alice, bob, carol or dave (@alice and
#channel are completed as Slack's client does). Whoever is on call is paged
by their rules: a Slack message and a push at once, an SMS after a minute,
a call after two; answer on the phones page (reply 1, or press 1 in the
call) and the incident is acknowledged.

Resolve it (the alert clears; the incident auto-resolves %[6]s later):

  curl -sS -X POST %[2]s/webhooks/alertmanager \
    -H 'Authorization: Bearer %[3]s' -H 'Content-Type: application/json' \
    -d '%[7]s'

Fire the first curl again after that and the new incident says this happened
before. Ctrl-C stops.

`, simURL, botURL, token, dataDir, samplePayload(false), cfg.AutoResolve.After, samplePayload(true))
	return Run(ctx, Options{Env: env, Config: cfg, Logger: log, Listener: botLn}, info)
}

// devConfigFile reads the config dev runs with: the file given (or
// INCIDENTBOT_CONFIG), else the sample.
func devConfigFile(path string, getenv func(string) string) (*config.Config, error) {
	if path == "" {
		path = getenv("INCIDENTBOT_CONFIG")
	}
	if path == "" {
		return config.Parse("dev.yaml", devConfig)
	}
	return config.Load(path)
}

// devSimulators are the Slack workspace, the phones and the inboxes of dev,
// all served on one listener: / is Slack, /twilio/ the phones (and Twilio's
// API under /twilio/2010-04-01/), /inbox/ the mail and push view, /ntfy/ the
// push server.
type devSimulators struct {
	mux    *http.ServeMux
	twilio *twiliosim.Server
	inbox  *inboxsim.Sim
}

func startDevSimulators(botURL, simURL, signingSecret, twilioToken string, log *logrus.Logger) (*devSimulators, error) {
	slackSim := slacksim.New(slacksim.Options{Token: devBotToken, SigningSecret: signingSecret, BotURL: botURL})
	slackSim.SetSelfURL(simURL)
	if ch, ok := slackSim.ChannelByName("incidents"); ok {
		slackSim.AddMember(ch.ID, slacksim.BotUserID) // as if the bot had been invited to the announce channel
	}
	tw := twiliosim.New(twiliosim.Options{AccountSID: devTwilioSID, AuthToken: twilioToken, Numbers: []string{devTwilioFrom},
		InboundURL: twilio.InboundSMSURL(botURL), AutoDeliver: true})
	inbox, err := inboxsim.Start(inboxsim.Options{Logger: logrus.NewEntry(log).WithField("component", "inboxsim")})
	if err != nil {
		tw.Close()
		return nil, fmt.Errorf("dev: start the inbox simulator: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/twilio/", http.StripPrefix("/twilio", tw.Handler()))
	mux.Handle("/inbox/", http.StripPrefix("/inbox", inbox.WebHandler()))
	mux.Handle("/ntfy/", http.StripPrefix("/ntfy", inbox.NtfyHandler()))
	mux.Handle("/", slackSim.Handler())
	return &devSimulators{mux: mux, twilio: tw, inbox: inbox}, nil
}

// rewire points the config's paging providers at the simulators, so a
// config file from production pages nobody for real.
func (d *devSimulators) rewire(cfg *config.Config, simURL string) {
	cfg.Paging.Twilio = &config.Twilio{AccountSID: devTwilioSID, From: devTwilioFrom, APIURL: simURL + "/twilio"}
	cfg.Paging.Fallback = nil
	host, port, _ := net.SplitHostPort(d.inbox.SMTPAddr())
	p, _ := strconv.Atoi(port)
	cfg.Paging.SMTP = &config.SMTP{Host: host, Port: p, From: "incidentbot <pager@incidentbot.test>", TLS: "none"}
	cfg.Paging.NtfyServer = simURL + "/ntfy"
	for k, person := range cfg.People {
		if person.Ntfy != nil {
			t := *person.Ntfy
			t.Server, t.Token = simURL+"/ntfy", ""
			person.Ntfy = &t
		}
		person.Webhook = nil // dev has no webhook receiver
		var rules []oncall.NotifyRule
		for _, r := range person.Rules {
			r.Notify = slices.DeleteFunc(slices.Clone(r.Notify), func(m oncall.Method) bool { return m == oncall.MethodWebhook })
			if len(r.Notify) > 0 {
				rules = append(rules, r)
			}
		}
		person.Rules = rules
		cfg.People[k] = person
	}
}

func (d *devSimulators) close() {
	d.twilio.Close()
	d.inbox.Close()
}

// devListenWarning is the warning for dev told to listen on host, or ""
// for a loopback host: anywhere else the simulator (which posts as any
// user) and the bot's web view are open to the network.
func devListenWarning(host string) string {
	if host == "localhost" {
		return ""
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Unmap().IsLoopback() {
		return ""
	}
	return fmt.Sprintf("INCIDENTBOT_LISTEN host %s is beyond loopback: anyone who reaches it can use the Slack simulator, post as any of its users and read the web view; dev is for this machine", host)
}

// listenNextTo listens on port+1 when it is free (easy to remember), else anywhere.
func listenNextTo(host string, port int) (net.Listener, error) {
	if ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port+1))); err == nil {
		return ln, nil
	}
	return net.Listen("tcp", net.JoinHostPort(host, "0"))
}

// samplePayload is an Alertmanager v4 notification with one alert, firing
// or resolved.
func samplePayload(resolved bool) string {
	now := time.Now().UTC().Format(time.RFC3339)
	status, ends := "firing", "0001-01-01T00:00:00Z"
	if resolved {
		status, ends = "resolved", now
	}
	return `{"version":"4","groupKey":"{}:{alertname=\"HighErrorRate\"}","status":"` + status + `","receiver":"incidentbot",` +
		`"groupLabels":{"alertname":"HighErrorRate"},"commonLabels":{"alertname":"HighErrorRate","severity":"critical","service":"checkout"},` +
		`"commonAnnotations":{"summary":"5xx rate above 5% on checkout"},"externalURL":"http://alertmanager.local",` +
		`"alerts":[{"status":"` + status + `","labels":{"alertname":"HighErrorRate","severity":"critical","service":"checkout","instance":"checkout-1"},` +
		`"annotations":{"summary":"5xx rate above 5% on checkout"},"startsAt":"` + devAlertStart + `","endsAt":"` + ends + `",` +
		`"generatorURL":"http://prometheus.local/graph?g0.expr=rate","fingerprint":"a1b2c3d4e5f60718"}]}`
}

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
