package incidents

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
)

// IngestAlerts applies one routed Alertmanager notification. It is idempotent:
// Alertmanager delivers at least once and re-sends whole groups, so applying the
// same notification again changes nothing. One incident exists per group while
// it is open; a group that fires again after its incident was resolved opens a
// new incident linked to the previous one. It returns the incident's number, or
// 0 when the notification needed none (only resolved alerts of an unknown group).
//
// Callers apply notifications one at a time (the alert applier holds a lease);
// concurrent commands on the same incident are handled by optimistic concurrency.
func (s *Service) IngestAlerts(ctx context.Context, n Notification) (int64, error) {
	if n.GroupKey == "" {
		return 0, userErrorf(ErrInvalid, "no_group_key", nil, "notification without a group key")
	}
	g, err := s.store.GetGroup(ctx, n.GroupKey)
	switch {
	case errors.Is(err, ErrNotFound):
		return s.openForGroup(ctx, n, 0)
	case err != nil:
		return 0, fmt.Errorf("look up alert group: %w", err)
	}
	inc, err := s.store.GetIncident(ctx, g.Incident)
	if errors.Is(err, ErrNotFound) {
		// The group was recorded but the process stopped before the incident was
		// stored: create it now under the same number.
		return g.Incident, s.createForGroup(ctx, n, g.Incident, 0)
	}
	if err != nil {
		return 0, fmt.Errorf("load incident #%d: %w", g.Incident, err)
	}
	if !inc.Open() && firesAgain(inc, n) {
		return s.openForGroup(ctx, n, inc.Number)
	}
	_, err = s.mutate(ctx, inc.Number, func(inc *Incident) ([]Event, []Task, error) {
		events, tasks := s.mergeAlerts(inc, n)
		return events, tasks, nil
	})
	return inc.Number, err
}

// firesAgain reports whether n has a firing alert the (resolved) incident has not seen firing.
func firesAgain(inc *Incident, n Notification) bool {
	for _, a := range n.Alerts {
		if !a.Firing() {
			continue
		}
		old, ok := inc.Alerts[a.Fingerprint]
		if !ok || !old.Firing() || !old.StartsAt.Equal(a.StartsAt) {
			return true
		}
	}
	return false
}

func hasFiring(alerts []Alert) bool {
	for _, a := range alerts {
		if a.Firing() {
			return true
		}
	}
	return false
}

// openForGroup opens a new incident for a group, or attaches the group to the
// alert-storm incident when too many incidents opened recently.
func (s *Service) openForGroup(ctx context.Context, n Notification, previous int64) (int64, error) {
	if !hasFiring(n.Alerts) {
		return 0, nil // nothing firing: no incident to open
	}
	storm, err := s.store.GetStorm(ctx)
	if err != nil {
		return 0, fmt.Errorf("load storm state: %w", err)
	}
	now := s.now()
	storm.Opened = recent(storm.Opened, now, s.opts.StormWindow)
	if len(storm.Opened) >= s.opts.StormMaxNew {
		return s.attachToStorm(ctx, n, storm)
	}
	number, err := s.store.NextNumber(ctx)
	if err != nil {
		return 0, fmt.Errorf("allocate incident number: %w", err)
	}
	storm.Opened = append(storm.Opened, now)
	if err := s.store.PutStorm(ctx, storm); err != nil {
		return 0, fmt.Errorf("save storm state: %w", err)
	}
	// The group is recorded before the incident: if the process stops in
	// between, the next delivery finds the number and creates the incident.
	if err := s.store.PutGroup(ctx, Group{Key: n.GroupKey, Incident: number}); err != nil {
		return 0, fmt.Errorf("record alert group: %w", err)
	}
	return number, s.createForGroup(ctx, n, number, previous)
}

