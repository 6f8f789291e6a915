package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/incidents"
)

type fakeIncidents struct{ incs map[int64]*incidents.Incident }

func (f fakeIncidents) Get(_ context.Context, n int64) (*incidents.Incident, error) {
	if inc, ok := f.incs[n]; ok {
		return inc, nil
	}
	return nil, incidents.ErrNotFound
}

func (f fakeIncidents) List(context.Context, incidents.ListOptions) ([]*incidents.Incident, error) {
	var out []*incidents.Incident
	for _, inc := range f.incs {
		out = append(out, inc)
	}
	return out, nil
}

func (f fakeIncidents) Timeline(_ context.Context, n int64) ([]incidents.Event, error) {
	return []incidents.Event{{ID: "1", Incident: n, Type: incidents.EventNote, Text: "<b>bold</b> note", Actor: "U1"}}, nil
}

func newTestServer(t *testing.T, ready func(context.Context) error) *httptest.Server {
	t.Helper()
	log := logrus.New()
	log.SetOutput(io.Discard)
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "incidentbot_test_total", Help: "t"}))
	almaty, _ := time.LoadLocation("Asia/Almaty")
	s := New(Options{
		Incidents: fakeIncidents{incs: map[int64]*incidents.Incident{
			7: {Number: 7, Title: "<script>alert(1)</script>", Severity: "sev1", Status: incidents.StatusTriggered,
				DeclaredAt: time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)},
		}},
		Ready: ready, Gatherer: reg, Location: almaty, Logger: logrus.NewEntry(log),
	})
	mux := http.NewServeMux()
	s.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestProbesAndMetrics(t *testing.T) {
	var down error
	srv := newTestServer(t, func(context.Context) error { return down })
	if code, body := get(t, srv.URL+"/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("/healthz = %d %s", code, body)
	}
	if code, _ := get(t, srv.URL+"/readyz"); code != 200 {
		t.Errorf("/readyz while up = %d, want 200", code)
	}
	down = errors.New("connection refused")
	if code, body := get(t, srv.URL+"/readyz"); code != 503 || !strings.Contains(body, `"error"`) {
		t.Errorf("/readyz while down = %d %s, want 503 with a JSON error", code, body)
	}
	if code, _ := get(t, srv.URL+"/healthz"); code != 200 {
		t.Errorf("/healthz while store down = %d, want 200", code)
	}
	if code, body := get(t, srv.URL+"/metrics"); code != 200 || !strings.Contains(body, "incidentbot_test_total") {
		t.Errorf("/metrics = %d, missing the registered metric", code)
	}
}

func TestPagesEscapeAndAnswerErrors(t *testing.T) {
	srv := newTestServer(t, nil)
	code, body := get(t, srv.URL+"/incidents/7")
	if code != 200 {
		t.Fatalf("/incidents/7 = %d", code)
	}
	if strings.Contains(body, "<script>alert(1)") || strings.Contains(body, "<b>bold</b>") {
		t.Errorf("page contains unescaped user text")
	}
	if !strings.Contains(body, "&lt;script&gt;") || !strings.Contains(body, "&lt;b&gt;bold&lt;/b&gt; note") || !strings.Contains(body, "08:00:00 Asia/Almaty") {
		t.Errorf("page lacks the escaped title, the escaped note or the Almaty zone")
	}
	if code, body := get(t, srv.URL+"/"); code != 200 || !strings.Contains(body, `href="/incidents/7"`) {
		t.Errorf("/ = %d, lacks the link to #7", code)
	}
	for path, want := range map[string]int{"/incidents/8": 404, "/incidents/abc": 400, "/incidents/0": 400, "/nope": 404} {
		if code, _ := get(t, srv.URL+path); code != want {
			t.Errorf("GET %s = %d, want %d", path, code, want)
		}
	}
}
