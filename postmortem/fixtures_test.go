package postmortem

import (
	"fmt"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Almaty on machines without a zone database

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/clocktest"
	"github.com/incidentbot/incidentbot/templates"
)

var (
	t0     = time.Date(2026, 11, 28, 17, 40, 0, 0, time.UTC) // 22:40 in Almaty
	names  = map[string]string{"U0ALICE": "alice", "U0BOB": "bob", "U0CAROL": "carol", "U0DAVE": "dave"}
	almaty = mustZone("Asia/Almaty")
)

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return z
}

func ptr(t time.Time) *time.Time { return &t }

func newDrafter(t testing.TB, now time.Time) *Drafter {
	t.Helper()
	set, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return New(set, clocktest.New(now).Now)
}

type timeline struct {
	number int64
	events []incidents.Event
}

func (tl *timeline) add(typ incidents.EventType, at time.Time, actor, text string, fields map[string]string) {
	tl.events = append(tl.events, incidents.Event{
		ID: fmt.Sprintf("%d:%s:%d:%d", tl.number, typ, at.UnixNano(), len(tl.events)), Incident: tl.number,
		Type: typ, At: at, Actor: actor, Text: text, Fields: fields,
	})
}

// shortSev4 is a small internal incident declared by hand and resolved in 20 minutes.
func shortSev4() Input {
	inc := &incidents.Incident{
		Number: 7, Title: "Docs site search returns nothing", Severity: "sev4", Status: incidents.StatusResolved,
		Commander: "U0DAVE", DeclaredBy: "U0DAVE", Service: "docs",
		DetectedAt: t0, DeclaredAt: t0, AcknowledgedAt: ptr(t0), MitigatedAt: ptr(t0.Add(15 * time.Minute)),
		ResolvedAt: ptr(t0.Add(20 * time.Minute)), Summary: "The search index job had stopped; restarting it fixed search.",
	}
	tl := &timeline{number: 7}
	tl.add(incidents.EventDeclared, t0, "U0DAVE", "Declared sev4: Docs site search returns nothing", nil)
	tl.add(incidents.EventNote, t0.Add(4*time.Minute), "U0DAVE", "index job last ran yesterday", nil)
	tl.add(incidents.EventStatusChanged, t0.Add(15*time.Minute), "U0DAVE", "Status investigating → monitoring", map[string]string{"from": "investigating", "to": "monitoring"})
	tl.add(incidents.EventResolved, t0.Add(20*time.Minute), "U0DAVE", "Resolved: The search index job had stopped; restarting it fixed search.", nil)
	return Input{
		Incident: inc, Timeline: tl.events, Zone: almaty, Names: names,
		Links:               Links{Channel: "https://example.slack.com/archives/C0007", ChannelName: "inc-7-docs-site-search", WebBase: "https://incidentbot.example.com"},
		SeverityDescription: "Cosmetic or internal",
	}
}

