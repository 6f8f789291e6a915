package alertmanager

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

const testToken = "s3cret-token"

type handlerEnv struct {
	inbox *memInbox
	b     *Batcher
	h     *Handler
	reg   *prometheus.Registry
	logs  *syncBuffer
}

func newHandlerEnv(t *testing.T, o HandlerOptions) *handlerEnv {
	t.Helper()
	env := &handlerEnv{inbox: newMemInbox(), reg: prometheus.NewRegistry()}
	log, buf := newTestLogger(t)
	env.logs = buf
	b, err := NewBatcher(env.inbox, BatcherOptions{Logger: log, Registerer: env.reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	env.b = b
	if o.Token == "" && !o.AuthNone {
		o.Token = testToken
	}
	o.Logger = log
	o.Registerer = env.reg
	h, err := NewHandler(b, o)
	if err != nil {
		t.Fatal(err)
	}
	env.h = h
	return env
}

func (env *handlerEnv) do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	env.h.ServeHTTP(rec, req)
	return rec
}

func webhookRequest(method string, body []byte, auth func(*http.Request)) *http.Request {
	req := httptest.NewRequest(method, "/webhooks/alertmanager", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != nil {
		auth(req)
	}
	return req
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func basic(user, pass string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(user, pass) }
}

func header(v string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", v) }
}

func TestHandler(t *testing.T) {
	firing := readTestdata(t, "firing.json")
	big := bytes.Repeat([]byte(" "), 2000)
	big = append(big, firing...)
	tests := []struct {
		name      string
		opts      HandlerOptions
		method    string
		body      []byte
		auth      func(*http.Request)
		inboxErr  error
		chunked   bool // unknown Content-Length
		code      int
		errSubstr string // in the JSON error; "" for 200
	}{
		{name: "bearer", body: firing, auth: bearer(testToken), code: 200},
		{name: "bearer scheme is case-insensitive", body: firing, auth: header("bearer " + testToken), code: 200},
		{name: "basic with any username", body: firing, auth: basic("alertmanager", testToken), code: 200},
		{name: "auth none", opts: HandlerOptions{AuthNone: true}, body: firing, code: 200},
		{name: "no credentials", body: firing, code: 401, errSubstr: "missing credentials"},
		{name: "wrong bearer", body: firing, auth: bearer("s3cret-tokeN"), code: 401, errSubstr: "invalid credentials"},
		{name: "empty bearer", body: firing, auth: header("Bearer "), code: 401, errSubstr: "invalid credentials"},
		{name: "token prefix", body: firing, auth: bearer("s3cret"), code: 401, errSubstr: "invalid credentials"},
		{name: "wrong basic", body: firing, auth: basic("alertmanager", "nope"), code: 401, errSubstr: "invalid credentials"},
		{name: "token as basic username", body: firing, auth: basic(testToken, ""), code: 401, errSubstr: "invalid credentials"},
		{name: "malformed basic", body: firing, auth: header("Basic !!!"), code: 401, errSubstr: "malformed basic"},
		{name: "other scheme", body: firing, auth: header("Token " + testToken), code: 401, errSubstr: "unsupported authorization scheme"},
		{name: "GET", method: http.MethodGet, auth: bearer(testToken), code: 405, errSubstr: "use POST"},
		{name: "PUT without auth is 405 first", method: http.MethodPut, body: firing, code: 405, errSubstr: "use POST"},
		{name: "too large", opts: HandlerOptions{MaxBody: 1024}, body: big, auth: bearer(testToken), code: 413, errSubstr: "larger than 1024 bytes"},
		{name: "too large, chunked", opts: HandlerOptions{MaxBody: 1024}, body: big, chunked: true, auth: bearer(testToken), code: 413, errSubstr: "larger than 1024 bytes"},
		{name: "exactly at the limit", opts: HandlerOptions{MaxBody: int64(len(firing))}, body: firing, chunked: true, auth: bearer(testToken), code: 200},
		{name: "bad JSON", body: []byte(`{"groupKey":`), auth: bearer(testToken), code: 400, errSubstr: "invalid JSON"},
		{name: "no groupKey", body: readTestdata(t, "bad_no_groupkey.json"), auth: bearer(testToken), code: 400, errSubstr: "groupKey is missing"},
		{name: "empty body", auth: bearer(testToken), code: 400, errSubstr: "the body is empty"},
		{name: "inbox down", body: firing, auth: bearer(testToken), inboxErr: errStoreDown, code: 503, errSubstr: "could not be stored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newHandlerEnv(t, tt.opts)
			env.inbox.appendErr = tt.inboxErr
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			req := webhookRequest(method, tt.body, tt.auth)
			if tt.chunked {
				req.ContentLength = -1
			}
			rec := env.do(req)

			if rec.Code != tt.code {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var resp map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("body %q is not JSON: %v", rec.Body, err)
			}
			stored := env.inbox.ids()
			if tt.code == 200 {
				if resp["status"] != "ok" || len(resp) != 1 {
					t.Errorf("body %v, want {\"status\":\"ok\"}", resp)
				}
				if len(stored) != 1 {
					t.Fatalf("inbox holds %d items, want 1", len(stored))
				}
				if got := env.inbox.items[stored[0]].Body; !bytes.Equal(got, tt.body) {
					t.Errorf("stored body differs from the request body")
				}
			} else {
				if !strings.Contains(resp["error"], tt.errSubstr) {
					t.Errorf("error %q does not contain %q", resp["error"], tt.errSubstr)
				}
				if len(stored) != 0 {
					t.Errorf("inbox holds %d items after a %d", len(stored), tt.code)
				}
			}
			switch tt.code {
			case 401:
				if got := rec.Header().Values("WWW-Authenticate"); len(got) == 0 || !strings.HasPrefix(got[0], "Bearer") {
					t.Errorf("WWW-Authenticate = %q", got)
				}
			case 405:
				if got := rec.Header().Get("Allow"); got != http.MethodPost {
					t.Errorf("Allow = %q", got)
				}
			}
			if logs := env.logs.String(); strings.Contains(logs, "s3cret") || strings.Contains(logs, "nope") ||
				strings.Contains(logs, "czNjcmV0") || strings.Contains(logs, "!!!") {
				t.Errorf("credentials in the log:\n%s", logs)
			}
			if got := counterValue(t, env.reg, "incidentbot_webhook_requests_total", "code", strconv.Itoa(tt.code)); got != 1 {
				t.Errorf("requests_total{code=%d} = %v, want 1", tt.code, got)
			}
		})
	}
}

func TestNewHandlerNeedsToken(t *testing.T) {
	b, err := NewBatcher(newMemInbox(), BatcherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := NewHandler(b, HandlerOptions{}); err == nil {
		t.Error("NewHandler without a token or AuthNone: no error")
	}
	if _, err := NewHandler(b, HandlerOptions{AuthNone: true}); err != nil {
		t.Errorf("AuthNone: %v", err)
	}
}

// The answer is 200 only after AppendInbox has returned, never before.
func TestHandlerAnswersAfterStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env := newHandlerEnv(t, HandlerOptions{})
		gate := make(chan struct{})
		env.inbox.gate = gate

		rec := httptest.NewRecorder()
		var answered atomic.Bool
		go func() {
			env.h.ServeHTTP(rec, webhookRequest(http.MethodPost, readTestdata(t, "firing.json"), bearer(testToken)))
			answered.Store(true)
		}()
		time.Sleep(time.Second) // virtual time: the batch window passes
		synctest.Wait()
		if answered.Load() {
			t.Fatalf("answered %d before AppendInbox returned", rec.Code)
		}
		if len(env.inbox.ids()) != 0 {
			t.Fatal("stored before the gate opened")
		}
		close(gate)
		synctest.Wait()
		if !answered.Load() || rec.Code != 200 {
			t.Fatalf("answered %v with %d, want 200 after the store", answered.Load(), rec.Code)
		}
		if len(env.inbox.ids()) != 1 {
			t.Errorf("inbox holds %d items, want 1", len(env.inbox.ids()))
		}
	})
}

