package ntfy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
	"github.com/incidentbot/incidentbot/paging/ntfy"
)

// The documented JSON publish body (docs.ntfy.sh "Publish as JSON"), and the
// http action's fields ("Send HTTP request"). Decoding with
// DisallowUnknownFields checks that nothing undocumented is sent.
type docPublish struct {
	Topic    string      `json:"topic"`
	Message  string      `json:"message"`
	Title    string      `json:"title"`
	Tags     []string    `json:"tags"`
	Priority int         `json:"priority"`
	Actions  []docAction `json:"actions"`
	Click    string      `json:"click"`
	Attach   string      `json:"attach"`
	Markdown bool        `json:"markdown"`
	Icon     string      `json:"icon"`
	Filename string      `json:"filename"`
	Delay    string      `json:"delay"`
	Email    string      `json:"email"`
	Call     string      `json:"call"`
}

type docAction struct {
	Action  string            `json:"action"`
	Label   string            `json:"label"`
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Clear   bool              `json:"clear"`
}

type published struct {
	path, auth, ctype string
	msg               docPublish
}

// fakeNtfy answers the JSON publish as ntfy does: the message with an id,
// or ntfy's JSON error.
type fakeNtfy struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []published
	// answer, when set, replaces the normal answer.
	answer func(w http.ResponseWriter)
}

func newFakeNtfy(t *testing.T) *fakeNtfy {
	t.Helper()
	f := &fakeNtfy{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p docPublish
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if r.Method != http.MethodPost && r.Method != http.MethodPut {
			ntfyError(w, 404, 40401, "page not found")
			return
		}
		if err := dec.Decode(&p); err != nil {
			t.Errorf("the publish is not the documented JSON: %v", err)
			ntfyError(w, 400, 40024, "invalid request: request body must be valid JSON")
			return
		}
		f.mu.Lock()
		f.got = append(f.got, published{r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), p})
		f.mu.Unlock()
		if f.answer != nil {
			f.answer(w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "hwQ2YpKdmg8x", "time": 1767589200, "expires": 1767632400, "event": "message",
			"topic": p.Topic, "title": p.Title, "message": p.Message, "priority": p.Priority,
		})
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func ntfyError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code":%d,"http":%d,"error":%q,"link":"https://ntfy.sh/docs/publish/#authentication"}`+"\n", code, status, msg)
}

func (f *fakeNtfy) published() []published {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]published(nil), f.got...)
}

const token = "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2"

func page(topicURL string) paging.Message {
	return paging.Message{
		ID: "n-1", Incident: 42, Method: oncall.MethodPush, Person: "Алиса",
		To: topicURL, Token: token,
		Subject:     "#42 sev1: Касса не работает",
		Body:        "Оплата отвечает 503.\nCheckout answers 503.",
		IncidentURL: "https://bot.example/incidents/42",
		AckURL:      "https://bot.example/ack/AQ-token_x",
		Severity:    "sev1", Title: "Касса не работает",
	}
}

func TestPublishAsDocumented(t *testing.T) {
	f := newFakeNtfy(t)
	rc, err := ntfy.New(ntfy.Options{}).Send(context.Background(), page(f.srv.URL+"/alice-pager"))
	if err != nil {
		t.Fatal(err)
	}
	if rc != (paging.Receipt{Provider: "ntfy", ID: "hwQ2YpKdmg8x", Status: paging.StatusSent}) {
		t.Errorf("receipt = %+v", rc)
	}
	got := f.published()
	if len(got) != 1 {
		t.Fatalf("%d publishes, want 1", len(got))
	}
	p := got[0]
	if p.path != "/" {
		t.Errorf("published to %q; the JSON publish goes to the server root", p.path)
	}
	if p.auth != "Bearer "+token {
		t.Errorf("Authorization = %q", p.auth)
	}
	if p.ctype != "application/json" {
		t.Errorf("Content-Type = %q", p.ctype)
	}
	want := docPublish{
		Topic: "alice-pager", Title: "#42 sev1: Касса не работает",
		Message:  "Оплата отвечает 503.\nCheckout answers 503.",
		Priority: 5, Tags: []string{"rotating_light", "sev1"},
		Click: "https://bot.example/incidents/42",
		Actions: []docAction{{
			Action: "http", Label: "Acknowledge", URL: "https://bot.example/ack/AQ-token_x",
			Method: "POST", Clear: true,
		}},
	}
	if !reflect.DeepEqual(p.msg, want) {
		t.Errorf("published\n%+v\nwant\n%+v", p.msg, want)
	}
}

func TestTestPage(t *testing.T) {
	f := newFakeNtfy(t)
	m := page(f.srv.URL + "/alice-pager")
	m.Test, m.AckURL, m.Token = true, "", ""
	if _, err := ntfy.New(ntfy.Options{}).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	p := f.published()[0]
	if p.auth != "" {
		t.Errorf("sent Authorization %q without a token", p.auth)
	}
	if p.msg.Priority != 3 || len(p.msg.Actions) != 0 || !reflect.DeepEqual(p.msg.Tags, []string{"test_tube"}) {
		t.Errorf("test page: priority %d, actions %v, tags %v; want 3, none, [test_tube]", p.msg.Priority, p.msg.Actions, p.msg.Tags)
	}
	if !strings.HasPrefix(p.msg.Title, "[TEST] ") || !strings.Contains(p.msg.Message, "test page") {
		t.Errorf("test page does not say so: %q / %q", p.msg.Title, p.msg.Message)
	}
}