// multiDaySev1 is a checkout outage over three days in Almaty with pages,
// an escalation, pins, notes and 40 action items.
func multiDaySev1(locale templates.Locale) Input {
	fired := t0
	inc := &incidents.Incident{
		Number: 42, Title: "Checkout fails for card payments", Severity: "sev1", Status: incidents.StatusResolved,
		Commander: "U0ALICE", Roles: map[string]string{"scribe": "U0BOB", "comms": "U0DAVE"},
		Labels:  map[string]string{"alertname": "CheckoutErrors", "service": "checkout", "severity": "critical"},
		Service: "checkout", GroupKey: "{}:{alertname=\"CheckoutErrors\"}", Previous: 31, DeclaredBy: incidents.ActorAlertmanager,
		Alerts: map[string]incidents.Alert{
			"a1": {Fingerprint: "a1", Status: "resolved", StartsAt: fired, EndsAt: fired.Add(50 * time.Hour),
				Labels:       map[string]string{"alertname": "CheckoutErrors", "service": "checkout", "severity": "critical"},
				Annotations:  map[string]string{"summary": "5xx ratio above 5% for 5m", "runbook_url": "https://wiki.example.com/runbooks/checkout", "dashboard": "https://grafana.example.com/d/checkout?var-env=prod"},
				GeneratorURL: "http://prometheus.example.com:9090/graph?g0.expr=checkout_errors"},
			"a2": {Fingerprint: "a2", Status: "resolved", StartsAt: fired.Add(3 * time.Minute), EndsAt: fired.Add(49 * time.Hour),
				Labels:       map[string]string{"alertname": "PaymentLatencyHigh", "service": "payments", "severity": "critical"},
				Annotations:  map[string]string{"summary": "p99 > 2s", "grafana_dashboard": "https://grafana.example.com/d/payments"},
				GeneratorURL: "http://prometheus.example.com:9090/graph?g0.expr=payment_latency"},
		},
		Summary:    "A certificate rotation on the payment gateway left one node with the old chain.\nCard payments failed on that node until it was drained and the chain replaced.",
		DetectedAt: fired, DeclaredAt: fired.Add(time.Minute), AcknowledgedAt: ptr(fired.Add(14 * time.Minute)),
		MitigatedAt: ptr(fired.Add(26 * time.Hour)), ResolvedAt: ptr(fired.Add(50*time.Hour + 5*time.Minute)),
	}
	tl := &timeline{number: 42}
	tl.add(incidents.EventAlertFired, fired, incidents.ActorAlertmanager, "Alert firing: CheckoutErrors — 5xx ratio above 5% for 5m",
		map[string]string{"fingerprint": "a1", "name": "CheckoutErrors", "summary": "5xx ratio above 5% for 5m", "labels": "alertname=CheckoutErrors, service=checkout, severity=critical", "generator_url": "http://prometheus.example.com:9090/graph?g0.expr=checkout_errors"})
	tl.add(incidents.EventDeclared, fired.Add(time.Minute), incidents.ActorAlertmanager, "Opened from Alertmanager: Checkout fails for card payments (fired again after incident #31)",
		map[string]string{"group_key": "{}:{alertname=\"CheckoutErrors\"}", "title": "Checkout fails for card payments", "previous": "31"})
	tl.add(incidents.EventSlack, fired.Add(time.Minute), incidents.ActorBot, "Created channel #inc-42-checkout-fails", map[string]string{"channel_id": "C0042", "channel_name": "inc-42-checkout-fails"})
	tl.add(incidents.EventPaged, fired.Add(time.Minute), incidents.ActorBot, "Paged <@U0BOB> (primary)", map[string]string{"user": "U0BOB", "schedule": "primary", "level": "1"})
	tl.add(incidents.EventAlertFired, fired.Add(3*time.Minute), incidents.ActorAlertmanager, "Alert firing: PaymentLatencyHigh — p99 > 2s",
		map[string]string{"fingerprint": "a2", "name": "PaymentLatencyHigh", "summary": "p99 > 2s", "labels": "alertname=PaymentLatencyHigh, service=payments, severity=critical", "generator_url": "http://prometheus.example.com:9090/graph?g0.expr=payment_latency"})
	tl.add(incidents.EventPaged, fired.Add(11*time.Minute), incidents.ActorBot, "Escalated to <@U0CAROL> and #sre", map[string]string{"user": "U0CAROL", "policy": "default", "level": "2", "escalation": "true"})
	tl.add(incidents.EventAcknowledged, fired.Add(14*time.Minute), "U0CAROL", "Acknowledged", nil)
	tl.add(incidents.EventRoleAssigned, fired.Add(16*time.Minute), "U0CAROL", "commander: <@U0ALICE>", map[string]string{"role": "commander", "user": "U0ALICE"})
	tl.add(incidents.EventStatusChanged, fired.Add(18*time.Minute), "U0ALICE", "Status investigating → identified", map[string]string{"from": "investigating", "to": "identified"})
	tl.add(incidents.EventNote, fired.Add(20*time.Minute), "U0BOB", "errors only on node *gw-3*; <script>alert('x')</script> is what the log shows &amp; more", nil)
	tl.add(incidents.EventMessagePinned, fired.Add(35*time.Minute), "U0ALICE", "Draining gw-3 now, see <https://status.example.com/incidents/9|status page>",
		map[string]string{"permalink": "https://example.slack.com/archives/C0042/p1764351300000100", "pinned_by": "U0BOB"})
	tl.add(incidents.EventRoleAssigned, fired.Add(40*time.Minute), "U0ALICE", "scribe: <@U0BOB>", map[string]string{"role": "scribe", "user": "U0BOB"})
	tl.add(incidents.EventSeverityChanged, fired.Add(2*time.Hour), "U0ALICE", "Severity sev2 → sev1", map[string]string{"from": "sev2", "to": "sev1"})
	tl.add(incidents.EventNote, fired.Add(20*time.Hour), "U0DAVE", "Customer support reports 312 tickets", nil)
	tl.add(incidents.EventStatusChanged, fired.Add(26*time.Hour), "U0ALICE", "Status identified → monitoring", map[string]string{"from": "identified", "to": "monitoring"})
	tl.add(incidents.EventMessagePinned, fired.Add(27*time.Hour), "U0BOB", "[click](javascript:alert(1)) new chain deployed on all nodes",
		map[string]string{"permalink": "javascript:alert(document.cookie)"})
	tl.add(incidents.EventAlertResolved, fired.Add(49*time.Hour), incidents.ActorAlertmanager, "Alert resolved: PaymentLatencyHigh — p99 > 2s", map[string]string{"fingerprint": "a2", "name": "PaymentLatencyHigh", "summary": "p99 > 2s"})
	tl.add(incidents.EventAlertResolved, fired.Add(50*time.Hour), incidents.ActorAlertmanager, "Alert resolved: CheckoutErrors — 5xx ratio above 5% for 5m", map[string]string{"fingerprint": "a1", "name": "CheckoutErrors", "summary": "5xx ratio above 5% for 5m"})
	tl.add(incidents.EventResolved, fired.Add(50*time.Hour+5*time.Minute), "U0ALICE", "Resolved", map[string]string{"from": "monitoring"})

	owners := []string{"U0ALICE", "U0BOB", "U0CAROL", "", "U0DAVE"}
	var actions []Action
	for i := 1; i <= 40; i++ {
		a := Action{ID: i, Text: fmt.Sprintf("Follow-up %d: alert on certificate chain mismatch per node", i), Owner: owners[i%len(owners)], State: ActionOpen}
		if i%3 == 0 {
			a.State = ActionDone
		}
		if i%4 != 0 {
			a.Due = fired.Add(time.Duration(i) * 24 * time.Hour)
		}
		if i%5 == 0 {
			a.Link = fmt.Sprintf("https://tracker.example.com/SRE-%d", 100+i)
		}
		actions = append(actions, a)
	}
	actions[0].Text = "Rotate certificates with a canary node first"
	actions[1].Text = "Add `cert-chain` check to <img src=x onerror=alert(1)> deploy"
	actions[1].Link = "javascript:alert(1)"

	prev := &incidents.Incident{Number: 31, Title: "Checkout errors after deploy", Severity: "sev2", DetectedAt: t0.Add(-30 * 24 * time.Hour)}
	return Input{
		Incident: inc, Timeline: tl.events, Actions: actions, Zone: almaty, Locale: locale, Names: names,
		Status:              StatusInReview,
		Previous:            &Previous{Incident: prev, Postmortem: "https://incidentbot.example.com/postmortems/31"},
		Links:               Links{Channel: "https://example.slack.com/archives/C0042", ChannelName: "inc-42-checkout-fails", WebBase: "https://incidentbot.example.com/"},
		SeverityDescription: "Critical, customer-facing outage",
	}
}