// A resent notification is a new inbox item (Alertmanager resends on
// repeat_interval); IDs sort in receive order even with a stuck clock.
func TestHandlerIDsSortInReceiveOrder(t *testing.T) {
	at := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
	env := newHandlerEnv(t, HandlerOptions{Now: func() time.Time { return at }})
	files := []string{"firing.json", "repeated.json", "partly_resolved.json", "resolved.json"}
	for _, f := range files {
		if rec := env.do(webhookRequest(http.MethodPost, readTestdata(t, f), bearer(testToken))); rec.Code != 200 {
			t.Fatalf("%s: %d %s", f, rec.Code, rec.Body)
		}
	}
	ids := env.inbox.ids()
	if len(ids) != len(files) {
		t.Fatalf("got %d items, want %d", len(ids), len(files))
	}
	for i, id := range ids {
		it := env.inbox.items[id]
		if !bytes.Equal(it.Body, readTestdata(t, files[i])) {
			t.Errorf("item %d (%s) is not %s", i, id, files[i])
		}
		if !it.ReceivedAt.Equal(at) {
			t.Errorf("item %d received at %v, want %v", i, it.ReceivedAt, at)
		}
	}
	if want := strconv.FormatInt(at.UnixNano(), 10) + "-"; !strings.HasPrefix(ids[0], want) {
		t.Errorf("first ID %q, want prefix %q", ids[0], want)
	}
}

