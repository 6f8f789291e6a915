package app

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/amapi/amapitest"
	"github.com/incidentbot/incidentbot/internal/clocktest"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/labels"
	"github.com/incidentbot/incidentbot/maintenance"
	"github.com/incidentbot/incidentbot/routing"
)

var windowID = regexp.MustCompile("planned maintenance `([0-9a-f]{6})`")

// planMaintenance runs /oncall maintenance as the admin and returns the window's ID.
func (h *harness) planMaintenance(text string) string {
	h.t.Helper()
	answer := h.oncall("U0001", "maintenance "+text)
	m := windowID.FindStringSubmatch(answer)
	if m == nil {
		h.t.Fatalf("/oncall maintenance %s answered %s", text, answer)
	}
	return m[1]
}

// fire posts alert fp of group g firing since now, applies it and runs what follows.
func (h *harness) fire(g string, fpn int) {
	h.t.Helper()
	h.mustPost(payload(g, testAlert{fp(fpn), "firing", "HighErrorRate", h.clock.Now()}))
	h.applyAll()
	h.settleNow()
}

// clear posts alert fp of group g resolved.
func (h *harness) clear(g string, fpn int, since time.Time) {
	h.t.Helper()
	h.mustPost(payload(g, testAlert{fp(fpn), "resolved", "HighErrorRate", since}))
	h.applyAll()
	h.settleNow()
}

func TestStoryMaintenanceHoldsPagesThenTheSameAlertPagesAfterIt(t *testing.T) {
	clock := clocktest.New(startOfStories)
	am, url := newAMDouble(t, clock)
	h := newHarness(t, harnessOptions{manual: true, clock: clock, config: withAlertmanager(url, withPaging)})

	id := h.planMaintenance("checkout now +1h DB &lt;upgrade&gt;")
	sils := am.Silences()
	if len(sils) != 1 || sils[0].Matchers[0] != (amapitest.Matcher{Name: "service", Value: "checkout", IsEqual: true}) ||
		!sils[0].EndsAt.Equal(clock.Now().Add(time.Hour)) || !strings.HasPrefix(sils[0].Comment, "incidentbot maintenance "+id+": DB <upgrade>") {
		t.Fatalf("the window's silence: %+v", sils)
	}

	// Inside the window: the alert opens an incident, marked, and nobody is paged.
	h.advance(5 * time.Minute)
	start := clock.Now()
	h.fire("g", 1)
	if n := len(h.incidents()); n != 1 {
		t.Fatalf("%d incidents, want the alert's one", n)
	}
	held := eventsOf(h.timeline(1), incidents.EventMaintenance)
	if len(held) != 1 || held[0].Fields["window"] != id || held[0].Fields["reason"] != "DB <upgrade>" {
		t.Fatalf("maintenance events = %+v", held)
	}
	if sum := h.summaryText(1); !strings.Contains(sum, "Opened during maintenance (window "+id+": DB &lt;upgrade&gt;)") {
		t.Errorf("the summary does not say \"during maintenance\":\n%s", sum)
	}
	// It resolves inside the window and auto-resolves; the window ends: nobody was paged.
	h.advance(10 * time.Minute)
	h.clear("g", 1, start)
	h.advance(20 * time.Minute) // auto-resolved 15m after it cleared
	h.advance(time.Hour)
	if inc := h.incidents()[0]; inc.Open() {
		t.Fatalf("incident #1 is %s, want auto-resolved", inc.Status)
	}
	for _, u := range []string{primaryUser, secondaryUser} {
		if p := h.pages(u); len(p) != 0 {
			t.Errorf("%s was paged %d times during maintenance", u, len(p))
		}
	}
	if n := len(pagedEvents(h.timeline(1))); n != 0 {
		t.Errorf("%d paged events on the held incident", n)
	}

	// After the window the same alert fires again: it pages.
	h.fire("g", 1)
	if n := len(h.incidents()); n != 2 {
		t.Fatalf("%d incidents, want a second one for the alert firing again", n)
	}
	if p := h.pages(primaryUser); len(p) != 1 {
		t.Errorf("pages to the primary after the window = %d, want 1", len(p))
	}
	if n := countEvents(h.timeline(2), incidents.EventMaintenance); n != 0 {
		t.Errorf("the incident after the window is marked during maintenance")
	}
}

