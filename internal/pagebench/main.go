// Command pagebench measures what a person on call feels: from an alert's
// webhook acknowledged to the first page on each method (Slack message,
// push, SMS, call, email), against the simulators on 127.0.0.1, next to
// the floor of the same run (a bare net/http round trip). With
// -hold-channel it holds Slack's conversations.create back (60 s by
// default) to show that a page does not wait for the incident's channel.
//
//	go run ./internal/pagebench [-samples 20] [-hold-channel 60s]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/internal/app"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/inboxsim"
	"github.com/incidentbot/incidentbot/internal/slacksim"
	"github.com/incidentbot/incidentbot/internal/twiliosim"
)

const (
	token     = "pagebench-token"
	sid       = "AC00000000000000000000000000000001"
	from      = "+15005550006"
	phone     = "+77011234567"
	email     = "alice@example.test"
	topic     = "alice-pager"
	user      = "U0001"
	botToken  = "xoxb-pagebench"
	signing   = "pagebench-signing-secret"
	twToken   = "pagebench-twilio-token"
	pollEvery = time.Millisecond
)

func main() {
	samples := flag.Int("samples", 20, "alerts, one at a time")
	hold := flag.Duration("hold-channel", 0, "hold Slack's conversations.create back this long (e.g. 60s)")
	flag.Parse()
	if err := run(*samples, *hold); err != nil {
		fmt.Fprintln(os.Stderr, "pagebench:", err)
		os.Exit(1)
	}
}

func run(samples int, hold time.Duration) error {
	floor := floorRoundTrip(samples * 5)

	slack := slacksim.New(slacksim.Options{Token: botToken, SigningSecret: signing, Unlimited: true})
	slackSrv := httptest.NewServer(slack.Handler())
	defer slackSrv.Close()
	slack.SetSelfURL(slackSrv.URL)
	if hold > 0 {
		slack.SetLatency("conversations.create", hold)
	}
	tw := twiliosim.New(twiliosim.Options{AccountSID: sid, AuthToken: twToken, Numbers: []string{from}})
	twSrv := httptest.NewServer(tw.Handler())
	defer twSrv.Close()
	defer tw.Close()
	inbox, err := inboxsim.Start(inboxsim.Options{})
	if err != nil {
		return err
	}
	defer inbox.Close()
	ntfySrv := httptest.NewServer(inbox.NtfyHandler())
	defer ntfySrv.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "incidentbot-pagebench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	vars := map[string]string{
		"INCIDENTBOT_DATA_DIR": dir, "ALERTMANAGER_WEBHOOK_TOKEN": token, "SLACK_BOT_TOKEN": botToken,
		"SLACK_SIGNING_SECRET": signing, "SLACK_API_URL": slackSrv.URL + "/api/", "TWILIO_AUTH_TOKEN": twToken,
		"INCIDENTBOT_PUBLIC_URL": "http://" + ln.Addr().String(),
	}
	env := config.LoadEnv(func(k string) string { return vars[k] }, func(string) bool { return false })
	host, port, _ := net.SplitHostPort(inbox.SMTPAddr())
	cfg, err := config.Parse("pagebench.yaml", []byte(fmt.Sprintf(`
storm: {max_new: 1000, window: 5m}
people:
  alice:
    slack: %s
    phone: "%s"
    email: %s
    ntfy: {server: "%s", topic: %s}
    rules: [{after: 0s, notify: [slack, push, sms, voice, email]}]
paging:
  twilio: {account_sid: %s, from: "%s", api_url: "%s"}
  smtp: {host: %s, port: %s, from: "incidentbot <pager@example.test>", tls: none}
schedules:
  - name: primary
    rotations: [{name: all, type: weekly, start: "2026-01-05T09:00:00Z", members: [alice]}]
escalation_policies:
  - name: default
    levels: [{delay: 0s, targets: ["schedule:primary"]}]
routes:
  - {matchers: [], severity: sev1, escalation_policy: default}
`, user, phone, email, ntfySrv.URL, topic, sid, from, twSrv.URL, host, port)))
	if err != nil {
		return err
	}
	log := discard.Logger().Logger
	ctx := context.Background()
	a, err := app.New(ctx, app.Options{Env: env, Config: cfg, Logger: log, Listener: ln})
	if err != nil {
		return err
	}
	a.Start()
	defer a.Shutdown(ctx)

	methods := []string{"slack", "push", "sms", "voice", "email"}
	got := map[string][]time.Duration{}
	var acks []time.Duration
	for i := range samples {
		before := counts(slack, tw, inbox)
		start := time.Now()
		if err := post(a.URL(), i); err != nil {
			return err
		}
		acked := time.Now()
		acks = append(acks, acked.Sub(start))
		seen := map[string]bool{}
		deadline := acked.Add(30 * time.Second)
		for len(seen) < len(methods) && time.Now().Before(deadline) {
			now := counts(slack, tw, inbox)
			for j, m := range methods {
				if !seen[m] && now[j] > before[j] {
					seen[m] = true
					got[m] = append(got[m], time.Since(acked))
				}
			}
			time.Sleep(pollEvery)
		}
		if len(seen) < len(methods) {
			return fmt.Errorf("sample %d: only %v within 30s", i, seen)
		}
		// Slack takes about one message a second per conversation (the bot
		// paces itself to it): a page to the same person waits its turn.
		// Samples are spaced so each measures a first page.
		time.Sleep(1100 * time.Millisecond)
	}
	fmt.Printf("samples=%d hold-channel=%s GOMAXPROCS=%d\n\n", samples, hold, runtimeProcs())
	fmt.Printf("%-36s %9s %9s %9s  %s\n", "", "p50", "p90", "max", "p50 / floor")
	row := func(name string, ds []time.Duration) {
		p50, p90, mx := pct(ds, 50), pct(ds, 90), slices.Max(ds)
		fmt.Printf("%-36s %9s %9s %9s  %.1f×\n", name, round(p50), round(p90), round(mx), float64(p50)/float64(pct(floor, 50)))
	}
	row("floor: bare net/http round trip", floor)
	row("webhook acknowledged", acks)
	for _, m := range methods {
		row("alert acknowledged → "+m+" page", got[m])
	}
	if hold > 0 {
		fmt.Printf("\nSlack's conversations.create held %s: the pages above went out while no channel existed\n", hold)
	}
	return nil
}

