//go:build !nodev

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
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
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

func TestDevListenWarning(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1", "localhost"} {
		if w := devListenWarning(host); w != "" {
			t.Errorf("devListenWarning(%q) = %q, want none", host, w)
		}
	}
	for _, host := range []string{"192.0.2.1", "10.0.0.1", "2001:db8::1", "example.com"} {
		if w := devListenWarning(host); !strings.Contains(w, "beyond loopback") {
			t.Errorf("devListenWarning(%q) = %q, want a warning", host, w)
		}
	}
}

// dev told to listen everywhere warns and stays on loopback, and its
// signing secret is not the fixed one it used to have: a request signed
// with that one is refused.
func TestDevSigningSecretAndListenWarning(t *testing.T) {
	const oldSecret = "incidentbot-dev-signing-secret"
	stdoutR, stdoutW := io.Pipe()
	var logs lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	env := envMap{"INCIDENTBOT_LISTEN": "0.0.0.0:0", "LOG_FORMAT": "text"}
	go func() {
		done <- Dev(ctx, env.get, stdoutW, &logs, DevOptions{DataDir: t.TempDir()}, BuildInfo{Version: "test"})
		stdoutW.Close()
	}()
	var botURL string
	sc := bufio.NewScanner(stdoutR)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "incidentbot web view:"); ok {
			botURL = strings.TrimSuffix(strings.TrimSpace(rest), "/")
			break
		}
	}
	go io.Copy(io.Discard, stdoutR)
	if !strings.HasPrefix(botURL, "http://127.0.0.1:") {
		t.Fatalf("bot URL %q, want it on 127.0.0.1", botURL)
	}

	body := "command=%2Fincident&text=help&user_id=U0001&channel_id=C0001"
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, botURL+"/slack/commands", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(bot.HeaderTimestamp, ts)
	req.Header.Set(bot.HeaderSignature, bot.Sign(oldSecret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a command signed with the old fixed dev secret: %d, want 401", resp.StatusCode)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("dev: %v", err)
	}
	log := logs.String()
	if !strings.Contains(log, "would listen on every interface") || !strings.Contains(log, "level=warning") {
		t.Errorf("no warning about INCIDENTBOT_LISTEN=0.0.0.0:0 in the log:\n%s", log)
	}
	if strings.Contains(log, webWarning) {
		t.Errorf("the web view warning on loopback:\n%s", log)
	}
}
