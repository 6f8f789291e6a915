package app

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/sirupsen/logrus"

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
