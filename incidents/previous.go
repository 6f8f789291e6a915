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

// FindPrevious returns the latest incident opened before inc (numbered
// below it) of inc's alert group or with one of inc's alert names; 0 when
// there is none (or inc has no alerts). It asks the store's indexes, one
// query of one incident for the group and one per alert name, so an earlier
// incident is found however old it is. maxNames bounds the alert names
// looked up (the first in sorted order; 0 or less: every one), and so the
// queries of a storm incident with many alert names.
func (s *Service) FindPrevious(ctx context.Context, inc *Incident, maxNames int) (int64, error) {
	names := inc.AlertNames()
	if maxNames > 0 && len(names) > maxNames {
		names = names[:maxNames]
	}
	queries := make([]ListOptions, 0, len(names)+1)
	if inc.GroupKey != "" {
		queries = append(queries, ListOptions{GroupKey: inc.GroupKey})
	}
	for _, n := range names {
		queries = append(queries, ListOptions{AlertName: n})
	}
	var latest int64
	for _, q := range queries {
		q.Before, q.Limit = inc.Number, 1
		list, err := s.store.ListIncidents(ctx, q)
		if err != nil {
			return 0, fmt.Errorf("look for earlier incidents like #%d: %w", inc.Number, err)
		}
		if len(list) > 0 && list[0].Number > latest {
			latest = list[0].Number
		}
	}
	return latest, nil
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
