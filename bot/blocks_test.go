package bot

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Almaty on any machine
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/incidents"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func ptr(t time.Time) *time.Time { return &t }

var declared = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// triggeredIncident is fresh from Alertmanager: nobody has acknowledged it.
func triggeredIncident() *incidents.Incident {
	return &incidents.Incident{
		Number:   42,
		Title:    "Payments API 5xx > 10% & rising",
		Severity: "sev1",
		Status:   incidents.StatusTriggered,
		Service:  "payments",
		Alerts: map[string]incidents.Alert{
			"fp1": {
				Fingerprint:  "fp1",
				Status:       incidents.AlertFiring,
				Labels:       map[string]string{"alertname": "HighErrorRate", "service": "payments", "severity": "critical", "instance": "api-1:8080"},
				Annotations:  map[string]string{"summary": "5xx ratio is 12% (> 10%)"},
				StartsAt:     declared.Add(-2 * time.Minute),
				GeneratorURL: "http://prometheus:9090/graph?g0.expr=rate%28http_5xx%5B5m%5D%29+%3E+0.1&g0.tab=1",
			},
			"fp2": {
				Fingerprint:  "fp2",
				Status:       incidents.AlertResolved,
				Labels:       map[string]string{"alertname": "LatencyHigh", "service": "payments"},
				StartsAt:     declared.Add(-5 * time.Minute),
				EndsAt:       declared.Add(time.Minute),
				GeneratorURL: "javascript:alert(1)",
			},
		},
		DetectedAt: declared.Add(-2 * time.Minute),
		DeclaredAt: declared,
		UpdatedAt:  declared,
	}
}

func acknowledgedIncident() *incidents.Incident {
	inc := triggeredIncident()
	inc.Status = incidents.StatusIdentified
	inc.AcknowledgedAt = ptr(declared.Add(3 * time.Minute))
	inc.Commander = "U0001"
	inc.Roles = map[string]string{"comms": "U0002", "scribe": "U0003"}
	inc.Description = "Card payments fail for EU customers after the 09:55 deploy."
	return inc
}

func resolvedIncident() *incidents.Incident {
	inc := acknowledgedIncident()
	inc.Status = incidents.StatusResolved
	inc.MitigatedAt = ptr(declared.Add(40 * time.Minute))
	inc.ResolvedAt = ptr(declared.Add(65 * time.Minute))
	inc.Summary = "Rolled back deploy 2026.03.01-3; error rate back to 0.1%."
	for k, a := range inc.Alerts {
		a.Status = incidents.AlertResolved
		inc.Alerts[k] = a
	}
	return inc
}

func TestSummaryBlocksGolden(t *testing.T) {
	opts := summaryOptions{
		PublicURL: "https://incidents.example.com/",
		Now:       declared.Add(65 * time.Minute),
		Location:  mustLoc(t, "Asia/Almaty"),
	}
	tests := []struct {
		golden string
		inc    *incidents.Incident
	}{
		{"summary_triggered", triggeredIncident()},
		{"summary_acknowledged", acknowledgedIncident()},
		{"summary_resolved", resolvedIncident()},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			blocks := summaryBlocks(tt.inc, opts)
			checkBlockLimits(t, blocks)
			checkGolden(t, tt.golden, blocks)
		})
	}
}

func TestAnnounceTextGolden(t *testing.T) {
	tests := []struct {
		golden   string
		inc      *incidents.Incident
		kind     string
		wantText string
	}{
		{"announce_opened", acknowledgedIncident(), "opened", ":rotating_light: Incident #42 opened: Payments API 5xx &gt; 10% &amp; rising"},
		{"announce_resolved", resolvedIncident(), "resolved", ":white_check_mark: Incident #42 resolved: Payments API 5xx &gt; 10% &amp; rising"},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			text, blocks := announceText(Lang{}, tt.inc, "C0INC42", tt.kind, "https://incidents.example.com")
			if text != tt.wantText {
				t.Errorf("text = %q, want %q", text, tt.wantText)
			}
			checkBlockLimits(t, blocks)
			checkGolden(t, tt.golden, blocks)
			if got := buttons(t, blocks); len(got) != 1 || got[0] != ActionJoin+"=42" {
				t.Errorf("buttons = %v, want [%s=42]", got, ActionJoin)
			}
		})
	}
}

