package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/heartbeats"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/clocktest"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/web"
	"github.com/incidentbot/incidentbot/labels"
	"github.com/incidentbot/incidentbot/oncall"
)

// withWatchdog pages the primary (one level, no repeat) when the Watchdog
// stops for more than 5m, and expects a nightly backup's beat every 25h.
func withWatchdog(c *config.Config) {
	withPaging(c)
	c.EscalationPolicies = append(c.EscalationPolicies, config.EscalationPolicy{Name: "pipeline", Levels: []oncall.EscalationLevel{
		{Targets: []oncall.Target{{Kind: oncall.TargetSchedule, Name: "primary"}}}}})
	wd, _ := labels.NewMatcher(labels.MatchEqual, "alertname", "Watchdog")
	c.Heartbeats = []heartbeats.Heartbeat{
		{Name: "watchdog", Every: 5 * time.Minute, EscalationPolicy: "pipeline", Severity: "sev1", Matchers: labels.Matchers{wd}},
		{Name: "nightly-backup", Every: 25 * time.Hour, EscalationPolicy: "pipeline"},
	}
}

// watchdog is the webhook body kube-prometheus' Watchdog sends, firing
// since since (Alertmanager re-sends it every repeat_interval).
func watchdog(since time.Time) []byte {
	b, _ := json.Marshal(map[string]any{
		"version": "4", "groupKey": `{}/{alertname="Watchdog"}:{alertname="Watchdog"}`, "status": "firing", "receiver": "incidentbot",
		"groupLabels": map[string]string{"alertname": "Watchdog"}, "commonLabels": map[string]string{"alertname": "Watchdog", "severity": "none"},
		"commonAnnotations": map[string]string{}, "externalURL": "http://alertmanager.example", "truncatedAlerts": 0,
		"alerts": []map[string]any{{"status": "firing", "fingerprint": "0badc0ffee000001",
			"labels":      map[string]string{"alertname": "Watchdog", "severity": "none"},
			"annotations": map[string]string{"summary": "An alert that should always be firing"},
			"startsAt":    since.Format(time.RFC3339), "endsAt": "0001-01-01T00:00:00Z"}},
	})
	return b
}

// minute moves the clock a minute and runs the cron's tick and its jobs.
func (h *harness) minute() {
	h.t.Helper()
	h.clock.Advance(time.Minute)
	if _, err := h.app.cron.TickDue(context.Background(), h.clock.Now()); err != nil {
		h.t.Fatal(err)
	}
	h.settleNow()
}