func TestStoryHeldIncidentStillOpenPagesWhenTheWindowEnds(t *testing.T) {
	clock := clocktest.New(startOfStories)
	_, url := newAMDouble(t, clock)
	h := newHarness(t, harnessOptions{manual: true, clock: clock, config: withAlertmanager(url, withPaging)})
	h.planMaintenance(`{service="checkout"} now +30m`)
	h.fire("g", 1)
	h.advance(29 * time.Minute)
	if p := h.pages(primaryUser); len(p) != 0 {
		t.Fatalf("paged during the window")
	}
	// The window ends with the alert still firing: the escalation starts then.
	h.advance(time.Minute)
	if p := h.pages(primaryUser); len(p) != 1 {
		t.Fatalf("pages to the primary at the window's end = %d, want 1", len(p))
	}
	h.advance(9 * time.Minute)
	if p := h.pages(secondaryUser); len(p) != 0 {
		t.Errorf("the secondary was paged 9m after the window, want 10m (the escalation counts from the window's end)")
	}
	h.advance(time.Minute)
	if p := h.pages(secondaryUser); len(p) != 1 {
		t.Errorf("pages to the secondary 10m after the window = %d, want 1", len(p))
	}
}

func TestStoryMaintenanceListRemoveOncallAndCalendar(t *testing.T) {
	clock := clocktest.New(startOfStories)
	am, url := newAMDouble(t, clock)
	h := newHarness(t, harnessOptions{manual: true, clock: clock, config: withAlertmanager(url, withPaging)})
	id := h.planMaintenance("checkout tomorrow 22:00 +2h kernel")
	if got := h.oncall("U0001", "maintenance list"); !strings.Contains(got, "`"+id+"` `checkout` Thu 26 Nov 2026 22:00 UTC → Fri 27 Nov 2026 00:00 UTC — kernel") {
		t.Errorf("maintenance list = %s", got)
	}
	if got := h.oncall("U0001", ""); !strings.Contains(got, "*Maintenance in the next 7 days:*") || !strings.Contains(got, id) {
		t.Errorf("/oncall does not show the window: %s", got)
	}
	if page := h.get("/oncall"); !strings.Contains(page, "<code>"+id+"</code>") {
		t.Errorf("GET /oncall does not show the window")
	}
	if ics := h.get("/oncall/primary.ics"); !strings.Contains(ics, "SUMMARY:Maintenance: checkout") || !strings.Contains(ics, "UID:maintenance-"+id+"@incidentbot") ||
		!strings.Contains(ics, "DTSTART:20261126T220000Z") {
		t.Errorf("the calendar lacks the window:\n%s", ics)
	}
	// Alertmanager down: the window stays.
	am.Fail(http.StatusBadGateway)
	if got := h.oncall("U0001", "maintenance remove "+id); !strings.Contains(got, "Alertmanager did not answer (HTTP 502: internal error), so nothing was removed") {
		t.Errorf("remove with Alertmanager down: %s", got)
	}
	am.Fail(0)
	if got := h.oncall("U0001", "maintenance remove "+id); !strings.Contains(got, "removed maintenance `"+id+"` of `checkout` and expired its silence") {
		t.Errorf("remove: %s", got)
	}
	if am.State(am.Silences()[0]) != "expired" {
		t.Errorf("the window's silence is %s after the remove", am.State(am.Silences()[0]))
	}
	if got := h.oncall("U0001", "maintenance list"); !strings.Contains(got, "No maintenance is planned") {
		t.Errorf("list after the remove: %s", got)
	}
	// Alertmanager refusing: nothing is planned.
	am.Fail(http.StatusInternalServerError)
	if got := h.oncall("U0001", "maintenance checkout now +1h"); !strings.Contains(got, "no window was planned") {
		t.Errorf("plan with Alertmanager failing: %s", got)
	}
	if ws, _ := h.app.store.Windows(context.Background(), time.Time{}); len(ws) != 0 {
		t.Errorf("windows stored despite the failure: %+v", ws)
	}
}