func (s *Service) createForGroup(ctx context.Context, n Notification, number, previous int64) error {
	now := s.now()
	inc := &Incident{
		Number: number, Title: n.Title, Severity: n.Severity, Status: StatusTriggered,
		Labels: n.CommonLabels, Service: n.Service, EscalationPolicy: n.EscalationPolicy,
		GroupKey: n.GroupKey, Previous: previous, DeclaredBy: ActorAlertmanager,
		DetectedAt: earliestStart(n.Alerts, now), DeclaredAt: now, StatusAt: now,
	}
	if _, err := s.ParseSeverity(inc.Severity); err != nil {
		inc.Severity = s.opts.Severities[(len(s.opts.Severities)-1)/2].Name // the middle one, as config routes do
	}
	if inc.Title == "" {
		inc.Title = "Alert group"
	}
	text := fmt.Sprintf("Opened from Alertmanager: %s", inc.Title)
	if previous != 0 {
		text += fmt.Sprintf(" (fired again after incident #%d)", previous)
	}
	fields := map[string]string{"group_key": n.GroupKey, "title": inc.Title}
	if previous != 0 {
		fields["previous"] = fmt.Sprint(previous)
	}
	events := []Event{{
		ID: fmt.Sprintf("%d:declared", number), Incident: number, Type: EventDeclared,
		At: now, Actor: ActorAlertmanager, Text: text, Fields: fields,
	}}
	more, tasks := s.mergeAlerts(inc, n)
	return s.persist(ctx, inc, append(events, more...), tasks, true)
}

// attachToStorm adds the group to the open alert-storm incident, opening one if needed.
func (s *Service) attachToStorm(ctx context.Context, n Notification, storm StormState) (int64, error) {
	if storm.Incident != 0 {
		inc, err := s.store.GetIncident(ctx, storm.Incident)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return 0, fmt.Errorf("load storm incident #%d: %w", storm.Incident, err)
		}
		if err != nil || !inc.Open() {
			storm.Incident = 0
		}
	}
	if storm.Incident == 0 {
		number, err := s.store.NextNumber(ctx)
		if err != nil {
			return 0, fmt.Errorf("allocate incident number: %w", err)
		}
		storm.Incident = number
		if err := s.store.PutStorm(ctx, storm); err != nil {
			return 0, fmt.Errorf("save storm state: %w", err)
		}
		now := s.now()
		inc := &Incident{
			Number: number, Title: "Alert storm", Severity: n.Severity, Status: StatusTriggered,
			Storm: true, EscalationPolicy: n.EscalationPolicy, DeclaredBy: ActorBot,
			DetectedAt: now, DeclaredAt: now, StatusAt: now,
		}
		ev := Event{
			ID: fmt.Sprintf("%d:declared", number), Incident: number, Type: EventDeclared, At: now, Actor: ActorBot,
			Text: fmt.Sprintf("Alert storm: more than %d incidents opened within %s; further alert groups join this incident",
				s.opts.StormMaxNew, s.opts.StormWindow),
			Fields: map[string]string{"storm_max": fmt.Sprint(s.opts.StormMaxNew), "storm_window": s.opts.StormWindow.String()},
		}
		if err := s.persist(ctx, inc, []Event{ev}, nil, true); err != nil {
			return 0, err
		}
	}
	// The group is recorded after it joined: a replay of a half-done attachment
	// joins again, and the deterministic event IDs keep the timeline single.
	_, err := s.mutate(ctx, storm.Incident, func(inc *Incident) ([]Event, []Task, error) {
		events, tasks := s.mergeAlerts(inc, n)
		ev := Event{
			ID: fmt.Sprintf("%d:storm_group:%s", inc.Number, hashKey(n.GroupKey)), Incident: inc.Number,
			Type: EventStormGroup, At: s.now(), Actor: ActorAlertmanager,
			Text: fmt.Sprintf("Alert group joined the storm: %s", n.Title), Fields: map[string]string{"group_key": n.GroupKey, "title": n.Title},
		}
		if s.severityRank(n.Severity) < s.severityRank(inc.Severity) {
			inc.Severity = n.Severity
		}
		return append([]Event{ev}, events...), tasks, nil
	})
	if err != nil {
		return 0, err
	}
	if err := s.store.PutGroup(ctx, Group{Key: n.GroupKey, Incident: storm.Incident}); err != nil {
		return 0, fmt.Errorf("record alert group: %w", err)
	}
	return storm.Incident, nil
}

