package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/stats"
)

// Hostile strings placed in every user-supplied field of the fixture.
const (
	xssScript = `<script>alert(1)</script>`
	xssImg    = `<img src=x onerror=alert(2)>`
	xssJS     = `javascript:alert(3)`
)

var fixNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// noteMrkdwn is a note as Slack sends it (the typed &, <, > as entities):
// bold, italic, strike, code, a link, a mention, a special mention, typed
// markup and a javascript: link that must stay text.
const noteMrkdwn = "Rolled back *slowly*, _carefully_, ~not~ quickly: see `deploy-123` on " +
	"<https://grafana.example.com/d/x|the dashboard>, <!here> <@U0BOB> &lt;b&gt;typed&lt;/b&gt; <javascript:alert(6)|click me>"

// fakeNames names the fixture's people as users.info would; U0EVE is unknown.
type fakeNames struct{ asked *[][]string }

var fixtureNames = map[string]string{
	"U0ALICE": "Alice Archer", "U0BOB": "Bob Baker", "U0CAROL": "Carol Chen", "U0DAVE": "Dave Diaz",
}

func (f fakeNames) Names(_ context.Context, ids []string) map[string]string {
	if f.asked != nil {
		*f.asked = append(*f.asked, ids)
	}
	out := map[string]string{}
	for _, id := range ids {
		if n, ok := fixtureNames[id]; ok {
			out[id] = n
		}
	}
	return out
}

func ago(d time.Duration) time.Time   { return fixNow.Add(-d) }
func agop(d time.Duration) *time.Time { t := ago(d); return &t }

// fakeIncidents is an in-memory Incidents; List honours the options as the store does.
type fakeIncidents struct {
	incs   map[int64]*incidents.Incident
	events map[int64][]incidents.Event
	err    error // every call fails with it when set
}

func (f *fakeIncidents) Get(_ context.Context, n int64) (*incidents.Incident, error) {
	if f.err != nil {
		return nil, f.err
	}
	if inc, ok := f.incs[n]; ok {
		return inc, nil
	}
	return nil, incidents.ErrNotFound
}

func (f *fakeIncidents) List(_ context.Context, o incidents.ListOptions) ([]*incidents.Incident, error) {
	if f.err != nil {
		return nil, f.err
	}
	out := []*incidents.Incident{}
	for _, inc := range f.incs {
		if !o.Match(inc) {
			continue
		}
		out = append(out, inc)
	}
	slices.SortFunc(out, func(a, b *incidents.Incident) int { return int(b.Number - a.Number) })
	if o.Limit > 0 && len(out) > o.Limit {
		out = out[:o.Limit]
	}
	return out, nil
}

func (f *fakeIncidents) Timeline(_ context.Context, n int64) ([]incidents.Event, error) {
	if f.err != nil {
		return nil, f.err
	}
	if _, ok := f.incs[n]; !ok {
		return nil, incidents.ErrNotFound
	}
	return f.events[n], nil
}

type fakeDeploys struct {
	ds     []deploys.Deployment
	causes map[int64]string
}

