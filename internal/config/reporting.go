package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/incidentbot/incidentbot/evidence"
	"github.com/incidentbot/incidentbot/reporting"
	"github.com/incidentbot/incidentbot/templates"
)

// The keys of reporting: and evidence:.
var (
	obligationKeys   = []string{"name", "title", "reference", "template", "auto_classify", "reports"}
	autoClassifyKeys = []string{"severities", "services"}
	reportKeys       = []string{"name", "due", "at_most", "remind"}
	evidenceKeys     = []string{"signing_key_file"}
)

// defaultRemind is when a report's reminders go out when its remind key is
// absent: an hour before its deadline. `remind: []` sends none.
var defaultRemind = []time.Duration{time.Hour}

// Evidence configures `incidentbot evidence`.
type Evidence struct {
	// SigningKeyFile is the Ed25519 private key that signs evidence
	// archives: PEM, PKCS #8 (`openssl genpkey -algorithm ed25519`), a path
	// relative to the config file. Empty: evidence archives cannot be made.
	SigningKeyFile string
}

// Obligation returns the reporting obligation of that name.
func (c *Config) Obligation(name string) (reporting.Obligation, bool) {
	for _, o := range c.Reporting {
		if o.Name == name {
			return o, true
		}
	}
	return reporting.Obligation{}, false
}

// ReportTemplateFiles lists the report templates that are files.
func (c *Config) ReportTemplateFiles() []string {
	var out []string
	for _, o := range c.Reporting {
		if o.Template != "" && !templates.IsReportTemplate(o.Template) {
			out = append(out, o.Template)
		}
	}
	return out
}

// resolvePaths makes the reporting and evidence paths relative to the
// config file, wherever the bot runs.
func (c *Config) resolvePaths(path string) {
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(filepath.Dir(path), p)
	}
	for i, o := range c.Reporting {
		if !templates.IsReportTemplate(o.Template) {
			c.Reporting[i].Template = rel(o.Template)
		}
	}
	c.Evidence.SigningKeyFile = rel(c.Evidence.SigningKeyFile)
}

func (d *decoder) reporting(n *yaml.Node) []reporting.Obligation {
	items, ok := d.list(n, "reporting")
	if !ok {
		return nil
	}
	names := newDefined("obligation")
	var out []reporting.Obligation
	for i, item := range items {
		path := index("reporting", i)
		o, ok := d.object(item, path, obligationKeys)
		if !ok {
			continue
		}
		var ob reporting.Obligation
		if v := o.get("name"); v != nil {
			if s, ok := d.str(v, join(path, "name")); ok {
				if reporting.ValidName(s) {
					ob.Name = s
					d.define(names, s, join(path, "name"), v)
				} else {
					d.errorf(v, join(path, "name"), "%q is not a valid name (lowercase letters, digits, - and _; at most 64)", s)
				}
			}
		} else {
			d.required(o, "name", " (what /incident classify <name> calls it)")
		}
		if v := o.get("title"); v != nil {
			ob.Title, _ = d.str(v, join(path, "title"))
		}
		if v := o.get("reference"); v != nil {
			ob.Reference, _ = d.str(v, join(path, "reference"))
		}
		if v := o.get("template"); v != nil {
			ob.Template, _ = d.str(v, join(path, "template"))
		}
		if v := o.get("auto_classify"); v != nil {
			d.autoClassify(v, join(path, "auto_classify"), &ob)
		}
		if v := o.get("reports"); v != nil {
			ob.Reports = d.reports(v, join(path, "reports"))
			d.reportingErrors(path, ob.Validate())
		} else {
			d.required(o, "reports", " (at least one)")
		}
		out = append(out, ob)
	}
	return out
}

