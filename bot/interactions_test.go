package bot

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/slacksim"
)

// postButtons posts a bot message with every incident button for incident n.
func (e *env) postButtons(channel string, n int64) string {
	e.t.Helper()
	v := strconv.FormatInt(n, 10)
	var els []slack.BlockElement
	for _, id := range []string{ActionAcknowledge, ActionStatus, actionResolve, actionReopen, actionPostmortem, ActionJoin} {
		els = append(els, slack.NewButtonBlockElement(id, v, plain(id)))
	}
	_, ts, err := e.api.PostMessageContext(e.ctx, channel, slack.MsgOptionText("Incident", false),
		slack.MsgOptionBlocks(slack.NewActionBlock("buttons", els...)))
	if err != nil {
		e.t.Fatalf("post buttons: %v", err)
	}
	return ts
}

// click clicks a button and checks Slack got a 200.
func (e *env) click(user, channel, ts, action string, n int64) {
	e.t.Helper()
	resp, err := e.sim.ClickButton(e.ctx, user, channel, ts, action, strconv.FormatInt(n, 10))
	if err != nil {
		e.t.Fatalf("click %s: %v", action, err)
	}
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("click %s: HTTP %d", action, resp.StatusCode)
	}
}

// submit submits a view and returns the bot's answer body.
func (e *env) submit(user, viewID string, values map[string]map[string]slacksim.StateValue) string {
	e.t.Helper()
	resp, err := e.sim.SubmitView(e.ctx, user, viewID, values)
	if err != nil {
		e.t.Fatalf("submit %s: %v", viewID, err)
	}
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("submit %s: HTTP %d", viewID, resp.StatusCode)
	}
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func (e *env) view(id string) slacksim.View {
	e.t.Helper()
	for _, v := range e.sim.Views() {
		if v.ID == id {
			return v
		}
	}
	e.t.Fatalf("no view %s", id)
	return slacksim.View{}
}

// input keys a value by block ID, which is also the action ID of our inputs.
func input(block string, v slacksim.StateValue) map[string]map[string]slacksim.StateValue {
	return map[string]map[string]slacksim.StateValue{block: {block: v}}
}

