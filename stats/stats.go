// Package stats computes the response and delivery figures — counts, MTTA, the
// two MTTRs, longest incidents, noisiest alerts, follow-ups, on-call load and the
// five DORA metrics — from incidents, deployments and pages handed to it, and
// draws them as SVG. It is pure: no I/O, no clock (now is a parameter), and it
// imports the standard library and the incidents and deploys packages only.
// The results are plain values with JSON tags, for Slack, the web view and the API alike.
//
// # The window
//
// A report covers [From, To). An incident belongs to it when it was detected in
// the window (DetectedAt, or DeclaredAt when that is unset); its intervals are
// then measured in full, even when the acknowledgement or the restore came after
// To. An incident detected before From is left out even if it was still open in
// the window. Deployments, pages and DORA figures likewise count the deployments
// and pages whose At is in the window; the events they are measured to (a restore,
// the next deployment) may fall after To.
package stats

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
)

// ErrWindow is returned for a window that is empty, reversed or too long.
var ErrWindow = errors.New("invalid stats window")

// maxWindow bounds a report's window, and with it the weekly series.
const maxWindow = 5 * 366 * 24 * time.Hour

// none names the group of incidents without a service or a severity.
const none = "(none)"

// Definitions of every figure, in words; Report.Definitions carries them so
// that every renderer can say what a number means.
const (
	defTimeToAcknowledge = "MTTA: first acknowledgement − detection"
	defTimeToRestore     = "MTTR (restore): mitigated, else resolved, − detection"
	defTimeToResolve     = "time to resolve: resolved − detection"
	defLongest           = "duration: detection (else declaration) to resolution, open incidents to now; whole seconds, rounded down (incidents.Incident.Duration)"
	defLeadTime          = "change lead time: commit_at → at, successful deployments"
	defFrequency         = "deployment frequency: deployments (any status) per day of the window"
	defChangeFail        = "change fail rate: deployments with status failure or linked as the cause of an incident ÷ deployments"
	defRecovery          = "failed deployment recovery time: failed deployment → restore of its linked incidents (the last of them), or, with no linked incident, → the next successful deployment of the service to the environment"
	defRework            = "deployment rework rate: deployments made while an incident linked to an earlier deployment of the same service and environment was unresolved ÷ deployments"
	defOutOfHours        = "out of hours: outside Monday to Friday 09:00–18:00 in the report's zone (oncall.IsOutOfHours)"
	defRegulatory        = "regulatory reports of the window's incidents: on time = first submitted by its deadline, late = after it, overdue = not submitted and past it, pending = not submitted and not yet due"
)

// PageRecord is one page sent to a person.
type PageRecord struct {
	User string    `json:"user"`
	At   time.Time `json:"at"`
}

// Input is everything a report is computed from. Incidents and Deploys may
// reach outside the window: incidents outside it are still used to find the
// incidents linked to deployments, and deployments outside it give the next
// successful deployment.
type Input struct {
	From, To  time.Time
	Incidents []*incidents.Incident
	Deploys   []deploys.Deployment
	// Causes links incidents (by number) to the deployment (by ID) that caused them.
	Causes map[int64]string
	Pages  []PageRecord
	Options
}

// Options tune a report; the zero value is usable.
type Options struct {
	// Service keeps only that service's incidents and deployments (pages have no
	// service and are all kept). Empty: every service.
	Service string
	// Zone is where weeks start (Monday 00:00) and working hours are; nil: UTC.
	Zone *time.Location
	// Top is how many longest incidents and noisiest alerts to list; 0: 5.
	Top int
	// Severities orders the severity counts and charts (most severe first, as
	// configured); they are listed even when zero. Others follow by name.
	Severities []string
}

// Count is how many items share a name.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Longest is one of the longest incidents.
type Longest struct {
	Number   int64    `json:"number"`
	Title    string   `json:"title"`
	Severity string   `json:"severity"`
	Service  string   `json:"service,omitempty"`
	Duration Duration `json:"duration_seconds"`
	// Open marks an incident still open: its duration runs to now.
	Open bool `json:"open,omitempty"`
}

// AlertCount is how often an alert name fired.
type AlertCount struct {
	Name string `json:"name"`
	// Alerts counts distinct alerts (fingerprints); Incidents the incidents they were on.
	Alerts    int `json:"alerts"`
	Incidents int `json:"incidents"`
}