func (d *decoder) autoClassify(n *yaml.Node, path string, ob *reporting.Obligation) {
	o, ok := d.object(n, path, autoClassifyKeys)
	if !ok {
		return
	}
	if v := o.get("severities"); v != nil {
		for i, item := range d.items(v, join(path, "severities")) {
			if s, ok := d.str(item, index(join(path, "severities"), i)); ok && s != "" {
				ob.Severities = append(ob.Severities, s)
				d.refer("severity", s, index(join(path, "severities"), i), item)
			}
		}
	}
	if v := o.get("services"); v != nil {
		for i, item := range d.items(v, join(path, "services")) {
			if s, ok := d.str(item, index(join(path, "services"), i)); ok && s != "" {
				ob.Services = append(ob.Services, s)
			}
		}
	}
}

// items is the list at n, or nothing when it is not one (reported).
func (d *decoder) items(n *yaml.Node, path string) []*yaml.Node {
	items, _ := d.list(n, path)
	return items
}

func (d *decoder) reports(n *yaml.Node, path string) []reporting.Report {
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	var out []reporting.Report
	for i, item := range items {
		p := index(path, i)
		o, ok := d.object(item, p, reportKeys)
		if !ok {
			continue
		}
		r := reporting.Report{Remind: defaultRemind}
		if v := o.get("name"); v != nil {
			r.Name, _ = d.str(v, join(p, "name"))
		} else {
			d.required(o, "name", " (initial, intermediate, final, …)")
		}
		if v := o.get("due"); v != nil {
			if dl, ok := d.deadline(v, join(p, "due")); ok {
				r.Due = dl
			}
		} else {
			d.required(o, "due", ` (e.g. "4h after classified")`)
		}
		if v := o.get("at_most"); v != nil {
			if dl, ok := d.deadline(v, join(p, "at_most")); ok {
				r.AtMost = &dl
			}
		}
		if v := o.get("remind"); v != nil {
			r.Remind = nil
			for j, item := range d.items(v, join(p, "remind")) {
				if dur, ok := d.duration(item, index(join(p, "remind"), j)); ok {
					r.Remind = append(r.Remind, dur)
				}
			}
		}
		out = append(out, r)
	}
	return out
}

func (d *decoder) deadline(n *yaml.Node, path string) (reporting.Deadline, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return reporting.Deadline{}, false
	}
	dl, err := reporting.ParseDeadline(s)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return reporting.Deadline{}, false
	}
	return dl, true
}

// reportingErrors reports an Obligation's Validate errors, each at the line
// of the field it names.
func (d *decoder) reportingErrors(prefix string, err error) {
	var fe reporting.FieldErrors
	if !errors.As(err, &fe) {
		if err != nil {
			d.errorf(d.lookup(prefix), prefix, "%v", err)
		}
		return
	}
	for _, e := range fe {
		if e.Path == "name" {
			continue // the obligation's name is checked where it is read
		}
		path := join(prefix, e.Path)
		d.errorf(d.lookup(path), path, "%s", e.Msg)
	}
}

func (d *decoder) evidence(n *yaml.Node, e *Evidence) {
	o, ok := d.object(n, "evidence", evidenceKeys)
	if !ok {
		return
	}
	if v := o.get("signing_key_file"); v != nil {
		e.SigningKeyFile, _ = d.str(v, "evidence.signing_key_file")
	}
}

// checkReporting is check-config's look at what reporting and evidence
// name outside the file: report template files are parsed and tried (an
// error); a signing key that cannot be read is a warning, since the key may
// live only where `incidentbot evidence` runs.
func (c *Config) checkReporting(name string) (errs, warns []string) {
	for _, path := range c.ReportTemplateFiles() {
		if _, err := templates.LoadReport(path); err != nil {
			errs = append(errs, fmt.Sprintf("%s: reporting template: %v", name, err))
		}
	}
	if k := c.Evidence.SigningKeyFile; k != "" {
		if _, err := evidence.LoadPrivateKey(k); err != nil {
			warns = append(warns, fmt.Sprintf("%s: evidence.signing_key_file: %v (incidentbot evidence needs it)", name, err))
		}
	}
	return errs, warns
}
