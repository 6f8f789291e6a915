package incidents

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Severity is one configured severity level; the list is ordered most severe first.
type Severity struct {
	Name        string
	Description string
	UpdateEvery time.Duration // status-update nudge interval; 0 = none
}

// Options configure a Service. The zero value works: sev1..sev4, auto-resolve after 15m,
// storm guard at 10 new incidents per 5 minutes, the wall clock.
type Options struct {
	Severities       []Severity
	AutoResolve      bool
	AutoResolveAfter time.Duration
	StormMaxNew      int
	StormWindow      time.Duration
	// Admins are user IDs that may resolve and reopen any incident.
	Admins []string
	// Observer, when set, hears of every stored change (metrics).
	Observer Observer
	Now      func() time.Time
}

// Observer hears of each change of an incident once it is stored: before is
// nil for a new incident. It must not block or fail; it is for metrics.
type Observer interface {
	IncidentChanged(before, after *Incident)
}

func (s *Service) observe(before, after *Incident) {
	if s.opts.Observer != nil {
		s.opts.Observer.IncidentChanged(before, after)
	}
}

// DefaultSeverities are used when none are configured.
func DefaultSeverities() []Severity {
	return []Severity{
		{Name: "sev1", Description: "Critical, customer-facing outage", UpdateEvery: 30 * time.Minute},
		{Name: "sev2", Description: "Major degradation", UpdateEvery: time.Hour},
		{Name: "sev3", Description: "Minor issue"},
		{Name: "sev4", Description: "Cosmetic or internal"},
	}
}

// MiddleSeverity is the severity of an alert group that names none the
// configuration knows (no route matched, or an unknown name): the middle of
// severities (most severe first), rounding toward the more severe — sev2 of
// sev1..sev4. It is "" for no severities.
func MiddleSeverity(severities []Severity) string {
	if len(severities) == 0 {
		return ""
	}
	return severities[(len(severities)-1)/2].Name
}

// Service applies alerts and commands to incidents. Every change is persisted
// before any side effect is scheduled, and every method is safe to retry.
type Service struct {
	store Store
	waker Waker
	opts  Options
}

