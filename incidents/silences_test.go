package incidents

import (
	"testing"
	"time"
)

func TestSilencesFromTheTimeline(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	a := SilenceFact{ID: "a", Matchers: `{x="1"}`, Ends: t0.Add(time.Hour), By: "U1", At: t0}
	b := SilenceFact{ID: "b", Matchers: `{x="2"}`, Ends: t0.Add(30 * 24 * time.Hour), UntilResolved: true, By: "U2", At: t0}
	c := SilenceFact{ID: "c", Matchers: `{x="3"}`, Ends: t0.Add(2 * time.Hour), By: "U1", At: t0}
	events := []Event{SilencedEvent(1, a, time.Hour), SilencedEvent(1, b, 0), SilencedEvent(1, c, 2*time.Hour),
		UnsilencedEvent(1, c, UnsilenceByHand, "U1", t0.Add(time.Minute))}
	got := Silences(events, t0.Add(time.Minute))
	if len(got) != 2 || got[0] != a || got[1] != b {
		t.Fatalf("Silences = %+v, want a and b (c was expired)", got)
	}
	if got := Silences(events, t0.Add(time.Hour)); len(got) != 1 || got[0].ID != "b" {
		t.Errorf("an hour on = %+v, want b only (a ended)", got)
	}
	if h := HeldFor(events); h != nil {
		t.Errorf("HeldFor without a maintenance event = %+v", h)
	}
	events = append(events, MaintenanceEvent(1, HoldFact{Window: "w1", Reason: "db", Until: t0.Add(time.Hour)}, t0))
	if h := HeldFor(events); h == nil || h.Window != "w1" || h.Reason != "db" || !h.Until.Equal(t0.Add(time.Hour)) {
		t.Errorf("HeldFor = %+v", h)
	}
}
