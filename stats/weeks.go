package stats

import (
	"sort"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// Week holds the figures of the incidents detected in one week, for trends.
// Weeks start on Monday 00:00 in the report's zone; the first and last may
// reach outside the window, but only the window's incidents are counted.
type Week struct {
	Start      time.Time `json:"start"`
	Incidents  int       `json:"incidents"`
	BySeverity []Count   `json:"by_severity"` // the report's severities, in its order
	// TimeToAcknowledge and TimeToRestore are measured as the report's are.
	TimeToAcknowledge Durations `json:"time_to_acknowledge"`
	TimeToRestore     Durations `json:"time_to_restore"`
}

func weeks(window []*incidents.Incident, from, to time.Time, o Options, severities []Count) []Week {
	var starts []time.Time
	l := from.In(o.Zone)
	start := time.Date(l.Year(), l.Month(), l.Day()-(int(l.Weekday())+6)%7, 0, 0, 0, 0, o.Zone)
	for ; start.Before(to); start = start.AddDate(0, 0, 7) { // bounded: the window is at most maxWindow
		starts = append(starts, start)
	}
	sevIdx := make(map[string]int, len(severities))
	for i, c := range severities {
		sevIdx[c.Name] = i
	}
	out := make([]Week, len(starts))
	acks := make([]sample, len(starts))
	restores := make([]sample, len(starts))
	for i := range out {
		out[i] = Week{Start: starts[i], BySeverity: make([]Count, len(severities))}
		for j, c := range severities {
			out[i].BySeverity[j].Name = c.Name
		}
	}
	for _, inc := range window {
		t := detectedAt(inc)
		i := sort.Search(len(starts), func(i int) bool { return starts[i].After(t) }) - 1
		if i < 0 {
			continue // cannot happen for a window incident; keeps the index safe
		}
		out[i].Incidents++
		out[i].BySeverity[sevIdx[orNone(inc.Severity)]].Count++
		measure(&acks[i], inc, inc.AcknowledgedAt)
		measure(&restores[i], inc, restoredAt(inc))
	}
	for i := range out {
		out[i].TimeToAcknowledge = acks[i].summary("", "never acknowledged")
		out[i].TimeToRestore = restores[i].summary("", "not yet restored")
	}
	return out
}