// NewService returns a Service over store. Side effects are tasks committed
// with each change; waker (optional) is told when a change scheduled some.
func NewService(store Store, waker Waker, opts Options) *Service {
	if len(opts.Severities) == 0 {
		opts.Severities = DefaultSeverities()
	}
	if opts.AutoResolveAfter <= 0 {
		opts.AutoResolveAfter = 15 * time.Minute
	}
	if opts.StormMaxNew <= 0 {
		opts.StormMaxNew = 10
	}
	if opts.StormWindow <= 0 {
		opts.StormWindow = 5 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{store: store, waker: waker, opts: opts}
}

// Severities returns the configured severities, most severe first.
func (s *Service) Severities() []Severity { return s.opts.Severities }

// ParseSeverity resolves a severity name (case-insensitive) against the configuration.
func (s *Service) ParseSeverity(name string) (string, error) {
	names := make([]string, len(s.opts.Severities))
	for i, sev := range s.opts.Severities {
		if strings.EqualFold(sev.Name, strings.TrimSpace(name)) {
			return sev.Name, nil
		}
		names[i] = sev.Name
	}
	return "", userErrorf(ErrInvalid, "unknown_severity", map[string]any{"Name": name, "Names": strings.Join(names, ", ")}, "unknown severity %q (use %s)", name, strings.Join(names, ", "))
}

// updateEvery returns the status-update interval of a severity; 0 means none.
func (s *Service) updateEvery(severity string) time.Duration {
	for _, sev := range s.opts.Severities {
		if sev.Name == severity {
			return sev.UpdateEvery
		}
	}
	return 0
}

// UpdateDue returns the latest time a status update of inc fell due at or
// before now: its last status update plus a whole number (≥ 1) of its
// severity's UpdateEvery, cut to whole seconds so it survives a job key.
// It reports false for a resolved incident, a severity without an interval,
// or when the first interval has not passed.
func (s *Service) UpdateDue(inc *Incident, now time.Time) (time.Time, bool) {
	every := s.updateEvery(inc.Severity)
	base := inc.LastStatusUpdate()
	if !inc.Open() || every <= 0 || base.IsZero() || now.Before(base.Add(every)) {
		return time.Time{}, false
	}
	k := now.Sub(base) / every
	return base.Add(k * every).Truncate(time.Second), true
}

// UpdateStillDue reports whether a reminder planned for due still stands:
// the incident is open, its severity has an interval, and no status update
// came after the reminder was planned.
func (s *Service) UpdateStillDue(inc *Incident, due time.Time) bool {
	every := s.updateEvery(inc.Severity)
	return inc.Open() && every > 0 && !due.Before(inc.LastStatusUpdate().Add(every).Truncate(time.Second))
}

// severityRank orders severities: 0 is the most severe; unknown names rank last.
func (s *Service) severityRank(name string) int {
	for i, sev := range s.opts.Severities {
		if sev.Name == name {
			return i
		}
	}
	return len(s.opts.Severities)
}

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

// Get returns one incident.
func (s *Service) Get(ctx context.Context, number int64) (*Incident, error) {
	return s.store.GetIncident(ctx, number)
}

// List returns incidents, newest first.
func (s *Service) List(ctx context.Context, opts ListOptions) ([]*Incident, error) {
	return s.store.ListIncidents(ctx, opts)
}

// Timeline returns an incident's events, oldest first.
func (s *Service) Timeline(ctx context.Context, number int64) ([]Event, error) {
	if _, err := s.store.GetIncident(ctx, number); err != nil {
		return nil, err
	}
	return s.store.Timeline(ctx, number)
}

// TimelinePage returns a page of an incident's timeline (see
// Store.TimelinePage): what a reader of a big incident asks for instead of
// Timeline.
func (s *Service) TimelinePage(ctx context.Context, number int64, from Cursor, limit int) ([]Event, Cursor, error) {
	return s.store.TimelinePage(ctx, number, from, limit)
}

// AlertsPage returns a page of an incident's alerts by fingerprint (see
// Store.AlertsPage): every alert, where Incident.Alerts carries at most
// MaxInlineAlerts.
func (s *Service) AlertsPage(ctx context.Context, number int64, after string, limit int) ([]Alert, string, error) {
	return s.store.AlertsPage(ctx, number, after, limit)
}

// CountOpen counts the open incidents by severity.
func (s *Service) CountOpen(ctx context.Context) (map[string]int, error) {
	return s.store.CountOpen(ctx)
}

// maxConflictRetries bounds optimistic-concurrency retries of one change.
const maxConflictRetries = 20

// mutate applies change to the stored incident with optimistic concurrency:
// change may be called several times and must derive everything from inc.
// It returns the events and tasks of the change; neither (nil, nil) means
// nothing changed and nothing is stored. The incident, its events and its
// tasks are committed together.
func (s *Service) mutate(ctx context.Context, number int64, change func(inc *Incident) ([]Event, []Task, error)) (*Incident, error) {
	var out *Incident
	err := s.inTx(ctx, func(tx *unitOfWork) error {
		var err error
		out, err = s.change(ctx, tx, number, change)
		return err
	})
	if errors.Is(err, ErrConflict) {
		return nil, fmt.Errorf("update incident #%d: %w", number, err)
	}
	return out, err
}

// change applies change to incident number within tx.
func (s *Service) change(ctx context.Context, tx *unitOfWork, number int64, change func(inc *Incident) ([]Event, []Task, error)) (*Incident, error) {
	inc, err := tx.get(ctx, number)
	if err != nil {
		return nil, fmt.Errorf("load incident #%d: %w", number, err)
	}
	events, tasks, err := change(inc)
	if err != nil {
		return nil, err
	}
	if events == nil && tasks == nil {
		return inc, nil // nothing changed
	}
	tx.update(inc, events, s.followUps(inc, len(events) > 0, tasks, false))
	return inc, nil
}

// followUps adds to a change's tasks what every change needs: a Slack sync
// when something people see changed (visible), and, for a new incident, what
// follows its opening (paging first).
func (s *Service) followUps(inc *Incident, visible bool, tasks []Task, created bool) []Task {
	inc.UpdatedAt = s.now()
	if visible {
		tasks = append(tasks, s.syncTask(inc))
	}
	if created {
		tasks = append(tasks, Task{Key: fmt.Sprintf("opened:%d", inc.Number), Kind: TaskOpened, Incident: inc.Number, Priority: priorityPage})
	}
	return tasks
}

// syncTask is the task that makes Slack reflect inc.
func (s *Service) syncTask(inc *Incident) Task {
	return Task{Key: fmt.Sprintf("sync:%d", inc.Number), Kind: TaskSync, Incident: inc.Number,
		Priority: prioritySeverity + s.severityRank(inc.Severity)}
}

// create stores a new incident with its first events within tx.
func (s *Service) create(tx *unitOfWork, inc *Incident, events []Event, tasks []Task) error {
	return tx.create(inc, events, s.followUps(inc, len(events) > 0, tasks, true))
}

// event builds a timeline event with a fresh ID for user actions.
func (s *Service) event(inc *Incident, typ EventType, actor, text string, fields map[string]string) Event {
	now := s.now()
	return Event{
		ID:       fmt.Sprintf("%d:%s:%d:v%d", inc.Number, typ, now.UnixNano(), inc.Version),
		Incident: inc.Number, Type: typ, At: now, Actor: actor, Text: text, Fields: fields,
	}
}

// MaxTitle bounds an incident title, in characters; every way of declaring
// (command, form, alert) keeps within it.
const MaxTitle = 200

// CheckTitle trims a title and checks it against the rules every incident
// title follows: not empty, at most MaxTitle characters.
func CheckTitle(title string) (string, error) {
	title = strings.TrimSpace(title)
	if title == "" {
		return "", userErrorf(ErrInvalid, "title_empty", nil, "an incident needs a title")
	}
	if n := utf8.RuneCountInString(title); n > MaxTitle {
		return "", userErrorf(ErrInvalid, "title_long", map[string]any{"Count": n, "Max": MaxTitle}, "the title is %d characters; the limit is %d", n, MaxTitle)
	}
	return title, nil
}

// DeclareRequest is a manual declaration.
type DeclareRequest struct {
	Title       string
	Severity    string // empty = the least severe configured
	Description string
	Actor       string // Slack user ID
}

// Declare opens an incident by hand; the declaring user becomes commander.
func (s *Service) Declare(ctx context.Context, req DeclareRequest) (*Incident, error) {
	title, err := CheckTitle(req.Title)
	if err != nil {
		return nil, err
	}
	sev := s.opts.Severities[len(s.opts.Severities)-1].Name
	if req.Severity != "" {
		if sev, err = s.ParseSeverity(req.Severity); err != nil {
			return nil, err
		}
	}
	var inc *Incident
	err = s.inTx(ctx, func(tx *unitOfWork) error {
		number, err := tx.nextNumber(ctx)
		if err != nil {
			return fmt.Errorf("allocate incident number: %w", err)
		}
		now := s.now()
		inc = &Incident{
			Number: number, Title: title, Description: strings.TrimSpace(req.Description),
			Severity: sev, Status: StatusInvestigating, Commander: req.Actor, DeclaredBy: req.Actor,
			DetectedAt: now, DeclaredAt: now, AcknowledgedAt: &now, StatusAt: now,
		}
		ev := s.event(inc, EventDeclared, req.Actor, fmt.Sprintf("Declared %s: %s", sev, title),
			map[string]string{"severity": sev, "title": title})
		return s.create(tx, inc, []Event{ev}, nil)
	})
	if err != nil {
		return nil, err
	}
	return inc, nil
}

// SetStatus changes the status by hand.
func (s *Service) SetStatus(ctx context.Context, number int64, to Status, actor string) (*Incident, error) {
	if to == StatusResolved {
		return s.Resolve(ctx, number, "", actor)
	}
	return s.mutate(ctx, number, func(inc *Incident) ([]Event, []Task, error) {
		from, acked := inc.Status, inc.AcknowledgedAt != nil
		if err := inc.SetStatus(to, s.now()); err != nil {
			return nil, nil, err
		}
		events := []Event{s.event(inc, EventStatusChanged, actor, fmt.Sprintf("Status %s → %s", from, to),
			map[string]string{"from": string(from), "to": string(to)})}
		if acked || inc.AcknowledgedAt == nil {
			return events, nil, nil
		}
		// The first status update acknowledges: one truth for MTTA, the
		// postmortem and the pages, which close.
		ack := s.event(inc, EventAcknowledged, actor, "Acknowledged", map[string]string{"via": viaStatus})
		ack.ID += ":ack"
		return append(events, ack), []Task{closePages(inc.Number)}, nil
	})
}

// SetSeverity changes the severity.
func (s *Service) SetSeverity(ctx context.Context, number int64, severity, actor string) (*Incident, error) {
	sev, err := s.ParseSeverity(severity)
	if err != nil {
		return nil, err
	}
	return s.mutate(ctx, number, func(inc *Incident) ([]Event, []Task, error) {
		if inc.Severity == sev {
			return nil, nil, userErrorf(ErrTransition, "severity_already", map[string]any{"Number": inc.Number, "Severity": sev}, "incident #%d is already %s", inc.Number, sev)
		}
		from := inc.Severity
		inc.Severity = sev
		return []Event{s.event(inc, EventSeverityChanged, actor, fmt.Sprintf("Severity %s → %s", from, sev),
			map[string]string{"from": from, "to": sev})}, nil, nil
	})
}

// RoleCommander is the role name of the incident commander.
const RoleCommander = "commander"

// AssignRole gives a role ("commander" or any named role) to a user.
func (s *Service) AssignRole(ctx context.Context, number int64, role, user, actor string) (*Incident, error) {
	role = strings.ToLower(strings.TrimSpace(role))
	if role == "" || len(role) > 40 {
		return nil, userErrorf(ErrInvalid, "role_name", map[string]any{"Max": 40}, "a role needs a name of 1 to 40 characters")
	}
	if user == "" {
		return nil, userErrorf(ErrInvalid, "role_user", nil, "a role needs a user")
	}
	return s.mutate(ctx, number, func(inc *Incident) ([]Event, []Task, error) {
		if role == RoleCommander {
			if inc.Commander == user {
				return nil, nil, userErrorf(ErrTransition, "already_commander", map[string]any{"User": user}, "<@%s> is already commander", user)
			}
			inc.Commander = user
		} else {
			if inc.Roles[role] == user {
				return nil, nil, userErrorf(ErrTransition, "already_role", map[string]any{"User": user, "Role": role}, "<@%s> is already %s", user, role)
			}
			if inc.Roles == nil {
				inc.Roles = map[string]string{}
			}
			inc.Roles[role] = user
		}
		return []Event{s.event(inc, EventRoleAssigned, actor, fmt.Sprintf("%s: <@%s>", role, user),
			map[string]string{"role": role, "user": user})}, nil, nil
	})
}

// AddNote records a note on the timeline.
func (s *Service) AddNote(ctx context.Context, number int64, text, actor string) (*Incident, error) {
	return s.record(ctx, number, EventNote, text, actor, nil)
}

// Record adds an event of any type (pins, pages, Slack actions) without changing the incident.
// A non-empty id makes it idempotent.
func (s *Service) Record(ctx context.Context, number int64, ev Event) error {
	err := s.inTx(ctx, func(tx *unitOfWork) error {
		inc, err := tx.get(ctx, number)
		if err != nil {
			return fmt.Errorf("load incident #%d: %w", number, err)
		}
		if ev.ID == "" {
			ev.ID = s.event(inc, ev.Type, "", "", nil).ID
		}
		if ev.At.IsZero() {
			ev.At = s.now()
		}
		ev.Incident = number
		tx.addEvents([]Event{ev})
		return nil
	})
	if err != nil {
		return fmt.Errorf("record event on incident #%d: %w", number, err)
	}
	return nil
}

func (s *Service) record(ctx context.Context, number int64, typ EventType, text, actor string, fields map[string]string) (*Incident, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, userErrorf(ErrInvalid, "text_empty", map[string]any{"Type": string(typ)}, "the %s is empty", typ)
	}
	var inc *Incident
	err := s.inTx(ctx, func(tx *unitOfWork) error {
		var err error
		if inc, err = tx.get(ctx, number); err != nil {
			return fmt.Errorf("load incident #%d: %w", number, err)
		}
		tx.addEvents([]Event{s.event(inc, typ, actor, text, fields)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record %s on incident #%d: %w", typ, number, err)
	}
	return inc, nil
}

// AddAction adds a follow-up action item.
func (s *Service) AddAction(ctx context.Context, number int64, text, owner, actor string) (*Incident, error) {
	return s.AddActionDue(ctx, number, text, owner, time.Time{}, actor)
}

// AddActionDue adds a follow-up action item with an owner and a deadline
// (either may be empty).
func (s *Service) AddActionDue(ctx context.Context, number int64, text, owner string, due time.Time, actor string) (*Incident, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, userErrorf(ErrInvalid, "action_text", nil, "an action needs text")
	}
	if !due.IsZero() {
		due = due.UTC()
	}
	return s.mutate(ctx, number, func(inc *Incident) ([]Event, []Task, error) {
		a := Action{ID: len(inc.Actions) + 1, Text: text, Owner: owner, At: s.now(), Due: due}
		inc.Actions = append(inc.Actions, a)
		f := map[string]string{"action": fmt.Sprint(a.ID)}
		if owner != "" {
			f["owner"] = owner
		}
		if !due.IsZero() {
			f["due"] = due.Format(time.RFC3339)
		}
		return []Event{s.event(inc, EventAction, actor, text, f)}, nil, nil
	})
}

// How an acknowledgement came, as the acknowledged event's "via" field.
const (
	viaSlack  = "slack"  // a button or /incident ack
	viaStatus = "status" // the first status update
	ViaSMS    = "sms"
	ViaVoice  = "voice"
	ViaEmail  = "email"
	ViaPush   = "push"
)

// Acknowledge records the first acknowledgement, from Slack.
func (s *Service) Acknowledge(ctx context.Context, number int64, actor string) (*Incident, error) {
	return s.AcknowledgeVia(ctx, number, actor, viaSlack)
}

// AcknowledgeVia records the first acknowledgement, which came by via (an
// SMS reply, a key press, a link): one acknowledgement whatever the path.
// The incident's open pages close and every pending notification stops.
func (s *Service) AcknowledgeVia(ctx context.Context, number int64, actor, via string) (*Incident, error) {
	return s.mutate(ctx, number, func(inc *Incident) ([]Event, []Task, error) {
		if err := inc.Acknowledge(s.now()); err != nil {
			return nil, nil, err
		}
		if inc.Commander == "" && actor != "" && actor != ActorBot {
			inc.Commander = actor
		}
		return []Event{s.event(inc, EventAcknowledged, actor, "Acknowledged", map[string]string{"via": via})}, []Task{closePages(inc.Number)}, nil
	})
}

// closePages is the task that closes an incident's pages once it is
// acknowledged or resolved (the paging engine runs it, pages first).
func closePages(number int64) Task {
	return Task{Key: fmt.Sprintf("page-close:%d", number), Kind: TaskPagesClose, Incident: number, Priority: priorityPage}
}

// MayClose says whether actor may resolve or reopen inc (verb names which,
// for the refusal): whoever declared it, its commander, an admin, or the bot
// itself. A refusal is an ErrForbidden UserError that says who may.
func (s *Service) MayClose(inc *Incident, actor, verb string) error {
	if actor != "" && (actor == ActorBot || actor == ActorAlertmanager || actor == inc.DeclaredBy ||
		actor == inc.Commander || slices.Contains(s.opts.Admins, actor)) {
		return nil
	}
	who := "whoever declared it"
	if inc.Commander != "" {
		who = fmt.Sprintf("its commander <@%s>, %s", inc.Commander, who)
	}
	return userErrorf(ErrForbidden, "may_close", map[string]any{"Commander": inc.Commander, "Verb": verb, "Number": inc.Number},
		"only %s or an admin may %s incident #%d. Ask them, or take command first", who, verb, inc.Number)
}

// Resolve resolves an incident with an optional summary; see MayClose for who may.
func (s *Service) Resolve(ctx context.Context, number int64, summary, actor string) (*Incident, error) {
	return s.mutate(ctx, number, func(inc *Incident) ([]Event, []Task, error) {
		if err := s.MayClose(inc, actor, "resolve"); err != nil {
			return nil, nil, err
		}
		from := inc.Status
		if err := inc.SetStatus(StatusResolved, s.now()); err != nil {
			return nil, nil, err
		}
		text := "Resolved"
		fields := map[string]string{"from": string(from)}
		if summary = strings.TrimSpace(summary); summary != "" {
			inc.Summary = summary
			text += ": " + summary
			fields["summary"] = summary
		}
		return []Event{s.event(inc, EventResolved, actor, text, fields)}, []Task{closePages(inc.Number), expireSilencesTask(inc)}, nil
	})
}

// Reopen reopens a resolved incident; see MayClose for who may.
func (s *Service) Reopen(ctx context.Context, number int64, actor string) (*Incident, error) {
	return s.mutate(ctx, number, func(inc *Incident) ([]Event, []Task, error) {
		if err := s.MayClose(inc, actor, "reopen"); err != nil {
			return nil, nil, err
		}
		if err := inc.Reopen(s.now()); err != nil {
			return nil, nil, err
		}
		return []Event{s.event(inc, EventReopened, actor, "Reopened", nil)}, nil, nil
	})
}

// AutoResolve runs when an incident's alerts have all been resolved for
// AutoResolveAfter. It returns the time to try again when it is too early,
// and zero when there is nothing more to do.
func (s *Service) AutoResolve(ctx context.Context, number int64) (retryAt time.Time, err error) {
	if !s.opts.AutoResolve {
		return time.Time{}, nil
	}
	_, err = s.mutate(ctx, number, func(inc *Incident) ([]Event, []Task, error) {
		retryAt = time.Time{}
		if !inc.Open() || inc.AlertsClearAt.IsZero() || inc.AnyFiring() {
			return nil, nil, nil // fired again, or resolved already
		}
		due := inc.AlertsClearAt.Add(s.opts.AutoResolveAfter)
		if s.now().Before(due) {
			retryAt = due
			return nil, nil, nil
		}
		from := inc.Status
		if err := inc.SetStatus(StatusResolved, s.now()); err != nil {
			return nil, nil, err
		}
		text := fmt.Sprintf("Auto-resolved: every alert resolved %s ago", s.opts.AutoResolveAfter)
		return []Event{{
			ID:       fmt.Sprintf("%d:autoresolved:%d", inc.Number, inc.AlertsClearAt.UnixNano()),
			Incident: inc.Number, Type: EventResolved, At: s.now(), Actor: ActorBot, Text: text,
			Fields: map[string]string{"from": string(from), "auto": "true", "after": s.opts.AutoResolveAfter.String()},
		}}, []Task{closePages(inc.Number), expireSilencesTask(inc)}, nil
	})
	return retryAt, err
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
