package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/reporting"
)

func TestReportingValues(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "incidentbot.yaml")
	os.WriteFile(path, []byte(`
reporting:
  - name: dora-major
    title: "EU DORA"
    reference: "Regulation (EU) 2022/2554 art. 19"
    template: dora
    auto_classify: {severities: [sev1], services: [payments]}
    reports:
      - {name: initial, due: 4h after classified, at_most: 24h after detected, remind: [1h, 15m]}
      - {name: intermediate, due: 72h after initial submitted}
      - {name: final, due: 1 month after intermediate submitted, remind: []}
  - name: local
    template: ./reports/local.md.tmpl
    reports:
      - {name: only, due: 2h after detected}
evidence:
  signing_key_file: keys/evidence.key
`), 0o600)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Reporting) != 2 {
		t.Fatalf("obligations = %+v", c.Reporting)
	}
	d := c.Reporting[0]
	if d.Name != "dora-major" || d.Title != "EU DORA" || d.Reference != "Regulation (EU) 2022/2554 art. 19" || d.Template != "dora" ||
		strings.Join(d.Severities, ",") != "sev1" || strings.Join(d.Services, ",") != "payments" {
		t.Errorf("dora = %+v", d)
	}
	r := d.Reports
	if len(r) != 3 || r[0].Due.String() != "4h after classified" || r[0].AtMost == nil || r[0].AtMost.String() != "24h after detected" ||
		len(r[0].Remind) != 2 || r[0].Remind[1] != 15*time.Minute {
		t.Errorf("initial = %+v", r[0])
	}
	if len(r[1].Remind) != 1 || r[1].Remind[0] != time.Hour || r[1].Due.From != (reporting.Anchor{Event: reporting.AnchorSubmitted, Report: "initial"}) {
		t.Errorf("intermediate (default reminder) = %+v", r[1])
	}
	if len(r[2].Remind) != 0 || r[2].Due.After.Months != 1 {
		t.Errorf("final (no reminders) = %+v", r[2])
	}
	if got, want := c.Reporting[1].Template, filepath.Join(dir, "reports", "local.md.tmpl"); got != want {
		t.Errorf("template file = %s, want %s (relative to the config file)", got, want)
	}
	if got, want := c.Evidence.SigningKeyFile, filepath.Join(dir, "keys", "evidence.key"); got != want {
		t.Errorf("signing key = %s, want %s", got, want)
	}
	if files := c.ReportTemplateFiles(); len(files) != 1 || files[0] != c.Reporting[1].Template {
		t.Errorf("ReportTemplateFiles = %v", files)
	}
	if o, ok := c.Obligation("local"); !ok || o.Reports[0].Name != "only" {
		t.Errorf("Obligation(local) = %+v, %v", o, ok)
	}

	// check-config tries the template file (missing: an error) and the key
	// (missing: a warning).
	var out bytes.Buffer
	if code := CheckConfig(path, &out, nil); code != 1 || !strings.Contains(out.String(), "reporting template") {
		t.Errorf("check-config with a missing report template: exit %d\n%s", code, out.String())
	}
	os.MkdirAll(filepath.Join(dir, "reports"), 0o755)
	os.WriteFile(c.Reporting[1].Template, []byte("# {{.Report}} {{.Nope}}\n"), 0o600)
	out.Reset()
	if code := CheckConfig(path, &out, nil); code != 1 || !strings.Contains(out.String(), "local.md.tmpl:1:") {
		t.Errorf("check-config with a broken report template: exit %d\n%s", code, out.String())
	}
	os.WriteFile(c.Reporting[1].Template, []byte("# {{.Report}} of INC-{{.Number}}\n"), 0o600)
	out.Reset()
	if code := CheckConfig(path, &out, nil); code != 0 || !strings.Contains(out.String(), "warning: ") || !strings.Contains(out.String(), "evidence.signing_key_file") {
		t.Errorf("check-config without the signing key: exit %d\n%s", code, out.String())
	}
}
