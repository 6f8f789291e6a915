package incidents

import (
	"strconv"
	"strings"
	"time"
)

// Regulatory reporting lives on the timeline: classifying an incident under
// an obligation, and each report's draft, submission, reminder and overdue
// notice, are events. The timeline, hash-chained, is the record the
// deadlines are computed from (package reporting computes them from
// ReportingFacts and the configured obligations).
const (
	EventClassified      EventType = "classified"       // fields: obligation
	EventReportDrafted   EventType = "report_drafted"   // fields: obligation, report, url
	EventReportSubmitted EventType = "report_submitted" // fields: obligation, report, reference (optional)
	EventReportReminder  EventType = "report_reminder"  // fields: obligation, report, due (RFC 3339), before (a duration)
	EventReportOverdue   EventType = "report_overdue"   // fields: obligation, report, due (RFC 3339)
)

// ObligationFacts are what an incident's timeline says about one
// obligation it was classified under.
type ObligationFacts struct {
	Obligation   string
	ClassifiedAt time.Time
	ClassifiedBy string
	Submissions  []ReportSubmission // oldest first
}

// ReportSubmission is one report submitted to the authority.
type ReportSubmission struct {
	Report    string
	At        time.Time
	By        string
	Reference string
}

// ReportingFacts reads from a timeline the obligations the incident was
// classified under, in the order they were classified, with the reports
// submitted under each. A submission before the classification (there
// should be none) still counts.
func ReportingFacts(events []Event) []ObligationFacts {
	var out []ObligationFacts
	index := map[string]int{}
	at := func(name string) *ObligationFacts {
		i, ok := index[name]
		if !ok {
			i = len(out)
			index[name] = i
			out = append(out, ObligationFacts{Obligation: name})
		}
		return &out[i]
	}
	for _, e := range events {
		name := e.Fields["obligation"]
		if name == "" {
			continue
		}
		switch e.Type {
		case EventClassified:
			f := at(name)
			if f.ClassifiedAt.IsZero() || e.At.Before(f.ClassifiedAt) {
				f.ClassifiedAt, f.ClassifiedBy = e.At, e.Actor
			}
		case EventReportSubmitted:
			f := at(name)
			f.Submissions = append(f.Submissions, ReportSubmission{Report: e.Fields["report"], At: e.At, By: e.Actor, Reference: e.Fields["reference"]})
		}
	}
	// Obligations with submissions but no classification are not shown.
	kept := out[:0]
	for _, f := range out {
		if !f.ClassifiedAt.IsZero() {
			kept = append(kept, f)
		}
	}
	return kept
}

// Classified reports whether the timeline classifies the incident under
// the obligation.
func Classified(events []Event, obligation string) bool {
	for _, e := range events {
		if e.Type == EventClassified && e.Fields["obligation"] == obligation {
			return true
		}
	}
	return false
}

// ReportClock is one regulatory report an incident owes: its deadline and
// where it stands, as internal/app computed them (package reporting) from
// the timeline and the configured obligations when it read the incident.
type ReportClock struct {
	Obligation string
	Report     string
	// Due is the deadline; zero while what it counts from has not happened
	// (Waits names the report whose submission it waits for).
	Due   time.Time
	Waits string
	// After is how long after its anchor the deadline falls ("72h", "1
	// month"), for saying when a waiting report will be due.
	After  string
	Capped bool // the at_most cap set Due
	// State is pending, due_soon, overdue, on_time or late (reporting.State).
	State string
	// Submitted is the report's first submission (zero: none); Reference
	// the latest one's reference.
	Submitted time.Time
	Reference string
}

// Report states as ReportClock.State holds them (reporting.State's values).
const (
	ReportPending = "pending"
	ReportDueSoon = "due_soon"
	ReportOverdue = "overdue"
	ReportOnTime  = "on_time"
	ReportLate    = "late"
)

// Open reports whether the report is still to be submitted.
func (c ReportClock) Open() bool { return c.Submitted.IsZero() }

// ReportingEventID is the ID of a reporting event that happens once per
// incident, obligation and key (a classification, a reminder point, an
// overdue notice), so recording it twice keeps one.
func ReportingEventID(number int64, typ EventType, obligation string, key ...string) string {
	return strings.Join(append([]string{strconv.FormatInt(number, 10), string(typ), obligation}, key...), ":")
}
