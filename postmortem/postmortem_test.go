package postmortem

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/templates"
)

func TestParseStatus(t *testing.T) {
	for in, want := range map[string]Status{
		"draft": StatusDraft, "in-review": StatusInReview, "In Review": StatusInReview, "review": StatusInReview, " FINAL ": StatusFinal,
	} {
		if got, err := ParseStatus(in); err != nil || got != want {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseStatus("published"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseStatus(published) error = %v, want ErrInvalid", err)
	}
	if !StatusDraft.Regenerates() || !StatusInReview.Regenerates() || StatusFinal.Regenerates() {
		t.Error("only a final postmortem stops being regenerated")
	}
}

func TestDraftRejects(t *testing.T) {
	dr := newDrafter(t, t0)
	if _, err := dr.Draft(Input{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no incident: error = %v, want ErrInvalid", err)
	}
	in := shortSev4()
	in.Status = "published"
	if _, err := dr.Draft(in); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad status: error = %v, want ErrInvalid", err)
	}
}

func TestDraftOpenIncident(t *testing.T) {
	in := shortSev4()
	inc := *in.Incident
	inc.Status, inc.ResolvedAt, inc.MitigatedAt, inc.Summary = incidents.StatusInvestigating, nil, nil, ""
	inc.AcknowledgedAt = nil
	in.Incident = &inc
	in.Zone, in.Locale = nil, "" // UTC, English
	d, err := newDrafter(t, t0.Add(95*time.Minute)).Draft(in)
	if err != nil {
		t.Fatal(err)
	}
	md := string(d.Markdown)
	for _, want := range []string{
		"| Duration | 1 hour 35 minutes so far, since detection |",
		"| Resolved | not yet |",
		"| Time to acknowledge | detected → first acknowledgement | not acknowledged |",
		"| Time to resolve | detected → resolved | not resolved |",
		"_What happened, in two or three sentences",
		"in the team's zone (UTC)", // no zone given
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the draft has no %q", want)
		}
	}
	if !d.Ongoing || d.Duration != 95*time.Minute || d.Status != StatusDraft {
		t.Errorf("draft = %+v", d)
	}
}

func TestDraftAlertLines(t *testing.T) {
	in := multiDaySev1(templates.EN)
	tests := []struct {
		lines      int
		summarised bool
	}{{0, false}, {4, false}, {3, true}, {1, true}}
	for _, tt := range tests {
		in.AlertLines = tt.lines
		d, err := newDrafter(t, t0).Draft(in)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(string(d.Markdown), "they are counted here instead of listed")
		if got != tt.summarised {
			t.Errorf("AlertLines %d (4 alert events): summarised = %v, want %v", tt.lines, got, tt.summarised)
		}
	}
}

func TestSlackText(t *testing.T) {
	names := map[string]string{"U1": "alice"}
	tests := []struct {
		in      string
		message bool
		want    string
	}{
		{"commander: <@U1>", false, "commander: @alice"},
		{"<@U2|bob> and <@U3>", false, "@bob and @U3"},
		{"<#C1|general> <!here> <!subteam^S1|@sre>", false, "#general @here @sre"},
		{"<script>x</script> &amp;", false, "<script>x</script> &amp;"},
		{"see <https://x.example|the page> and <https://y.example>", true, "see the page (https://x.example) and https://y.example"},
		{"&lt;b&gt; &amp; <!date^1|today>", true, "<b> & today"},
		{"unclosed <@U1", true, "unclosed <@U1"},
	}
	for _, tt := range tests {
		if got := slackText(tt.in, names, tt.message); got != tt.want {
			t.Errorf("slackText(%q, %v) = %q, want %q", tt.in, tt.message, got, tt.want)
		}
	}
}

func TestPreviousWithoutPostmortem(t *testing.T) {
	in := multiDaySev1(templates.EN)
	in.Previous.Postmortem = ""
	in.Links.WebBase = ""
	d, err := newDrafter(t, t0).Draft(in)
	if err != nil {
		t.Fatal(err)
	}
	md := string(d.Markdown)
	if !strings.Contains(md, "Incident #31 (Checkout errors after deploy, 2026-10-29 17:40 UTC) had the same alert group.\n") {
		t.Errorf("previous incident without links:\n%s", md[strings.Index(md, "### This happened"):])
	}
	if strings.Contains(md, "/incidents/42") {
		t.Error("no web base, yet a link to the web view")
	}
}

func TestSafeTitleAndSlug(t *testing.T) {
	tests := []struct{ in, title, slug string }{
		{`<script>alert("x")</script>`, "‹script›alert(”x”)‹/script›", "script-alert-x-script"},
		{"R&D  down\n\tagain", "R＆D down again", "r-d-down-again"},
		{"Ёлки-палки: всё упало", "Ёлки-палки: всё упало", "elki-palki-vse-upalo"},
		{"it's `code`", "it’s ʼcodeʼ", "its-code"},
	}
	for _, tt := range tests {
		if got := SafeTitle(tt.in); got != tt.title {
			t.Errorf("SafeTitle(%q) = %q, want %q", tt.in, got, tt.title)
		}
		if got := Slug(tt.in); got != tt.slug {
			t.Errorf("Slug(%q) = %q, want %q", tt.in, got, tt.slug)
		}
	}
}

func TestStripFrontMatter(t *testing.T) {
	tests := []struct{ in, want string }{
		{"---\ntitle: x\n---\n\n# H\n", "# H\n"},
		{"# H\n---\n", "# H\n---\n"},
		{"---\nunterminated\n# H\n", "---\nunterminated\n# H\n"},
		{"---\n---\nbody", "body"},
	}
	for _, tt := range tests {
		if got := string(StripFrontMatter([]byte(tt.in))); got != tt.want {
			t.Errorf("StripFrontMatter(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDraftOnlyAlerts(t *testing.T) {
	in := stormIncident()
	var alerts []incidents.Event
	for _, ev := range in.Timeline {
		if isAlertEvent(ev.Type) {
			alerts = append(alerts, ev)
		}
	}
	in.Timeline = alerts
	d, err := newDrafter(t, t0).Draft(in)
	if err != nil {
		t.Fatal(err)
	}
	md := string(d.Markdown)
	if strings.Contains(md, "The timeline is empty") || !strings.Contains(md, "| NodeDown | 396 | 396 |") {
		t.Errorf("a timeline of alerts only:\n%s", md[strings.Index(md, "## Timeline"):strings.Index(md, "## Contributing")])
	}
	in.Timeline = nil
	if d, err = newDrafter(t, t0).Draft(in); err != nil || !strings.Contains(string(d.Markdown), "The timeline is empty") {
		t.Errorf("an empty timeline: %v", err)
	}
}

func TestTags(t *testing.T) {
	inc := &incidents.Incident{Severity: "sev1", Storm: true}
	got := strings.Join(tags(inc, []string{"Incident", "sev1", "Pay Ments", "checkout"}), ",")
	if want := "incident,sev1,pay-ments,checkout,alert-storm"; got != want {
		t.Errorf("tags = %q, want %q", got, want)
	}
}

// A storm incident as the service now keeps it: one event per batch of
// groups that joined (with their count) and 60,000 alerts of which it
// carries 100. The draft counts every group and every firing alert.
func TestDraftStormOfBatches(t *testing.T) {
	in := stormIncident()
	inc := *in.Incident
	inc.AlertCount, inc.FiringCount, inc.StormGroups = 60_000, 59_000, 60_000
	inc.Alerts = map[string]incidents.Alert{}
	for fp, a := range in.Incident.Alerts {
		if len(inc.Alerts) < incidents.MaxInlineAlerts {
			a.Status = incidents.AlertFiring
			inc.Alerts[fp] = a
		}
	}
	in.Incident = &inc
	var events []incidents.Event
	for _, ev := range in.Timeline {
		if !isAlertEvent(ev.Type) {
			events = append(events, ev)
		}
	}
	for b := range 60 {
		events = append(events, incidents.Event{ID: fmt.Sprintf("99:storm_joined:%d", b), Incident: 99, Type: incidents.EventStormGroup,
			At: t0.Add(time.Duration(b) * time.Second), Actor: incidents.ActorAlertmanager, Text: "1000 alert groups joined the storm",
			Fields: map[string]string{"groups": "1000", "alerts": "1000"}})
	}
	in.Timeline = sortedEvents(events)
	v := buildView(in, newDrafter(t, t0).templates.Lang(in.Locale), t0)
	if v.Timeline.Groups != 60_000 || v.AlertsFiring != 59_000 {
		t.Errorf("groups %d, firing %d; want 60000 groups, 59000 firing", v.Timeline.Groups, v.AlertsFiring)
	}
	// An event of one group, as stored before joins were summarised, is one.
	in.Timeline = append(in.Timeline, incidents.Event{ID: "99:old", Incident: 99, Type: incidents.EventStormGroup, At: t0, Text: "Alert group joined the storm"})
	if v := buildView(in, newDrafter(t, t0).templates.Lang(in.Locale), t0); v.Timeline.Groups != 60_001 {
		t.Errorf("with an older one-group event: %d groups, want 60001", v.Timeline.Groups)
	}
}