// FollowUps counts the action items of the window's incidents.
type FollowUps struct {
	Open int `json:"open"`
	Done int `json:"done"`
}

// Report holds every figure for one window.
type Report struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Zone is the IANA name of the zone weeks and working hours were taken in.
	Zone    string `json:"zone"`
	Service string `json:"service,omitempty"`
	// Incidents is how many incidents were detected in the window; Open how many
	// of them are not resolved.
	Incidents  int     `json:"incidents"`
	Open       int     `json:"open"`
	BySeverity []Count `json:"by_severity"`
	ByService  []Count `json:"by_service"`

	TimeToAcknowledge Durations `json:"time_to_acknowledge"`
	TimeToRestore     Durations `json:"time_to_restore"`
	TimeToResolve     Durations `json:"time_to_resolve"`

	Longest        []Longest    `json:"longest"`
	NoisiestAlerts []AlertCount `json:"noisiest_alerts"`
	FollowUps      FollowUps    `json:"follow_ups"`
	OnCall         OnCallLoad   `json:"on_call"`
	DORA           []DORA       `json:"dora"`
	Weeks          []Week       `json:"weeks"`
	// Regulatory counts the regulatory reports (not DORA the delivery
	// metrics above) of the window's incidents by state.
	Regulatory RegulatoryReports `json:"regulatory_reporting"`

	// Definitions says in words what each figure measures and how.
	Definitions map[string]string `json:"definitions"`
}

// Compute returns the report for in's window; now is the time open incidents are
// measured to and where the deployment-frequency window ends if To is later.
func Compute(in Input, now time.Time) (Report, error) {
	if !in.To.After(in.From) || in.To.Sub(in.From) > maxWindow {
		return Report{}, fmt.Errorf("%w: from %s to %s", ErrWindow, in.From.Format(time.RFC3339), in.To.Format(time.RFC3339))
	}
	o := in.Options.withDefaults()
	r := Report{From: in.From, To: in.To, Zone: o.Zone.String(), Service: o.Service, Definitions: definitions()}

	var window []*incidents.Incident
	for _, inc := range in.Incidents {
		if inc != nil && inWindow(detectedAt(inc), in.From, in.To) && (o.Service == "" || serviceOf(inc) == o.Service) {
			window = append(window, inc)
		}
	}
	r.Incidents = len(window)

	bySev := map[string]int{}
	bySvc := map[string]int{}
	var ack, restore, resolve sample
	for _, inc := range window {
		if inc.Open() {
			r.Open++
		}
		bySev[orNone(inc.Severity)]++
		bySvc[orNone(serviceOf(inc))]++
		measure(&ack, inc, inc.AcknowledgedAt)
		measure(&restore, inc, restoredAt(inc))
		measure(&resolve, inc, inc.ResolvedAt)
		r.Regulatory.count(inc.Reporting)
		for _, a := range inc.Actions {
			if a.Done {
				r.FollowUps.Done++
			} else {
				r.FollowUps.Open++
			}
		}
	}
	r.BySeverity = severityCounts(bySev, o.Severities)
	r.ByService = sortedCounts(bySvc)
	r.TimeToAcknowledge = ack.summary(defTimeToAcknowledge, "never acknowledged")
	r.TimeToRestore = restore.summary(defTimeToRestore, "not yet restored")
	r.TimeToResolve = resolve.summary(defTimeToResolve, "not yet resolved")
	r.Longest = longest(window, now, o.Top)
	r.NoisiestAlerts = noisiest(window, o.Top)
	r.OnCall = onCallLoad(in.Pages, in.From, in.To, o)
	r.DORA = dora(in, o.Service, now)
	r.Weeks = weeks(window, in.From, in.To, o, r.BySeverity)
	return r, nil
}

func (o Options) withDefaults() Options {
	if o.Zone == nil {
		o.Zone = time.UTC
	}
	if o.Top <= 0 {
		o.Top = 5
	}
	return o
}

func definitions() map[string]string {
	return map[string]string{
		"window":                          "incidents detected, and deployments and pages made, in [from, to); intervals are measured in full even when they end after to",
		"percentiles":                     "median and p90 by nearest rank: the ⌈p/100·n⌉-th smallest value",
		"time_to_acknowledge":             defTimeToAcknowledge,
		"time_to_restore":                 defTimeToRestore,
		"time_to_resolve":                 defTimeToResolve,
		"longest":                         defLongest,
		"deployment_frequency":            defFrequency,
		"change_lead_time":                defLeadTime,
		"change_fail_rate":                defChangeFail,
		"failed_deployment_recovery_time": defRecovery,
		"deployment_rework_rate":          defRework,
		"out_of_hours":                    defOutOfHours,
		"regulatory_reporting":            defRegulatory,
	}
}