func TestSummaryButtons(t *testing.T) {
	tests := []struct {
		name string
		inc  *incidents.Incident
		want []string
	}{
		{"triggered", triggeredIncident(), []string{"incident_ack=42", "incident_status=42", "incident_resolve=42", "incident_postmortem=42"}},
		{"acknowledged hides Acknowledge", acknowledgedIncident(), []string{"incident_status=42", "incident_resolve=42", "incident_postmortem=42"}},
		{"resolved offers Reopen", resolvedIncident(), []string{"incident_reopen=42", "incident_postmortem=42"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := buttons(t, summaryBlocks(tt.inc, summaryOptions{}))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("buttons = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSummaryBlocksFields(t *testing.T) {
	inc := acknowledgedIncident()
	js := blocksJSON(t, summaryBlocks(inc, summaryOptions{Now: declared.Add(65 * time.Minute)}))
	for _, want := range []string{
		`"text":":rotating_light: #42 Payments API 5xx > 10% & rising"`, // plain_text header: not escaped
		`*Commander*\n<@U0001>`,
		`*Duration*\nopen 1h 7m since detection`,
		`*Status*\n:dart: Identified`,
		`*Roles*\ncomms: <@U0002>\nscribe: <@U0003>`,
		`*Declared*\n2026-03-01 10:00 UTC`,
		`5xx ratio is 12% (&gt; 10%)`,
		`<http://prometheus:9090/graph?g0.expr=rate%28http_5xx%5B5m%5D%29+%3E+0.1&amp;g0.tab=1|Source>`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("summary JSON lacks %s\n%s", want, js)
		}
	}
	if strings.Contains(js, "javascript:") {
		t.Errorf("summary links a javascript: URL:\n%s", js)
	}
	// No commander, no clock.
	js = blocksJSON(t, summaryBlocks(triggeredIncident(), summaryOptions{}))
	for _, want := range []string{`*Commander*\n_unassigned_`, `*Duration*\n—`, `*Roles*\n_none_`, `*Status*\n:red_circle: Triggered`} {
		if !strings.Contains(js, want) {
			t.Errorf("summary JSON lacks %s", want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Minute, "0s"},
		{0, "0s"},
		{45 * time.Second, "45s"},
		{5 * time.Minute, "5m"},
		{65 * time.Minute, "1h 5m"},
		{2 * time.Hour, "2h"},
		{27*time.Hour + 30*time.Minute, "1d 3h"},
		{48 * time.Hour, "2d"},
	}
	for _, tt := range tests {
		if got := (Lang{}).Short(tt.d); got != tt.want {
			t.Errorf("Short(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// TestSummaryBlocksHugeIncident throws everything hostile and oversized at
// the renderer: the limits must hold and nothing unescaped may leak.
func TestSummaryBlocksHugeIncident(t *testing.T) {
	evil := "<!channel> <!here> <@U666> <https://evil.example|click me> &amp; | > <"
	inc := &incidents.Incident{
		Number:      9223372036854775807,
		Title:       strings.Repeat("Ω"+evil, 10240/len(evil)+1),
		Description: strings.Repeat(evil, 200),
		Summary:     strings.Repeat(evil, 200),
		Severity:    "sev1" + evil,
		Status:      incidents.StatusReopened,
		Commander:   "U1><!channel",
		Service:     strings.Repeat(evil, 50),
		Roles:       map[string]string{},
		Alerts:      map[string]incidents.Alert{},
		Storm:       true, StormGroups: 77,
		DeclaredAt: declared,
	}
	for i := 0; i < 40; i++ {
		inc.Roles[fmt.Sprintf("role-%02d %s", i, evil)] = fmt.Sprintf("U%04d", i)
	}
	for i := 0; i < 500; i++ {
		fp := fmt.Sprintf("fp%03d", i)
		st := incidents.AlertFiring
		if i%3 == 0 {
			st = incidents.AlertResolved
		}
		labels := map[string]string{"alertname": "Alert" + evil}
		for j := 0; j < 30; j++ {
			labels[fmt.Sprintf("label_%02d%s", j, evil)] = strings.Repeat(evil, 5)
		}
		inc.Alerts[fp] = incidents.Alert{
			Fingerprint:  fp,
			Status:       st,
			Labels:       labels,
			Annotations:  map[string]string{"summary": strings.Repeat(evil, 100), "description": evil},
			StartsAt:     declared.Add(time.Duration(i) * time.Second),
			GeneratorURL: "https://prom.example/graph?q=" + strings.Repeat("x|<!channel>", 100),
		}
	}
	inc.Alerts["longurl"] = incidents.Alert{Fingerprint: "longurl", Status: incidents.AlertFiring, StartsAt: declared.Add(-time.Hour),
		GeneratorURL: "https://prom.example/" + strings.Repeat("y", 5000)}

	opts := summaryOptions{PublicURL: "https://incidents.example.com", Now: declared.Add(time.Hour), MaxAlerts: 1000}
	blocks := summaryBlocks(inc, opts)
	checkBlockLimits(t, blocks)
	checkNoLiveMarkup(t, blocks)
	if js := blocksJSON(t, blocks); !strings.Contains(js, "…and ") {
		t.Errorf("huge incident summary does not say how many alerts it left out")
	}

	for _, kind := range []string{"opened", "resolved", "other"} {
		text, ablocks := announceText(Lang{}, inc, "C1|<!channel>", kind, opts.PublicURL)
		checkBlockLimits(t, ablocks)
		checkNoLiveMarkup(t, ablocks)
		if utf8.RuneCountInString(text) > maxMessageText {
			t.Errorf("announceText(%s) text has %d characters, want ≤ %d", kind, utf8.RuneCountInString(text), maxMessageText)
		}
		if bad := liveMarkup(text); bad != "" {
			t.Errorf("announceText(%s) text leaks %q", kind, bad)
		}
	}
}

// buttons lists action_id=value of every button, in order.
func buttons(t *testing.T, blocks []slack.Block) []string {
	t.Helper()
	var out []string
	walkJSON(decodeBlocks(t, blocks), func(m map[string]any) {
		if m["type"] == "button" {
			out = append(out, fmt.Sprintf("%v=%v", m["action_id"], m["value"]))
		}
	})
	return out
}

// checkBlockLimits asserts Block Kit's limits on the rendered JSON.
func checkBlockLimits(t *testing.T, blocks []slack.Block) {
	t.Helper()
	if len(blocks) == 0 || len(blocks) > maxBlocks {
		t.Errorf("%d blocks, want 1..%d", len(blocks), maxBlocks)
	}
	textLen := func(v any) int {
		m, _ := v.(map[string]any)
		s, _ := m["text"].(string)
		if s == "" {
			t.Errorf("empty text object %v (Slack rejects it)", v)
		}
		return utf8.RuneCountInString(s)
	}
	for _, b := range decodeBlocks(t, blocks) {
		switch b["type"] {
		case "header":
			if n := textLen(b["text"]); n > maxHeaderText {
				t.Errorf("header text has %d characters, want ≤ %d", n, maxHeaderText)
			}
		case "section":
			if b["text"] != nil {
				if n := textLen(b["text"]); n > maxSectionText {
					t.Errorf("section text has %d characters, want ≤ %d", n, maxSectionText)
				}
			}
			fields, _ := b["fields"].([]any)
			if len(fields) > maxFields {
				t.Errorf("section has %d fields, want ≤ %d", len(fields), maxFields)
			}
			for _, f := range fields {
				if n := textLen(f); n > maxFieldText {
					t.Errorf("field has %d characters, want ≤ %d", n, maxFieldText)
				}
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > maxContextElements {
				t.Errorf("context has %d elements, want 1..%d", len(els), maxContextElements)
			}
			for _, e := range els {
				if n := textLen(e); n > maxSectionText {
					t.Errorf("context text has %d characters, want ≤ %d", n, maxSectionText)
				}
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 25 {
				t.Errorf("actions block has %d elements, want 1..25", len(els))
			}
		}
		if id, _ := b["block_id"].(string); len(id) > 255 {
			t.Errorf("block_id %q is longer than 255", id)
		}
	}
	walkJSON(decodeBlocks(t, blocks), func(m map[string]any) {
		if m["type"] != "button" {
			return
		}
		if n := textLen(m["text"]); n > maxButtonText {
			t.Errorf("button text has %d characters, want ≤ %d", n, maxButtonText)
		}
		if v, _ := m["value"].(string); len(v) > 2000 {
			t.Errorf("button value has %d characters, want ≤ 2000", len(v))
		}
		if c, ok := m["confirm"].(map[string]any); ok {
			if n := textLen(c["text"]); n > 300 {
				t.Errorf("confirm text has %d characters, want ≤ 300", n)
			}
		}
	})
}

// Markup the renderer itself emits: user and channel mentions by ID, and
// links to http(s) URLs whose text is escaped.
var ownMarkup = regexp.MustCompile(`^<(@[UW][A-Z0-9]+|#[CGD][A-Z0-9]+|https?://[^<>|\s]+(\|[^<>|]*)?)>`)

// liveMarkup returns the first "<…" in mrkdwn text that the renderer did not
// mean to emit, or "".
func liveMarkup(s string) string {
	for i := strings.IndexByte(s, '<'); i >= 0; {
		m := ownMarkup.FindString(s[i:])
		if m == "" {
			return slacktext.Truncate(s[i:], 40)
		}
		if strings.Contains(m, "U666") || strings.Contains(m, "evil") {
			return m
		}
		next := strings.IndexByte(s[i+len(m):], '<')
		if next < 0 {
			break
		}
		i += len(m) + next
	}
	return ""
}

// checkNoLiveMarkup asserts that no mrkdwn text holds a mention or link that
// came from alert or user content.
func checkNoLiveMarkup(t *testing.T, blocks []slack.Block) {
	t.Helper()
	walkJSON(decodeBlocks(t, blocks), func(m map[string]any) {
		if m["type"] != "mrkdwn" {
			return
		}
		s, _ := m["text"].(string)
		if bad := liveMarkup(s); bad != "" {
			t.Errorf("mrkdwn text leaks %q", bad)
		}
		if strings.Contains(s, "<!") {
			t.Errorf("mrkdwn text holds a special mention: %q", slacktext.Truncate(s, 200))
		}
	})
}

func decodeBlocks(t *testing.T, blocks []slack.Block) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal([]byte(blocksJSON(t, blocks)), &out); err != nil {
		t.Fatalf("decode blocks: %v", err)
	}
	return out
}

func walkJSON(v any, fn func(map[string]any)) {
	switch x := v.(type) {
	case []map[string]any:
		for _, e := range x {
			walkJSON(e, fn)
		}
	case []any:
		for _, e := range x {
			walkJSON(e, fn)
		}
	case map[string]any:
		fn(x)
		for _, e := range x {
			walkJSON(e, fn)
		}
	}
}

// blocksJSON encodes blocks as the Slack client sends them, but without
// HTML-escaping, so tests and golden files read like Slack's own examples.
func blocksJSON(t *testing.T, blocks []slack.Block) string {
	t.Helper()
	return string(encodeBlocks(t, blocks, ""))
}

func encodeBlocks(t *testing.T, blocks []slack.Block, indent string) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(blocks); err != nil {
		t.Fatalf("marshal blocks: %v", err)
	}
	return buf.Bytes()
}

// checkGolden compares blocks with testdata/<name>.golden.json; -update rewrites it.
func checkGolden(t *testing.T, name string, blocks []slack.Block) {
	t.Helper()
	got := encodeBlocks(t, blocks, "  ")
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("write golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test ./bot -run Golden -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test ./bot -run Golden -update and review the diff)\n got:\n%s", path, got)
	}
}
