package web

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

type fakeMaintenance []MaintenanceWindow

func (f fakeMaintenance) MaintenanceWindows(context.Context, time.Time) ([]MaintenanceWindow, error) {
	return f, nil
}

func fixtureMaintenance() fakeMaintenance {
	return fakeMaintenance{
		{ID: "a1b2c3", Target: `{service="checkout", env="prod"}`, From: ago(time.Hour), To: fixNow.Add(time.Hour), Reason: "DB <upgrade>", Silenced: true},
		{ID: "db-patching-202612060200", Target: "checkout-db", From: fixNow.Add(4 * 24 * time.Hour), To: fixNow.Add(4*24*time.Hour + 2*time.Hour),
			Recurring: "db-patching"},
	}
}

type fakeHeartbeats struct {
	list []HeartbeatStatus
	err  error
}

func (f fakeHeartbeats) Heartbeats(context.Context, time.Time) ([]HeartbeatStatus, error) {
	return f.list, f.err
}

func fixtureHeartbeats() fakeHeartbeats {
	return fakeHeartbeats{list: []HeartbeatStatus{
		{Name: "watchdog", Every: 5 * time.Minute, Alert: "Watchdog", EscalationPolicy: "default", State: "missing", LastBeat: ago(12 * time.Minute), Incident: 7},
		{Name: "nightly-backup", Every: 25 * time.Hour, EscalationPolicy: "default", State: "waiting"},
	}}
}

func TestHeartbeatsAPI(t *testing.T) {
	srv := serve(t, testOptions())
	a := do(t, "GET", srv.URL+"/api/v1/heartbeats", nil)
	if a.code != 200 {
		t.Fatalf("GET /api/v1/heartbeats = %d %s", a.code, a.body)
	}
	var got APIHeartbeats
	if err := json.Unmarshal([]byte(a.body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Heartbeats) != 2 {
		t.Fatalf("heartbeats = %+v", got.Heartbeats)
	}
	w := got.Heartbeats[0]
	if w.Name != "watchdog" || w.EverySeconds != 300 || w.State != "missing" || w.LastBeat == nil || !w.LastBeat.Equal(ago(12*time.Minute)) ||
		w.Incident == nil || *w.Incident != 7 || w.Alert != "Watchdog" {
		t.Errorf("watchdog = %+v", w)
	}
	if b := got.Heartbeats[1]; b.LastBeat != nil || b.Incident != nil || b.State != "waiting" {
		t.Errorf("a heartbeat never heard of = %+v, want null last_beat and incident", b)
	}
	o := testOptions()
	o.Heartbeats = fakeHeartbeats{err: errors.New("store down")}
	if a := do(t, "GET", serve(t, o).URL+"/api/v1/heartbeats", nil); a.code != 503 && a.code != 500 {
		t.Errorf("store down: %d %s, want an error answer", a.code, a.body)
	}
}

func TestOncallShowsMaintenance(t *testing.T) {
	srv := serve(t, testOptions())
	page := do(t, "GET", srv.URL+"/oncall", nil)
	for _, want := range []string{`<h2 id="maintenance">Maintenance</h2>`, "<code>a1b2c3</code>", "DB &lt;upgrade&gt;",
		"(every week: db-patching)", "(not silenced in Alertmanager)"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("/oncall lacks %q", want)
		}
	}
	a := do(t, "GET", srv.URL+"/api/v1/oncall", nil)
	var got apiOnCall
	if err := json.Unmarshal([]byte(a.body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Maintenance) != 2 || !got.Maintenance[0].Active || got.Maintenance[1].Active || got.Maintenance[1].Recurring != "db-patching" {
		t.Errorf("maintenance = %+v", got.Maintenance)
	}
}
