package bot_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/clocktest"
	"github.com/incidentbot/incidentbot/internal/slacksim"
	"github.com/incidentbot/incidentbot/internal/store/sqlite/sqlitetest"
)

// hostileText carries a terminal colour sequence, a NUL, a window-title
// escape and bidi overrides, as an alert's summary or a note could.
const hostileText = "Disk \x1b[31mfull\x1b[0m\x00 on \x1b]0;pwned\x07db-1 \u202eexe.tset\u202c \u2066x\u2069"

// unsafeIn returns the first control or bidi character in s other than
// line feed and tab, or -1.
func unsafeIn(s string) rune {
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
			return r
		}
	}
	return -1
}

// apiStrings records every string the bot sends to the Web API: form
// values and, inside them or in JSON bodies, every JSON string.
type apiStrings struct {
	mu   sync.Mutex
	seen []string
}

func (a *apiStrings) add(s string) {
	var v any
	if json.Unmarshal([]byte(s), &v) == nil {
		a.walk(v)
		return
	}
	a.mu.Lock()
	a.seen = append(a.seen, s)
	a.mu.Unlock()
}

func (a *apiStrings) walk(v any) {
	switch v := v.(type) {
	case string:
		a.mu.Lock()
		a.seen = append(a.seen, v)
		a.mu.Unlock()
	case []any:
		for _, x := range v {
			a.walk(x)
		}
	case map[string]any:
		for _, x := range v {
			a.walk(x)
		}
	}
}

func (a *apiStrings) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			a.add(string(body))
		} else if vals, err := url.ParseQuery(string(body)); err == nil {
			for _, vs := range vals {
				for _, v := range vs {
					a.add(v)
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// A title and a note carrying terminal escapes, a NUL and bidi overrides
// reach Slack — channel summary, announcement, topic, purpose, timeline
// — without any of them, and with their words.
func TestNotifierSendsNoControlCharacters(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	sim := slacksim.New(slacksim.Options{Token: testToken, Now: clock.Now, Seed: 1})
	got := &apiStrings{}
	srv := httptest.NewServer(got.wrap(sim.Handler()))
	t.Cleanup(srv.Close)
	api := slack.New(testToken, slack.OptionAPIURL(srv.URL+"/api/"), slack.OptionHTTPClient(srv.Client()))
	st := sqlitetest.New(t)
	svc := incidents.NewService(st, noTasks{}, incidents.Options{Now: clock.Now})
	n := bot.NewNotifier(api, svc, st, bot.NotifierOptions{AnnounceChannel: "#incidents", PublicURL: "https://bot.example.com",
		Now: clock.Now, Logger: discardLogger()})

	ctx := t.Context()
	inc, err := svc.Declare(ctx, incidents.DeclareRequest{Title: hostileText, Severity: "sev2", Actor: "U0001"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Sync(ctx, inc.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddNote(ctx, inc.Number, "note: "+hostileText, "U0001"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Resolve(ctx, inc.Number, "fixed "+hostileText, "U0001"); err != nil {
		t.Fatal(err)
	}
	if err := n.Sync(ctx, inc.Number); err != nil {
		t.Fatal(err)
	}

	got.mu.Lock()
	defer got.mu.Unlock()
	withTitle := 0
	for _, s := range got.seen {
		if r := unsafeIn(s); r >= 0 {
			t.Errorf("sent to Slack with %U: %q", r, s)
		}
		if strings.Contains(s, "[31m") || strings.Contains(s, "pwned") {
			t.Errorf("sent to Slack with an escape sequence's remains: %q", s)
		}
		if strings.Contains(s, "Disk full on db-1 exe.tset") {
			withTitle++
		}
	}
	if withTitle < 3 {
		t.Errorf("the cleaned title reached Slack in %d strings, want it in the summary, announcement and topic at least", withTitle)
	}
}
