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
	var number int64
	err := s.inTx(ctx, func(tx *unitOfWork) error {
		var err error
		number, err = s.ingest(ctx, tx, n)
		return err
	})
	return number, err
}

func (s *Service) ingest(ctx context.Context, tx *unitOfWork, n Notification) (int64, error) {
	if n.GroupKey == "" {
		return 0, userErrorf(ErrInvalid, "no_group_key", nil, "notification without a group key")
	}
	g, err := tx.getGroup(ctx, n.GroupKey)
	switch {
	case errors.Is(err, ErrNotFound):
		return s.openForGroup(ctx, tx, n, 0)
	case err != nil:
		return 0, fmt.Errorf("look up alert group: %w", err)
	}
	inc, err := tx.get(ctx, g.Incident)
	if errors.Is(err, ErrNotFound) {
		// The group was recorded but its incident was not (a store without
		// transactions stopped in between): create it now under the same number.
		return g.Incident, s.createForGroup(ctx, tx, n, g.Incident, 0)
	}
	if err != nil {
		return 0, fmt.Errorf("load incident #%d: %w", g.Incident, err)
	}
	if !inc.Open() && s.firesAgain(ctx, tx, inc, n) {
		return s.openForGroup(ctx, tx, n, inc.Number)
	}
	if err := s.merge(ctx, tx, inc, n); err != nil {
		return 0, err
	}
	return inc.Number, nil
}

// merge folds n's alerts into inc within tx.
func (s *Service) merge(ctx context.Context, tx *unitOfWork, inc *Incident, n Notification) error {
	stored, err := s.storedAlerts(ctx, tx, inc, n)
	if err != nil {
		return err
	}
	events, tasks := s.mergeAlerts(tx, inc, n, stored)
	if events == nil && tasks == nil {
		return nil
	}
	tx.update(inc, events, s.followUps(inc, len(events) > 0, tasks, false))
	return nil
}

// storedAlerts returns the alerts of n already on inc that inc does not
// carry inline (only an incident with more than MaxInlineAlerts has any).
func (s *Service) storedAlerts(ctx context.Context, tx *unitOfWork, inc *Incident, n Notification) (map[string]Alert, error) {
	if inc.AllAlertsInline() {
		return nil, nil
	}
	fps := make([]string, 0, len(n.Alerts))
	for _, a := range n.Alerts {
		if _, inline := inc.Alerts[a.Fingerprint]; !inline && a.Fingerprint != "" {
			fps = append(fps, a.Fingerprint)
		}
	}
	if len(fps) == 0 {
		return nil, nil
	}
	return tx.getAlerts(ctx, inc.Number, fps)
}

// firesAgain reports whether n has a firing alert that is news to the
// (resolved) incident: one it does not know, or a later firing than what it
// knows (see supersedes). A stale firing, re-sent by a peer Alertmanager
// after the alert's resolution, is not.
func (s *Service) firesAgain(ctx context.Context, tx *unitOfWork, inc *Incident, n Notification) bool {
	stored, err := s.storedAlerts(ctx, tx, inc, n)
	if err != nil {
		stored = nil // judged on the inline alerts alone
	}
	for _, a := range n.Alerts {
		if !a.Firing() {
			continue
		}
		old, ok := inc.Alerts[a.Fingerprint]
		if !ok {
			old, ok = stored[a.Fingerprint]
		}
		if !ok || supersedes(a, old) {
			return true
		}
	}
	return false
}

