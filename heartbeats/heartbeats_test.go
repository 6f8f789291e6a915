package heartbeats

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/labels"
)

func TestEvaluate(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	h := Heartbeat{Name: "watchdog", Every: 5 * time.Minute}
	for _, tc := range []struct {
		r    Record
		ok   bool
		at   time.Duration
		want State
	}{
		{Record{}, false, 0, StateWaiting},
		{Record{Armed: t0}, true, 5 * time.Minute, StateOK},
		{Record{Armed: t0}, true, 5*time.Minute + time.Second, StateMissing},
		{Record{Armed: t0, Last: t0.Add(time.Hour)}, true, 64 * time.Minute, StateOK},
		{Record{Armed: t0, Last: t0.Add(time.Hour)}, true, 66 * time.Minute, StateMissing},
	} {
		if got := Evaluate(h, tc.r, tc.ok, t0.Add(tc.at)); got != tc.want {
			t.Errorf("Evaluate(%+v at +%s) = %s, want %s", tc.r, tc.at, got, tc.want)
		}
	}
}

func TestBeatsAndAlert(t *testing.T) {
	wd, _ := labels.ParseMatchers([]string{`alertname="Watchdog"`})
	cron, _ := labels.ParseMatchers([]string{`job=~"backup|etl"`})
	hs := []Heartbeat{{Name: "watchdog", Matchers: wd}, {Name: "jobs", Matchers: cron}, {Name: "http-only"}}
	if got := Beats(hs, map[string]string{"alertname": "Watchdog", "severity": "none"}); len(got) != 1 || got[0].Name != "watchdog" {
		t.Errorf("Beats(Watchdog) = %v", got)
	}
	if got := Beats(hs, map[string]string{"alertname": "HighLatency"}); len(got) != 0 {
		t.Errorf("Beats(another alert) = %v, want none (an http-only heartbeat takes no alert)", got)
	}
	if hs[0].Alert() != "Watchdog" || hs[1].Alert() != `{job=~"backup|etl"}` || hs[2].Alert() != "" {
		t.Errorf("Alert() = %q %q %q", hs[0].Alert(), hs[1].Alert(), hs[2].Alert())
	}
}