func TestStoryWatchdogStopsPagesOnceAndItsReturnResolves(t *testing.T) {
	clock := clocktest.New(startOfStories)
	h := newHarness(t, harnessOptions{manual: true, clock: clock, config: withWatchdog})
	since := clock.Now()
	// The Watchdog beats every minute: no incident, however long.
	for range 8 {
		h.mustPost(watchdog(since))
		h.applyAll()
		h.minute()
	}
	if n := len(h.incidents()); n != 0 {
		t.Fatalf("%d incidents while the Watchdog fires, want none (its notifications are beats)", n)
	}
	lastBeat := clock.Now().Add(-time.Minute)

	// It stops. At 5m nothing yet; the first check after 5m opens one incident and pages.
	for range 4 {
		h.minute()
	}
	if n := len(h.incidents()); n != 0 {
		t.Fatalf("an incident %s after the last beat, want none until 5m have passed", clock.Now().Sub(lastBeat))
	}
	h.minute()
	list := h.incidents()
	if len(list) != 1 {
		t.Fatalf("%d incidents 6m after the last beat, want 1", len(list))
	}
	inc := list[0]
	if inc.Title != "Alerting pipeline silent: no Watchdog for 6m" || inc.Severity != "sev1" || inc.EscalationPolicy != "pipeline" {
		t.Errorf("incident = %q %s %s", inc.Title, inc.Severity, inc.EscalationPolicy)
	}
	if p := h.pages(primaryUser); len(p) != 1 {
		t.Fatalf("pages to the primary = %d, want 1", len(p))
	}
	// Silent for another 20 minutes: still one incident, one page.
	for range 20 {
		h.minute()
	}
	if n, p := len(h.incidents()), len(h.pages(primaryUser)); n != 1 || p != 1 {
		t.Errorf("after 20 more silent minutes: %d incidents, %d pages; want 1 and 1 (it pages once)", n, p)
	}
	fams := h.scrape()
	if got := sum(fams["incidentbot_heartbeat_up"], map[string]string{"name": "watchdog"}); got != 0 {
		t.Errorf("incidentbot_heartbeat_up{watchdog} = %v while silent, want 0", got)
	}
	if got := sum(fams["incidentbot_heartbeat_last_beat_timestamp_seconds"], map[string]string{"name": "watchdog"}); got != float64(lastBeat.Unix()) {
		t.Errorf("last beat gauge = %v, want %d", got, lastBeat.Unix())
	}

	// It returns: the beat resolves the incident at once, without waiting for the tick.
	h.mustPost(watchdog(since))
	h.applyAll()
	h.settleNow()
	inc, err := h.app.Service().Get(context.Background(), inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Open() {
		t.Fatalf("the incident is %s after the Watchdog returned, want resolved", inc.Status)
	}
	evs := h.timeline(inc.Number)
	if n := countEvents(evs, incidents.EventAlertResolved); n != 1 {
		t.Errorf("%d alert_resolved events, want the heartbeat's", n)
	}
	res := eventsOf(evs, incidents.EventResolved)
	if len(res) != 1 || res[0].Actor != incidents.ActorBot || !strings.Contains(res[0].Fields["summary"], "The heartbeat watchdog returned at") {
		t.Errorf("resolved events = %+v", res)
	}
	if got := sum(h.scrape()["incidentbot_heartbeat_up"], map[string]string{"name": "watchdog"}); got != 1 {
		t.Errorf("incidentbot_heartbeat_up{watchdog} = %v after the return, want 1", got)
	}
	// And the next silence is a new incident.
	for range 7 {
		h.minute()
	}
	if n := len(h.incidents()); n != 2 {
		t.Errorf("%d incidents after a second silence, want 2", n)
	}
}

// beat posts a heartbeat; it returns the status and the body.
func (h *harness) beat(name, token, body string) (int, string) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.app.URL()+"/heartbeat/"+name, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestStoryHeartbeatEndpointAndARestartKeepsBeats(t *testing.T) {
	clock := clocktest.New(startOfStories)
	dir := t.TempDir()
	h := newHarness(t, harnessOptions{manual: true, clock: clock, dir: dir, config: withWatchdog})
	for _, tc := range []struct {
		name, token, body string
		code              int
		want              string
	}{
		{"nightly-backup", testToken, "done in 42s", 200, `"name":"nightly-backup"`},
		{"nightly-backup", "", "", 401, `"error":"missing credentials`},
		{"nightly-backup", "wrong", "", 401, `"error":"invalid credentials"`},
		{"nope", testToken, "", 404, `"error":"there is no heartbeat \"nope\"`},
		{"nightly-backup", testToken, strings.Repeat("x", 64<<10+1), 413, `"error":"body larger than 64 KiB"`},
	} {
		if code, body := h.beat(tc.name, tc.token, tc.body); code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("POST /heartbeat/%s (token %q): %d %s, want %d with %s", tc.name, tc.token, code, body, tc.code, tc.want)
		}
	}
	if code, body := h.beat("a/b", testToken, ""); code != 404 || !strings.Contains(body, `"error":`) {
		t.Errorf("POST /heartbeat/a/b = %d %s, want a JSON 404", code, body)
	}
	resp, err := http.Get(h.app.URL() + "/heartbeat/nightly-backup")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /heartbeat/nightly-backup = %d, want 405", resp.StatusCode)
	}
	beatAt := clock.Now()
	var got web.APIHeartbeats
	if err := json.Unmarshal([]byte(h.get("/api/v1/heartbeats")), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Heartbeats) != 2 || got.Heartbeats[1].Name != "nightly-backup" || got.Heartbeats[1].LastBeat == nil ||
		!got.Heartbeats[1].LastBeat.Equal(beatAt) || got.Heartbeats[1].State != "ok" || got.Heartbeats[0].State != "waiting" {
		t.Errorf("GET /api/v1/heartbeats = %+v", got.Heartbeats)
	}

	// A restart: the stored beat is what the next checks count from.
	h.stop()
	clock.Advance(24 * time.Hour)
	h = newHarness(t, harnessOptions{manual: true, clock: clock, dir: dir, config: withWatchdog})
	if got := sum(h.scrape()["incidentbot_heartbeat_last_beat_timestamp_seconds"], map[string]string{"name": "nightly-backup"}); got != float64(beatAt.Unix()) {
		t.Errorf("after the restart the last-beat gauge = %v, want %d (from the store)", got, beatAt.Unix())
	}
	for range 59 {
		h.minute()
	}
	for _, inc := range h.incidents() {
		if strings.Contains(inc.Title, "nightly-backup") {
			t.Fatalf("the backup's incident opened %s after its beat, before 25h", clock.Now().Sub(beatAt))
		}
	}
	h.minute()
	h.minute()
	var backup *incidents.Incident
	for _, inc := range h.incidents() {
		if strings.Contains(inc.Title, "nightly-backup") {
			backup = inc
		}
	}
	if backup == nil || backup.Title != "Heartbeat nightly-backup silent: no beat for 1d 1h" {
		t.Fatalf("incidents 25h after the backup's beat: %v", h.incidents())
	}
	if code, _ := h.beat("nightly-backup", testToken, ""); code != 200 {
		t.Fatalf("beat: %d", code)
	}
	h.settleNow()
	if inc, _ := h.app.Service().Get(context.Background(), backup.Number); inc.Open() {
		t.Errorf("the backup's beat did not resolve its incident (%s)", inc.Status)
	}
}
