package paging

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/oncall"
)

// Incidents is what the engine asks of the incidents service.
type Incidents interface {
	Get(ctx context.Context, number int64) (*incidents.Incident, error)
	Timeline(ctx context.Context, number int64) ([]incidents.Event, error)
	Record(ctx context.Context, number int64, ev incidents.Event) error
	// RecordVisible records events people see in the summary, with a Slack sync.
	RecordVisible(ctx context.Context, number int64, events ...incidents.Event) error
	AcknowledgeVia(ctx context.Context, number int64, actor, via string) (*incidents.Incident, error)
}

// Queue is the durable job queue the engine's steps run on.
type Queue interface {
	Enqueue(ctx context.Context, j jobs.Job) error
	Cancel(ctx context.Context, key string) error
}

// Slack is the Slack side of a page: the direct message or channel message
// with its buttons (bot.Notifier implements it).
type Slack interface {
	// SendPage posts page p (a direct message to p.User, or a message in a
	// channel target) and returns where it is. It does not wait for the
	// incident's channel: without one it posts without the link and
	// reports linked false.
	SendPage(ctx context.Context, number int64, p oncall.PageRecord, note string) (channel, ts string, linked bool, err error)
	// LinkPage adds the incident channel's link to a page posted before the
	// channel existed and invites the person; linked is false while there
	// is still no channel.
	LinkPage(ctx context.Context, p oncall.PageRecord, inc *incidents.Incident, note string) (linked bool, err error)
	// ClosePage replaces a page's buttons with how it ended.
	ClosePage(ctx context.Context, p oncall.PageRecord, inc *incidents.Incident) error
	// NobodyAcknowledged tells the channels nobody acknowledged.
	NobodyAcknowledged(ctx context.Context, number int64, paged []string) error
}

// Directory is the team as the config describes it.
type Directory interface {
	// Policy returns an escalation policy by name.
	Policy(name string) (oncall.EscalationPolicy, bool)
	// Schedules returns the schedules by name.
	Schedules() map[string]oncall.Schedule
	// Contact returns how the person with Slack ID user is woken.
	Contact(user string) oncall.Person
	// PersonByPhone returns the person with an E.164 number.
	PersonByPhone(number string) (oncall.Person, bool)
}

// Overrides reads on-call overrides.
type Overrides interface {
	Overrides(ctx context.Context, schedule string, endsAfter time.Time) ([]oncall.Override, error)
}

// Maintenance tells whether an incident opens inside a maintenance window
// (internal/app implements it with the windows and the config).
type Maintenance interface {
	// During returns the window that holds inc's pages at at, if any.
	During(ctx context.Context, inc *incidents.Incident, at time.Time) (incidents.HoldFact, bool, error)
}

// Words renders the engine's sentences in the team's language
// (templates.Lang implements it).
type Words interface {
	Text(name string, data any) string
}

// Links makes the signed, expiring links that acknowledge from an email or
// a push notification.
type Links interface {
	AckURL(n Notification, expires time.Time) string
}

// Options build an Engine. Store, Incidents, Queue and Directory are required.
type Options struct {
	Store     Store
	Incidents Incidents
	Queue     Queue
	Directory Directory
	Overrides Overrides
	// Slack posts the Slack side; nil pages without Slack.
	Slack Slack
	// SlackError classifies a Slack failure for the job runner (retry after
	// Retry-After, back off, or give up); nil returns it as it is.
	SlackError func(error) error
	// Senders send each method other than Slack; Fallbacks are tried when
	// a sender fails (a second SMS/voice provider).
	Senders   map[oncall.Method]Sender
	Fallbacks map[oncall.Method]Sender
	// Maintenance, when set, holds back the escalation of an incident that
	// opens inside a maintenance window until the window ends.
	Maintenance Maintenance
	// DefaultRules are the team's rules for people without their own.
	DefaultRules []oncall.NotifyRule
	// Links signs acknowledge links; nil sends none.
	Links      Links
	AckLinkTTL time.Duration
	// CallbackURL returns where a provider reports on notification id
	// (Twilio's status callbacks and key presses); nil: none.
	CallbackURL func(id string) string
	// PublicURL is the bot's base URL, for incident links.
	PublicURL string
	Words     Words
	// Location is the team's zone, for times in messages.
	Location   *time.Location
	Now        func() time.Time
	Logger     *logrus.Entry
	Registerer prometheus.Registerer
}

// Engine pages people: escalation steps by policy, notifications by each
// person's rules, every step a durable job; acknowledgement from any path.
type Engine struct {
	o       Options
	log     *logrus.Entry
	metrics *metrics
}

