package config

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/templates"
)

// coverageWindow is how far ahead check-config looks for coverage gaps.
const coverageWindow = 90 * 24 * time.Hour

// maxGapFindings bounds the gap findings per schedule; the rest are counted.
const maxGapFindings = 8

// CheckConfig validates the config file at path for `incidentbot
// check-config` and returns the process exit code: 0 when it is valid
// (printing "ok: …" with what it defines, after any warnings: the file's,
// then each schedule's coverage gaps in the coverageWindow from now), 1
// otherwise (printing every error, one per line). An empty path checks the
// built-in defaults. now is the clock; nil means time.Now.
func CheckConfig(path string, w io.Writer, now func() time.Time) int {
	if now == nil {
		now = time.Now
	}
	var (
		c    *Config
		err  error
		name = path
	)
	if path == "" {
		c, name = Default(), "built-in defaults"
	} else {
		c, err = Load(path)
	}
	var errs Errors
	switch {
	case errors.As(err, &errs):
		for _, e := range errs {
			fmt.Fprintln(w, e.Error())
		}
		return 1
	case err != nil:
		fmt.Fprintln(w, err)
		return 1
	}
	if c.Postmortem.Template != "" {
		// The override is parsed and tried on sample data now, not when the
		// first incident resolves; its errors carry the template's line.
		if _, err := templates.LoadPostmortem(c.Postmortem.Template); err != nil {
			fmt.Fprintf(w, "%s: postmortem.template: %v\n", name, err)
			return 1
		}
	}
	reportErrs, reportWarns := c.checkReporting(name)
	for _, e := range reportErrs {
		fmt.Fprintln(w, e)
	}
	if len(reportErrs) > 0 {
		return 1
	}
	for _, warn := range append(append(slices.Clone(c.Warnings), c.CoverageGaps(now())...), c.MaintenanceFindings()...) {
		fmt.Fprintf(w, "warning: %s\n", warn.Error())
	}
	for _, warn := range reportWarns {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	fmt.Fprintf(w, "ok: %s: %d severities, %d routes, %d schedules, %d escalation policies\n",
		name, len(c.Severities), len(c.Routes), len(c.Schedules), len(c.EscalationPolicies))
	return 0
}

// CoverageGaps reports, per schedule, the stretches in the coverageWindow
// after now with nobody on call (overrides aside), at the schedule's line.
// A gap that recurs at the same weekday and time is reported once with its
// count, e.g. "primary: nobody on call Sat 00:00 → Mon 09:00 (Asia/Almaty),
// every week: 13 times in the next 90 days, first on 2026-12-05".
func (c *Config) CoverageGaps(now time.Time) Errors {
	var out Errors
	for i, s := range c.Schedules {
		line := 0
		if i < len(c.scheduleLines) {
			line = c.scheduleLines[i]
		}
		for _, msg := range gapFindings(s, now, now.Add(coverageWindow)) {
			out = append(out, Error{File: c.file, Line: line, Msg: s.Name + ": " + msg})
		}
	}
	return out
}

func gapFindings(s oncall.Schedule, from, to time.Time) []string {
	loc := s.Timezone
	if loc == nil {
		loc = time.UTC
	}
	type pattern struct {
		start, end time.Time
		count      int
	}
	var (
		order    []string
		patterns = map[string]*pattern{}
		singles  = map[string]bool{}
	)
	for _, g := range oncall.Gaps(s, nil, from, to) {
		start, end := g.Start, g.End
		clipped := start.Before(from) || end.After(to)
		start, end = maxTime(start, from).In(loc), minTime(end, to).In(loc)
		if !end.After(start) {
			continue
		}
		key := start.Format("Mon 15:04") + " → " + end.Format("Mon 15:04")
		if clipped || end.Sub(start) >= 7*24*time.Hour {
			key = start.Format("Mon 2006-01-02 15:04") + " → " + end.Format("Mon 2006-01-02 15:04")
			singles[key] = true
		}
		if p, ok := patterns[key]; ok {
			p.count++
			continue
		}
		patterns[key] = &pattern{start: start, end: end, count: 1}
		order = append(order, key)
	}
	var out []string
	days := int(to.Sub(from) / (24 * time.Hour))
	for _, key := range order {
		if len(out) == maxGapFindings {
			out = append(out, fmt.Sprintf("and %d more kinds of gap in the next %d days", len(order)-maxGapFindings, days))
			break
		}
		p := patterns[key]
		switch {
		case singles[key] || p.count == 1:
			out = append(out, fmt.Sprintf("nobody on call %s → %s (%s)", p.start.Format("Mon 2006-01-02 15:04"), p.end.Format("Mon 2006-01-02 15:04"), loc))
		default:
			out = append(out, fmt.Sprintf("nobody on call %s (%s), every week: %d times in the next %d days, first on %s",
				key, loc, p.count, days, p.start.Format("2006-01-02")))
		}
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
