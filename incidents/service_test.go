package incidents

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

type fixture struct {
	svc   *Service
	store *memStore
	tasks *memTasks
	clock *clock
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	f := &fixture{store: newMemStore(), clock: newClock()}
	f.tasks = f.store.tasks
	opts.Now = f.clock.Now
	f.svc = NewService(f.store, f.tasks, opts)
	return f
}

func alert(fp, status string, startsAt time.Time) Alert {
	a := Alert{Fingerprint: fp, Status: status, StartsAt: startsAt, Labels: map[string]string{"alertname": "HighLatency", "instance": fp}}
	if status == AlertResolved {
		a.EndsAt = startsAt.Add(time.Minute)
	}
	return a
}

func notification(group string, alerts ...Alert) Notification {
	status := AlertResolved
	for _, a := range alerts {
		if a.Firing() {
			status = AlertFiring
		}
	}
	return Notification{GroupKey: group, Status: status, Alerts: alerts, Title: "High latency " + group, Severity: "sev2"}
}

func (f *fixture) ingest(t *testing.T, n Notification) int64 {
	t.Helper()
	num, err := f.svc.IngestAlerts(context.Background(), n)
	if err != nil {
		t.Fatalf("IngestAlerts(%s): %v", n.GroupKey, err)
	}
	return num
}

