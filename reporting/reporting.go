// Package reporting is the domain of regulatory reporting: obligations such
// as EU DORA's major-incident reports or NIS2's significant-incident reports,
// each a list of reports whose deadlines count from an event of the
// incident (its detection, its classification under the obligation, the
// submission of an earlier report), and what state each report is in.
//
// It is pure: no I/O and no clock (now is a parameter), the standard library
// only. Evaluate turns an obligation and an incident's facts into each
// report's deadline and state. These regulatory reports have nothing to do
// with the DORA delivery metrics of package stats.
package reporting

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Duration is how long after its anchor a deadline falls: whole calendar
// months (counted on the wall clock of the team's zone) and then an exact
// duration. "1 month", "4h", "72h" and "1 month 12h" are durations.
type Duration struct {
	Months int
	D      time.Duration
}

// ErrSyntax is matched by every error of ParseDuration and ParseDeadline.
var ErrSyntax = errors.New("invalid")

var monthsRe = regexp.MustCompile(`^(\d{1,3})\s*months?$`)

// ParseDuration reads a duration: Go durations ("4h", "90m", "72h",
// "1h30m"), "N month"/"N months", or both ("1 month 12h"). It must be
// positive.
func ParseDuration(s string) (Duration, error) {
	fields := strings.Fields(strings.ToLower(s))
	var d Duration
	var seen bool
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if i+1 < len(fields) && (fields[i+1] == "month" || fields[i+1] == "months") {
			f, i = f+" "+fields[i+1], i+1
		}
		if m := monthsRe.FindStringSubmatch(f); m != nil && d.Months == 0 {
			n, _ := strconv.Atoi(m[1])
			d.Months, seen = n, true
			continue
		}
		v, err := time.ParseDuration(f)
		if err != nil || d.D != 0 {
			return Duration{}, fmt.Errorf("%w duration %q (write hours such as 4h or 72h, or months such as 1 month)", ErrSyntax, s)
		}
		d.D, seen = v, true
	}
	if !seen || d.Months < 0 || d.D < 0 || (d.Months == 0 && d.D == 0) {
		return Duration{}, fmt.Errorf("%w duration %q (it must be positive: 4h, 72h, 1 month)", ErrSyntax, s)
	}
	return d, nil
}

// String is the duration as ParseDuration reads it: "1 month", "72h", "1h30m".
func (d Duration) String() string {
	var parts []string
	switch {
	case d.Months == 1:
		parts = append(parts, "1 month")
	case d.Months > 1:
		parts = append(parts, fmt.Sprintf("%d months", d.Months))
	}
	if d.D != 0 || len(parts) == 0 {
		parts = append(parts, shortDuration(d.D))
	}
	return strings.Join(parts, " ")
}

// shortDuration is d without zero units: 72h, 1h30m, 15m, 90s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// After is the moment d after t: the months first, on the wall clock of
// loc (nil: UTC), then the exact duration. A month later than the 31st is
// the last day of a shorter month (31 January + 1 month = 28 or 29
// February), as EU law counts periods in months (Regulation (EEC,
// Euratom) No 1182/71, art. 3(2)(c)); the hour stays that of t, so the
// deadline never falls later than the law's end of that day.
func (d Duration) After(t time.Time, loc *time.Location) time.Time {
	if d.Months > 0 {
		if loc == nil {
			loc = time.UTC
		}
		l := t.In(loc)
		y, m, day := l.Date()
		first := time.Date(y, m+time.Month(d.Months), 1, 0, 0, 0, 0, loc)
		last := first.AddDate(0, 1, -1).Day()
		t = time.Date(first.Year(), first.Month(), min(day, last), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), loc)
	}
	return t.Add(d.D).UTC()
}

// AnchorEvent is what a deadline counts from.
type AnchorEvent string

// The events a deadline may count from.
const (
	// AnchorDetected: the incident's detection (becoming aware of it).
	AnchorDetected AnchorEvent = "detected"
	// AnchorClassified: its classification under the obligation.
	AnchorClassified AnchorEvent = "classified"
	// AnchorSubmitted: the submission of an earlier report of the
	// obligation: its latest submission, or its first with First.
	AnchorSubmitted AnchorEvent = "submitted"
)

// Anchor is the event a deadline counts from.
type Anchor struct {
	Event AnchorEvent
	// Report is the report whose submission counts, for AnchorSubmitted.
	Report string
	// First counts from the report's first submission instead of its latest.
	First bool
}

// String is the anchor as ParseDeadline reads it.
func (a Anchor) String() string {
	if a.Event != AnchorSubmitted {
		return string(a.Event)
	}
	if a.First {
		return "first " + a.Report + " submitted"
	}
	return a.Report + " submitted"
}

// Deadline is "<duration> after <anchor>".
type Deadline struct {
	After Duration
	From  Anchor
}

// String is the deadline as ParseDeadline reads it: "4h after classified".
func (d Deadline) String() string { return d.After.String() + " after " + d.From.String() }

var deadlineRe = regexp.MustCompile(`^(.+?)\s+after\s+(.+)$`)

