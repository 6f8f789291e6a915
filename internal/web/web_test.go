package web

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestProbesAndMetrics(t *testing.T) {
	var down error
	o := testOptions()
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "incidentbot_test_total", Help: "t"}))
	o.Gatherer = reg
	o.Ready = func(context.Context) error { return down }
	srv := serve(t, o)
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

func TestRoutes(t *testing.T) {
	srv := serve(t, testOptions())
	tests := []struct {
		path  string
		code  int
		ctype string
		want  []string
	}{
		{"/", 200, "text/html", []string{"<h1>Incidents</h1>", `href="/incidents/3"`, "Payments API returns 502", "U0DAVE",
			"45m", "so far", "Recently resolved", `href="/incidents/1"`, "Checkout latency above 2s", "1h 40m", "<main", "<nav"}},
		{"/incidents/1", 200, "text/html", []string{"Checkout latency above 2s", "scribe", "U0BOB", "comms", "U0ALICE",
			"Asia/Almaty", "Rolling back to v2.3.0", `href="https://example.slack.com/archives/C1/p1700000000000100"`,
			`href="http://prometheus.example.com/graph?g0.expr=latency"`, "CheckoutLatency", `<a href="https://runbooks.example.com/checkout"`,
			"Add a canary stage", "Alert on p95 too", `href="/postmortems/1"`, `href="/postmortems/1.md"`,
			"Acknowledged", "Mitigated", "Resolved", "rolled back v2.3.1", "p99 latency of checkout-api"}},
		{"/incidents/3", 200, "text/html", []string{"Payments API returns 502", "No postmortem yet", "payments", "identified"}},
		{"/incidents/%233", 200, "text/html", []string{"Payments API returns 502"}},
		{"/incidents/99", 404, "text/html", []string{"incident #99 not found"}},
		{"/incidents/abc", 400, "text/html", []string{"positive integers"}},
		{"/incidents/0", 400, "text/html", nil},
		{"/postmortems", 200, "text/html", []string{`href="/postmortems/1"`, "Checkout latency", "final", `href="/postmortems/1.md"`}},
		{"/postmortems/1", 200, "text/html", []string{"<h1>Postmortem: Checkout latency above 2s</h1>", `href="/incidents/1"`}},
		{"/postmortems/1.md", 200, "text/markdown", []string{"# Postmortem: Checkout latency above 2s"}},
		{"/postmortems/3", 404, "text/html", []string{"no postmortem yet"}},
		{"/postmortems/3.md", 404, "text/html", nil},
		{"/postmortems/x.md", 400, "text/html", nil},
		{"/oncall", 200, "text/html", []string{"primary", "U0ALICE", "U0BOB", "Asia/Almaty"}},
		{"/stats", 200, "text/html", []string{"<svg", "Incidents per week", "MTTA", "checkout", "production", "Delivery (DORA)",
			`aria-current="page">Last 30d`, `href="/stats?window=7d"`, `href="/stats?window=90d"`, "U0ALICE", "<label for=\"service\">"}},
		{"/stats?window=7d", 200, "text/html", []string{`aria-current="page">Last 7d`, "payments"}},
		{"/stats?window=90d&service=checkout", 200, "text/html", []string{"Stats: checkout", `href="/stats?window=7d&service=checkout"`}},
		{"/stats?window=1y", 400, "text/html", []string{"window must be 7d, 30d or 90d"}},
		{"/style.css", 200, "text/css", []string{"@media print", "@media (max-width:640px)"}},
		{"/nope", 404, "", nil},
		{"/api/v1/incidents", 200, "application/json", []string{`"incidents"`, `"next"`}},
		{"/api/v1/incidents/1", 200, "application/json", []string{`"timeline"`, `"Rolling back to v2.3.0"`}},
		{"/api/v1/incidents/99", 404, "application/json", []string{`"error"`}},
		{"/api/v1/incidents/x", 400, "application/json", []string{`"error"`}},
		{"/api/v1/stats", 200, "application/json", []string{`"window":"30d"`, `"dora"`}},
		{"/api/v1/stats?window=2d", 400, "application/json", []string{`"error"`}},
		{"/api/v1/oncall", 200, "application/json", []string{`"schedules"`, `"primary"`}},
		{"/api/v1/openapi.yaml", 200, "application/yaml", []string{"openapi: 3"}},
		{"/api/v1/nope", 404, "application/json", []string{`"error"`}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			a := do(t, "GET", srv.URL+tt.path, nil)
			if a.code != tt.code {
				t.Fatalf("GET %s = %d, want %d\n%s", tt.path, a.code, tt.code, a.body)
			}
			if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, tt.ctype) {
				t.Errorf("Content-Type = %q, want %s", ct, tt.ctype)
			}
			if miss := contains(a.body, tt.want...); miss != "" {
				t.Errorf("GET %s lacks %q", tt.path, miss)
			}
			if strings.HasPrefix(tt.ctype, "text/html") && !strings.Contains(a.header.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("page without the no-script Content-Security-Policy")
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	srv := serve(t, testOptions())
	for _, path := range []string{"/", "/incidents/1", "/stats", "/api/v1/incidents"} {
		if a := do(t, "POST", srv.URL+path, nil); a.code != 405 {
			t.Errorf("POST %s = %d, want 405", path, a.code)
		}
	}
}

// rawHostile finds hostile markup that reached a page unescaped.
var rawHostile = regexp.MustCompile(`(?i)<script>alert|<img src=x|href="\s*javascript:|href="data:|onerror=alert\(2\)>`)

func TestEscaping(t *testing.T) {
	srv := serve(t, testOptions())
	for _, path := range []string{"/", "/incidents/2", "/postmortems", "/oncall", "/stats", "/stats?window=7d&service=%3Cscript%3Ealert(1)%3C/script%3E"} {
		t.Run(path, func(t *testing.T) {
			code, body := get(t, srv.URL+path)
			if code != 200 {
				t.Fatalf("GET %s = %d", path, code)
			}
			if m := rawHostile.FindString(body); m != "" {
				t.Errorf("GET %s carries unescaped %q", path, m)
			}
			if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") && !strings.Contains(body, "&lt;script&gt;alert(1)&lt;\\/script&gt;") {
				t.Errorf("GET %s lacks the escaped title", path)
			}
		})
	}
	_, body := get(t, srv.URL+"/incidents/2")
	for _, want := range []string{"&lt;img src=x onerror=alert(2)&gt;", "see javascript:alert(3)"} {
		if !strings.Contains(body, want) {
			t.Errorf("/incidents/2 lacks %q", want)
		}
	}
	// javascript: and data: links from alerts and Slack are not links at all.
	if strings.Contains(body, "in Slack</a>") || strings.Contains(body, ">source</a>") || strings.Contains(body, "#ZgotmplZ") {
		t.Errorf("/incidents/2 links a javascript: or data: URL")
	}
}

func TestAcceptJSON(t *testing.T) {
	srv := serve(t, testOptions())
	js := map[string]string{"Accept": "application/json"}
	a := do(t, "GET", srv.URL+"/incidents/1", js)
	var inc APIIncidentDetail
	if err := json.Unmarshal([]byte(a.body), &inc); a.code != 200 || err != nil {
		t.Fatalf("GET /incidents/1 as JSON = %d %v\n%s", a.code, err, a.body)
	}
	if inc.Number != 1 || len(inc.Timeline) != 4 || inc.Timeline[2].Permalink == "" || inc.Commander != "U0ALICE" {
		t.Errorf("incident JSON = %+v", inc)
	}
	if api := do(t, "GET", srv.URL+"/api/v1/incidents/1", nil); api.body != a.body {
		t.Errorf("GET /incidents/1 as JSON differs from /api/v1/incidents/1")
	}
	if a := do(t, "GET", srv.URL+"/incidents/99", js); a.code != 404 || !strings.Contains(a.body, `"error"`) {
		t.Errorf("GET /incidents/99 as JSON = %d %s", a.code, a.body)
	}
	a = do(t, "GET", srv.URL+"/oncall", js)
	var oc apiOnCall
	if err := json.Unmarshal([]byte(a.body), &oc); a.code != 200 || err != nil || len(oc.Schedules) != 2 || oc.Schedules[0].Next != "U0BOB" {
		t.Errorf("GET /oncall as JSON = %d %v %+v", a.code, err, oc)
	}
	// A browser's Accept prefers HTML.
	a = do(t, "GET", srv.URL+"/incidents/1", map[string]string{"Accept": "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8"})
	if !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
		t.Errorf("browser Accept got %s", a.header.Get("Content-Type"))
	}
}

