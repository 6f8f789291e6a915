package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

func TestIncidentCommandsInChannel(t *testing.T) {
	e := newEnv(t)
	inc, ch := e.incident("U0001", "Checkout down")
	n := inc.Number

	tests := []struct {
		name, user, text string
		wantType         string
		wantText         string
		check            func(t *testing.T, inc *incidents.Incident)
	}{
		{"status", "U0002", "status identified", inChannel, "set incident #1 to *identified*",
			func(t *testing.T, inc *incidents.Incident) {
				if inc.Status != incidents.StatusIdentified {
					t.Errorf("status = %s, want identified", inc.Status)
				}
			}},
		{"severity", "U0002", "severity SEV1", inChannel, "to *sev1*",
			func(t *testing.T, inc *incidents.Incident) {
				if inc.Severity != "sev1" {
					t.Errorf("severity = %s, want sev1", inc.Severity)
				}
			}},
		{"commander", "U0001", "commander <@U0002|bob>", inChannel, "made <@U0002> commander",
			func(t *testing.T, inc *incidents.Incident) {
				if inc.Commander != "U0002" {
					t.Errorf("commander = %s, want U0002", inc.Commander)
				}
			}},
		{"role", "U0002", "role comms <@U0003|carol>", inChannel, "assigned <@U0003> as *comms*",
			func(t *testing.T, inc *incidents.Incident) {
				if inc.Roles["comms"] != "U0003" {
					t.Errorf("roles = %v", inc.Roles)
				}
			}},
		{"note", "U0003", "note p99 &lt;script&gt; &amp; <!channel>", ephemeral, "Added your note", nil},
		{"action", "U0002", "action add an index <@U0003|carol>", ephemeral, "follow-up action 1 to incident #1, owned by <@U0003>",
			func(t *testing.T, inc *incidents.Incident) {
				if len(inc.Actions) != 1 || inc.Actions[0].Owner != "U0003" || inc.Actions[0].Text != "add an index" {
					t.Errorf("actions = %+v", inc.Actions)
				}
			}},
		{"list", "U0003", "list", ephemeral, "*#1* [sev1] Checkout down — identified — <#" + ch + ">", nil},
		{"help", "U0003", "help", ephemeral, "/incident declare &lt;title&gt;", nil},
		{"help topic", "U0003", "help note", ephemeral, "/incident note &lt;text&gt;", nil},
		{"empty is help", "U0003", "", ephemeral, "Usage of /incident", nil},
		{"resolve with summary", "U0002", "resolve rolled back &lt;b&gt;", inChannel, "resolved incident #1: rolled back &lt;b&gt;",
			func(t *testing.T, inc *incidents.Incident) {
				if inc.Status != incidents.StatusResolved || inc.Summary != "rolled back <b>" {
					t.Errorf("status %s, summary %q", inc.Status, inc.Summary)
				}
			}},
		{"reopen", "U0001", "reopen", inChannel, "reopened incident #1",
			func(t *testing.T, inc *incidents.Incident) {
				if inc.Status != incidents.StatusReopened {
					t.Errorf("status = %s, want reopened", inc.Status)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.incidentCmd(tt.user, ch, tt.text)
			if got.ResponseType != tt.wantType || !strings.Contains(got.Text, tt.wantText) {
				t.Fatalf("answer = %+v, want %s containing %q", got, tt.wantType, tt.wantText)
			}
			if tt.check != nil {
				tt.check(t, e.get(n))
			}
		})
	}

	t.Run("timeline", func(t *testing.T) {
		got := e.incidentCmd("U0003", ch, "timeline")
		if got.ResponseType != ephemeral {
			t.Fatalf("timeline is %s, want ephemeral", got.ResponseType)
		}
		for _, want := range []string{
			"*Timeline of incident #1*",
			"`Mar 2 09:00 +05`",                           // 04:00 UTC in Asia/Almaty
			"<@U0003>: p99 &lt;script&gt; &amp; @channel", // user text escaped, the mention inert
			"<@U0002>: comms: <@U0003>",
			"<@U0001>: Reopened",
		} {
			if !strings.Contains(got.Text, want) {
				t.Errorf("timeline lacks %q:\n%s", want, got.Text)
			}
		}
		if strings.Contains(got.Text, "<!channel>") || strings.Contains(got.Text, "<script>") {
			t.Errorf("timeline echoes unescaped text:\n%s", got.Text)
		}
	})

	// The actor of every change is on the timeline.
	actors := map[incidents.EventType]string{}
	for _, ev := range e.timeline(n) {
		actors[ev.Type] = ev.Actor
	}
	for typ, want := range map[incidents.EventType]string{
		incidents.EventStatusChanged: "U0002", incidents.EventNote: "U0003", incidents.EventResolved: "U0002", incidents.EventReopened: "U0001",
	} {
		if actors[typ] != want {
			t.Errorf("actor of %s = %q, want %q", typ, actors[typ], want)
		}
	}
}

func TestDeclareByCommandAndNumberOutsideChannel(t *testing.T) {
	e := newEnv(t)
	general := e.channel("general")

	got := e.incidentCmd("U0002", general, "declare Payments &lt;failing&gt; sev2")
	if got.ResponseType != inChannel || !strings.Contains(got.Text, "<@U0002> declared incident #1 (sev2): Payments &lt;failing&gt;") {
		t.Fatalf("declare answer = %+v", got)
	}
	inc := e.get(1)
	if inc.Title != "Payments <failing>" || inc.Severity != "sev2" || inc.DeclaredBy != "U0002" || inc.Commander != "U0002" {
		t.Fatalf("declared %+v", inc)
	}

	got = e.incidentCmd("U0003", general, "#1 note from afar")
	if got.ResponseType != ephemeral || !strings.Contains(got.Text, "incident #1") {
		t.Fatalf("note with #1 = %+v", got)
	}
	evs := e.timeline(1)
	if last := evs[len(evs)-1]; last.Type != incidents.EventNote || last.Text != "from afar" || last.Actor != "U0003" {
		t.Fatalf("last event = %+v", last)
	}

	got = e.incidentCmd("U0003", general, "note where am I")
	if got.ResponseType != ephemeral || !strings.Contains(got.Text, "not an incident channel") || !strings.Contains(got.Text, "#42") {
		t.Fatalf("note outside a channel = %+v", got)
	}
}

func TestIncidentCommandErrors(t *testing.T) {
	e := newEnv(t)
	_, ch := e.incident("U0001", "Checkout down")
	general := e.channel("general")

	tests := []struct {
		name, channel, command, text, want string
	}{
		{"unknown subcommand", ch, commandIncident, "frobnicate", "Unknown subcommand"},
		{"usage line", ch, commandIncident, "status sleeping", "Usage: `/incident status &lt;investigating|identified|monitoring|resolved&gt;`"},
		{"bad severity", ch, commandIncident, "severity sev9", "severity needs one of sev1, sev2, sev3, sev4"},
		{"no such incident", general, commandIncident, "#99 note hi", "Incident #99 does not exist."},
		{"no number outside a channel", general, commandIncident, "timeline", "not an incident channel"},
		{"same severity", ch, commandIncident, "severity sev4", "Incident #1 is already sev4."},
		{"same status", ch, commandIncident, "status investigating", "Incident #1 is already investigating."},
		{"reopen an open incident", ch, commandIncident, "reopen", "Incident #1 is not resolved."},
		{"same commander", ch, commandIncident, "commander <@U0001|alice>", "<@U0001> is already commander."},
		{"unresolved user", ch, commandIncident, "commander @bob", "can't tell who @bob is"},
		{"declare title too long", ch, commandIncident, "declare " + strings.Repeat("x", 201), "keep it within 200"},
		{"page without paging", ch, commandIncident, "page primary", "Paging is not configured here"},
		{"postmortem without postmortems", ch, commandIncident, "postmortem", "not available here"},
		{"oncall without schedules", general, commandOncall, "", "No on-call schedules are configured"},
		{"oncall schedule without schedules", general, commandOncall, "primary", "No on-call schedules are configured"},
		{"oncall help", general, commandOncall, "help", "Usage of /oncall"},
		{"oncall malformed", general, commandOncall, "override primary", "Usage:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.command("U0001", tt.channel, tt.command, tt.text)
			if got.ResponseType != ephemeral || !strings.Contains(got.Text, tt.want) {
				t.Fatalf("answer = %+v, want ephemeral containing %q", got, tt.want)
			}
		})
	}
	if got := e.get(1); got.Status != incidents.StatusInvestigating || got.Severity != "sev4" {
		t.Fatalf("errors changed the incident: %+v", got)
	}
}