// mergeAlerts folds n's alerts into inc and returns the timeline events for
// what changed (deterministic IDs, so a replay records nothing twice) and the
// auto-resolve task when every alert has resolved.
func (s *Service) mergeAlerts(inc *Incident, n Notification) ([]Event, []Task) {
	var events []Event
	now := s.now()
	if inc.Alerts == nil {
		inc.Alerts = map[string]Alert{}
	}
	for _, a := range n.Alerts {
		if a.Fingerprint == "" {
			continue
		}
		a.GroupKey = n.GroupKey
		old, known := inc.Alerts[a.Fingerprint]
		id := func(what string) string {
			return fmt.Sprintf("%d:%s:%s:%d", inc.Number, what, a.Fingerprint, a.StartsAt.UnixNano())
		}
		switch {
		case a.Firing() && (!known || !old.Firing() || !old.StartsAt.Equal(a.StartsAt)):
			inc.Alerts[a.Fingerprint] = a
			events = append(events, alertEvent(inc.Number, id("fired"), EventAlertFired, a, a.StartsAt, "Alert firing"))
		case !a.Firing() && (!known || old.Firing()):
			inc.Alerts[a.Fingerprint] = a
			at := a.EndsAt
			if at.IsZero() {
				at = now
			}
			events = append(events, alertEvent(inc.Number, id("resolved"), EventAlertResolved, a, at, "Alert resolved"))
		}
	}
	if len(events) == 0 {
		return nil, nil
	}
	if inc.Storm {
		groups := map[string]bool{}
		for _, a := range inc.Alerts {
			groups[a.GroupKey] = true
		}
		inc.StormGroups = len(groups)
	}
	var tasks []Task
	if inc.AnyFiring() {
		inc.AlertsClearAt = time.Time{}
	} else if inc.AlertsClearAt.IsZero() {
		inc.AlertsClearAt = now
		if s.opts.AutoResolve && inc.Open() {
			tasks = append(tasks, Task{
				Key:  fmt.Sprintf("autoresolve:%d:%d", inc.Number, now.UnixNano()),
				Kind: TaskAutoResolve, Incident: inc.Number, RunAt: now.Add(s.opts.AutoResolveAfter),
			})
		}
	}
	return events, tasks
}

func alertEvent(number int64, id string, typ EventType, a Alert, at time.Time, verb string) Event {
	name := a.Labels["alertname"]
	if name == "" {
		name = a.Fingerprint
	}
	text := verb + ": " + name
	fields := map[string]string{"fingerprint": a.Fingerprint, "name": name}
	if sum := a.Annotations["summary"]; sum != "" {
		text += " — " + sum
		fields["summary"] = sum
	}
	var labels []string
	for _, k := range sortedKeys(a.Labels) {
		labels = append(labels, k+"="+a.Labels[k])
	}
	if len(labels) > 0 {
		fields["labels"] = strings.Join(labels, ", ")
	}
	if a.GeneratorURL != "" {
		fields["generator_url"] = a.GeneratorURL
	}
	return Event{ID: id, Incident: number, Type: typ, At: at.UTC(), Actor: ActorAlertmanager, Text: text, Fields: fields}
}

func earliestStart(alerts []Alert, fallback time.Time) time.Time {
	t := fallback
	for _, a := range alerts {
		if !a.StartsAt.IsZero() && a.StartsAt.Before(t) {
			t = a.StartsAt
		}
	}
	return t.UTC()
}

// recent keeps the times within window before now.
func recent(times []time.Time, now time.Time, window time.Duration) []time.Time {
	out := times[:0:0]
	for _, t := range times {
		if now.Sub(t) < window {
			out = append(out, t)
		}
	}
	return out
}

// hashKey shortens a group key for use in IDs.
func hashKey(key string) string {
	h := fnv.New64a()
	h.Write([]byte(key))
	return fmt.Sprintf("%016x", h.Sum64())
}
