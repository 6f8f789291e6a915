package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/clocktest"
	"github.com/incidentbot/incidentbot/internal/config"
)

// alertmanagerBinary finds the real Alertmanager: $ALERTMANAGER_BIN, PATH, or GOPATH/bin.
func alertmanagerBinary(t *testing.T) string {
	if p := os.Getenv("ALERTMANAGER_BIN"); p != "" {
		return p
	}
	if p, err := exec.LookPath("alertmanager"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "alertmanager")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("alertmanager binary not found; install it with: go install github.com/prometheus/alertmanager/cmd/alertmanager@v0.28.1")
	return ""
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// eventually polls cond (bounded) while a real external process does its work.
func eventually(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRealAlertmanagerDelivers runs the real Alertmanager against the bot:
// its grouping, re-sends and resolved notifications must give exactly one
// incident per group, resolved alerts on the timeline, and auto-resolve.
func TestRealAlertmanagerDelivers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real Alertmanager")
	}
	bin := alertmanagerBinary(t)
	clock := clocktest.New(time.Now().UTC())
	h := newHarness(t, harnessOptions{manual: true, clock: clock})

	amURL := startAlertmanager(t, bin, freePort(t), h.app.URL(), "2s")
	postAlerts := func(ends time.Time, alerts ...map[string]string) {
		t.Helper()
		postAMAlerts(t, amURL, ends, alerts...)
	}
	latencyA := map[string]string{"alertname": "HighLatency", "instance": "a", "service": "checkout"}
	latencyB := map[string]string{"alertname": "HighLatency", "instance": "b", "service": "checkout"}
	disk := map[string]string{"alertname": "DiskFull", "instance": "db1"}
	postAlerts(time.Time{}, latencyA, latencyB, disk)
	// byAlertname applies the inbox and groups the incidents by alertname.
	byAlertname := func() map[string][]*incidents.Incident {
		h.applyAll()
		out := map[string][]*incidents.Incident{}
		for _, inc := range h.incidents() {
			out[inc.Labels["alertname"]] = append(out[inc.Labels["alertname"]], inc)
		}
		return out
	}
	onlyOne := func(m map[string][]*incidents.Incident) bool {
		return len(m) == 2 && len(m["HighLatency"]) == 1 && len(m["DiskFull"]) == 1
	}
	eventually(t, "two incidents with every alert", 30*time.Second, func() bool {
		m := byAlertname()
		return onlyOne(m) && len(m["HighLatency"][0].Alerts) == 2
	})
	// Let Alertmanager re-send (repeat_interval 2s) a few times: still two incidents.
	webhooks := func() int { return webhookCount(h) }
	first := webhooks()
	eventually(t, "re-sent notifications", 30*time.Second, func() bool { return webhooks() >= first+3 })
	if m := byAlertname(); !onlyOne(m) {
		t.Fatalf("after re-sends: incidents by alertname %v, want one each", m)
	}

	// Resolve both HighLatency alerts.
	postAlerts(time.Now().Add(-time.Second), latencyA, latencyB)
	var latency *incidents.Incident
	eventually(t, "resolved alerts on the timeline", 30*time.Second, func() bool {
		m := byAlertname()
		if !onlyOne(m) {
			t.Fatalf("incidents by alertname %v, want one each", m)
		}
		latency = m["HighLatency"][0]
		return countEvents(h.timeline(latency.Number), incidents.EventAlertResolved) == 2
	})
	evs := h.timeline(latency.Number)
	if got := countEvents(evs, incidents.EventAlertFired); got != 2 {
		t.Errorf("alert_fired events = %d, want 2", got)
	}

	// auto_resolve.after (15m) on the fake clock.
	clock.Advance(16 * time.Minute)
	h.runJobs()
	inc, err := h.app.Service().Get(context.Background(), latency.Number)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Status != incidents.StatusResolved {
		t.Fatalf("HighLatency incident status = %s, want resolved", inc.Status)
	}
	if disk := byAlertname()["DiskFull"][0]; disk.Status == incidents.StatusResolved {
		t.Errorf("DiskFull incident resolved, but its alert still fires")
	}
}

// postAMAlerts posts alerts to the real Alertmanager (ends zero: firing).
func postAMAlerts(t *testing.T, amURL string, ends time.Time, alerts ...map[string]string) {
	t.Helper()
	{
		var body []map[string]any
		for _, labels := range alerts {
			a := map[string]any{"labels": labels, "annotations": map[string]string{"summary": "p99 over 2s"},
				"generatorURL": "http://prometheus.local/graph"}
			if !ends.IsZero() {
				a["endsAt"] = ends.Format(time.RFC3339)
			}
			body = append(body, a)
		}
		b, _ := json.Marshal(body)
		resp, err := http.Post(amURL+"/api/v2/alerts", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("alertmanager /api/v2/alerts answered %d", resp.StatusCode)
		}
	}
}

