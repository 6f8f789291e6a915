package app

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/internal/config"
)

// lockedBuffer is a log the app and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const (
	webhookWarning = "the webhooks accept anyone"
	webWarning     = "the web view is open"
)

func TestWarnUnauthenticated(t *testing.T) {
	tcp := func(s string) net.Addr {
		a, err := net.ResolveTCPAddr("tcp", s)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	tests := []struct {
		name        string
		webhookAuth string
		webAuth     string
		addr        net.Addr
		want        []string
	}{
		{"all authenticated, every interface", "token", "ops:pw", tcp("0.0.0.0:8080"), nil},
		{"open web view on loopback", "token", "", tcp("127.0.0.1:8080"), nil},
		{"open web view on IPv6 loopback", "token", "", tcp("[::1]:8080"), nil},
		{"open web view on every interface", "token", "", tcp("0.0.0.0:8080"), []string{webWarning}},
		{"open web view on every IPv6 interface", "token", "", tcp("[::]:8080"), []string{webWarning}},
		{"open web view on a LAN address", "token", "", tcp("192.0.2.10:8080"), []string{webWarning}},
		{"webhooks open", "none", "ops:pw", tcp("127.0.0.1:8080"), []string{webhookWarning}},
		{"both open", "none", "", tcp("0.0.0.0:8080"), []string{webhookWarning, webWarning}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			l := logrus.New()
			l.SetOutput(&out)
			env := config.LoadEnv(envMap{"INCIDENTBOT_WEBHOOK_AUTH": tt.webhookAuth, "INCIDENTBOT_WEB_AUTH": tt.webAuth}.get, nil)
			warnUnauthenticated(logrus.NewEntry(l), env, tt.addr)
			if got := strings.Count(out.String(), "level=warning"); got != len(tt.want) {
				t.Errorf("%d warnings, want %d:\n%s", got, len(tt.want), out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("no warning %q in:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), "ops:pw") {
				t.Error("the web password reached the log")
			}
		})
	}
}

type envMap map[string]string

func (m envMap) get(k string) string { return m[k] }

// Run logs the warning at start, read from the log it was given.
func TestRunWarnsWhenWebhooksAreOpen(t *testing.T) {
	var out lockedBuffer
	l := logrus.New()
	l.SetOutput(&out)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l.AddHook(stopOn{"incidentbot started", cancel})
	env := config.LoadEnv(envMap{"INCIDENTBOT_WEBHOOK_AUTH": "none", "INCIDENTBOT_DATA_DIR": t.TempDir(),
		"INCIDENTBOT_LISTEN": "127.0.0.1:0", "MONGODB_URI": ""}.get, func(string) bool { return false })
	if err := Run(ctx, Options{Env: env, Config: config.Default(), Logger: l}, BuildInfo{}); err != nil {
		t.Fatal(err)
	}
	log := out.String()
	if !strings.Contains(log, webhookWarning) {
		t.Errorf("no warning about INCIDENTBOT_WEBHOOK_AUTH=none in the log:\n%s", log)
	}
	if strings.Contains(log, webWarning) {
		t.Errorf("a warning about the web view on loopback:\n%s", log)
	}
}

// stopOn cancels when a log entry with the message is written.
type stopOn struct {
	msg    string
	cancel context.CancelFunc
}

func (s stopOn) Levels() []logrus.Level { return logrus.AllLevels }
func (s stopOn) Fire(e *logrus.Entry) error {
	if e.Message == s.msg {
		s.cancel()
	}
	return nil
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
