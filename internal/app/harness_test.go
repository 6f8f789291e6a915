package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/clocktest"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/slacksim"
	"github.com/incidentbot/incidentbot/internal/store"
)

const testToken = "test-webhook-token"

// harness boots a whole app on loopback with the embedded store and the
// Slack simulator, on a fake clock.
type harness struct {
	t     testing.TB
	app   *App
	clock *clocktest.Clock
	dir   string
	sim   *slacksim.Server
	// simURL is the simulator's base URL.
	simURL string
}

const (
	testBotToken      = "xoxb-test"
	testSigningSecret = "test-signing-secret"
)

type harnessOptions struct {
	dir    string      // data dir; default a new temp dir
	store  store.Store // share a store with another harness
	clock  *clocktest.Clock
	manual bool
	config func(*config.Config)
	// slackOf shares another harness's Slack simulator, as a restarted or a
	// second replica talks to the same workspace.
	slackOf *harness
	// env adds to (or replaces) the environment.
	env map[string]string
	// publicURL makes INCIDENTBOT_PUBLIC_URL the app's real address, for
	// simulators that call it back (Twilio, acknowledge links).
	publicURL bool
	// slackTimeout bounds each Slack call (Options.SlackTimeout).
	slackTimeout time.Duration
	// logTo, when set, receives the app's logs at debug level.
	logTo io.Writer
}

func newHarness(t testing.TB, ho harnessOptions) *harness {
	t.Helper()
	if ho.dir == "" {
		ho.dir = t.TempDir()
	}
	if ho.clock == nil {
		ho.clock = clocktest.New(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))
	}
	var sim *slacksim.Server
	var simURL string
	if ho.slackOf != nil {
		sim, simURL = ho.slackOf.sim, ho.slackOf.simURL
	} else {
		sim = slacksim.New(slacksim.Options{Token: testBotToken, SigningSecret: testSigningSecret, Now: ho.clock.Now})
		simSrv := httptest.NewServer(sim.Handler())
		t.Cleanup(simSrv.Close)
		sim.SetSelfURL(simSrv.URL)
		simURL = simSrv.URL
	}
	vars := map[string]string{
		"INCIDENTBOT_DATA_DIR": ho.dir, "INCIDENTBOT_LISTEN": "127.0.0.1:0",
		"ALERTMANAGER_WEBHOOK_TOKEN": testToken, "MONGODB_URI": "",
		"SLACK_BOT_TOKEN": testBotToken, "SLACK_SIGNING_SECRET": testSigningSecret, "SLACK_API_URL": simURL + "/api/",
		"INCIDENTBOT_PUBLIC_URL": "http://incidentbot.test",
	}
	var ln net.Listener
	if ho.publicURL {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		vars["INCIDENTBOT_PUBLIC_URL"] = "http://" + ln.Addr().String()
	}
	for k, v := range ho.env {
		vars[k] = v
	}
	env := config.LoadEnv(func(k string) string { return vars[k] }, func(string) bool { return false })
	cfg := config.Default()
	if ho.config != nil {
		ho.config(cfg)
	}
	log := discard.Logger().Logger
	if os.Getenv("HARNESS_LOG") != "" {
		log.SetOutput(os.Stderr)
	}
	if ho.logTo != nil {
		log.SetOutput(ho.logTo)
		log.SetLevel(logrus.DebugLevel)
	}
	a, err := New(context.Background(), Options{Env: env, Config: cfg, Logger: log, Now: ho.clock.Now, Store: ho.store, Manual: ho.manual, Listener: ln,
		SlackMaxWait: time.Nanosecond, SlackTimeout: ho.slackTimeout}) // on the fake clock, a wait is a reschedule
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	a.Start()
	sim.SetBotURL(a.URL())
	h := &harness{t: t, app: a, clock: ho.clock, dir: ho.dir, sim: sim, simURL: simURL}
	t.Cleanup(func() { h.stop() })
	return h
}

func (h *harness) stop() {
	if h.app == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h.app.Shutdown(ctx)
	h.app = nil
}

// kill stops the app as a crash would.
func (h *harness) kill() {
	h.app.Kill()
	h.app = nil
}

// testAlert is one alert of a payload.
type testAlert struct {
	fingerprint, status, name string
	startsAt                  time.Time
}

// payload builds an Alertmanager v4 webhook body.
func payload(groupKey string, alerts ...testAlert) []byte {
	status := "resolved"
	var as []map[string]any
	for _, a := range alerts {
		if a.status == "firing" {
			status = "firing"
		}
		ends := "0001-01-01T00:00:00Z"
		if a.status == "resolved" {
			ends = a.startsAt.Add(time.Minute).Format(time.RFC3339)
		}
		as = append(as, map[string]any{
			"status": a.status, "fingerprint": a.fingerprint,
			"labels":      map[string]string{"alertname": a.name, "instance": a.fingerprint, "service": "checkout"},
			"annotations": map[string]string{"summary": a.name + " on " + a.fingerprint},
			"startsAt":    a.startsAt.Format(time.RFC3339), "endsAt": ends,
			"generatorURL": "http://prometheus.example/graph",
		})
	}
	b, _ := json.Marshal(map[string]any{
		"version": "4", "groupKey": groupKey, "status": status, "receiver": "incidentbot",
		"groupLabels": map[string]string{"alertname": "HighLatency"}, "commonLabels": map[string]string{"alertname": "HighLatency"},
		"commonAnnotations": map[string]string{}, "externalURL": "http://alertmanager.example", "truncatedAlerts": 0,
		"alerts": as,
	})
	return b
}

// post sends a webhook body and returns the status code (0 if the request failed).
func (h *harness) post(body []byte) int {
	req, _ := http.NewRequest(http.MethodPost, h.app.URL()+"/webhooks/alertmanager", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (h *harness) mustPost(body []byte) {
	h.t.Helper()
	if code := h.post(body); code != http.StatusOK {
		h.t.Fatalf("webhook answered %d, want 200", code)
	}
}

// applyAll moves everything in the inbox into incidents.
func (h *harness) applyAll() {
	h.t.Helper()
	for range 100 {
		n, err := h.app.Applier().ApplyPending(context.Background())
		if err != nil {
			h.t.Fatalf("apply inbox: %v", err)
		}
		if n == 0 {
			return
		}
	}
	h.t.Fatal("inbox did not drain")
}

// runJobs runs every job due at the harness clock.
func (h *harness) runJobs() int {
	h.t.Helper()
	n, err := h.app.Runner().RunDue(context.Background())
	if err != nil {
		h.t.Fatalf("run due jobs: %v", err)
	}
	return n
}

func (h *harness) incidents() []*incidents.Incident {
	h.t.Helper()
	list, err := h.app.Service().List(context.Background(), incidents.ListOptions{})
	if err != nil {
		h.t.Fatalf("list incidents: %v", err)
	}
	return list
}

func (h *harness) timeline(n int64) []incidents.Event {
	h.t.Helper()
	evs, err := h.app.Service().Timeline(context.Background(), n)
	if err != nil {
		h.t.Fatalf("timeline #%d: %v", n, err)
	}
	return evs
}

func countEvents(evs []incidents.Event, typ incidents.EventType) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func fp(i int) string { return fmt.Sprintf("%016x", i+1) }

func stringsReader(s string) io.Reader { return bytes.NewReader([]byte(s)) }
