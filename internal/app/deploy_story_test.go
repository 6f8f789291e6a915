package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/incidents"
)

// postDeploy sends a deployment to the deploy webhook and returns its ID.
func (h *harness) postDeploy(body string) string {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.app.URL()+"/webhooks/deploy", bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var a struct {
		ID    string `json:"id"`
		Added bool   `json:"added"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != http.StatusOK {
		h.t.Fatalf("deploy webhook: %d %+v %v", resp.StatusCode, a, err)
	}
	return a.ID
}

// A deployment of the alert's service shortly before detection is offered
// as the cause in the incident's channel, once; its button links it.
func TestStoryDeployOfferedAsCause(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	id := h.postDeploy(fmt.Sprintf(`{"service":"checkout","version":"v2.0.1","status":"success","at":%q}`,
		h.clock.Now().Add(-30*time.Minute).Format(time.RFC3339)))
	h.postDeploy(`{"service":"billing","version":"v9","status":"success"}`) // another service: not offered
	// Alertmanager grouping by service puts it in the common labels.
	var body map[string]any
	json.Unmarshal(payload("g", testAlert{fp(1), "firing", "HighErrorRate", h.clock.Now()}), &body)
	body["commonLabels"] = map[string]string{"alertname": "HighErrorRate", "service": "checkout"}
	b, _ := json.Marshal(body)
	h.mustPost(b)
	h.applyAll()
	h.settle()
	h.settle()

	ch := h.channel(1)
	var offer string
	offers := 0
	for _, m := range botMessages(h.sim.Messages(ch.ID)) {
		if strings.Contains(string(m.Blocks), bot.ActionCause) {
			offers++
			offer = m.TS
			if !strings.Contains(string(m.Blocks), id) || strings.Contains(string(m.Blocks), "billing") {
				t.Errorf("offer %s: want deployment %s of checkout only", m.Blocks, id)
			}
		}
	}
	if offers != 1 {
		t.Fatalf("%d cause offers in the channel, want 1", offers)
	}
	resp, err := h.sim.ClickButton(context.Background(), "U0002", ch.ID, offer, bot.ActionCause, "1:"+id)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	causes, err := h.app.Store().Causes(context.Background())
	if err != nil || causes[1] != id {
		t.Fatalf("causes = %v (%v), want #1 → %s", causes, err, id)
	}
	if n := countEvents(h.timeline(1), incidents.EventCauseLinked); n != 1 {
		t.Errorf("%d cause events on the timeline, want 1", n)
	}
}
