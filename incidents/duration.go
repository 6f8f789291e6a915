package incidents

import "time"

// An incident's duration is defined here once, and every place that shows
// one (the pinned summary, the announce line, the web view, the stats and
// the postmortem) uses it, so they never disagree:
//
//   - it starts at detection (the first alert's start), or at the
//     declaration for an incident declared by hand (Started);
//   - it ends at the resolution, or runs to now while the incident is open;
//   - it is whole seconds, rounded down, and never negative. Places that
//     show minutes round down again (1m 59s is "1m", never "2m").

// Started is when the incident's duration starts: its detection, or its
// declaration when it has no detection time.
func (i *Incident) Started() time.Time {
	if i.DetectedAt.IsZero() {
		return i.DeclaredAt
	}
	return i.DetectedAt
}

// Duration is how long the incident lasted: from Started to its resolution,
// or to now while it is open; whole seconds, rounded down, never negative.
func (i *Incident) Duration(now time.Time) time.Duration {
	end := now
	if i.ResolvedAt != nil && !i.Open() {
		end = *i.ResolvedAt
	}
	start := i.Started()
	if start.IsZero() || end.IsZero() {
		return 0
	}
	return max(end.Sub(start), 0).Truncate(time.Second)
}