// withWeeklyPatching adds a recurring window on Wednesdays 04:00–05:00 UTC
// for the checkout service.
func withWeeklyPatching(c *config.Config) {
	withPaging(c)
	c.Maintenance = []maintenance.Recurring{{Name: "patching", Service: "checkout", Days: []time.Weekday{time.Wednesday},
		From: 4 * 60, To: 5 * 60, Zone: time.UTC, Reason: "weekly patching"}}
}

func TestStoryRecurringWindowSilencedAheadOnceAndHolds(t *testing.T) {
	clock := clocktest.New(startOfStories) // Wednesday 03:00
	am, url := newAMDouble(t, clock)
	h := newHarness(t, harnessOptions{manual: true, clock: clock, config: withAlertmanager(url, withWeeklyPatching)})
	tick := func() {
		t.Helper()
		if _, err := h.app.cron.TickDue(context.Background(), clock.Now()); err != nil {
			t.Fatal(err)
		}
		h.settleNow()
	}
	tick()
	sils := am.Silences()
	if len(sils) != 1 || !sils[0].StartsAt.Equal(time.Date(2026, 11, 25, 4, 0, 0, 0, time.UTC)) || am.State(sils[0]) != "pending" ||
		!strings.HasPrefix(sils[0].Comment, "incidentbot maintenance patching-202611250400: weekly patching") {
		t.Fatalf("the coming occurrence's silence: %+v", sils)
	}
	h.advance(20 * time.Minute)
	tick()
	if n := len(am.Silences()); n != 1 {
		t.Errorf("%d silences after a second tick, want still 1", n)
	}
	// Inside it: held.
	h.at(time.Date(2026, 11, 25, 4, 10, 0, 0, time.UTC))
	h.fire("g", 1)
	if n := countEvents(h.timeline(1), incidents.EventMaintenance); n != 1 || len(h.pages(primaryUser)) != 0 {
		t.Errorf("an alert in the recurring window: %d maintenance events, %d pages", n, len(h.pages(primaryUser)))
	}
	if got := h.oncall("U0001", "maintenance remove patching-202611250400"); !strings.Contains(got, "comes from the config") {
		t.Errorf("removing a recurring occurrence: %s", got)
	}
}

func TestStoryMaintenanceOnlyByAdminsAndScheduleMembers(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withSlack}) // admins: U0001; no schedules
	if got := h.oncall("U0002", "maintenance checkout now +1h"); !strings.Contains(got, "Only admins and the members of a schedule") {
		t.Errorf("plan by an outsider: %s", got)
	}
	id := h.planMaintenance("checkout now +1h")
	if got := h.oncall("U0002", "maintenance remove "+id); !strings.Contains(got, "Only admins and the members of a schedule") {
		t.Errorf("remove by an outsider: %s", got)
	}
	// No Alertmanager: the window holds pages but silences nothing, and says so.
	if got := h.oncall("U0001", "maintenance list"); !strings.Contains(got, id) {
		t.Errorf("list: %s", got)
	}
	ws, err := h.app.store.Windows(context.Background(), time.Time{})
	if err != nil || len(ws) != 1 || len(ws[0].Silences) != 0 || ws[0].CreatedBy != "U0001" {
		t.Errorf("stored windows = %+v, %v", ws, err)
	}
}

func TestStoryMaintenanceWarnsWhenItHidesAWholeSchedule(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: func(c *config.Config) {
		withPaging(c)
		checkout, _ := labels.ParseMatchers([]string{`service="checkout"`})
		c.Routes = []routing.Route{
			{Matchers: checkout, Severity: "sev1", EscalationPolicy: "critical"},
			{Matchers: labels.Matchers{}, Severity: "sev4"},
		}
	}})
	if got := h.oncall("U0001", "maintenance checkout now +1h"); !strings.Contains(got, ":warning: It covers every alert of schedule primary, secondary") {
		t.Errorf("a window over every paging route: %s", got)
	}
	if got := h.oncall("U0001", `maintenance {service="checkout", instance="a"} now +1h`); strings.Contains(got, ":warning:") {
		t.Errorf("a window over one instance warns: %s", got)
	}
}