// ParseDeadline reads "<duration> after <anchor>", the anchor being
// detected (or detection), classified (classification), "<report>
// submitted" (its latest submission) or "first <report> submitted".
func ParseDeadline(s string) (Deadline, error) {
	m := deadlineRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Deadline{}, fmt.Errorf("%w deadline %q (write <duration> after <detected|classified|REPORT submitted>, e.g. 4h after classified)", ErrSyntax, s)
	}
	d, err := ParseDuration(m[1])
	if err != nil {
		return Deadline{}, err
	}
	words := strings.Fields(strings.ToLower(m[2]))
	var a Anchor
	switch {
	case len(words) == 1 && (words[0] == "detected" || words[0] == "detection"):
		a.Event = AnchorDetected
	case len(words) == 1 && (words[0] == "classified" || words[0] == "classification"):
		a.Event = AnchorClassified
	case len(words) == 2 && (words[1] == "submitted" || words[1] == "submission"):
		a = Anchor{Event: AnchorSubmitted, Report: words[0]}
	case len(words) == 3 && (words[0] == "first" || words[0] == "latest" || words[0] == "last") && (words[2] == "submitted" || words[2] == "submission"):
		a = Anchor{Event: AnchorSubmitted, Report: words[1], First: words[0] == "first"}
	default:
		return Deadline{}, fmt.Errorf("%w anchor %q (count from detected, classified, or REPORT submitted)", ErrSyntax, m[2])
	}
	if a.Event == AnchorSubmitted && !ValidName(a.Report) {
		return Deadline{}, fmt.Errorf("%w anchor %q: %q is not a report name", ErrSyntax, m[2], a.Report)
	}
	return Deadline{After: d, From: a}, nil
}

var nameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidName reports whether s may name an obligation or a report:
// lowercase letters, digits, - and _, at most 64 — a word a command takes.
func ValidName(s string) bool { return nameRe.MatchString(s) }

// Report is one report an obligation requires.
type Report struct {
	Name string
	// Due is the report's deadline.
	Due Deadline
	// AtMost, when set, caps it: the earlier of Due and AtMost applies.
	AtMost *Deadline
	// Remind lists how long before the deadline to remind (1h, 15m): the
	// first of them also starts "due soon".
	Remind []time.Duration
}

// Obligation is one regulatory reporting obligation.
type Obligation struct {
	Name string
	// Title is the obligation in words ("EU DORA: major ICT-related incident").
	Title string
	// Reference is its legal basis, shown wherever the obligation is.
	Reference string
	// Template is the report template: a built-in one ("dora", "nis2") or
	// a file; empty: a plain one.
	Template string
	// Severities and Services start the obligation by themselves: an
	// incident of one of these severities, or of one of these services, is
	// classified under it as soon as it is. Otherwise only
	// `/incident classify <name>` does.
	Severities []string
	Services   []string
	Reports    []Report
}

// FieldError is one invalid field of an Obligation, by its path
// ("reports[1].due"), so a caller that read it from YAML finds the line.
type FieldError struct {
	Path string
	Msg  string
}

func (e FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// FieldErrors is every invalid field of one Obligation.
type FieldErrors []FieldError

func (es FieldErrors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "; ")
}

// Validate checks the obligation: a name, at least one report, unique
// report names, positive reminders, and deadlines that count only from an
// earlier report of the list (so no deadline waits on itself or on a later
// report).
func (o Obligation) Validate() error {
	var errs FieldErrors
	add := func(path, format string, args ...any) {
		errs = append(errs, FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if !ValidName(o.Name) {
		add("name", "%q is not a valid name (lowercase letters, digits, - and _; at most 64)", o.Name)
	}
	if len(o.Reports) == 0 {
		add("reports", "at least one report is required")
	}
	var before []string
	for i, r := range o.Reports {
		p := fmt.Sprintf("reports[%d]", i)
		if !ValidName(r.Name) {
			add(p+".name", "%q is not a valid name (lowercase letters, digits, - and _; at most 64)", r.Name)
		} else if r.Name == "draft" || r.Name == "submitted" {
			add(p+".name", "%q is a word of /incident report; name the report otherwise", r.Name)
		} else if slices.Contains(before, r.Name) {
			add(p+".name", "duplicate report %q", r.Name)
		}
		check := func(key string, d Deadline) {
			if d.From.Event == AnchorSubmitted && !slices.Contains(before, d.From.Report) {
				if d.From.Report == r.Name {
					add(p+"."+key, "a report cannot count from its own submission")
				} else {
					add(p+"."+key, "%q is not a report listed before %q (a deadline counts from an earlier report)", d.From.Report, r.Name)
				}
			}
		}
		check("due", r.Due)
		if r.AtMost != nil {
			check("at_most", *r.AtMost)
		}
		for j, d := range r.Remind {
			if d <= 0 {
				add(fmt.Sprintf("%s.remind[%d]", p, j), "must be positive")
			}
		}
		before = append(before, r.Name)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// AppliesTo reports whether an incident of this severity and service
// starts the obligation by itself.
func (o Obligation) AppliesTo(severity, service string) bool {
	return (severity != "" && slices.Contains(o.Severities, severity)) || (service != "" && slices.Contains(o.Services, service))
}

// Report returns the report of that name.
func (o Obligation) Report(name string) (Report, bool) {
	for _, r := range o.Reports {
		if r.Name == name {
			return r, true
		}
	}
	return Report{}, false
}

// ReportNames lists the reports in order.
func (o Obligation) ReportNames() []string {
	out := make([]string, len(o.Reports))
	for i, r := range o.Reports {
		out[i] = r.Name
	}
	return out
}
