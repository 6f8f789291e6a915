// Package maintenance holds maintenance windows: stretches of planned work
// during which the alerts of a service (or of label matchers) page nobody.
// A window is ad hoc (/oncall maintenance, kept in a Store) or an occurrence
// of a recurring one (maintenance: in the config). Each gets its silence in
// Alertmanager ahead of time; the paging engine holds back the pages of an
// incident that opens inside one.
package maintenance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/labels"
)

// maxLength bounds one window: longer is not maintenance but an outage of
// the alerting.
const maxLength = 31 * 24 * time.Hour

// MaxReason bounds a window's reason, in characters. Exported: the
// /oncall maintenance grammar (bot/command) checks the same bound.
const MaxReason = 300

// Window is one maintenance window, [From, To).
type Window struct {
	ID string
	// Service, or else Matchers (Alertmanager's syntax, one matcher each),
	// selects the alerts the window covers.
	Service   string
	Matchers  []string
	From, To  time.Time
	Reason    string
	CreatedBy string // Slack user ID; empty for a recurring window's occurrence
	CreatedAt time.Time
	// Silences are the IDs of the window's silences in Alertmanager.
	Silences []string
	// Recurring names the config's recurring window this is an occurrence of.
	Recurring string
}

// Errors of a Store.
var (
	ErrNotFound = incidents.ErrNotFound // one not-found for every store built on incidents
	ErrInvalid  = errors.New("invalid maintenance window")
)

// Selector returns the matchers of the window's silence: its Matchers, or
// service="<Service>".
func (w Window) Selector() (labels.Matchers, error) {
	if w.Service != "" {
		m, err := labels.NewMatcher(labels.MatchEqual, "service", w.Service)
		if err != nil {
			return nil, err
		}
		return labels.Matchers{m}, nil
	}
	return labels.ParseMatchers(w.Matchers)
}

// Target is what the window covers, as people read it: the service, or
// the matchers in braces.
func (w Window) Target() string {
	if w.Service != "" {
		return w.Service
	}
	return "{" + strings.Join(w.Matchers, ", ") + "}"
}

// Covers reports whether at falls in the window.
func (w Window) Covers(at time.Time) bool { return !at.Before(w.From) && at.Before(w.To) }

// Holds reports whether the window covers an incident of service whose
// firing alerts have the label sets alerts: the service is the window's, or
// every firing alert matches its selector (an incident with other alerts
// too still pages).
func (w Window) Holds(service string, alerts []map[string]string) bool {
	if w.Service != "" && service == w.Service {
		return true
	}
	sel, err := w.Selector()
	if err != nil || len(alerts) == 0 {
		return false
	}
	for _, labels := range alerts {
		if !sel.Matches(labels) {
			return false
		}
	}
	return true
}

// Validate checks a window: a service or matchers that parse and select
// something, a start before its end, at most maxLength long.
func (w Window) Validate() error {
	var problems []string
	switch {
	case w.Service == "" && len(w.Matchers) == 0:
		problems = append(problems, "needs a service or matchers")
	case w.Service != "" && len(w.Matchers) > 0:
		problems = append(problems, "takes a service or matchers, not both")
	}
	if sel, err := w.Selector(); err != nil {
		problems = append(problems, err.Error())
	} else if len(sel) > 0 && sel.Matches(map[string]string{}) {
		problems = append(problems, "its matchers match every alert (each matcher matches an empty label); name a label value")
	}
	switch {
	case w.From.IsZero() || w.To.IsZero():
		problems = append(problems, "needs a start and an end")
	case !w.To.After(w.From):
		problems = append(problems, "must end after it starts")
	case w.To.Sub(w.From) > maxLength:
		problems = append(problems, fmt.Sprintf("lasts at most %d days", int(maxLength/(24*time.Hour))))
	}
	if len([]rune(w.Reason)) > MaxReason {
		problems = append(problems, fmt.Sprintf("its reason is longer than %d characters", MaxReason))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}

// Store keeps the ad-hoc windows and the occurrences of recurring ones
// whose silences were made. IDs are given by the caller.
type Store interface {
	// AddWindow stores w; it reports false, storing nothing, when a window
	// with w.ID exists.
	AddWindow(ctx context.Context, w Window) (bool, error)
	// RemoveWindow deletes the window with id and returns it; ErrNotFound
	// when there is none.
	RemoveWindow(ctx context.Context, id string) (Window, error)
	// Windows returns the windows that end after endsAfter, by From then ID.
	Windows(ctx context.Context, endsAfter time.Time) ([]Window, error)
}

// Sort orders windows by From, then ID.
func Sort(ws []Window) {
	slices.SortFunc(ws, func(a, b Window) int {
		if c := a.From.Compare(b.From); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// Recurring is a window that comes back every week on Days, From to To
// (times of day in minutes after midnight, in Zone; To at or before From
// ends the next day).
type Recurring struct {
	Name     string
	Service  string
	Matchers []string
	Days     []time.Weekday
	From, To int // minutes after midnight
	Zone     *time.Location
	Reason   string
}

// Occurrences returns the recurring window's occurrences that overlap
// [from, to), by start. Each is a Window with a stable ID: the name and the
// start in UTC (db-patching-202611280200).
func (r Recurring) Occurrences(from, to time.Time) []Window {
	loc := r.Zone
	if loc == nil {
		loc = time.UTC
	}
	if to.Sub(from) > maxSpan {
		from = to.Add(-maxSpan) // a bounded walk, whatever the caller asks
	}
	var out []Window
	// An occurrence starts at most a day before it ends: begin a day early.
	day := from.In(loc).AddDate(0, 0, -1)
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	for d := day; d.Before(to); d = d.AddDate(0, 0, 1) {
		if !slices.Contains(r.Days, d.Weekday()) {
			continue
		}
		start := time.Date(d.Year(), d.Month(), d.Day(), r.From/60, r.From%60, 0, 0, loc)
		endDay := d
		if r.To <= r.From {
			endDay = d.AddDate(0, 0, 1)
		}
		end := time.Date(endDay.Year(), endDay.Month(), endDay.Day(), r.To/60, r.To%60, 0, 0, loc)
		if !end.After(from) || !start.Before(to) || !end.After(start) {
			continue
		}
		out = append(out, Window{
			ID: r.Name + "-" + start.UTC().Format("200601021504"), Service: r.Service, Matchers: slices.Clone(r.Matchers),
			From: start.UTC(), To: end.UTC(), Reason: r.Reason, Recurring: r.Name,
		})
	}
	return out
}

// maxSpan bounds the stretch Occurrences walks.
const maxSpan = 400 * 24 * time.Hour

// Validate checks a recurring window's fields.
func (r Recurring) Validate() error {
	w := Window{Service: r.Service, Matchers: r.Matchers, From: time.Unix(0, 0), To: time.Unix(60, 0), Reason: r.Reason}
	var problems []string
	if err := w.Validate(); err != nil {
		problems = append(problems, strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
	}
	if len(r.Days) == 0 {
		problems = append(problems, "needs days")
	}
	if r.From == r.To {
		problems = append(problems, "from and to are the same time: a window needs a length")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}