func (f *fixture) timelineTypes(t *testing.T, n int64) []EventType {
	t.Helper()
	evs, err := f.svc.Timeline(context.Background(), n)
	if err != nil {
		t.Fatalf("Timeline(%d): %v", n, err)
	}
	var out []EventType
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func countType(types []EventType, typ EventType) int {
	n := 0
	for _, t := range types {
		if t == typ {
			n++
		}
	}
	return n
}

func TestIngestOpensOneIncidentPerGroupAndDedups(t *testing.T) {
	f := newFixture(t, Options{AutoResolve: true})
	t0 := f.clock.Now().Add(-time.Minute)
	n := notification("g1", alert("a1", AlertFiring, t0))
	first := f.ingest(t, n)
	if first != 1 {
		t.Fatalf("first incident number = %d, want 1", first)
	}
	// Alertmanager re-sends the same group: nothing new.
	for range 3 {
		if got := f.ingest(t, n); got != first {
			t.Fatalf("re-sent notification went to #%d, want #%d", got, first)
		}
	}
	// A second alert joins.
	f.ingest(t, notification("g1", alert("a1", AlertFiring, t0), alert("a2", AlertFiring, t0)))
	inc, _ := f.svc.Get(context.Background(), first)
	if len(inc.Alerts) != 2 || inc.Status != StatusTriggered || inc.Title != "High latency g1" {
		t.Fatalf("incident = %d alerts, status %s, title %q; want 2, triggered, High latency g1", len(inc.Alerts), inc.Status, inc.Title)
	}
	if !inc.DetectedAt.Equal(t0) {
		t.Errorf("DetectedAt = %v, want earliest alert start %v", inc.DetectedAt, t0)
	}
	types := f.timelineTypes(t, first)
	if got := countType(types, EventAlertFired); got != 2 {
		t.Errorf("alert_fired events = %d, want 2 (timeline %v)", got, types)
	}
	if got := countType(types, EventDeclared); got != 1 {
		t.Errorf("declared events = %d, want 1", got)
	}
	list, _ := f.svc.List(context.Background(), ListOptions{})
	if len(list) != 1 {
		t.Errorf("incidents = %d, want 1", len(list))
	}
}

func TestResolvedOnlyNotificationForUnknownGroupOpensNothing(t *testing.T) {
	f := newFixture(t, Options{})
	if got := f.ingest(t, notification("g", alert("a", AlertResolved, f.clock.Now()))); got != 0 {
		t.Fatalf("got incident #%d, want none", got)
	}
}

func TestAutoResolveAfterEveryAlertResolved(t *testing.T) {
	f := newFixture(t, Options{AutoResolve: true, AutoResolveAfter: 15 * time.Minute})
	ctx := context.Background()
	t0 := f.clock.Now()
	num := f.ingest(t, notification("g", alert("a", AlertFiring, t0), alert("b", AlertFiring, t0)))

	f.clock.Advance(time.Minute)
	f.ingest(t, notification("g", alert("a", AlertResolved, t0), alert("b", AlertFiring, t0)))
	if got := len(f.tasks.ofKind(TaskAutoResolve)); got != 0 {
		t.Fatalf("auto-resolve scheduled while b fires: %d tasks", got)
	}
	f.clock.Advance(time.Minute)
	f.ingest(t, notification("g", alert("a", AlertResolved, t0), alert("b", AlertResolved, t0)))
	tasks := f.tasks.ofKind(TaskAutoResolve)
	if len(tasks) != 1 || !tasks[0].RunAt.Equal(f.clock.Now().Add(15*time.Minute)) {
		t.Fatalf("auto-resolve tasks = %+v, want one at +15m", tasks)
	}
	// Too early: the handler is told when to come back.
	retry, err := f.svc.AutoResolve(ctx, num)
	if err != nil || !retry.Equal(tasks[0].RunAt) {
		t.Fatalf("AutoResolve early = %v, %v; want retry at %v", retry, err, tasks[0].RunAt)
	}
	f.clock.Advance(15 * time.Minute)
	if retry, err := f.svc.AutoResolve(ctx, num); err != nil || !retry.IsZero() {
		t.Fatalf("AutoResolve due = %v, %v", retry, err)
	}
	inc, _ := f.svc.Get(ctx, num)
	if inc.Status != StatusResolved || inc.ResolvedAt == nil {
		t.Fatalf("status = %s, want resolved", inc.Status)
	}
	if got := countType(f.timelineTypes(t, num), EventAlertResolved); got != 2 {
		t.Errorf("alert_resolved events = %d, want 2", got)
	}
	// Running the task again (a retried job) changes nothing.
	if _, err := f.svc.AutoResolve(ctx, num); err != nil {
		t.Fatal(err)
	}
	if got := countType(f.timelineTypes(t, num), EventResolved); got != 1 {
		t.Errorf("resolved events = %d, want 1", got)
	}
}

func TestAutoResolveCancelledWhenAlertFiresAgain(t *testing.T) {
	f := newFixture(t, Options{AutoResolve: true, AutoResolveAfter: 15 * time.Minute})
	ctx := context.Background()
	t0 := f.clock.Now()
	num := f.ingest(t, notification("g", alert("a", AlertFiring, t0)))
	f.ingest(t, notification("g", alert("a", AlertResolved, t0)))
	f.clock.Advance(5 * time.Minute)
	f.ingest(t, notification("g", alert("a", AlertFiring, f.clock.Now())))
	f.clock.Advance(20 * time.Minute)
	if _, err := f.svc.AutoResolve(ctx, num); err != nil {
		t.Fatal(err)
	}
	inc, _ := f.svc.Get(ctx, num)
	if inc.Status != StatusTriggered {
		t.Fatalf("status = %s, want triggered (the alert fired again)", inc.Status)
	}
	if got := countType(f.timelineTypes(t, num), EventAlertFired); got != 2 {
		t.Errorf("alert_fired events = %d, want 2", got)
	}
}

func TestAutoResolveDisabled(t *testing.T) {
	f := newFixture(t, Options{AutoResolve: false})
	t0 := f.clock.Now()
	num := f.ingest(t, notification("g", alert("a", AlertFiring, t0)))
	f.ingest(t, notification("g", alert("a", AlertResolved, t0)))
	if got := len(f.tasks.ofKind(TaskAutoResolve)); got != 0 {
		t.Fatalf("auto-resolve tasks = %d, want 0 when disabled", got)
	}
	f.clock.Advance(time.Hour)
	f.svc.AutoResolve(context.Background(), num)
	if inc, _ := f.svc.Get(context.Background(), num); inc.Status != StatusTriggered {
		t.Fatalf("status = %s, want triggered", inc.Status)
	}
}

func TestGroupFiringAgainAfterResolveOpensLinkedIncident(t *testing.T) {
	f := newFixture(t, Options{Admins: []string{"U1"}})
	ctx := context.Background()
	t0 := f.clock.Now()
	first := f.ingest(t, notification("g", alert("a", AlertFiring, t0)))
	if _, err := f.svc.Resolve(ctx, first, "restarted the pod", "U1"); err != nil {
		t.Fatal(err)
	}
	// A re-send of the alert that was already firing does not open a new incident.
	if got := f.ingest(t, notification("g", alert("a", AlertFiring, t0))); got != first {
		t.Fatalf("re-send after resolve went to #%d, want #%d", got, first)
	}
	// A new firing does.
	f.clock.Advance(time.Hour)
	second := f.ingest(t, notification("g", alert("a", AlertFiring, f.clock.Now())))
	if second == first {
		t.Fatalf("fired again but joined the resolved incident #%d", first)
	}
	inc, _ := f.svc.Get(ctx, second)
	if inc.Previous != first {
		t.Errorf("Previous = %d, want %d", inc.Previous, first)
	}
	if got := f.ingest(t, notification("g", alert("a", AlertFiring, f.clock.Now()))); got != second {
		t.Errorf("next delivery went to #%d, want #%d", got, second)
	}
}

func TestStormGuardAttachesToOneStormIncident(t *testing.T) {
	f := newFixture(t, Options{StormMaxNew: 3, StormWindow: 5 * time.Minute})
	ctx := context.Background()
	t0 := f.clock.Now()
	var numbers []int64
	for i := range 10 {
		n := notification(fmt.Sprintf("g%d", i), alert(fmt.Sprintf("a%d", i), AlertFiring, t0))
		if i == 7 {
			n.Severity = "sev1"
		}
		numbers = append(numbers, f.ingest(t, n))
	}
	if numbers[0] != 1 || numbers[2] != 3 {
		t.Fatalf("first three incidents = %v, want 1,2,3", numbers[:3])
	}
	storm := numbers[3]
	for i, n := range numbers[3:] {
		if n != storm {
			t.Fatalf("group g%d went to #%d, want storm #%d", i+3, n, storm)
		}
	}
	inc, _ := f.svc.Get(ctx, storm)
	if !inc.Storm || inc.StormGroups != 7 || len(inc.Alerts) != 7 || inc.Severity != "sev1" {
		t.Fatalf("storm incident: storm=%v groups=%d alerts=%d severity=%s; want true 7 7 sev1", inc.Storm, inc.StormGroups, len(inc.Alerts), inc.Severity)
	}
	if got := countType(f.timelineTypes(t, storm), EventStormGroup); got != 7 {
		t.Errorf("storm_group events = %d, want 7", got)
	}
	// A re-send of a storm group stays in the storm without new events.
	f.ingest(t, notification("g5", alert("a5", AlertFiring, t0)))
	if got := countType(f.timelineTypes(t, storm), EventStormGroup); got != 7 {
		t.Errorf("storm_group events after re-send = %d, want 7", got)
	}
	// After the window passes, groups get their own incidents again.
	f.clock.Advance(6 * time.Minute)
	if got := f.ingest(t, notification("late", alert("late", AlertFiring, f.clock.Now()))); got == storm {
		t.Errorf("group after the storm window joined the storm")
	}
}

func TestReplayAfterCrashBetweenGroupAndIncident(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	// Simulate a crash after the group was recorded but before the incident was stored.
	f.store.putGroup(Group{Key: "g", Incident: 7})
	got := f.ingest(t, notification("g", alert("a", AlertFiring, f.clock.Now())))
	if got != 7 {
		t.Fatalf("replay created #%d, want #7", got)
	}
	if inc, err := f.svc.Get(ctx, 7); err != nil || len(inc.Alerts) != 1 {
		t.Fatalf("incident #7 = %+v, %v", inc, err)
	}
}

func TestConcurrentCommandsAndIngestKeepEveryChange(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	t0 := f.clock.Now()
	num := f.ingest(t, notification("g", alert("a0", AlertFiring, t0)))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := f.svc.AddAction(ctx, num, fmt.Sprintf("action %d", i), "", "U1"); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			// each goroutine adds its own alert; ingest is normally serial but must survive conflicts
			alerts := []Alert{alert("a0", AlertFiring, t0), alert(fmt.Sprintf("x%d", i), AlertFiring, t0)}
			if err := f.svc.inTx(ctx, func(tx *unitOfWork) error {
				inc, err := tx.get(ctx, num)
				if err != nil {
					return err
				}
				return f.svc.merge(ctx, tx, inc, notification("g", alerts...))
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	inc, _ := f.svc.Get(ctx, num)
	if len(inc.Actions) != 20 || len(inc.Alerts) != 21 {
		t.Fatalf("actions=%d alerts=%d, want 20 and 21", len(inc.Actions), len(inc.Alerts))
	}
}

func TestLifecycle(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	inc, err := f.svc.Declare(ctx, DeclareRequest{Title: "Checkout down", Severity: "SEV1", Actor: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if inc.Number != 1 || inc.Severity != "sev1" || inc.Status != StatusInvestigating || inc.Commander != "U1" {
		t.Fatalf("declared %+v", inc)
	}
	steps := []struct {
		name    string
		do      func() (*Incident, error)
		wantErr error
		want    Status
	}{
		{"identified", func() (*Incident, error) { return f.svc.SetStatus(ctx, 1, StatusIdentified, "U1") }, nil, StatusIdentified},
		{"same status", func() (*Incident, error) { return f.svc.SetStatus(ctx, 1, StatusIdentified, "U1") }, ErrTransition, StatusIdentified},
		{"monitoring", func() (*Incident, error) { return f.svc.SetStatus(ctx, 1, StatusMonitoring, "U1") }, nil, StatusMonitoring},
		{"triggered by hand", func() (*Incident, error) { return f.svc.SetStatus(ctx, 1, StatusTriggered, "U1") }, ErrTransition, StatusMonitoring},
		{"reopen open", func() (*Incident, error) { return f.svc.Reopen(ctx, 1, "U1") }, ErrTransition, StatusMonitoring},
		{"resolve", func() (*Incident, error) { return f.svc.Resolve(ctx, 1, "rolled back", "U1") }, nil, StatusResolved},
		{"resolve twice", func() (*Incident, error) { return f.svc.Resolve(ctx, 1, "", "U1") }, ErrTransition, StatusResolved},
		{"status while resolved", func() (*Incident, error) { return f.svc.SetStatus(ctx, 1, StatusIdentified, "U1") }, ErrTransition, StatusResolved},
		{"reopen by a bystander", func() (*Incident, error) { return f.svc.Reopen(ctx, 1, "U2") }, ErrForbidden, StatusResolved},
		{"reopen", func() (*Incident, error) { return f.svc.Reopen(ctx, 1, "U1") }, nil, StatusReopened},
		{"investigating", func() (*Incident, error) { return f.svc.SetStatus(ctx, 1, StatusInvestigating, "U2") }, nil, StatusInvestigating},
	}
	for _, st := range steps {
		f.clock.Advance(time.Minute)
		_, err := st.do()
		if !errors.Is(err, st.wantErr) {
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.wantErr)
		}
		got, _ := f.svc.Get(ctx, 1)
		if got.Status != st.want {
			t.Fatalf("%s: status = %s, want %s", st.name, got.Status, st.want)
		}
	}
	got, _ := f.svc.Get(ctx, 1)
	if got.MitigatedAt == nil || got.ResolvedAt != nil || got.Summary != "rolled back" {
		t.Errorf("after reopen: mitigated=%v resolved=%v summary=%q", got.MitigatedAt, got.ResolvedAt, got.Summary)
	}
	if _, err := f.svc.SetSeverity(ctx, 1, "sev9", "U1"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "sev1, sev2, sev3, sev4") {
		t.Errorf("bad severity error = %v", err)
	}
	if _, err := f.svc.AssignRole(ctx, 1, "Scribe", "U3", "U1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AssignRole(ctx, 1, "commander", "U2", "U1"); err != nil {
		t.Fatal(err)
	}
	got, _ = f.svc.Get(ctx, 1)
	if got.Roles["scribe"] != "U3" || got.Commander != "U2" {
		t.Errorf("roles = %v commander = %s", got.Roles, got.Commander)
	}
	if _, err := f.svc.AddNote(ctx, 1, "   ", "U1"); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty note err = %v, want ErrInvalid", err)
	}
	if _, err := f.svc.Get(ctx, 99); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(99) err = %v, want ErrNotFound", err)
	}
	types := f.timelineTypes(t, 1)
	want := map[EventType]int{EventDeclared: 1, EventStatusChanged: 3, EventResolved: 1, EventReopened: 1, EventRoleAssigned: 2}
	for typ, n := range want {
		if got := countType(types, typ); got != n {
			t.Errorf("%s events = %d, want %d (timeline %v)", typ, got, n, types)
		}
	}
}

func TestDeclareValidation(t *testing.T) {
	f := newFixture(t, Options{})
	for _, req := range []DeclareRequest{{Title: ""}, {Title: strings.Repeat("x", 201)}, {Title: "ok", Severity: "P1"}} {
		if _, err := f.svc.Declare(context.Background(), req); !errors.Is(err, ErrInvalid) {
			t.Errorf("Declare(%q, %q) err = %v, want ErrInvalid", req.Title[:min(10, len(req.Title))], req.Severity, err)
		}
	}
}

func TestAcknowledge(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	num := f.ingest(t, notification("g", alert("a", AlertFiring, f.clock.Now())))
	f.clock.Advance(3 * time.Minute)
	inc, err := f.svc.Acknowledge(ctx, num, "U2")
	if err != nil {
		t.Fatal(err)
	}
	if inc.Status != StatusInvestigating || inc.Commander != "U2" || !inc.AcknowledgedAt.Equal(f.clock.Now()) {
		t.Fatalf("after ack: status %s commander %s acked %v", inc.Status, inc.Commander, inc.AcknowledgedAt)
	}
	if _, err := f.svc.Acknowledge(ctx, num, "U3"); !errors.Is(err, ErrTransition) {
		t.Fatalf("second ack err = %v, want ErrTransition", err)
	}
}

func TestParseStatus(t *testing.T) {
	for in, want := range map[string]Status{"Investigating": StatusInvestigating, " resolved ": StatusResolved} {
		if got, err := ParseStatus(in); err != nil || got != want {
			t.Errorf("ParseStatus(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "triggered", "reopened", "done"} {
		if _, err := ParseStatus(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseStatus(%q) err = %v, want ErrInvalid", in, err)
		}
	}
}

func TestDeclareCountsTitleCharactersNotBytes(t *testing.T) {
	f := newFixture(t, Options{})
	title := strings.Repeat("д", 150) // 300 bytes, 150 characters
	if _, err := f.svc.Declare(context.Background(), DeclareRequest{Title: title}); err != nil {
		t.Fatalf("a 150-character Cyrillic title was refused: %v", err)
	}
}

func TestMayClose(t *testing.T) {
	f := newFixture(t, Options{Admins: []string{"UADMIN"}})
	inc := &Incident{Number: 7, DeclaredBy: "UDECL", Commander: "UCMD"}
	for _, tt := range []struct {
		actor string
		ok    bool
	}{
		{"UDECL", true}, {"UCMD", true}, {"UADMIN", true}, {ActorBot, true}, {ActorAlertmanager, true},
		{"UOTHER", false}, {"", false},
	} {
		err := f.svc.MayClose(inc, tt.actor, "resolve")
		if (err == nil) != tt.ok {
			t.Errorf("MayClose(%q) = %v, want allowed %v", tt.actor, err, tt.ok)
		}
		if err == nil {
			continue
		}
		msg, ok := UserMessage(err)
		if !errors.Is(err, ErrForbidden) || !ok || !strings.Contains(msg, "<@UCMD>") || !strings.Contains(msg, "resolve incident #7") {
			t.Errorf("MayClose(%q) refusal = %v (message %q), want ErrForbidden naming the commander", tt.actor, err, msg)
		}
	}
}

func TestUpdateDue(t *testing.T) {
	f := newFixture(t, Options{}) // sev1 every 30m, sev3 none
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	sev1 := &Incident{Severity: "sev1", Status: StatusInvestigating, DeclaredAt: t0.Add(-time.Hour), StatusAt: t0}
	tests := []struct {
		name    string
		inc     *Incident
		at      time.Duration
		want    time.Duration
		wantDue bool
	}{
		{"before the first interval", sev1, 29 * time.Minute, 0, false},
		{"at the first interval", sev1, 30 * time.Minute, 30 * time.Minute, true},
		{"missed intervals collapse", sev1, 95 * time.Minute, 90 * time.Minute, true},
		{"no interval", &Incident{Severity: "sev3", Status: StatusInvestigating, StatusAt: t0}, 5 * time.Hour, 0, false},
		{"resolved", &Incident{Severity: "sev1", Status: StatusResolved, StatusAt: t0}, 5 * time.Hour, 0, false},
		{"old incident without StatusAt counts from declaration", &Incident{Severity: "sev1", Status: StatusInvestigating, DeclaredAt: t0}, 31 * time.Minute, 30 * time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := f.svc.UpdateDue(tt.inc, t0.Add(tt.at))
			if ok != tt.wantDue || ok && !got.Equal(t0.Add(tt.want)) {
				t.Errorf("UpdateDue = %v, %v; want %v, %v", got, ok, t0.Add(tt.want), tt.wantDue)
			}
		})
	}
	due := t0.Add(30 * time.Minute)
	if !f.svc.UpdateStillDue(sev1, due) {
		t.Error("UpdateStillDue = false for a reminder with no status update since, want true")
	}
	updated := *sev1
	updated.StatusAt = t0.Add(10 * time.Minute)
	if f.svc.UpdateStillDue(&updated, due) {
		t.Error("UpdateStillDue = true after a status update made the reminder stale, want false")
	}
}

func TestMiddleSeverity(t *testing.T) {
	sev := func(names ...string) []Severity {
		out := make([]Severity, len(names))
		for i, n := range names {
			out[i] = Severity{Name: n}
		}
		return out
	}
	tests := []struct {
		name string
		in   []Severity
		want string
	}{
		{"none", nil, ""},
		{"one", sev("only"), "only"},
		{"even rounds toward the more severe", sev("sev1", "sev2", "sev3", "sev4"), "sev2"},
		{"odd", sev("critical", "major", "minor"), "major"},
		{"defaults", DefaultSeverities(), "sev2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MiddleSeverity(tt.in); got != tt.want {
				t.Errorf("MiddleSeverity = %q, want %q", got, tt.want)
			}
		})
	}
}
