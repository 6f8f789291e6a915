package bot

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sirupsen/logrus"
)

func TestResponseURLTargets(t *testing.T) {
	configured := newResponseTargets("http://127.0.0.1:4321/api/")
	tests := []struct {
		raw     string
		targets responseTargets
		ok      bool
	}{
		{"https://hooks.slack.com/actions/T1/2/abc", configured, true},
		{"https://hooks.slack.com/commands/T1/2/abc", responseTargets{}, true},
		{"https://hooks.slack.com:443/commands/T1/2/abc", configured, true},
		{"https://HOOKS.Slack.com/actions/T1/2/abc", configured, true},
		{"https://hooks.slack-gov.com/actions/T1/2/abc", configured, true},
		{"http://127.0.0.1:4321/response/7", configured, true},

		{"http://hooks.slack.com/actions/T1/2/abc", configured, false},
		{"https://hooks.slack.com:8443/actions/T1/2/abc", configured, false},
		{"https://hooks.slack.com.evil.example/actions", configured, false},
		{"https://evilhooks.slack.com/actions", configured, false},
		{"https://evil.example/actions/T1/2/abc", configured, false},
		{"https://slack.com/api/chat.postMessage", configured, false},
		{"https://user:pw@hooks.slack.com/actions/T1", configured, false},
		{"file:///etc/passwd", configured, false},
		{"file://hooks.slack.com/etc/passwd", configured, false},
		{"gopher://hooks.slack.com/x", configured, false},
		{"javascript:alert(1)", configured, false},
		{"https:hooks.slack.com/actions", configured, false},
		{"//hooks.slack.com/actions", configured, false},
		{"http://127.0.0.1:9999/response/7", configured, false}, // loopback, not the configured port
		{"http://localhost:4321/response/7", configured, false},
		{"http://[::1]:4321/response/7", configured, false},
		{"https://127.0.0.1:4321/response/7", configured, false},
		{"http://127.0.0.1:4321/response/7", responseTargets{}, false}, // nothing configured
		{"http://169.254.169.254/latest/meta-data", configured, false},
		{"%zz", configured, false},
	}
	for _, tt := range tests {
		u, err := tt.targets.check(tt.raw)
		if tt.ok && (err != nil || u == nil) {
			t.Errorf("check(%q) = %v, want allowed", tt.raw, err)
		}
		if !tt.ok {
			if !errors.Is(err, errResponseURL) {
				t.Errorf("check(%q) = %v, want refused", tt.raw, err)
			} else if strings.Contains(err.Error(), "/actions") || strings.Contains(err.Error(), "/response") || strings.Contains(err.Error(), "passwd") {
				t.Errorf("check(%q): the error %q shows the URL's path", tt.raw, err)
			}
		}
	}
}

// A response_url that is not Slack's is not posted to, a redirect from the
// configured host is not followed, and the warning logged names neither
// the URL's path nor its query.
func TestResponseURLNotPostedElsewhere(t *testing.T) {
	var victimHits, slackHits atomic.Int64
	victim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { victimHits.Add(1) }))
	t.Cleanup(victim.Close)
	slackish := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slackHits.Add(1)
		switch r.URL.Path {
		case "/ok":
		case "/temporary":
			http.Redirect(w, r, victim.URL+"/stolen?token=SECRET-R", http.StatusTemporaryRedirect)
		default:
			http.Redirect(w, r, victim.URL+"/stolen?token=SECRET-R", http.StatusFound)
		}
	}))
	t.Cleanup(slackish.Close)

	var logs bytes.Buffer
	l := logrus.New()
	l.SetOutput(&logs)
	h := NewHandler(nil, nil, nil, HandlerOptions{SigningSecret: testSecret, Logger: logrus.NewEntry(l), SlackAPIURL: slackish.URL + "/api/"})
	ctx := context.Background()

	refused := map[string]string{
		"loopback not configured": victim.URL + "/hook/SECRET-PATH?token=SECRET-Q1",
		"file":                    "file:///etc/passwd?token=SECRET-Q2",
		"another host":            "https://evil.example/hook/SECRET-PATH?token=SECRET-Q3",
		"redirect (302)":          slackish.URL + "/found?token=SECRET-Q4",
		"redirect (307)":          slackish.URL + "/temporary?token=SECRET-Q5",
	}
	for name, raw := range refused {
		logs.Reset()
		h.deliverLate(ctx, raw, reply{Text: "the result"})
		out := logs.String()
		if !strings.Contains(out, "level=warning") {
			t.Errorf("%s: no warning logged: %q", name, out)
		}
		if strings.Contains(out, "SECRET") || strings.Contains(out, "token=") {
			t.Errorf("%s: the warning shows the URL's path or query: %q", name, out)
		}
	}
	if n := victimHits.Load(); n != 0 {
		t.Errorf("the non-Slack host was posted to %d times, want 0", n)
	}
	if n := slackHits.Load(); n != 2 {
		t.Errorf("the configured host was posted to %d times, want 2 (the redirects, not followed)", n)
	}

	logs.Reset()
	if err := h.postResponse(ctx, slackish.URL+"/ok", reply{Text: "the result"}); err != nil {
		t.Errorf("posting to the configured host: %v", err)
	}
	if slackHits.Load() != 3 || logs.Len() != 0 {
		t.Errorf("the configured host: %d posts, logs %q; want 3 and nothing logged", slackHits.Load(), logs.String())
	}
}

// FuzzResponseURL: whatever the response_url, an accepted one is https on a
// Slack hooks host (default port) or exactly the configured scheme and host.
func FuzzResponseURL(f *testing.F) {
	for _, s := range []string{"https://hooks.slack.com/actions/T1/2/x", "http://127.0.0.1:4321/response/1", "file:///etc/passwd",
		"https://hooks.slack.com.evil/x", "https://u@hooks.slack.com/", "HTTPS://HOOKS.SLACK.COM:443/x", "http://127.0.0.1:4321@evil/"} {
		f.Add(s)
	}
	targets := newResponseTargets("http://127.0.0.1:4321/api/")
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := targets.check(raw)
		if err != nil {
			return
		}
		again, perr := url.Parse(u.String())
		if perr != nil {
			t.Fatalf("accepted %q does not parse again: %v", raw, perr)
		}
		scheme, host := strings.ToLower(again.Scheme), strings.ToLower(again.Host)
		if again.User != nil {
			t.Fatalf("accepted %q with credentials", raw)
		}
		if scheme == "http" && host == "127.0.0.1:4321" {
			return
		}
		if name := strings.ToLower(again.Hostname()); scheme != "https" || !(name == "hooks.slack.com" || name == "hooks.slack-gov.com") ||
			!(again.Port() == "" || again.Port() == "443") {
			t.Fatalf("accepted %q: scheme %q, host %q", raw, scheme, host)
		}
	})
}