// New returns an engine; Register puts its jobs on a runner.
func New(o Options) (*Engine, error) {
	if o.Store == nil || o.Incidents == nil || o.Queue == nil || o.Directory == nil {
		return nil, errors.New("paging: Store, Incidents, Queue and Directory are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.AckLinkTTL <= 0 {
		o.AckLinkTTL = 24 * time.Hour
	}
	if o.SlackError == nil {
		o.SlackError = func(err error) error { return err }
	}
	if o.Words == nil {
		o.Words = englishOnly{}
	}
	log := discard.IfNil(o.Logger)
	return &Engine{o: o, log: log, metrics: newMetrics(o.Registerer)}, nil
}

// englishOnly is the Words of an engine built without templates (tests).
type englishOnly struct{}

func (englishOnly) Text(name string, data any) string { return fmt.Sprintf("%s %v", name, data) }

// Register handles the engine's job kinds on r.
func (e *Engine) Register(r *jobs.Runner) {
	jobs.Handle(r, jobStep, e.runStep)
	jobs.Handle(r, jobExhausted, e.runExhausted)
	jobs.Handle(r, jobClose, e.runClose)
	jobs.Handle(r, jobDecline, e.runDecline)
	jobs.Handle(r, jobManual, e.runManual)
	jobs.Handle(r, jobRepage, e.runRepage)
	jobs.Handle(r, jobNotify, e.runNotify)
	jobs.Handle(r, jobLink, e.runLink)
	jobs.Handle(r, jobResume, e.runResume)
}

// JobKinds are the names of the kinds Register handles.
func JobKinds() []string {
	return []string{jobStep.Name, jobExhausted.Name, jobClose.Name, jobDecline.Name, jobManual.Name, jobRepage.Name, jobNotify.Name, jobLink.Name, jobResume.Name}
}

// awaitsAck reports whether paging for inc should go on.
func awaitsAck(inc *incidents.Incident) bool { return inc.Open() && inc.AcknowledgedAt == nil }

// overrideHistory is how far back overrides are read: enough for any
// shift that may still be running.
const overrideHistory = oncall.MaxOverrideLength

func (e *Engine) overrides(ctx context.Context) ([]oncall.Override, error) {
	if e.o.Overrides == nil {
		return nil, nil
	}
	return e.o.Overrides.Overrides(ctx, "", e.o.Now().Add(-overrideHistory))
}

// plan lays out the escalation of inc under its policy, with the shift
// declines gave the steps not yet run; ok is false when the incident has
// no (known) policy.
func (e *Engine) plan(ctx context.Context, inc *incidents.Incident) (oncall.EscalationPolicy, oncall.Plan, Escalation, bool, error) {
	if inc.EscalationPolicy == "" {
		return oncall.EscalationPolicy{}, oncall.Plan{}, Escalation{}, false, nil
	}
	p, ok := e.o.Directory.Policy(inc.EscalationPolicy)
	if !ok {
		e.log.WithField("incident", inc.Number).Warnf("escalation policy %q is not configured: nobody is paged", inc.EscalationPolicy)
		return p, oncall.Plan{}, Escalation{}, false, nil
	}
	ovs, err := e.overrides(ctx)
	if err != nil {
		return p, oncall.Plan{}, Escalation{}, false, err
	}
	esc, err := e.escalation(ctx, inc.Number)
	if err != nil {
		return p, oncall.Plan{}, esc, false, err
	}
	plan := oncall.NewPlan(inc.Number, p, inc.DeclaredAt, e.o.Directory.Schedules(), ovs)
	for i := range plan.Steps {
		if !esc.done(plan.Steps[i].Key) {
			plan.Steps[i].At = plan.Steps[i].At.Add(-esc.Shift)
		}
	}
	plan.Exhausted = plan.Exhausted.Add(-esc.Shift)
	return p, plan, esc, true, nil
}

// escalation returns the stored escalation of an incident, or a new one.
func (e *Engine) escalation(ctx context.Context, number int64) (Escalation, error) {
	esc, err := e.o.Store.GetEscalation(ctx, number)
	if errors.Is(err, ErrNotFound) {
		return Escalation{Incident: number}, nil
	}
	return esc, err
}

func (esc Escalation) done(key string) bool {
	for _, k := range esc.Done {
		if k == key {
			return true
		}
	}
	return false
}

// updateEscalation applies change to the stored escalation, again on a
// conflict with another writer.
func (e *Engine) updateEscalation(ctx context.Context, number int64, change func(*Escalation) bool) error {
	for range 10 {
		esc, err := e.escalation(ctx, number)
		if err != nil {
			return err
		}
		if !change(&esc) {
			return nil
		}
		esc.UpdatedAt = e.o.Now()
		err = e.o.Store.PutEscalation(ctx, &esc)
		if !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("escalation of incident #%d: %w too often", number, ErrConflict)
}

// shortID is a stable, URL-safe ID for parts (a notification's page, step
// and method): short enough for an SMS and a link.
func shortID(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return prefix + hex.EncodeToString(h.Sum(nil))[:20]
}

func incidentURL(base string, n int64) string { return fmt.Sprintf("%s/incidents/%d", base, n) }
