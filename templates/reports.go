package templates

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/template"
	"time"
)

// The built-in regulatory report templates, each in English and Russian
// (default/reports/NAME.LOCALE.md.tmpl), in the shape of the regime's own
// template fields. An obligation names one (reporting[].template) or a file.
const (
	// reportDORA follows the data fields of the major ICT-related incident
	// template of Implementing Regulation (EU) 2025/302 (Annex I), as
	// Delegated Regulation (EU) 2025/301 arts. 1–4 ask for them per report.
	reportDORA = "dora"
	// reportNIS2 follows Directive (EU) 2022/2555 art. 23(4): early warning,
	// incident notification, final report.
	reportNIS2 = "nis2"
	// reportPlain is a plain report of the incident's facts; the default.
	reportPlain = "plain"
)

// reportTemplates lists the built-in report templates.
func reportTemplates() []string { return []string{reportDORA, reportNIS2, reportPlain} }

// IsReportTemplate reports whether name is a built-in report template.
func IsReportTemplate(name string) bool { return slices.Contains(reportTemplates(), name) }

// ReportDraft is what a regulatory report template sees: the obligation,
// the report being drafted, and the incident's facts. Text is raw
// (templates escape it with md, cell or code), times are UTC, a zero time
// did not happen.
type ReportDraft struct {
	Locale    Locale
	Zone      *time.Location
	Generated time.Time

	Obligation      string // its name in the config: dora-major
	ObligationTitle string // in words, when configured
	Reference       string // its legal reference
	Report          string // the report drafted: initial, intermediate, final, …
	Reports         []string
	Due             time.Time // its deadline; zero while not known
	Capped          bool      // the at_most cap set Due
	Submissions     []ReportSubmission

	Number              int64
	Title               string
	Description         string
	Severity            string
	SeverityDescription string
	IncidentStatus      string
	Services            []string
	Commander           string
	Summary             string // the resolution summary
	DetectedAt          time.Time
	DeclaredAt          time.Time
	ClassifiedAt        time.Time
	AckedAt             time.Time
	MitigatedAt         time.Time
	ResolvedAt          time.Time
	Duration            time.Duration // detection to resolution, or to Generated
	Ongoing             bool
	FirstAlert          *Alert
	Fired               []string // alert names that fired
	Timeline            []Entry  // the timeline, oldest first, without alert events
	Actions             []Action
	IncidentURL         string
}

// ReportSubmission is one report already submitted.
type ReportSubmission struct {
	Report    string
	At        time.Time
	Reference string
}

// sampleReport is report data with every field set, for trial runs.
func sampleReport(loc Locale) *ReportDraft {
	pm := Sample(loc)
	at := pm.Generated
	return &ReportDraft{
		Locale: loc, Zone: time.UTC, Generated: at,
		Obligation: "dora-major", ObligationTitle: "EU DORA", Reference: "Regulation (EU) 2022/2554, art. 19",
		Report: "intermediate", Reports: []string{"initial", "intermediate", "final"}, Due: at, Capped: true,
		Submissions: []ReportSubmission{{Report: "initial", At: at, Reference: "REF-1"}},
		Number:      1, Title: "Sample", Description: "d", Severity: "sev1", SeverityDescription: "Critical",
		IncidentStatus: "resolved", Services: []string{"checkout"}, Commander: "alice", Summary: "s",
		DetectedAt: at, DeclaredAt: at, ClassifiedAt: at, AckedAt: at, MitigatedAt: at, ResolvedAt: at,
		Duration: time.Hour, FirstAlert: pm.FirstAlert, Fired: []string{"HighErrorRate"},
		Timeline: pm.Timeline.Days[0].Events, Actions: pm.Actions, IncidentURL: pm.IncidentURL,
	}
}

// loadReports parses the built-in report templates.
func loadReports() (map[string]map[Locale]*template.Template, error) {
	out := map[string]map[Locale]*template.Template{}
	for _, name := range reportTemplates() {
		out[name] = map[Locale]*template.Template{}
		for _, loc := range []Locale{EN, RU} {
			file := "default/reports/" + name + "." + string(loc) + ".md.tmpl"
			text, err := defaults.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("read embedded template %s: %w", file, err)
			}
			t, err := parseReport(file, string(text))
			if err != nil {
				return nil, err
			}
			out[name][loc] = t
		}
	}
	return out, nil
}

// parseReport parses a report template and runs it on sampleReport in both
// locales, so check-config reports a misspelt field with its line.
func parseReport(name, text string) (*template.Template, error) {
	return parseTrial(name, text, func(loc Locale) any { return sampleReport(loc) })
}

// LoadReport reads, parses and trial-runs a report template file.
func LoadReport(path string) (*template.Template, error) {
	text, err := readTemplateFile(path, "report template")
	if err != nil {
		return nil, err
	}
	return parseReport(path, text)
}

// readTemplateFile reads an override file of at most maxTemplate bytes.
func readTemplateFile(path, what string) (string, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if len(text) > maxTemplate {
		return "", &Error{File: path, Msg: fmt.Sprintf("larger than %d bytes", maxTemplate)}
	}
	return string(text), nil
}

// RenderReport writes the report d in d.Locale with template, a built-in
// name (empty: plain) or a file given in Options.ReportFiles.
func (s *Set) RenderReport(template string, d *ReportDraft) ([]byte, error) {
	if template == "" {
		template = reportPlain
	}
	t := s.reportFiles[template]
	if builtin := s.reports[template]; builtin != nil {
		t = builtin[d.Locale]
	}
	if t == nil {
		return nil, fmt.Errorf("report template %q: not a built-in one (%s) nor a file the config names", template, strings.Join(reportTemplates(), ", "))
	}
	c, err := t.Clone()
	if err != nil {
		return nil, fmt.Errorf("report template: %w", err)
	}
	var b bytes.Buffer
	if err := c.Funcs(funcMap(d.Locale, d.Zone)).Execute(&b, d); err != nil {
		return nil, templateError(t.Name(), err)
	}
	return b.Bytes(), nil
}