// stormIncident collects 4,000 alert events from 40 alert groups.
func stormIncident() Input {
	start := t0
	inc := &incidents.Incident{
		Number: 99, Title: "Alert storm", Severity: "sev2", Status: incidents.StatusResolved, Storm: true, StormGroups: 40,
		DeclaredBy: incidents.ActorBot, Commander: "U0CAROL", Alerts: map[string]incidents.Alert{},
		DetectedAt: start, DeclaredAt: start, AcknowledgedAt: ptr(start.Add(6 * time.Minute)),
		ResolvedAt: ptr(start.Add(3 * time.Hour)),
	}
	tl := &timeline{number: 99}
	tl.add(incidents.EventDeclared, start, incidents.ActorBot, "Alert storm: more than 10 incidents opened within 5m0s; further alert groups join this incident", nil)
	alertNames := []string{"NodeDown", "DiskFull", "TargetDown", "HighLatency", "KubePodCrashLooping"}
	for g := 0; g < 40; g++ {
		tl.add(incidents.EventStormGroup, start.Add(time.Duration(g)*time.Second), incidents.ActorAlertmanager, fmt.Sprintf("Alert group joined the storm: group %d", g), nil)
	}
	for i := 0; i < 3960; i++ {
		name := alertNames[(i/2)%len(alertNames)]
		fp := fmt.Sprintf("fp%04d", i/2)
		typ, verb := incidents.EventAlertFired, "Alert firing"
		at := start.Add(time.Duration(i) * 2 * time.Second)
		if i%2 == 1 {
			typ, verb = incidents.EventAlertResolved, "Alert resolved"
		}
		if i%2 == 0 && len(inc.Alerts) < 200 {
			inc.Alerts[fp] = incidents.Alert{Fingerprint: fp, Status: "resolved", StartsAt: at,
				Labels:       map[string]string{"alertname": name, "instance": fmt.Sprintf("node-%d", i/2), "service": "infra"},
				GeneratorURL: fmt.Sprintf("http://prometheus.example.com:9090/graph?g0.expr=%s&i=%d", name, i)}
		}
		tl.add(typ, at, incidents.ActorAlertmanager, verb+": "+name, map[string]string{
			"fingerprint": fp, "labels": fmt.Sprintf("alertname=%s, instance=node-%d", name, i/2),
		})
	}
	tl.add(incidents.EventAcknowledged, start.Add(6*time.Minute), "U0CAROL", "Acknowledged", nil)
	tl.add(incidents.EventNote, start.Add(30*time.Minute), "U0CAROL", "Rack B7 lost power; everything in it alerts", nil)
	tl.add(incidents.EventResolved, start.Add(3*time.Hour), "U0CAROL", "Resolved: power restored", nil)
	inc.Summary = "Rack B7 lost power."
	return Input{Incident: inc, Timeline: tl.events, Zone: almaty, Names: names,
		Links: Links{ChannelName: "inc-99-alert-storm", WebBase: "https://incidentbot.example.com"}}
}