func TestNotConfigured(t *testing.T) {
	o := testOptions()
	o.Postmortems, o.OnCall, o.Deployments, o.PageLog = nil, nil, nil, nil
	srv := serve(t, o)
	for _, path := range []string{"/postmortems", "/postmortems/1", "/postmortems/1.md", "/oncall"} {
		a := do(t, "GET", srv.URL+path, nil)
		if a.code != 404 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !strings.Contains(a.body, "not configured") &&
			!strings.Contains(a.body, "no on-call schedules configured") {
			t.Errorf("GET %s = %d %s, want 404 HTML saying it is not configured\n%s", path, a.code, a.header.Get("Content-Type"), a.body)
		}
	}
	if a := do(t, "GET", srv.URL+"/api/v1/oncall", nil); a.code != 404 || !strings.Contains(a.body, `"error":"on-call schedules are not configured"`) {
		t.Errorf("GET /api/v1/oncall = %d %s", a.code, a.body)
	}
	if a := do(t, "GET", srv.URL+"/oncall", map[string]string{"Accept": "application/json"}); a.code != 404 || !strings.Contains(a.body, `"error"`) {
		t.Errorf("GET /oncall as JSON = %d %s", a.code, a.body)
	}
	// The incident page has no postmortem links; stats work without deployments.
	if _, body := get(t, srv.URL+"/incidents/1"); strings.Contains(body, "/postmortems/1") || strings.Contains(body, "No postmortem yet") {
		t.Errorf("incident page mentions postmortems that are not configured")
	}
	if code, body := get(t, srv.URL+"/stats"); code != 200 || !strings.Contains(body, "No deployments in this window") {
		t.Errorf("/stats without deployments = %d", code)
	}
}