// Over a real HTTP connection, as Alertmanager talks to the bot.
func TestHandlerOverHTTP(t *testing.T) {
	env := newHandlerEnv(t, HandlerOptions{MaxBody: 4096})
	srv := httptest.NewServer(env.h)
	defer srv.Close()

	post := func(body io.Reader, user, pass string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/alertmanager", body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if pass != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post(bytes.NewReader(readTestdata(t, "truncated.json")), "alertmanager", testToken); code != 200 || body != "{\"status\":\"ok\"}\n" {
		t.Errorf("got %d %q", code, body)
	}
	if code, _ := post(bytes.NewReader(readTestdata(t, "truncated.json")), "alertmanager", "wrong"); code != 401 {
		t.Errorf("wrong password: %d", code)
	}
	// A streamed body without Content-Length that grows past the limit.
	pr, pw := io.Pipe()
	go func() {
		chunk := bytes.Repeat([]byte(" "), 1024)
		for range 64 {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		pw.Close()
	}()
	if code, body := post(pr, "", testToken); code != 413 || !strings.Contains(body, "larger than 4096 bytes") {
		t.Errorf("streamed oversize body: %d %s", code, body)
	}
	if n := len(env.inbox.ids()); n != 1 {
		t.Errorf("inbox holds %d items, want 1", n)
	}
	if got := counterValue(t, env.reg, "incidentbot_webhook_requests_total", "code", "413"); got != 1 {
		t.Errorf("requests_total{code=413} = %v", got)
	}
	if n := histogramCount(t, env.reg, "incidentbot_webhook_ingest_duration_seconds"); n != 1 {
		t.Errorf("ingest latency observations = %d, want 1", n)
	}
	if n := histogramCount(t, env.reg, "incidentbot_inbox_batch_size"); n != 1 {
		t.Errorf("batch size observations = %d, want 1", n)
	}
}

func findMetric(t *testing.T, reg *prometheus.Registry, name string) *dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	return nil
}

func counterValue(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mf := findMetric(t, reg, name)
	if mf == nil {
		return 0
	}
	for _, m := range mf.GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == label && lp.GetValue() == value {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func histogramCount(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	mf := findMetric(t, reg, name)
	if mf == nil || len(mf.GetMetric()) == 0 {
		return 0
	}
	return mf.GetMetric()[0].GetHistogram().GetSampleCount()
}
