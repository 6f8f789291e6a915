package app

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A new user runs `incidentbot dev`, fires the printed curl, sees the SMS
// and the call arrive on the simulated phones, presses 1 in the call, and
// the incident shows acknowledged. (Real time, on loopback: each wait is
// bounded.)
func TestDevPagesThroughTheSimulatedPhones(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "incidentbot.yaml")
	// The sample people, woken by every method at once so the test need not wait.
	sample, err := os.ReadFile("dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	atOnce := regexp.MustCompile(`(?s)rules:\n.*?\{after: 3m, notify: \[email\]\}`).ReplaceAllString(string(sample),
		"rules:\n      - {after: 0s, notify: [slack, push, sms, voice, email]}")
	if err := os.WriteFile(cfg, []byte(atOnce), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdoutR, stdoutW := io.Pipe()
	done := make(chan error, 1)
	env := envMap{"INCIDENTBOT_LISTEN": "127.0.0.1:0", "LOG_FORMAT": "text"}
	go func() {
		done <- Dev(ctx, env.get, stdoutW, io.Discard, DevOptions{DataDir: t.TempDir(), Config: cfg}, BuildInfo{Version: "test"})
		stdoutW.Close()
	}()
	printed := map[string]string{}
	sc := bufio.NewScanner(stdoutR)
	for sc.Scan() && printed["webhook token"] == "" {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":  "); ok {
			printed[strings.TrimSuffix(strings.TrimSpace(k), ":")] = strings.TrimSpace(v)
		}
	}
	go io.Copy(io.Discard, stdoutR)
	bot, phones := strings.TrimSuffix(printed["incidentbot web view"], "/"), printed["phones (SMS and calls)"]
	if bot == "" || phones == "" {
		t.Fatalf("dev printed %v; want the bot's and the phones' URLs", printed)
	}

	req, _ := http.NewRequest(http.MethodPost, bot+"/webhooks/alertmanager", strings.NewReader(samplePayload(false)))
	req.Header.Set("Authorization", "Bearer "+printed["webhook token"])
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("sample alert: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	var page string
	sid := regexp.MustCompile(`name="sid" value="(CA[0-9a-f]{32})"`)
	eventually(t, "the SMS and the call on the phones page", 20*time.Second, func() bool {
		page = get(t, phones)
		return strings.Contains(page, "#1 sev1") && sid.MatchString(page)
	})
	form := url.Values{"sid": {sid.FindStringSubmatch(page)[1]}, "digits": {"1"}}
	resp, err := http.Post(phones+"press", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	eventually(t, "the incident acknowledged", 20*time.Second, func() bool {
		var inc struct {
			AcknowledgedAt *time.Time `json:"acknowledged_at"`
		}
		return json.Unmarshal([]byte(get(t, bot+"/api/v1/incidents/1")), &inc) == nil && inc.AcknowledgedAt != nil
	})
	if inbox := get(t, printed["inboxes (email and push)"]); !strings.Contains(inbox, "alice") {
		t.Errorf("the inboxes page does not show alice's push and email")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("dev stopped with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("dev did not stop")
	}
}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
