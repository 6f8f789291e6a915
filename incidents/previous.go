package incidents

import (
	"context"
	"fmt"
	"sort"
)

// EventPreviousLinked records that an earlier incident of the same alert
// name was found: "this happened before".
const EventPreviousLinked EventType = "previous_linked"

// AlertNames returns the alert names of the incident's alerts (without
// alerts, its own alertname label), sorted, without repeats.
func (i *Incident) AlertNames() []string {
	seen := map[string]bool{}
	for _, a := range i.Alerts {
		if n := a.Labels["alertname"]; n != "" {
			seen[n] = true
		}
	}
	if n := i.Labels["alertname"]; n != "" && len(i.Alerts) == 0 {
		seen[n] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// FindPrevious returns the latest incident opened before inc whose alert
// group or one of whose alert names is inc's, reading at most scan
// incidents newest first; 0 when there is none (or inc has no alerts).
func (s *Service) FindPrevious(ctx context.Context, inc *Incident, scan int) (int64, error) {
	names := inc.AlertNames()
	if inc.GroupKey == "" && len(names) == 0 {
		return 0, nil
	}
	list, err := s.store.ListIncidents(ctx, ListOptions{Limit: scan})
	if err != nil {
		return 0, fmt.Errorf("look for earlier incidents like #%d: %w", inc.Number, err)
	}
	for _, other := range list { // newest first
		if other.Number >= inc.Number {
			continue
		}
		if inc.GroupKey != "" && other.GroupKey == inc.GroupKey {
			return other.Number, nil
		}
		for _, n := range other.AlertNames() {
			if i := sort.SearchStrings(names, n); i < len(names) && names[i] == n {
				return other.Number, nil
			}
		}
	}
	return 0, nil
}

// LinkPrevious records that incident previous happened before number, when
// number has no previous incident yet; it is a no-op otherwise.
func (s *Service) LinkPrevious(ctx context.Context, number, previous int64) (*Incident, error) {
	return s.mutate(ctx, number, func(inc *Incident) ([]Event, []Task, error) {
		if inc.Previous != 0 || previous == 0 || previous == number {
			return nil, nil, nil
		}
		inc.Previous = previous
		return []Event{{
			ID: fmt.Sprintf("%d:previous:%d", number, previous), Incident: number, Type: EventPreviousLinked,
			At: s.now(), Actor: ActorBot, Text: fmt.Sprintf("This happened before: incident #%d", previous),
			Fields: map[string]string{"previous": fmt.Sprint(previous)},
		}}, nil, nil
	})
}

// EventPostmortemStatus records a person moving the postmortem through
// review (Fields["status"]: draft, in-review, final).
const EventPostmortemStatus EventType = "postmortem_status"