func (f fakeDeploys) Deployments(_ context.Context, from, to time.Time) ([]deploys.Deployment, error) {
	var out []deploys.Deployment
	for _, d := range f.ds {
		if !d.At.Before(from) && d.At.Before(to) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (f fakeDeploys) Causes(context.Context) (map[int64]string, error) { return f.causes, nil }

type fakePages []stats.PageRecord

func (f fakePages) Pages(_ context.Context, from, to time.Time) ([]stats.PageRecord, error) {
	return f, nil
}

type fakePostmortems map[int64][2]string // html, markdown

func (f fakePostmortems) Postmortem(_ context.Context, n int64) ([]byte, []byte, error) {
	pm, ok := f[n]
	if !ok {
		return nil, nil, fmt.Errorf("postmortem of #%d: %w", n, incidents.ErrNotFound)
	}
	return []byte(pm[0]), []byte(pm[1]), nil
}

func (f fakePostmortems) Postmortems(context.Context) ([]PostmortemEntry, error) {
	return []PostmortemEntry{
		{Incident: 1, Title: "Checkout latency", Status: "final", UpdatedAt: ago(20 * 24 * time.Hour)},
		{Incident: 2, Title: xssScript, Status: "draft", UpdatedAt: ago(3 * 24 * time.Hour)},
	}, nil
}

type fakeOnCall []ScheduleNow

func (f fakeOnCall) OnCallNow(context.Context, time.Time) ([]ScheduleNow, error) { return f, nil }

// Calendar answers a two-line feed naming the schedule and user, for "primary" only.
func (f fakeOnCall) Calendar(_ context.Context, schedule, user string) ([]byte, bool, error) {
	if schedule != "primary" {
		return nil, false, nil
	}
	return []byte("BEGIN:VCALENDAR\r\nX-SCHEDULE:" + schedule + ";" + user + "\r\nEND:VCALENDAR\r\n"), true, nil
}

// fixture builds the data set every test reads: resolved and open incidents,
// one full of hostile text, deployments with a cause, pages, postmortems and
// on-call schedules.
func fixture() *fakeIncidents {
	hostile := map[string]string{"alertname": xssScript, "service": "checkout"}
	f := &fakeIncidents{
		incs: map[int64]*incidents.Incident{
			1: {Number: 1, Title: "Checkout latency above 2s", Severity: "sev2", Status: incidents.StatusResolved,
				Service: "checkout", Commander: "U0ALICE", Roles: map[string]string{"scribe": "U0BOB", "comms": "U0CAROL"},
				Description: "p99 latency of checkout-api", DeclaredBy: "alertmanager", Summary: "rolled back v2.3.1",
				DetectedAt: ago(20*24*time.Hour + 10*time.Minute), DeclaredAt: ago(20 * 24 * time.Hour),
				AcknowledgedAt: agop(20*24*time.Hour - 4*time.Minute), MitigatedAt: agop(20*24*time.Hour - 40*time.Minute),
				ResolvedAt: agop(20*24*time.Hour - 90*time.Minute), UpdatedAt: ago(20*24*time.Hour - 90*time.Minute),
				Alerts: map[string]incidents.Alert{
					"fp1": {Fingerprint: "fp1", Status: incidents.AlertResolved, StartsAt: ago(20*24*time.Hour + 10*time.Minute),
						EndsAt: ago(20*24*time.Hour - 80*time.Minute), Labels: map[string]string{"alertname": "CheckoutLatency", "service": "checkout"},
						Annotations:  map[string]string{"summary": "p99 2.4s", "runbook": "https://runbooks.example.com/checkout"},
						GeneratorURL: "http://prometheus.example.com/graph?g0.expr=latency"},
				},
				Actions: []incidents.Action{
					{ID: 1, Text: "Add a canary stage", Owner: "U0BOB", At: ago(20 * 24 * time.Hour)},
					{ID: 2, Text: "Alert on p95 too", Done: true, At: ago(20 * 24 * time.Hour)},
				}},
			2: {Number: 2, Title: xssScript, Severity: "sev1", Status: incidents.StatusResolved, Service: "checkout",
				Commander: xssImg, Roles: map[string]string{xssScript: xssImg}, Summary: xssImg, Description: xssImg,
				DetectedAt: ago(3 * 24 * time.Hour), DeclaredAt: ago(3 * 24 * time.Hour), AcknowledgedAt: agop(3*24*time.Hour - 2*time.Minute),
				ResolvedAt: agop(3*24*time.Hour - 3*time.Hour), UpdatedAt: ago(3*24*time.Hour - 3*time.Hour), Previous: 1,
				Alerts: map[string]incidents.Alert{
					"fp2": {Fingerprint: "fp2", Status: incidents.AlertFiring, StartsAt: ago(3 * 24 * time.Hour), Labels: hostile,
						Annotations: map[string]string{"description": xssImg, xssScript: "x"}, GeneratorURL: xssJS},
					"fp3": {Fingerprint: "fp3", Status: incidents.AlertFiring, StartsAt: ago(3 * 24 * time.Hour), Labels: hostile,
						GeneratorURL: "data:text/html,<script>alert(4)</script>"},
				},
				Actions: []incidents.Action{{ID: 1, Text: xssImg, Owner: xssScript, At: ago(3 * 24 * time.Hour)}}},
			3: {Number: 3, Title: "Payments API returns 502", Severity: "sev1", Status: incidents.StatusIdentified,
				Service: "payments", Commander: "U0DAVE", DetectedAt: ago(45 * time.Minute), DeclaredAt: ago(44 * time.Minute),
				AcknowledgedAt: agop(40 * time.Minute), UpdatedAt: ago(5 * time.Minute), Labels: map[string]string{"team": "payments"},
				Roles: map[string]string{"scribe": "U0CAROL"}, Description: "Raised by <@U0DAVE> & <b>friends</b>",
				Actions: []incidents.Action{{ID: 1, Text: "Write the *runbook* for <@U0CAROL>", Owner: "U0CAROL", At: ago(30 * time.Minute),
					Due: time.Date(2026, 12, 3, 18, 59, 59, 0, time.UTC)}}},
			4: {Number: 4, Title: "Search index lagging", Severity: "sev3", Status: incidents.StatusTriggered,
				Labels: map[string]string{"service": "search"}, DetectedAt: ago(10 * time.Minute), DeclaredAt: ago(10 * time.Minute),
				UpdatedAt: ago(10 * time.Minute)},
		},
		events: map[int64][]incidents.Event{},
	}
	f.events[1] = []incidents.Event{
		{ID: "1a", Incident: 1, Type: incidents.EventDeclared, At: ago(20 * 24 * time.Hour), Actor: incidents.ActorAlertmanager, Text: "Declared from CheckoutLatency"},
		{ID: "1b", Incident: 1, Type: incidents.EventAcknowledged, At: ago(20*24*time.Hour - 4*time.Minute), Actor: "U0ALICE", Text: "Acknowledged"},
		{ID: "1c", Incident: 1, Type: incidents.EventMessagePinned, At: ago(20*24*time.Hour - 30*time.Minute), Actor: "U0BOB",
			Text: "Rolling back to v2.3.0", Fields: map[string]string{"permalink": "https://example.slack.com/archives/C1/p1700000000000100"}},
		{ID: "1d", Incident: 1, Type: incidents.EventResolved, At: ago(20*24*time.Hour - 90*time.Minute), Actor: "U0ALICE", Text: "Resolved: rolled back v2.3.1"},
	}
	f.events[2] = []incidents.Event{
		{ID: "2a", Incident: 2, Type: incidents.EventDeclared, At: ago(3 * 24 * time.Hour), Actor: xssScript, Text: xssScript},
		{ID: "2b", Incident: 2, Type: incidents.EventNote, At: ago(3*24*time.Hour - time.Minute), Actor: "U0EVE", Text: xssImg,
			Fields: map[string]string{"permalink": xssJS}},
		{ID: "2c", Incident: 2, Type: incidents.EventNote, At: ago(3*24*time.Hour - 2*time.Minute), Actor: "U0EVE", Text: "see " + xssJS,
			Fields: map[string]string{"permalink": " JavaScript:alert(5)"}},
	}
	f.events[3] = []incidents.Event{
		{ID: "3a", Incident: 3, Type: incidents.EventDeclared, At: ago(44 * time.Minute), Actor: "U0DAVE", Text: "Payments API returns 502"},
		{ID: "3b", Incident: 3, Type: incidents.EventStatusChanged, At: ago(20 * time.Minute), Actor: "U0DAVE", Text: "identified: bad config push",
			Fields: map[string]string{"permalink": "https://example.slack.com/archives/C3/p1700000000000300"}},
		{ID: "3c", Incident: 3, Type: incidents.EventPaged, At: ago(43 * time.Minute), Actor: incidents.ActorBot, Text: "Paged <@U0DAVE>"},
		{ID: "3d", Incident: 3, Type: incidents.EventRoleAssigned, At: ago(42 * time.Minute), Actor: "U0DAVE", Text: "scribe: <@U0CAROL|carol>"},
		{ID: "3e", Incident: 3, Type: incidents.EventNote, At: ago(15 * time.Minute), Actor: "U0CAROL", Text: noteMrkdwn},
	}
	return f
}

func fixtureDeploys() fakeDeploys {
	return fakeDeploys{
		ds: []deploys.Deployment{
			{ID: "d1", Service: "checkout", Version: "v2.3.1", Environment: "production", Status: deploys.StatusSuccess,
				At: ago(20*24*time.Hour + time.Hour), CommitAt: ago(20*24*time.Hour + 5*time.Hour)},
			{ID: "d2", Service: "checkout", Version: "v2.3.0", Environment: "production", Status: deploys.StatusSuccess,
				At: ago(20*24*time.Hour - time.Hour)},
			{ID: "d3", Service: "payments", Version: "v9", Environment: "production", Status: deploys.StatusFailure,
				At: ago(2 * time.Hour), CommitAt: ago(3 * time.Hour)},
			{ID: "d4", Service: "payments", Version: "v9", Environment: "staging", Status: deploys.StatusSuccess,
				At: ago(5 * time.Hour), CommitAt: ago(6 * time.Hour)},
		},
		causes: map[int64]string{1: "d1"},
	}
}

func fixturePostmortems() fakePostmortems {
	return fakePostmortems{1: {
		"<h1>Postmortem: Checkout latency above 2s</h1>\n<h2>Summary</h2>\n<p>A bad release raised p99 latency; we rolled back.</p>\n" +
			"<h2>Timeline</h2>\n<ul>\n<li>09:50 alert fired</li>\n<li>10:36 rolled back</li>\n</ul>\n",
		"# Postmortem: Checkout latency above 2s\n\n## Summary\n\nA bad release raised p99 latency; we rolled back.\n",
	}}
}

func fixtureOnCall() fakeOnCall {
	return fakeOnCall{
		{Schedule: "primary", Person: "U0ALICE", Until: ago(-6 * time.Hour), Next: "U0BOB"},
		{Schedule: xssScript, Person: xssImg, Until: ago(-30 * time.Hour), Next: xssScript},
	}
}

// testOptions are the options of a fully configured server over the fixture.
func testOptions() Options {
	log := discard.Logger().Logger
	almaty, err := time.LoadLocation("Asia/Almaty")
	if err != nil {
		panic(err)
	}
	return Options{
		Incidents: fixture(), Deployments: fixtureDeploys(),
		PageLog:     fakePages{{User: "U0ALICE", At: ago(20 * 24 * time.Hour)}, {User: "U0DAVE", At: ago(44 * time.Minute)}},
		Postmortems: fixturePostmortems(), OnCall: fixtureOnCall(), Reporting: fakeReporting{},
		Maintenance: fixtureMaintenance(), Heartbeats: fixtureHeartbeats(),
		Severities: []string{"sev1", "sev2", "sev3", "sev4"},
		Gatherer:   prometheus.NewRegistry(), Location: almaty, Logger: logrus.NewEntry(log),
		Now: func() time.Time { return fixNow },
	}
}

func serve(t *testing.T, o Options) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	New(o).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

type answer struct {
	code   int
	header http.Header
	body   string
}

func do(t *testing.T, method, url string, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	a := do(t, http.MethodGet, url, nil)
	return a.code, a.body
}

var errStoreDown = errors.New("connection refused")

func contains(s string, subs ...string) string {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return sub
		}
	}
	return ""
}

func secondsD(s int64) time.Duration { return time.Duration(s) * time.Second }