func TestServerUnderAPathPrefix(t *testing.T) {
	f := newFakeNtfy(t)
	if _, err := ntfy.New(ntfy.Options{}).Send(context.Background(), page(f.srv.URL+"/ntfy/alice-pager/")); err != nil {
		t.Fatal(err)
	}
	p := f.published()[0]
	if p.path != "/ntfy/" || p.msg.Topic != "alice-pager" {
		t.Errorf("published to %q topic %q; want /ntfy/ and alice-pager", p.path, p.msg.Topic)
	}
}

func TestLongMessageIsCut(t *testing.T) {
	f := newFakeNtfy(t)
	m := page(f.srv.URL + "/alice-pager")
	m.Body = strings.Repeat("Ж", 5000)
	if _, err := ntfy.New(ntfy.Options{}).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	msg := f.published()[0].msg.Message
	if len(msg) > ntfy.MaxMessage || !utf8.ValidString(msg) || !strings.HasSuffix(msg, "…") {
		t.Errorf("message has %d bytes (valid UTF-8: %v); want at most %d, valid, ending in …", len(msg), utf8.ValidString(msg), ntfy.MaxMessage)
	}
}

func TestBadTopicURLs(t *testing.T) {
	for _, u := range []string{"", "ntfy.sh/alice", "ftp://ntfy.sh/alice", "https:///alice", "https://ntfy.sh", "https://ntfy.sh/", "https://ntfy.sh/al ice", "https://ntfy.sh/" + strings.Repeat("a", 65)} {
		_, err := ntfy.New(ntfy.Options{}).Send(context.Background(), page(u))
		if err == nil {
			t.Errorf("%q: sent", u)
			continue
		}
		if u != "" && strings.Contains(err.Error(), u) {
			t.Errorf("%q: the error repeats the URL: %v", u, err)
		}
	}
	m := page("https://ntfy.sh/alice")
	m.Method = oncall.MethodSMS
	if _, err := ntfy.New(ntfy.Options{}).Send(context.Background(), m); err == nil {
		t.Error("sent an SMS message as a push")
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter)
		want   string
	}{
		{"forbidden", func(w http.ResponseWriter) { ntfyError(w, 403, 40301, "forbidden") }, "ntfy: 403 forbidden (code 40301)"},
		{"rate limited", func(w http.ResponseWriter) {
			ntfyError(w, 429, 42908, "limit reached: daily message quota reached")
		}, "429 limit reached: daily message quota reached (code 42908)"},
		{"proxy error", func(w http.ResponseWriter) { http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway) }, "answered 502 Bad Gateway"},
		{"not ntfy", func(w http.ResponseWriter) { _, _ = io.WriteString(w, "<html>Welcome to the hotel Wi-Fi</html>") }, "without a message ID"},
		{"redirect", func(w http.ResponseWriter) {
			w.Header().Set("Location", "https://elsewhere.example/")
			w.WriteHeader(http.StatusFound)
		}, "redirect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeNtfy(t)
			f.answer = tt.answer
			_, err := ntfy.New(ntfy.Options{}).Send(context.Background(), page(f.srv.URL+"/alice-pager"))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "alice-pager") || strings.Contains(err.Error(), token) {
				t.Errorf("the error leaks the topic or token: %v", err)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	start := time.Now()
	_, err := ntfy.New(ntfy.Options{Timeout: 200 * time.Millisecond}).Send(context.Background(), page(srv.URL+"/alice-pager"))
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v with a 200ms timeout", d)
	}
}

func TestLogsHoldNoTopicOrToken(t *testing.T) {
	var buf bytes.Buffer
	l := logrus.New()
	l.SetOutput(&buf)
	l.SetLevel(logrus.DebugLevel)
	s := ntfy.New(ntfy.Options{Logger: logrus.NewEntry(l), Timeout: time.Second})
	ok := newFakeNtfy(t)
	refusing := newFakeNtfy(t)
	refusing.answer = func(w http.ResponseWriter) { ntfyError(w, 403, 40301, "forbidden") }
	for _, u := range []string{ok.srv.URL, refusing.srv.URL, "http://127.0.0.1:1"} {
		_, _ = s.Send(context.Background(), page(u+"/alice-pager"))
	}
	logs := buf.String()
	if !strings.Contains(logs, "ntfy_id=hwQ2YpKdmg8x") || !strings.Contains(logs, "forbidden") {
		t.Fatalf("the sends were not logged: %q", logs)
	}
	for _, secret := range []string{"alice-pager", token, ok.srv.URL, refusing.srv.URL} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs hold %q:\n%s", secret, logs)
		}
	}
}