func inWindow(t, from, to time.Time) bool { return !t.Before(from) && t.Before(to) }

// detectedAt is when the incident started to count; a declared incident with no
// alert may have only DeclaredAt.
func detectedAt(inc *incidents.Incident) time.Time { return inc.Started() }

// restoredAt is when service was restored: mitigated, else resolved.
func restoredAt(inc *incidents.Incident) *time.Time {
	if inc.MitigatedAt != nil {
		return inc.MitigatedAt
	}
	return inc.ResolvedAt
}

func serviceOf(inc *incidents.Incident) string {
	if inc.Service != "" {
		return inc.Service
	}
	return inc.Labels["service"]
}

func measure(s *sample, inc *incidents.Incident, at *time.Time) {
	if at == nil {
		s.missing++
		return
	}
	s.add(at.Sub(detectedAt(inc)))
}

func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}

// severityCounts lists the configured severities first, in order and even when
// zero, then any others by name.
func severityCounts(m map[string]int, order []string) []Count {
	out := make([]Count, 0, len(m)+len(order))
	seen := map[string]bool{}
	for _, s := range order {
		if !seen[s] {
			seen[s] = true
			out = append(out, Count{Name: s, Count: m[s]})
		}
	}
	var rest []Count
	for name, n := range m {
		if !seen[name] {
			rest = append(rest, Count{Name: name, Count: n})
		}
	}
	slices.SortFunc(rest, func(a, b Count) int { return cmp.Compare(a.Name, b.Name) })
	return append(out, rest...)
}

// sortedCounts lists the biggest first, ties by name.
func sortedCounts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for name, n := range m {
		out = append(out, Count{Name: name, Count: n})
	}
	slices.SortFunc(out, func(a, b Count) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func longest(window []*incidents.Incident, now time.Time, top int) []Longest {
	all := make([]Longest, 0, len(window))
	for _, inc := range window {
		all = append(all, Longest{Number: inc.Number, Title: inc.Title, Severity: inc.Severity, Service: serviceOf(inc),
			Duration: Duration(inc.Duration(now)), Open: inc.Open()})
	}
	slices.SortFunc(all, func(a, b Longest) int {
		return cmp.Or(cmp.Compare(b.Duration, a.Duration), cmp.Compare(a.Number, b.Number))
	})
	return all[:min(top, len(all))]
}

func noisiest(window []*incidents.Incident, top int) []AlertCount {
	idx := map[string]int{}
	all := []AlertCount{} // [] rather than null in JSON
	var last []int        // per name, the last incident (index in window) it was counted for
	for n, inc := range window {
		for _, a := range inc.Alerts {
			name := a.Labels["alertname"]
			if name == "" {
				continue
			}
			i, ok := idx[name]
			if !ok {
				i = len(all)
				idx[name] = i
				all = append(all, AlertCount{Name: name})
				last = append(last, -1)
			}
			all[i].Alerts++
			if last[i] != n {
				last[i] = n
				all[i].Incidents++
			}
		}
	}
	slices.SortFunc(all, func(a, b AlertCount) int {
		return cmp.Or(cmp.Compare(b.Alerts, a.Alerts), cmp.Compare(b.Incidents, a.Incidents), cmp.Compare(a.Name, b.Name))
	})
	return all[:min(top, len(all))]
}

// RegulatoryReports counts regulatory reports by state.
type RegulatoryReports struct {
	Reports int `json:"reports"`
	OnTime  int `json:"on_time"`
	Late    int `json:"late"`
	Overdue int `json:"overdue"`
	Pending int `json:"pending"` // not submitted and not past its deadline (due soon included)
}

func (r *RegulatoryReports) count(clocks []incidents.ReportClock) {
	for _, c := range clocks {
		r.Reports++
		switch c.State {
		case incidents.ReportOnTime:
			r.OnTime++
		case incidents.ReportLate:
			r.Late++
		case incidents.ReportOverdue:
			r.Overdue++
		default:
			r.Pending++
		}
	}
}