func TestStoreDown(t *testing.T) {
	o := testOptions()
	o.Incidents = &fakeIncidents{err: errStoreDown}
	srv := serve(t, o)
	for _, path := range []string{"/", "/incidents/1", "/stats"} {
		a := do(t, "GET", srv.URL+path, nil)
		if a.code != 503 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || strings.Contains(a.body, "connection refused") {
			t.Errorf("GET %s while the store is down = %d %s (store errors stay in the log)", path, a.code, a.header.Get("Content-Type"))
		}
	}
	for _, path := range []string{"/api/v1/incidents", "/api/v1/incidents/1", "/api/v1/stats"} {
		a := do(t, "GET", srv.URL+path, nil)
		if a.code != 503 || !strings.Contains(a.body, `"error"`) || strings.Contains(a.body, "connection refused") {
			t.Errorf("GET %s while the store is down = %d %s", path, a.code, a.body)
		}
	}
}

func TestSafeURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://x.example/a?b=c": "https://x.example/a?b=c",
		"http://x.example":        "http://x.example",
		"javascript:alert(1)":     "",
		" JavaScript:alert(1)":    "",
		"data:text/html,x":        "",
		"//x.example/a":           "",
		"/relative":               "",
		"https://":                "",
		"":                        "",
	} {
		if got := safeURL(in); got != want {
			t.Errorf("safeURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[int64]string{0: "0s", 45: "45s", 600: "10m", 3900: "1h 5m", 90000: "1d 1h", -5: "0s"} {
		if got := human(secondsD(d)); got != want {
			t.Errorf("human(%ds) = %q, want %q", d, got, want)
		}
	}
}