// startAlertmanager runs the real Alertmanager on 127.0.0.1 with a temporary
// storage path and no cluster, delivering every group to botURL's webhook
// (group_by alertname, group_wait and group_interval 1s, the given
// repeat_interval), listening on amAddr, and returns its URL once it is
// ready. It stops with the test.
func startAlertmanager(t *testing.T, bin, amAddr, botURL, repeat string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`route:
  receiver: incidentbot
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: %s
receivers:
  - name: incidentbot
    webhook_configs:
      - url: %s/webhooks/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: %s
`, repeat, botURL, testToken)
	if err := os.WriteFile(filepath.Join(dir, "am.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config.file="+filepath.Join(dir, "am.yml"),
		"--storage.path="+filepath.Join(dir, "data"), "--web.listen-address="+amAddr, "--cluster.listen-address=")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("alertmanager output:\n%s", logs.String())
		}
	})
	amURL := "http://" + amAddr
	eventually(t, "alertmanager ready", 30*time.Second, func() bool {
		resp, err := http.Get(amURL + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return amURL
}

// webhookCount is how many Alertmanager webhooks the bot took (200), from /metrics.
func webhookCount(h *harness) int {
	resp, err := http.Get(h.app.URL() + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	n := 0
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(line, `incidentbot_webhook_requests_total{code="200"}`) {
			fmt.Sscanf(strings.Fields(line)[1], "%d", &n)
		}
	}
	return n
}

// amSilence reads one silence from the real Alertmanager's API, as any
// client would (not through the bot's client).
func amSilence(t *testing.T, amURL, id string) map[string]any {
	t.Helper()
	resp, err := http.Get(amURL + "/api/v2/silence/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/v2/silence/%s: %d %v", id, resp.StatusCode, err)
	}
	return s
}

func silenceState(s map[string]any) string {
	st, _ := s["status"].(map[string]any)
	state, _ := st["state"].(string)
	return state
}

// TestRealAlertmanagerSilenceFromSlack silences a real Alertmanager from a
// slash command: the silence reads back from /api/v2/silences, the silenced
// group's notifications stop arriving, /incident unsilence expires it and
// they come back; then a maintenance window's silence, made 2 s ahead of
// its start, is pending and becomes active at its start. Alertmanager runs
// on real time: every wait is short and bounded.
func TestRealAlertmanagerSilenceFromSlack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real Alertmanager")
	}
	bin := alertmanagerBinary(t)
	clock := clocktest.New(time.Now().UTC())
	amAddr := freePort(t) // the bot's config names it before Alertmanager, which calls the bot, starts
	h := newHarness(t, harnessOptions{manual: true, clock: clock, config: func(c *config.Config) {
		withSlack(c)
		c.Alertmanager = config.Alertmanager{URLs: []string{"http://" + amAddr}, Auth: config.AlertmanagerAuthNone, Timeout: 5 * time.Second}
	}})
	amURL := startAlertmanager(t, bin, amAddr, h.app.URL(), "1s")

	postAMAlerts(t, amURL, time.Time{}, map[string]string{"alertname": "HighLatency", "instance": "a", "service": "checkout"})
	eventually(t, "the incident", 30*time.Second, func() bool { h.applyAll(); return len(h.incidents()) == 1 })
	h.settleNow()
	ch := h.channel(1)
	before := webhookCount(h)
	eventually(t, "re-sent notifications", 15*time.Second, func() bool { return webhookCount(h) >= before+2 })

	answer := unescapeJSON(h.command("U0002", ch.ID, "silence 1h"))
	if !strings.Contains(answer, "silenced `{alertname=\\\"HighLatency\\\"}` in Alertmanager") {
		t.Fatalf("silence answered %s", answer)
	}
	ev := eventsOf(h.timeline(1), incidents.EventSilenced)
	if len(ev) != 1 {
		t.Fatalf("silenced events = %+v", ev)
	}
	id := ev[0].Fields["silence"]

	// Read back from /api/v2/silences.
	resp, err := http.Get(amURL + "/api/v2/silences")
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || len(list) != 1 || list[0]["id"] != id || list[0]["createdBy"] != "Bob Baker" ||
		list[0]["comment"] != "http://incidentbot.test/incidents/1" || silenceState(list[0]) != "active" {
		t.Fatalf("GET /api/v2/silences = %v, %v; want the silence, active, by Bob Baker", list, err)
	}

	// The silenced group's notifications stop: after a flush (group_interval
	// 1s), none arrive in 4 s, though repeat_interval is 1s.
	time.Sleep(2 * time.Second)
	quiet := webhookCount(h)
	time.Sleep(4 * time.Second)
	if got := webhookCount(h); got != quiet {
		t.Fatalf("%d notifications arrived while the group was silenced", got-quiet)
	}

	answer = replyText(t, h.command("U0002", ch.ID, "unsilence"))
	if !strings.Contains(answer, "expired 1 silence of incident #1") {
		t.Fatalf("unsilence answered %q", answer)
	}
	if st := silenceState(amSilence(t, amURL, id)); st != "expired" {
		t.Errorf("after /incident unsilence the silence is %s, want expired", st)
	}
	eventually(t, "notifications after the silence expired", 15*time.Second, func() bool { return webhookCount(h) > quiet })

	// A maintenance window whose start is 2 s ahead (the bot's clock runs
	// 2 s ahead of Alertmanager's): its silence is pending, then active.
	clock.Advance(time.Now().Add(2 * time.Second).Sub(clock.Now()))
	if got := h.oncall("U0001", "maintenance payments now +10m e2e"); !strings.Contains(got, "planned maintenance") {
		t.Fatalf("maintenance answered %s", got)
	}
	ws, err := h.app.store.Windows(context.Background(), time.Time{})
	if err != nil || len(ws) != 1 || len(ws[0].Silences) != 1 {
		t.Fatalf("windows = %+v, %v", ws, err)
	}
	sil := amSilence(t, amURL, ws[0].Silences[0])
	if st := silenceState(sil); st != "pending" {
		t.Errorf("the window's silence is %s before its start, want pending (%v)", st, sil)
	}
	eventually(t, "the window's silence active at its start", 10*time.Second, func() bool {
		return silenceState(amSilence(t, amURL, ws[0].Silences[0])) == "active"
	})
}