func merge(ms ...map[string]map[string]slacksim.StateValue) map[string]map[string]slacksim.StateValue {
	out := map[string]map[string]slacksim.StateValue{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestDeclareModal(t *testing.T) {
	e := newEnv(t)
	general := e.channel("general")

	if got := e.incidentCmd("U0002", general, "declare sev1"); got.Text != "" {
		t.Fatalf("declare without title answered %+v, want an empty 200 and a modal", got)
	}
	v := e.lastView()
	if v.CallbackID != CallbackDeclare || v.User != "U0002" || !v.Open {
		t.Fatalf("view = %+v", v)
	}
	if !strings.Contains(string(v.JSON), `"initial_option":{"text":{"emoji":true,"text":"sev1","type":"plain_text"},"value":"sev1"}`) {
		t.Errorf("severity sev1 is not preselected: %s", v.JSON)
	}

	tests := []struct {
		name, title, wantErr string
	}{
		{"empty title", "   ", "Give the incident a title."},
		{"title over 200", strings.Repeat("é", 201), "Keep the title within 200 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := e.submit("U0002", v.ID, merge(input(BlockTitle, slacksim.TextValue(tt.title)), input(BlockSeverity, slacksim.SelectValue("sev1", "sev1"))))
			var ans struct {
				ResponseAction string            `json:"response_action"`
				Errors         map[string]string `json:"errors"`
			}
			if err := json.Unmarshal([]byte(body), &ans); err != nil || ans.ResponseAction != "errors" {
				t.Fatalf("answer %q, want response_action errors", body)
			}
			if !strings.HasPrefix(ans.Errors[BlockTitle], tt.wantErr) {
				t.Fatalf("errors = %v, want %s: %q", ans.Errors, BlockTitle, tt.wantErr)
			}
			if got := e.view(v.ID); !got.Open || !strings.HasPrefix(got.Errors[BlockTitle], tt.wantErr) {
				t.Fatalf("the modal should stay open with the error: %+v", got)
			}
		})
	}
	if _, err := e.svc.Get(e.ctx, 1); err == nil {
		t.Fatal("an invalid submission declared an incident")
	}

	body := e.submit("U0002", v.ID, merge(
		input(BlockTitle, slacksim.TextValue("  Search   is slow ")),
		input(BlockSeverity, slacksim.SelectValue("sev2", "sev2")),
		input(BlockDescription, slacksim.TextValue("p99 at 4s <!here>"))))
	if !strings.Contains(body, `"response_action":"clear"`) {
		t.Fatalf("answer %q, want clear", body)
	}
	if e.view(v.ID).Open {
		t.Fatal("the modal is still open")
	}
	inc := e.get(1)
	if inc.Title != "Search is slow" || inc.Severity != "sev2" || inc.Description != "p99 at 4s <!here>" || inc.DeclaredBy != "U0002" {
		t.Fatalf("declared %+v", inc)
	}
	r := e.lastResponse()
	if r.ResponseType != inChannel || r.Channel != general || !strings.Contains(r.Text, "<@U0002> declared incident #1 (sev2)") {
		t.Fatalf("confirmation = %+v", r)
	}
}

func TestButtons(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	n, err := e.svc.IngestAlerts(e.ctx, incidents.Notification{
		GroupKey: "{}:{alertname=\"HighErrors\"}", Status: incidents.AlertFiring,
		Alerts:     []incidents.Alert{{Fingerprint: "f1", Status: incidents.AlertFiring, StartsAt: now, Labels: map[string]string{"alertname": "HighErrors"}}},
		ReceivedAt: now, Title: "High error rate", Severity: "sev2",
	})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := e.sim.AddChannel("inc-1-high-error-rate", "U0001", "U0002", slacksim.BotUserID)
	if err != nil {
		t.Fatal(err)
	}
	e.setChannel(n, ch)
	ts := e.postButtons(ch, n)

	t.Run("acknowledge", func(t *testing.T) {
		e.click("U0002", ch, ts, ActionAcknowledge, n)
		inc := e.get(n)
		if inc.AcknowledgedAt == nil || inc.Commander != "U0002" {
			t.Fatalf("not acknowledged by U0002: %+v", inc)
		}
		r := e.lastResponse()
		if r.ResponseType != ephemeral || r.User != "U0002" || !strings.Contains(r.Text, "You acknowledged incident #1") {
			t.Fatalf("response = %+v", r)
		}
		if ev, ok := findEvent(e.timeline(n), incidents.EventAcknowledged); !ok || ev.Actor != "U0002" {
			t.Fatalf("acknowledged event = %+v (found %v)", ev, ok)
		}
		e.click("U0001", ch, ts, ActionAcknowledge, n)
		if r := e.lastResponse(); !strings.Contains(r.Text, "already acknowledged") || r.User != "U0001" {
			t.Fatalf("second ack = %+v", r)
		}
	})

	t.Run("status modal", func(t *testing.T) {
		e.click("U0001", ch, ts, ActionStatus, n)
		v := e.lastView()
		if v.CallbackID != callbackStatus || v.User != "U0001" || !strings.Contains(v.PrivateMetadata, `"n":1`) {
			t.Fatalf("view = %+v", v)
		}
		for _, s := range []string{"investigating", "identified", "monitoring", "resolved"} {
			if !strings.Contains(string(v.JSON), `"value":"`+s+`"`) {
				t.Errorf("status modal lacks %s", s)
			}
		}
		// bob is commander now; alice may set a status but not resolve.
		body := e.submit("U0001", v.ID, input(blockStatus, slacksim.SelectValue("Resolved", "resolved")))
		if !strings.Contains(body, `"response_action":"errors"`) || !strings.Contains(body, "or an admin may resolve") {
			t.Fatalf("resolve via status by a bystander: %s", body)
		}
		body = e.submit("U0001", v.ID, input(blockStatus, slacksim.SelectValue("Monitoring", "monitoring")))
		if !strings.Contains(body, `"clear"`) {
			t.Fatalf("answer %s", body)
		}
		if st := e.get(n).Status; st != incidents.StatusMonitoring {
			t.Fatalf("status = %s", st)
		}
		if r := e.lastResponse(); r.ResponseType != inChannel || !strings.Contains(r.Text, "<@U0001> set incident #1 to *monitoring*") {
			t.Fatalf("confirmation = %+v", r)
		}
	})

	t.Run("resolve modal", func(t *testing.T) {
		views := len(e.sim.Views())
		e.click("U0001", ch, ts, actionResolve, n)
		if len(e.sim.Views()) != views {
			t.Fatal("a bystander got the resolve modal")
		}
		if r := e.lastResponse(); r.ResponseType != ephemeral || !strings.Contains(r.Text, "its commander <@U0002>") {
			t.Fatalf("refusal = %+v", r)
		}
		e.click("U0002", ch, ts, actionResolve, n)
		v := e.lastView()
		if v.CallbackID != callbackResolve || v.User != "U0002" {
			t.Fatalf("view = %+v", v)
		}
		body := e.submit("U0002", v.ID, input(blockSummary, slacksim.TextValue(" ")))
		if !strings.Contains(body, `"errors"`) || !strings.Contains(body, `"summary"`) {
			t.Fatalf("empty summary: %s", body)
		}
		e.submit("U0002", v.ID, input(blockSummary, slacksim.TextValue("Rolled back the deploy")))
		inc := e.get(n)
		if inc.Status != incidents.StatusResolved || inc.Summary != "Rolled back the deploy" {
			t.Fatalf("incident %s %q", inc.Status, inc.Summary)
		}
		if r := e.lastResponse(); r.ResponseType != inChannel || !strings.Contains(r.Text, "resolved incident #1: Rolled back the deploy") {
			t.Fatalf("confirmation = %+v", r)
		}
	})

	t.Run("reopen", func(t *testing.T) {
		e.click("U0001", ch, ts, actionReopen, n)
		if st := e.get(n).Status; st != incidents.StatusResolved {
			t.Fatalf("a bystander reopened: %s", st)
		}
		e.click(testAdmin, ch, ts, actionReopen, n) // dave is not in the channel, but may click in a public one
		if st := e.get(n).Status; st != incidents.StatusReopened {
			t.Fatalf("status = %s, want reopened", st)
		}
	})

	t.Run("postmortem", func(t *testing.T) {
		e.click("U0001", ch, ts, actionPostmortem, n)
		if r := e.lastResponse(); !strings.Contains(r.Text, "not available here") || r.ResponseType != ephemeral {
			t.Fatalf("response = %+v", r)
		}
	})

	t.Run("join", func(t *testing.T) {
		e.click("U0003", ch, ts, ActionJoin, n) // carol is not in the channel
		if !slices.Contains(e.sim.Members(ch), "U0003") {
			t.Fatalf("U0003 not invited: %v", e.sim.Members(ch))
		}
		if r := e.lastResponse(); !strings.Contains(r.Text, "Added you to <#"+ch+">") {
			t.Fatalf("response = %+v", r)
		}
		e.click("U0003", ch, ts, ActionJoin, n)
		if r := e.lastResponse(); !strings.Contains(r.Text, "already in <#"+ch+">") {
			t.Fatalf("second join = %+v", r)
		}
	})
}

func TestJoinFromAnnounceChannel(t *testing.T) {
	e := newEnv(t)
	inc, ch := e.incident("U0001", "Checkout down")
	announce := e.channel("incidents")
	if err := e.sim.AddMember(announce, slacksim.BotUserID); err != nil {
		t.Fatal(err)
	}
	ts := e.postButtons(announce, inc.Number)
	e.click(testAdmin, announce, ts, ActionJoin, inc.Number)
	if !slices.Contains(e.sim.Members(ch), testAdmin) {
		t.Fatalf("admin not in %s: %v", ch, e.sim.Members(ch))
	}
}

func findEvent(evs []incidents.Event, typ incidents.EventType) (incidents.Event, bool) {
	for _, ev := range evs {
		if ev.Type == typ {
			return ev, true
		}
	}
	return incidents.Event{}, false
}
