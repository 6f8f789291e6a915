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

	dir := t.TempDir()
	amAddr := freePort(t)
	cfg := fmt.Sprintf(`route:
  receiver: incidentbot
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: incidentbot
    webhook_configs:
      - url: %s/webhooks/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: %s
`, h.app.URL(), testToken)
	if err := os.WriteFile(filepath.Join(dir, "am.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--config.file="+filepath.Join(dir, "am.yml"),
		"--storage.path="+filepath.Join(dir, "data"), "--web.listen-address="+amAddr, "--cluster.listen-address=")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("alertmanager output:\n%s", logs.String())
		}
	}()
	amURL := "http://" + amAddr
	eventually(t, "alertmanager ready", 30*time.Second, func() bool {
		resp, err := http.Get(amURL + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})

	postAlerts := func(ends time.Time, alerts ...map[string]string) {
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
	webhooks := func() int {
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
