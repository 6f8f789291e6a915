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
	"strconv"
	"time"

	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/slacksim"
)

//go:embed dev.yaml
var devConfig []byte

// Settings of the simulated workspace `dev` runs against. The signing
// secret is new each run (randomToken): the simulator and the bot share it,
// and nobody else can sign a request the bot accepts.
const (
	devBotToken      = "xoxb-incidentbot-dev"
	devDefaultListen = "127.0.0.1:8080"
)

// Dev runs `incidentbot dev`: the embedded store, the Slack simulator with its
// web view and the bot, all on loopback unless INCIDENTBOT_LISTEN names
// another address, with a sample config. It needs no accounts and prints
// how to fire a first alert to stdout; logs go to stderr.
func Dev(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer, dataDir string, info BuildInfo) error {
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
	signingSecret := randomToken()
	botLn, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return fmt.Errorf("dev: listen on %s (set INCIDENTBOT_LISTEN to another address): %w", net.JoinHostPort(host, port), err)
	}
	simLn, err := listenNextTo(host, botLn.Addr().(*net.TCPAddr).Port)
	if err != nil {
		botLn.Close()
		return fmt.Errorf("dev: listen for the Slack simulator: %w", err)
	}
	botURL := "http://" + botLn.Addr().String()
	simURL := "http://" + simLn.Addr().String()

	if dataDir == "" {
		if dataDir, err = os.MkdirTemp("", "incidentbot-dev-"); err != nil {
			return err
		}
	}
	token := randomToken()
	vars := map[string]string{
		"SLACK_BOT_TOKEN": devBotToken, "SLACK_SIGNING_SECRET": signingSecret, "SLACK_API_URL": simURL + "/api/",
		"INCIDENTBOT_DATA_DIR": dataDir, "INCIDENTBOT_LISTEN": botLn.Addr().String(), "INCIDENTBOT_PUBLIC_URL": botURL,
		"ALERTMANAGER_WEBHOOK_TOKEN": token, "MONGODB_URI": "",
		"LOG_LEVEL": getenv("LOG_LEVEL"), "LOG_FORMAT": orDefault(getenv("LOG_FORMAT"), "text"),
	}
	env := config.LoadEnv(func(k string) string { return vars[k] }, func(string) bool { return false })
	if err := env.Validate(); err != nil {
		return err
	}
	cfg, err := config.Parse("dev.yaml", devConfig)
	if err != nil {
		return err
	}
	log, err := NewLogger(env, stderr)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		log.Warn(w)
	}

	sim := slacksim.New(slacksim.Options{Token: devBotToken, SigningSecret: signingSecret, BotURL: botURL})
	sim.SetSelfURL(simURL)
	if ch, ok := sim.ChannelByName("incidents"); ok {
		sim.AddMember(ch.ID, slacksim.BotUserID) // as if the bot had been invited to the announce channel
	}
	simSrv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go simSrv.Serve(simLn)
	defer simSrv.Close()

	fmt.Fprintf(stdout, `incidentbot dev — everything on this machine, no accounts needed

  Slack simulator (web view):  %[1]s/
  incidentbot web view:        %[2]s/
  Alertmanager webhook:        %[2]s/webhooks/alertmanager
  webhook token:               %[3]s
  data dir:                    %[4]s

Fire a sample alert:

  curl -sS -X POST %[2]s/webhooks/alertmanager \
    -H 'Authorization: Bearer %[3]s' -H 'Content-Type: application/json' \
    -d '%[5]s'

then open %[1]s/ to see the incident channel, its pinned summary and buttons,
and type /incident commands there as alice, bob, carol or dave. Ctrl-C stops.

`, simURL, botURL, token, dataDir, samplePayload())
	return Run(ctx, Options{Env: env, Config: cfg, Logger: log, Listener: botLn}, info)
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

// samplePayload is an Alertmanager v4 notification with one firing alert.
func samplePayload() string {
	now := time.Now().UTC().Format(time.RFC3339)
	return `{"version":"4","groupKey":"{}:{alertname=\"HighErrorRate\"}","status":"firing","receiver":"incidentbot",` +
		`"groupLabels":{"alertname":"HighErrorRate"},"commonLabels":{"alertname":"HighErrorRate","severity":"critical","service":"checkout"},` +
		`"commonAnnotations":{"summary":"5xx rate above 5% on checkout"},"externalURL":"http://alertmanager.local",` +
		`"alerts":[{"status":"firing","labels":{"alertname":"HighErrorRate","severity":"critical","service":"checkout","instance":"checkout-1"},` +
		`"annotations":{"summary":"5xx rate above 5% on checkout"},"startsAt":"` + now + `","endsAt":"0001-01-01T00:00:00Z",` +
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
