package templates

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportTemplates(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		template, report string
		loc              Locale
		want, not        []string
	}{
		{reportDORA, "initial", EN, []string{"# Initial notification: major ICT-related incident INC-1", "Date and time of classification as major", "LEI code", "Delegated Regulation (EU) 2024/1772"},
			[]string{"## Intermediate report", "## Final report"}},
		{reportDORA, "intermediate", EN, []string{"## Intermediate report (art. 3)", "| Incident reference code assigned by the competent authority | REF-1 |", "Number of clients affected"}, []string{"## Final report"}},
		{reportDORA, "final", EN, []string{"## Final report (art. 4)", "Root causes", "Direct and indirect costs"}, nil},
		{reportDORA, "final", RU, []string{"# Итоговый отчёт: крупный ИКТ-инцидент INC-1", "Первопричины", "Код LEI"}, []string{"Root causes", "Deadline"}},
		{reportNIS2, "early-warning", EN, []string{"# Early warning: significant incident INC-1", "unlawful or malicious acts", "cross-border impact"}, []string{"## Incident notification", "## Final report"}},
		{reportNIS2, "notification", EN, []string{"## Incident notification (art. 23(4)(b))", "Indicators of compromise"}, []string{"## Final report"}},
		{reportNIS2, "final", RU, []string{"## Итоговый отчёт (ст. 23(4)(d))", "Вид угрозы или вероятная первопричина"}, []string{"Early warning"}},
		{reportPlain, "initial", EN, []string{"# Report “initial”: incident INC-1", "| Severity | sev1 (Critical) |"}, nil},
		{"", "x", RU, []string{"# Отчёт «x»: инцидент INC-1"}, nil},
	}
	for _, tt := range tests {
		d := sampleReport(tt.loc)
		d.Report = tt.report
		out, err := s.RenderReport(tt.template, d)
		if err != nil {
			t.Fatalf("%s %s %s: %v", tt.template, tt.report, tt.loc, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s %s %s lacks %q:\n%s", tt.template, tt.report, tt.loc, w, out)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(string(out), w) {
				t.Errorf("%s %s %s has %q", tt.template, tt.report, tt.loc, w)
			}
		}
	}
	if _, err := s.RenderReport("./nope.md.tmpl", sampleReport(EN)); err == nil {
		t.Error("an unknown template rendered")
	}
}

func TestReportTemplateFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.md.tmpl")
	bad := filepath.Join(dir, "bad.md.tmpl")
	os.WriteFile(good, []byte("# {{.Report}} of INC-{{.Number}} due {{utc .Due}}\n"), 0o600)
	os.WriteFile(bad, []byte("# ok\n\n{{.NoSuchField}}\n"), 0o600)
	s, err := New(Options{ReportFiles: []string{good}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.RenderReport(good, sampleReport(RU))
	if err != nil || string(out) != "# intermediate of INC-1 due 2026-11-30 14:05 UTC\n" {
		t.Errorf("RenderReport(file) = %q, %v", out, err)
	}
	_, err = New(Options{ReportFiles: []string{bad}})
	var te *Error
	if !errors.As(err, &te) || te.Line != 3 || te.File != bad {
		t.Errorf("a bad report template: %v, want an *Error at line 3", err)
	}
}