func TestResolveAndReopenNeedDeclarerCommanderOrAdmin(t *testing.T) {
	e := newEnv(t)
	_, ch := e.incident("U0001", "Checkout down") // alice declared and commands
	if got := e.incidentCmd("U0001", ch, "commander <@U0002|bob>"); got.ResponseType != inChannel {
		t.Fatalf("commander: %+v", got)
	}

	refused := func(user, text string) {
		t.Helper()
		got := e.incidentCmd(user, ch, text)
		if got.ResponseType != ephemeral || !strings.Contains(got.Text, "or an admin may") {
			t.Fatalf("%s by %s = %+v, want a refusal", text, user, got)
		}
	}
	refused("U0003", "resolve fixed it")
	refused("U0003", "status resolved")
	if st := e.get(1).Status; st.Open() == false {
		t.Fatalf("refused resolve changed the status to %s", st)
	}
	// The commander may.
	if got := e.incidentCmd("U0002", ch, "resolve fixed it"); got.ResponseType != inChannel {
		t.Fatalf("commander resolve: %+v", got)
	}
	refused("U0003", "reopen")
	// The admin may.
	if got := e.incidentCmd(testAdmin, ch, "reopen"); got.ResponseType != inChannel {
		t.Fatalf("admin reopen: %+v", got)
	}
	// Whoever declared it may.
	if got := e.incidentCmd("U0001", ch, "status resolved"); got.ResponseType != inChannel {
		t.Fatalf("declarer resolve: %+v", got)
	}
	if st := e.get(1).Status; st != incidents.StatusResolved {
		t.Fatalf("status = %s, want resolved", st)
	}
}