// counts are how many pages each method has delivered so far, in the
// order slack, push, sms, voice, email.
func counts(slack *slacksim.Server, tw *twiliosim.Server, inbox *inboxsim.Sim) []int {
	dm := 0
	if ch, ok := slack.DirectMessage(user); ok {
		dm = len(slack.Messages(ch.ID))
	}
	texts, calls := 0, 0
	for _, m := range tw.Messages() {
		if m.To == phone {
			texts++
		}
	}
	for _, c := range tw.Calls() {
		if c.To == phone {
			calls++
		}
	}
	return []int{dm, len(inbox.Topic(topic)), texts, calls, len(inbox.Inbox(email))}
}

func post(base string, i int) error {
	now := time.Now().UTC().Format(time.RFC3339)
	body, _ := json.Marshal(map[string]any{
		"version": "4", "groupKey": fmt.Sprintf("{}:{group=\"%d\"}", i), "status": "firing", "receiver": "incidentbot",
		"groupLabels": map[string]string{"alertname": "CheckoutDown"}, "commonLabels": map[string]string{"alertname": "CheckoutDown"},
		"commonAnnotations": map[string]string{}, "externalURL": "http://alertmanager.local",
		"alerts": []map[string]any{{"status": "firing", "fingerprint": fmt.Sprintf("%016x", i+1),
			"labels": map[string]string{"alertname": "CheckoutDown"}, "annotations": map[string]string{"summary": "checkout is down"},
			"startsAt": now, "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus.local"}},
	})
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/alertmanager", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return nil
}

// floorRoundTrip times n POSTs of a small body to a handler that does nothing.
func floorRoundTrip(n int) []time.Duration {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()
	var out []time.Duration
	for range n {
		start := time.Now()
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(`{"version":"4"}`))
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		out = append(out, time.Since(start))
	}
	return out
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func round(d time.Duration) string {
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(100 * time.Microsecond).String()
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
