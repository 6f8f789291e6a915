package app

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// scrape reads /metrics as Prometheus would and parses it.
func (h *harness) scrape() map[string]*dto.MetricFamily {
	h.t.Helper()
	resp, err := http.Get(h.app.URL() + "/metrics")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		h.t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// sum adds the values of a family's series whose labels include want.
func sum(f *dto.MetricFamily, want map[string]string) float64 {
	if f == nil {
		return 0
	}
	var total float64
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		ok := true
		for k, v := range want {
			ok = ok && labels[k] == v
		}
		if !ok {
			continue
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total
}

// metricsStory opens an incident from an alert, acknowledges it after 4
// minutes and resolves it after 10, then scrapes /metrics.
func metricsStory(t *testing.T) map[string]*dto.MetricFamily {
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	h.mustPost(payload("g", testAlert{fp(1), "firing", "HighErrorRate", h.clock.Now()}))
	h.applyAll()
	h.settle()
	ch := h.channel(1)
	h.clock.Advance(4 * time.Minute)
	h.command("U0001", ch.ID, "status identified")
	h.clock.Advance(6 * time.Minute)
	h.command("U0001", ch.ID, "resolve rolled back")
	h.settle()
	return h.scrape()
}

func TestMetricsAfterAStory(t *testing.T) {
	fams := metricsStory(t)
	checks := []struct {
		family string
		labels map[string]string
		want   float64
	}{
		{"incidentbot_incidents_opened_total", map[string]string{"severity": "sev2"}, 1},
		{"incidentbot_incidents_resolved_total", map[string]string{"severity": "sev2"}, 1},
		{"incidentbot_incidents_open", map[string]string{"severity": "sev2"}, 0},
		{"incidentbot_incident_time_to_acknowledge_seconds", nil, 1},
		{"incidentbot_incident_time_to_restore_seconds", nil, 1},
		{"incidentbot_webhook_requests_total", map[string]string{"code": "200"}, 1},
		{"incidentbot_http_requests_total", map[string]string{"route": "/webhooks/alertmanager", "code": "200"}, 1},
		{"incidentbot_http_requests_total", map[string]string{"route": "POST /slack/commands", "code": "200"}, 2},
	}
	for _, c := range checks {
		if got := sum(fams[c.family], c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.family, c.labels, got, c.want)
		}
	}
	if got := sum(fams["incidentbot_slack_api_calls_total"], map[string]string{"method": "conversations.create", "outcome": "ok"}); got != 1 {
		t.Errorf("conversations.create ok calls = %v, want 1", got)
	}
	if got := sum(fams["incidentbot_jobs_runs_total"], map[string]string{"outcome": "ok"}); got == 0 {
		t.Error("no job runs counted")
	}
	if ack := fams["incidentbot_incident_time_to_acknowledge_seconds"]; ack != nil && len(ack.Metric) == 1 {
		if s := ack.Metric[0].Histogram.GetSampleSum(); s != 240 {
			t.Errorf("time to acknowledge = %vs, want 240 (the status change 4 minutes after detection)", s)
		}
	}
	for name, f := range fams {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if n := l.GetName(); n == "user" || n == "channel" || n == "incident" {
					t.Errorf("%s has the unbounded label %q", name, n)
				}
			}
		}
	}
}

// The shipped alerting rules and dashboard parse and name only series the
// bot exports.
func TestDeployRulesAndDashboardUseRealMetrics(t *testing.T) {
	fams := metricsStory(t)
	// A paged incident and a deployment make the series of pages and deployments.
	h := newHarness(t, harnessOptions{manual: true, config: withPaging})
	h.postDeploy(`{"service":"checkout","version":"v1","status":"success"}`)
	h.openCritical()
	h.command("U0001", h.channel(1).ID, "ack")
	h.settleNow()
	for name, f := range h.scrape() {
		if fams[name] == nil {
			fams[name] = f
		}
	}

	var exprs []string
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(readFile(t, "../../deploy/prometheus-rules.yaml")))
	dec.KnownFields(true)
	if err := dec.Decode(&rules); err != nil {
		t.Fatalf("prometheus-rules.yaml: %v", err)
	}
	alerts := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %+v lacks alert, expr, severity or summary", r)
			}
			if _, err := model.ParseDuration(r.For); err != nil {
				t.Errorf("rule %s: for %q: %v", r.Alert, r.For, err)
			}
			alerts[r.Alert] = true
			exprs = append(exprs, r.Expr)
		}
	}
	for _, want := range []string{"IncidentbotJobQueueStuck", "IncidentbotSlackFailing", "IncidentbotWebhookRejecting"} {
		if !alerts[want] {
			t.Errorf("no %s rule", want)
		}
	}

	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal([]byte(readFile(t, "../../deploy/grafana-dashboard.json")), &dash); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	if dash.Title == "" || len(dash.Panels) < 8 {
		t.Errorf("dashboard %q has %d panels, want a title and at least 8", dash.Title, len(dash.Panels))
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}

	name := regexp.MustCompile(`incidentbot_[a-z_]+`)
	var missing []string
	for _, e := range exprs {
		for _, n := range name.FindAllString(e, -1) {
			base := n
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				base = strings.TrimSuffix(base, suffix)
			}
			if fams[base] == nil && fams[n] == nil {
				missing = append(missing, n)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("rules and dashboard name series the bot does not export: %v", missing)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
