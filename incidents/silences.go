package incidents

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Alertmanager silences and maintenance windows live on the timeline: a
// silence made from Slack, its expiry, and the hold of a new incident's
// pages during a maintenance window are events. What is silenced now is
// read back from them (Silences, HeldFor), as the regulatory clocks are.
const (
	// EventSilenced: fields silence (its ID in Alertmanager), matchers
	// ({a="b", …}), ends (RFC 3339), until_resolved ("true" when it ends
	// with the incident), duration (a Go duration, when one was asked for).
	EventSilenced EventType = "silenced"
	// EventUnsilenced: fields silence, matchers, why (UnsilenceByHand or
	// UnsilenceResolved).
	EventUnsilenced EventType = "unsilenced"
	// EventMaintenance: the incident opened during a maintenance window and
	// nobody was paged: fields window (its ID), reason, until (RFC 3339).
	EventMaintenance EventType = "maintenance"
)

// Why a silence was expired, as an unsilenced event's "why".
const (
	UnsilenceByHand   = "command"  // /incident unsilence or the summary's button
	UnsilenceResolved = "resolved" // it was made "until resolved" and the incident resolved
)

// TaskSilencesExpire expires an incident's "until resolved" silences; it is
// scheduled with every resolution (the job reads the timeline and does
// nothing when there are none).
const TaskSilencesExpire = "silence.expire_resolved"

// SilenceFact is one silence the timeline says was made for the incident.
type SilenceFact struct {
	ID            string
	Matchers      string
	Ends          time.Time
	UntilResolved bool
	By            string
	At            time.Time
}

// Silences reads from a timeline the silences made for the incident that
// were not expired since, oldest first; with a non-zero now, those whose
// end has passed are left out too.
func Silences(events []Event, now time.Time) []SilenceFact {
	gone := map[string]bool{}
	for _, e := range events {
		if e.Type == EventUnsilenced {
			gone[e.Fields["silence"]] = true
		}
	}
	var out []SilenceFact
	for _, e := range events {
		id := e.Fields["silence"]
		if e.Type != EventSilenced || id == "" || gone[id] {
			continue
		}
		ends, _ := time.Parse(time.RFC3339, e.Fields["ends"])
		if !now.IsZero() && !ends.IsZero() && !ends.After(now) {
			continue
		}
		gone[id] = true // one fact per ID
		out = append(out, SilenceFact{ID: id, Matchers: e.Fields["matchers"], Ends: ends,
			UntilResolved: e.Fields["until_resolved"] == "true", By: e.Actor, At: e.At})
	}
	return out
}

// SilencedEvent is the timeline's record of a silence made for incident n.
func SilencedEvent(n int64, s SilenceFact, duration time.Duration) Event {
	fields := map[string]string{"silence": s.ID, "matchers": s.Matchers, "ends": s.Ends.UTC().Format(time.RFC3339)}
	if s.UntilResolved {
		fields["until_resolved"] = "true"
	}
	if duration > 0 {
		fields["duration"] = duration.String()
	}
	text := fmt.Sprintf("Silenced %s in Alertmanager until %s (silence %s)", s.Matchers, fields["ends"], s.ID)
	if s.UntilResolved {
		text = fmt.Sprintf("Silenced %s in Alertmanager until resolved (silence %s)", s.Matchers, s.ID)
	}
	return Event{ID: strconv.FormatInt(n, 10) + ":silenced:" + s.ID, Incident: n, Type: EventSilenced, At: s.At,
		Actor: s.By, Text: text, Fields: fields}
}

// UnsilencedEvent is the timeline's record of silence s expired, why.
func UnsilencedEvent(n int64, s SilenceFact, why, actor string, at time.Time) Event {
	return Event{ID: strconv.FormatInt(n, 10) + ":unsilenced:" + s.ID, Incident: n, Type: EventUnsilenced, At: at, Actor: actor,
		Text:   fmt.Sprintf("Silence %s of %s expired", s.ID, s.Matchers),
		Fields: map[string]string{"silence": s.ID, "matchers": s.Matchers, "why": why}}
}

// HoldFact is the maintenance window an incident opened in.
type HoldFact struct {
	Window string
	Reason string
	Until  time.Time
}

// HeldFor reads from a timeline the latest maintenance window that held the
// incident's pages; nil when none did.
func HeldFor(events []Event) *HoldFact {
	var out *HoldFact
	for _, e := range events {
		if e.Type != EventMaintenance {
			continue
		}
		until, _ := time.Parse(time.RFC3339, e.Fields["until"])
		out = &HoldFact{Window: e.Fields["window"], Reason: e.Fields["reason"], Until: until}
	}
	return out
}

// MaintenanceEvent is the timeline's record that incident n opened during
// maintenance window h and nobody was paged.
func MaintenanceEvent(n int64, h HoldFact, at time.Time) Event {
	fields := map[string]string{"window": h.Window, "until": h.Until.UTC().Format(time.RFC3339)}
	if h.Reason != "" {
		fields["reason"] = h.Reason
	}
	return Event{ID: fmt.Sprintf("%d:maintenance:%s:%d", n, h.Window, h.Until.Unix()), Incident: n, Type: EventMaintenance, At: at,
		Actor: ActorBot, Text: fmt.Sprintf("During maintenance (window %s) until %s: nobody paged", h.Window, fields["until"]), Fields: fields}
}

// RecordVisible adds events people see in the incident's summary (a
// silence made or expired) and schedules the Slack sync in the same commit.
// Events with IDs already stored are skipped.
func (s *Service) RecordVisible(ctx context.Context, number int64, events ...Event) error {
	err := s.inTx(ctx, func(tx *unitOfWork) error {
		inc, err := tx.get(ctx, number)
		if err != nil {
			return fmt.Errorf("load incident #%d: %w", number, err)
		}
		evs := make([]Event, len(events))
		for i, ev := range events {
			if ev.At.IsZero() {
				ev.At = s.now()
			}
			ev.Incident = number
			evs[i] = ev
		}
		tx.addEvents(evs)
		tx.schedule(s.syncTask(inc))
		return nil
	})
	if err != nil {
		return fmt.Errorf("record events on incident #%d: %w", number, err)
	}
	return nil
}

// expireSilencesTask is the task scheduled with a resolution: the incident's
// "until resolved" silences are expired.
func expireSilencesTask(inc *Incident) Task {
	at := int64(0)
	if inc.ResolvedAt != nil {
		at = inc.ResolvedAt.UnixNano()
	}
	return Task{Key: fmt.Sprintf("silence-expire:%d:%d", inc.Number, at), Kind: TaskSilencesExpire, Incident: inc.Number}
}
