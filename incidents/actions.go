package incidents

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// SetActionDone marks follow-up id of incident number done (or, with done
// false, open again).
func (s *Service) SetActionDone(ctx context.Context, number int64, id int, done bool, actor string) (*Incident, error) {
	return s.mutate(ctx, number, func(inc *Incident) ([]Event, []Task, error) {
		i := inc.actionIndex(id)
		if i < 0 {
			return nil, nil, userErrorf(ErrNotFound, "no_action", map[string]any{"Number": inc.Number, "Action": id}, "incident #%d has no action %d", inc.Number, id)
		}
		a := &inc.Actions[i]
		if a.Done == done {
			return nil, nil, userErrorf(ErrTransition, "action_already", map[string]any{"Number": inc.Number, "Action": id, "State": a.State()}, "action %d of incident #%d is already %s", id, inc.Number, a.State())
		}
		a.Done = done
		verb := "Reopened"
		if done {
			a.DoneAt = s.now()
			verb = "Done"
		} else {
			a.DoneAt = time.Time{}
		}
		f := map[string]string{"action": fmt.Sprint(id), "state": a.State(), "action_text": a.Text}
		return []Event{s.event(inc, EventAction, actor, fmt.Sprintf("%s: action %d, %s", verb, id, a.Text), f)}, nil, nil
	})
}

func (i *Incident) actionIndex(id int) int {
	for k, a := range i.Actions {
		if a.ID == id {
			return k
		}
	}
	return -1
}

// OpenAction is an open follow-up with the incident it belongs to.
type OpenAction struct {
	Incident *Incident
	Action   Action
}

// OpenActions returns the open follow-ups of incidents (owned by owner,
// unless empty), newest first, at most limit (0: all).
func OpenActions(incs []*Incident, owner string, limit int) []OpenAction {
	var out []OpenAction
	for _, inc := range incs {
		for _, a := range inc.Actions {
			if !a.Done && (owner == "" || a.Owner == owner) {
				out = append(out, OpenAction{Incident: inc, Action: a})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Action.At.Equal(out[j].Action.At) {
			return out[i].Action.At.After(out[j].Action.At)
		}
		if out[i].Incident.Number != out[j].Incident.Number {
			return out[i].Incident.Number > out[j].Incident.Number
		}
		return out[i].Action.ID > out[j].Action.ID
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// OverdueActions returns, per owner, the open follow-ups whose deadline
// passed at now, oldest deadline first; actions without an owner are left out.
func OverdueActions(incs []*Incident, now time.Time) map[string][]OpenAction {
	out := map[string][]OpenAction{}
	for _, inc := range incs {
		for _, a := range inc.Actions {
			if a.Owner != "" && a.Overdue(now) {
				out[a.Owner] = append(out[a.Owner], OpenAction{Incident: inc, Action: a})
			}
		}
	}
	for _, as := range out {
		sort.SliceStable(as, func(i, j int) bool { return as[i].Action.Due.Before(as[j].Action.Due) })
	}
	return out
}