func TestListWithoutIncidents(t *testing.T) {
	e := newEnv(t)
	got := e.incidentCmd("U0001", e.channel("general"), "list")
	if got.ResponseType != ephemeral || !strings.Contains(got.Text, "No open incidents") {
		t.Fatalf("list = %+v", got)
	}
}

func TestCommandAckDoesNotWaitForSlack(t *testing.T) {
	e := newEnv(t)
	_, ch := e.incident("U0001", "Checkout down")
	e.sim.SetLatency("*", 2*time.Second)
	defer e.sim.SetLatency("*", 0)
	before := e.apiCalls.Load()

	got := e.incidentCmd("U0002", ch, "note the answer needs no Slack call")
	if !strings.Contains(got.Text, "Added your note") {
		t.Fatalf("answer = %+v", got)
	}
	if calls := e.apiCalls.Load() - before; calls != 0 {
		t.Fatalf("the command made %d Web API calls before answering, want 0", calls)
	}
	for _, name := range []string{"status monitoring", "severity sev2", "timeline", "list", "resolve done"} {
		e.incidentCmd("U0001", ch, name)
	}
	if calls := e.apiCalls.Load() - before; calls != 0 {
		t.Fatalf("commands made %d Web API calls, want 0", calls)
	}
}

// slowService delays notes, to push a command past the ack budget.
type slowService struct {
	Service
	delay time.Duration
}

func (s slowService) AddNote(ctx context.Context, n int64, text, actor string) (*incidents.Incident, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Service.AddNote(ctx, n, text, actor)
}

func TestSlowCommandAnswersWorkingThenResponseURL(t *testing.T) {
	e := newEnv(t, func(o *HandlerOptions) { o.AckBudget = 20 * time.Millisecond })
	_, ch := e.incident("U0001", "Checkout down")
	e.h.svc = slowService{Service: e.svc, delay: 300 * time.Millisecond}

	got := e.incidentCmd("U0002", ch, "note slow but sure")
	if got.ResponseType != ephemeral || !strings.HasPrefix(got.Text, "Working on it") {
		t.Fatalf("answer = %+v, want Working on it…", got)
	}
	waitFor(t, "the result on response_url", func() bool { return len(e.responses()) > 0 })
	r := e.lastResponse()
	if !strings.Contains(r.Text, "Added your note") || r.User != "U0002" || r.Channel != ch {
		t.Fatalf("late result = %+v", r)
	}
}

func TestBusyHandlerAnswersAtOnce(t *testing.T) {
	e := newEnv(t, func(o *HandlerOptions) { o.MaxInFlight = 1; o.AckBudget = 10 * time.Millisecond })
	_, ch := e.incident("U0001", "Checkout down")
	e.h.svc = slowService{Service: e.svc, delay: 500 * time.Millisecond}
	if got := e.incidentCmd("U0002", ch, "note one"); !strings.HasPrefix(got.Text, "Working on it") {
		t.Fatalf("first = %+v", got)
	}
	if got := e.incidentCmd("U0002", ch, "note two"); !strings.Contains(got.Text, "try again") {
		t.Fatalf("second = %+v, want busy", got)
	}
}