// supersedes reports whether a is later news of an alert than old (same
// fingerprint), judged by the alert's own startsAt and endsAt, never by
// arrival: an HA pair of Alertmanagers delivers each notification twice, in
// any order, and a peer may re-send a firing after the other sent its
// resolution.
//
//   - firing after firing: only one that started later (the alert fired
//     again); a re-send changes nothing.
//   - firing after resolved: only one that started after the resolution
//     ended; a firing that started before is stale and does not reopen it.
//   - resolved after firing: one that ended at or after the firing began
//     (without endsAt: always); an older episode's resolution does not.
//   - resolved after resolved: nothing changes.
func supersedes(a, old Alert) bool {
	switch {
	case a.Firing() && old.Firing():
		return a.StartsAt.After(old.StartsAt)
	case a.Firing():
		end := old.EndsAt
		if end.IsZero() {
			end = old.StartsAt
		}
		return a.StartsAt.After(end)
	case old.Firing():
		return a.EndsAt.IsZero() || !a.EndsAt.Before(old.StartsAt)
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

// receivedAt is when the notification reached the bot; the storm guard
// counts openings by it, so a backlog applied late counts as the flood it was.
func (s *Service) receivedAt(n Notification) time.Time {
	if !n.ReceivedAt.IsZero() {
		return n.ReceivedAt.UTC()
	}
	return s.now()
}

// openForGroup opens a new incident for a group, or attaches the group to the
// alert-storm incident when too many incidents opened recently.
func (s *Service) openForGroup(ctx context.Context, tx *unitOfWork, n Notification, previous int64) (int64, error) {
	if !hasFiring(n.Alerts) {
		// Nothing firing: no incident to open. The resolutions are kept, in
		// case their firings come late (an HA pair's slower peer).
		for _, a := range n.Alerts {
			if a.Fingerprint != "" {
				a.GroupKey = n.GroupKey
				tx.putAlert(NoIncident, a)
			}
		}
		return 0, nil
	}
	number, err := s.openOrJoinStorm(ctx, tx, n, previous)
	if err != nil {
		return 0, err
	}
	return number, s.applyEarlierResolutions(ctx, tx, number, n)
}

// applyEarlierResolutions resolves, on the incident just opened for n, the
// firing alerts of n whose resolution arrived before them (kept under
// NoIncident): the incident records them fired and resolved, as their times
// say, whatever the order they arrived in.
func (s *Service) applyEarlierResolutions(ctx context.Context, tx *unitOfWork, number int64, n Notification) error {
	var fps []string
	for _, a := range n.Alerts {
		if a.Firing() && a.Fingerprint != "" {
			fps = append(fps, a.Fingerprint)
		}
	}
	earlier, err := tx.getAlerts(ctx, NoIncident, fps)
	if err != nil || len(earlier) == 0 {
		return err
	}
	later := n
	later.Alerts = nil
	for _, a := range n.Alerts {
		if r, ok := earlier[a.Fingerprint]; ok && a.Firing() && r.GroupKey == n.GroupKey && supersedes(r, a) {
			later.Alerts = append(later.Alerts, r)
		}
	}
	if len(later.Alerts) == 0 {
		return nil
	}
	inc, err := tx.get(ctx, number)
	if err != nil {
		return fmt.Errorf("load incident #%d: %w", number, err)
	}
	return s.merge(ctx, tx, inc, later)
}

// openOrJoinStorm opens a new incident for n's group, or attaches the group
// to the alert-storm incident when too many incidents opened recently.
func (s *Service) openOrJoinStorm(ctx context.Context, tx *unitOfWork, n Notification, previous int64) (int64, error) {
	storm, err := tx.getStorm(ctx)
	if err != nil {
		return 0, fmt.Errorf("load storm state: %w", err)
	}
	at := s.receivedAt(n)
	storm.Opened = recent(storm.Opened, at, s.opts.StormWindow)
	if len(storm.Opened) >= s.opts.StormMaxNew {
		return s.attachToStorm(ctx, tx, n, storm)
	}
	number, err := tx.nextNumber(ctx)
	if err != nil {
		return 0, fmt.Errorf("allocate incident number: %w", err)
	}
	storm.Opened = append(storm.Opened, at)
	tx.putStorm(storm)
	tx.putGroup(Group{Key: n.GroupKey, Incident: number})
	return number, s.createForGroup(ctx, tx, n, number, previous)
}

func (s *Service) createForGroup(ctx context.Context, tx *unitOfWork, n Notification, number, previous int64) error {
	now := s.now()
	inc := &Incident{
		Number: number, Title: n.Title, Severity: n.Severity, Status: StatusTriggered,
		Labels: n.CommonLabels, GroupLabels: n.GroupLabels, Service: n.Service, EscalationPolicy: n.EscalationPolicy,
		GroupKey: n.GroupKey, Previous: previous, DeclaredBy: ActorAlertmanager,
		DetectedAt: earliestStart(n.Alerts, now), DeclaredAt: now, StatusAt: now,
	}
	if _, err := s.ParseSeverity(inc.Severity); err != nil {
		inc.Severity = MiddleSeverity(s.opts.Severities) // as for an unrouted group
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
	more, tasks := s.mergeAlerts(tx, inc, n, nil)
	return s.create(tx, inc, append(events, more...), tasks)
}

// attachToStorm adds the group to the open alert-storm incident, opening one if needed.
func (s *Service) attachToStorm(ctx context.Context, tx *unitOfWork, n Notification, storm StormState) (int64, error) {
	var inc *Incident
	if storm.Incident != 0 {
		var err error
		inc, err = tx.get(ctx, storm.Incident)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return 0, fmt.Errorf("load storm incident #%d: %w", storm.Incident, err)
		}
		if err != nil || !inc.Open() {
			storm.Incident, inc = 0, nil
		}
	}
	if inc == nil {
		number, err := tx.nextNumber(ctx)
		if err != nil {
			return 0, fmt.Errorf("allocate incident number: %w", err)
		}
		storm.Incident = number
		tx.putStorm(storm)
		now := s.now()
		inc = &Incident{
			Number: number, Title: "Alert storm", Severity: n.Severity, Status: StatusTriggered,
			Storm: true, EscalationPolicy: n.EscalationPolicy, DeclaredBy: ActorBot,
			DetectedAt: earliestStart(n.Alerts, now), DeclaredAt: now, StatusAt: now,
		}
		ev := Event{
			ID: fmt.Sprintf("%d:declared", number), Incident: number, Type: EventDeclared, At: now, Actor: ActorBot,
			Text: fmt.Sprintf("Alert storm: more than %d incidents opened within %s; further alert groups join this incident",
				s.opts.StormMaxNew, s.opts.StormWindow),
			Fields: map[string]string{"storm_max": fmt.Sprint(s.opts.StormMaxNew), "storm_window": s.opts.StormWindow.String()},
		}
		if err := s.create(tx, inc, []Event{ev}, nil); err != nil {
			return 0, err
		}
	}
	stored, err := s.storedAlerts(ctx, tx, inc, n)
	if err != nil {
		return 0, err
	}
	_, tasks := s.mergeAlerts(tx, inc, n, stored)
	if s.severityRank(n.Severity) < s.severityRank(inc.Severity) {
		inc.Severity = n.Severity
	}
	inc.StormGroups++
	tx.joinStorm(inc.Number, n, len(n.Alerts))
	if tx.created[inc.Number] {
		tx.schedule(tasks...)
	} else {
		// The join's event is added at commit; the sync is for it.
		tx.update(inc, nil, s.followUps(inc, true, tasks, false))
	}
	tx.putGroup(Group{Key: n.GroupKey, Incident: storm.Incident})
	return storm.Incident, nil
}

// mergeAlerts folds n's alerts into inc and returns the timeline events for
// what changed (deterministic IDs, so a replay records nothing twice) and the
// auto-resolve task when every alert has resolved. stored holds alerts of
// n that inc does not carry inline. Every changed alert is written to the
// store through tx; inc carries the first MaxInlineAlerts. A storm
// incident gets no event per alert (its joins are summarised).
func (s *Service) mergeAlerts(tx *unitOfWork, inc *Incident, n Notification, stored map[string]Alert) ([]Event, []Task) {
	var events []Event
	now := s.now()
	if inc.Alerts == nil {
		inc.Alerts = map[string]Alert{}
	}
	inc.CountAlerts()
	changed := false
	for _, a := range n.Alerts {
		if a.Fingerprint == "" {
			continue
		}
		a.GroupKey = n.GroupKey
		old, known := inc.Alerts[a.Fingerprint]
		if !known {
			old, known = stored[a.Fingerprint]
		}
		id := func(what string) string {
			return fmt.Sprintf("%d:%s:%s:%d", inc.Number, what, a.Fingerprint, a.StartsAt.UnixNano())
		}
		var ev Event
		switch {
		case known && !supersedes(a, old):
			continue // a re-send, or older than what is known
		case a.Firing():
			ev = alertEvent(inc.Number, id("fired"), EventAlertFired, a, a.StartsAt, "Alert firing")
		default:
			at := a.EndsAt
			if at.IsZero() {
				at = now
			}
			if !known && !inc.Storm {
				// It fired before it resolved: the timeline says so whichever
				// arrived first (the firing, if it comes, then adds nothing).
				events = append(events, alertEvent(inc.Number, id("fired"), EventAlertFired, a, a.StartsAt, "Alert firing"))
			}
			ev = alertEvent(inc.Number, id("resolved"), EventAlertResolved, a, at, "Alert resolved")
		}
		changed = true
		if !known {
			inc.AlertCount++
		}
		if known && old.Firing() {
			inc.FiringCount--
		}
		if a.Firing() {
			inc.FiringCount++
		}
		if _, inline := inc.Alerts[a.Fingerprint]; inline || len(inc.Alerts) < MaxInlineAlerts {
			inc.Alerts[a.Fingerprint] = a
		}
		tx.putAlert(inc.Number, a)
		if !inc.Storm {
			events = append(events, ev)
		}
	}
	if !changed {
		return nil, nil
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
	if events == nil && tasks == nil {
		// A storm's alerts changed without an event of their own: the change
		// still has to be stored.
		tasks = []Task{}
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
