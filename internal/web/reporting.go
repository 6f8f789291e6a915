package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// Reporting gives each incident's regulatory reports (not DORA the
// delivery metrics) and their drafts; nil: none are shown.
type Reporting interface {
	// Clocks are incident inc's regulatory reports at now, computed from its
	// timeline (already read) and the configured obligations.
	Clocks(inc *incidents.Incident, timeline []incidents.Event, now time.Time) []incidents.ReportClock
	// Draft renders the draft of one report as Markdown; an error wrapping
	// incidents.ErrNotFound for an obligation or a report the incident has not.
	Draft(ctx context.Context, n int64, obligation, report string) ([]byte, error)
}

// APIReport is one regulatory report of an incident.
type APIReport struct {
	Obligation string     `json:"obligation"`
	Report     string     `json:"report"`
	Due        *time.Time `json:"due"`       // null while what it counts from has not happened
	WaitsFor   string     `json:"waits_for"` // the report whose submission it counts from, while due is null
	Capped     bool       `json:"capped"`    // the at_most cap set the deadline
	State      string     `json:"state"`     // pending, due_soon, overdue, on_time, late
	Submitted  *time.Time `json:"submitted"` // the first submission
	Reference  string     `json:"reference"` // the latest submission's reference
	Draft      string     `json:"draft"`     // the draft's path
}

func apiReports(clocks []incidents.ReportClock, n int64) []APIReport {
	out := make([]APIReport, 0, len(clocks))
	for _, c := range clocks {
		r := APIReport{Obligation: c.Obligation, Report: c.Report, WaitsFor: c.Waits, Capped: c.Capped, State: c.State,
			Reference: c.Reference, Draft: draftPath(n, c.Obligation, c.Report)}
		if !c.Due.IsZero() {
			d := c.Due.UTC()
			r.Due = &d
		}
		if !c.Submitted.IsZero() {
			s := c.Submitted.UTC()
			r.Submitted = &s
		}
		out = append(out, r)
	}
	return out
}

func draftPath(n int64, obligation, report string) string {
	return fmt.Sprintf("/incidents/%d/reports/%s/%s.md", n, obligation, report)
}

// reportRow is one report on the incident page.
type reportRow struct {
	incidents.ReportClock
	Draft string
}

func reportRows(clocks []incidents.ReportClock, n int64) []reportRow {
	out := make([]reportRow, len(clocks))
	for i, c := range clocks {
		out[i] = reportRow{ReportClock: c, Draft: draftPath(n, c.Obligation, c.Report)}
	}
	return out
}

// clocks fills inc.Reporting from its timeline, when reporting is configured.
func (s *Server) clocks(inc *incidents.Incident, events []incidents.Event) {
	if s.opts.Reporting != nil {
		inc.Reporting = s.opts.Reporting.Clocks(inc, events, s.opts.Now())
	}
}

// reportDraft serves GET /incidents/{number}/reports/{obligation}/{report}.md:
// the draft as Markdown, written from the incident as it is now.
func (s *Server) reportDraft(w http.ResponseWriter, r *http.Request) {
	if s.opts.Reporting == nil {
		s.message(w, http.StatusNotFound, "Regulatory reporting not configured", "This incidentbot has no reporting obligations.")
		return
	}
	n, err := parseNumber(r.PathValue("number"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	report, ok := strings.CutSuffix(r.PathValue("report"), ".md")
	obligation := r.PathValue("obligation")
	if !ok || report == "" || obligation == "" {
		s.pageError(w, r, notFound("a report's draft is at /incidents/%d/reports/OBLIGATION/REPORT.md", n))
		return
	}
	md, err := s.opts.Reporting.Draft(r.Context(), n, obligation, report)
	if errors.Is(err, incidents.ErrNotFound) {
		err = notFound("%s", truncate(err.Error(), 300))
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="inc-%d-%s-%s.md"`, n, safeName(obligation), safeName(report)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(md)
}

// safeName keeps the characters a file name in a header may hold.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, truncate(s, 64))
}
