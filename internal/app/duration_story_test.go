package app

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// webGet returns the body of a GET on the app's HTTP server.
func (h *harness) webGet(path string) string {
	h.t.Helper()
	resp, err := http.Get(h.app.URL() + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("GET %s = %d\n%s", path, resp.StatusCode, b)
	}
	return string(b)
}

// One duration everywhere: an alert that started 70 s before the incident
// opened, resolved 55 s after it opened, lasted 2m 5s from detection. The
// pinned summary, the announce line, the web view, the stats (page, API
// and /incident stats) and the postmortem draft all say 2 minutes, rounded
// down, and say it is measured from detection (the summary once said 55s,
// from the declaration, and "1m" where the others said "2m").
func TestStoryOneDurationEverywhere(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	h.mustPost(payload("g", testAlert{fp(1), "firing", "HighErrorRate", h.clock.Now().Add(-70 * time.Second)}))
	h.applyAll()
	h.settle()
	ch := h.channel(1)
	h.clock.Advance(55 * time.Second)
	h.command("U0001", ch.ID, "resolve rolled back")
	h.settle()

	inc := h.incidents()[0]
	if got := inc.Duration(h.clock.Now()); got != 125*time.Second {
		t.Fatalf("incidents.Incident.Duration = %v, want 2m5s (detection to resolution)", got)
	}
	sums := h.summaries(ch.ID)
	if len(sums) != 1 || !strings.Contains(string(sums[0].Blocks), "2m, detection to resolution") {
		t.Errorf("the pinned summary does not say 2m, detection to resolution: %s", sums[0].Blocks)
	}
	var announced bool
	for _, m := range botMessages(h.sim.Messages(h.channelID("incidents"))) {
		announced = announced || strings.Contains(string(m.Blocks), "resolved") && strings.Contains(string(m.Blocks), "2m from detection")
	}
	if !announced {
		t.Errorf("no resolved announce line says 2m from detection")
	}
	if page := h.webGet("/incidents/1"); !strings.Contains(page, "2m, detection to resolution") {
		t.Errorf("the incident page does not say 2m, detection to resolution")
	}
	if page := h.webGet("/"); !strings.Contains(page, ">2m</td>") {
		t.Errorf("the index does not list the incident as 2m")
	}
	if page := h.webGet("/stats"); !strings.Contains(page, "<td>2m</td>") {
		t.Errorf("the stats page's longest incidents do not say 2m")
	}
	var api struct {
		Longest []struct {
			Number   int64   `json:"number"`
			Duration float64 `json:"duration_seconds"`
		} `json:"longest"`
	}
	if err := json.Unmarshal([]byte(h.webGet("/api/v1/stats")), &api); err != nil || len(api.Longest) != 1 || api.Longest[0].Duration != 125 {
		t.Errorf("stats API longest = %+v (%v), want #1 at 125 s", api.Longest, err)
	}
	if reply := h.command("U0001", ch.ID, "stats"); !strings.Contains(reply, "— 2m") {
		t.Errorf("/incident stats does not list #1 at 2m:\n%s", reply)
	}
	md := string(h.postmortem(1).Markdown)
	if !strings.Contains(md, "| Duration | 2 minutes, detection to resolution |") || !strings.Contains(md, "**Duration:** 2 minutes, from detection to resolution") {
		t.Errorf("the draft does not say 2 minutes from detection:\n%s", md)
	}
}
