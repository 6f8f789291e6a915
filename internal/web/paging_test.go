package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// The fake's paged reads follow the stores' contract (incidents.PageTimeline,
// incidents.PageAlerts); an incident's alerts beyond those it carries are in
// stored, when set.
func (f *fakeIncidents) TimelinePage(ctx context.Context, n int64, from incidents.Cursor, limit int) ([]incidents.Event, incidents.Cursor, error) {
	all, err := f.Timeline(ctx, n)
	if err != nil {
		return nil, incidents.Cursor{}, err
	}
	page, next := incidents.PageTimeline(all, from, limit)
	return page, next, nil
}

func (f *fakeIncidents) AlertsPage(_ context.Context, n int64, after string, limit int) ([]incidents.Alert, string, error) {
	if f.err != nil {
		return nil, "", f.err
	}
	page, next := incidents.PageAlerts(f.incs[n].Alerts, after, limit)
	return page, next, nil
}

// bigFake is the fixture with incident 9, whose alerts are more than it
// carries: the rest are in stored.
type bigFake struct {
	*fakeIncidents
	stored map[string]incidents.Alert
}

func (f bigFake) AlertsPage(ctx context.Context, n int64, after string, limit int) ([]incidents.Alert, string, error) {
	if n != 9 {
		return f.fakeIncidents.AlertsPage(ctx, n, after, limit)
	}
	page, next := incidents.PageAlerts(f.stored, after, limit)
	return page, next, nil
}

// bigIncident is incident 9: 450 events (three at each minute, so cursors
// fall among equal times) and 250 alerts, of which it carries 100, as a
// storm incident does; its regulatory classification is event 300, beyond
// the first page.
func bigIncident() bigFake {
	f := fixture()
	inc := &incidents.Incident{Number: 9, Title: "Alert storm", Severity: "sev2", Status: incidents.StatusTriggered, Storm: true,
		DeclaredAt: ago(8 * time.Hour), DetectedAt: ago(8 * time.Hour), Alerts: map[string]incidents.Alert{}, AlertCount: 250, FiringCount: 200}
	all := map[string]incidents.Alert{}
	for i := range 250 {
		a := incidents.Alert{Fingerprint: fmt.Sprintf("%04x", 1000-i), Status: incidents.AlertFiring, StartsAt: ago(time.Duration(i) * time.Minute),
			Labels: map[string]string{"alertname": fmt.Sprint("Storm", i)}}
		if i%5 == 0 {
			a.Status = incidents.AlertResolved
		}
		all[a.Fingerprint] = a
		if len(inc.Alerts) < 100 {
			inc.Alerts[a.Fingerprint] = a
		}
	}
	f.incs[9] = inc
	for i := range 450 {
		e := incidents.Event{ID: fmt.Sprintf("9:%03d", i), Incident: 9, Type: incidents.EventStormGroup,
			At: ago(8*time.Hour - time.Duration(i/3)*time.Minute), Text: fmt.Sprint("batch ", i)}
		if i == 300 {
			e.Type, e.Fields = incidents.EventClassified, map[string]string{"obligation": "dora-major"}
		}
		f.events[9] = append(f.events[9], e)
	}
	return bigFake{fakeIncidents: f, stored: all}
}

// classifiedReporting gives incident 9 a report once the events it is
// given hold its classification.
type classifiedReporting struct{ fakeReporting }

func (classifiedReporting) Clocks(inc *incidents.Incident, events []incidents.Event, now time.Time) []incidents.ReportClock {
	if inc.Number == 9 && incidents.Classified(events, "dora-major") {
		return []incidents.ReportClock{{Obligation: "dora-major", Report: "initial", Due: now.Add(time.Hour), State: incidents.ReportPending}}
	}
	return nil
}

func pagingServer(t *testing.T) (string, bigFake) {
	o := testOptions()
	f := bigIncident()
	o.Incidents, o.Reporting = f, classifiedReporting{}
	return serve(t, o).URL, f
}

func apiDetail(t *testing.T, url string) APIIncidentDetail {
	t.Helper()
	a := do(t, "GET", url, nil)
	if a.code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, a.code, a.body)
	}
	var d APIIncidentDetail
	if err := json.Unmarshal([]byte(a.body), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func eventIDs(d APIIncidentDetail) []string {
	var out []string
	for _, e := range d.Timeline {
		out = append(out, e.ID)
	}
	return out
}

// The API pages the timeline: 200 events from the first, timeline_next to
// the newest, timeline_prev back to the first; every event once, in order.
func TestAPIIncidentPagesTheTimeline(t *testing.T) {
	base, f := pagingServer(t)
	var want []string
	for _, e := range f.events[9] {
		want = append(want, e.ID)
	}

	var forward []string
	d := apiDetail(t, base+"/api/v1/incidents/9")
	if len(d.Timeline) != TimelinePageSize || d.TimelinePrev != nil || d.TimelineNext == nil {
		t.Fatalf("first page: %d events, prev %v, next %v; want %d, no prev, a next", len(d.Timeline), d.TimelinePrev, d.TimelineNext, TimelinePageSize)
	}
	for pages := 1; ; pages++ {
		forward = append(forward, eventIDs(d)...)
		if d.TimelineNext == nil {
			break
		}
		if pages > 5 {
			t.Fatal("the timeline's pages do not end")
		}
		d = apiDetail(t, base+"/api/v1/incidents/9?timeline="+*d.TimelineNext)
		if d.TimelinePrev == nil {
			t.Errorf("page %d has no timeline_prev", pages+1)
		}
	}
	if !slices.Equal(forward, want) {
		t.Errorf("forward: %d events, want the %d in order", len(forward), len(want))
	}

	// Back from the newest page.
	var back [][]string
	prev := d.TimelinePrev
	for pages := 0; prev != nil; pages++ {
		if pages > 5 {
			t.Fatal("the timeline's pages back do not end")
		}
		d = apiDetail(t, base+"/api/v1/incidents/9?timeline="+*prev)
		back = append([][]string{eventIDs(d)}, back...)
		if d.TimelineNext == nil {
			t.Errorf("a page back has no timeline_next")
		}
		prev = d.TimelinePrev
	}
	got := slices.Concat(back...)
	got = append(got, want[len(got):]...) // the newest page, where the walk back started
	if !slices.Equal(got, want) || len(back) != 2 {
		t.Errorf("back: %d pages, %d events; want 2 pages before the newest, every event once", len(back), len(got))
	}

	// The classification is beyond the first page; the reports still count it.
	if first := apiDetail(t, base+"/api/v1/incidents/9"); len(first.Reporting) != 1 {
		t.Errorf("reporting = %+v, want the report of the classification on page 2", first.Reporting)
	}
}

// An incident with more alerts than it carries lists them by fingerprint,
// a page at a time, with the counts of all of them.
func TestAPIIncidentPagesTheAlerts(t *testing.T) {
	base, _ := pagingServer(t)
	d := apiDetail(t, base+"/api/v1/incidents/9")
	if d.AlertCount != 250 || d.FiringCount != 200 {
		t.Errorf("alert_count %d, firing_count %d; want 250, 200", d.AlertCount, d.FiringCount)
	}
	var fps []string
	for pages := 1; ; pages++ {
		if len(d.Alerts) > AlertsPageSize {
			t.Fatalf("page %d has %d alerts", pages, len(d.Alerts))
		}
		for _, a := range d.Alerts {
			fps = append(fps, a.Fingerprint)
		}
		if d.AlertsNext == nil {
			break
		}
		if pages > 5 {
			t.Fatal("the alerts' pages do not end")
		}
		d = apiDetail(t, base+"/api/v1/incidents/9?alerts="+*d.AlertsNext)
	}
	if len(fps) != 250 || !slices.IsSorted(fps) || len(slices.Compact(slices.Clone(fps))) != 250 {
		t.Errorf("%d alerts (sorted %v), want 250 distinct by fingerprint", len(fps), slices.IsSorted(fps))
	}
	// A small incident carries all its alerts: oldest first, no paging.
	one := apiDetail(t, base+"/api/v1/incidents/2")
	if one.AlertCount != 2 || one.FiringCount != 2 || len(one.Alerts) != 2 || one.AlertsNext != nil {
		t.Errorf("incident 2: count %d firing %d, %d alerts, next %v", one.AlertCount, one.FiringCount, len(one.Alerts), one.AlertsNext)
	}
	if one.TimelineNext != nil || one.TimelinePrev != nil || len(one.Timeline) != 3 {
		t.Errorf("incident 2: %d events, next %v, prev %v; want its 3, no other page", len(one.Timeline), one.TimelineNext, one.TimelinePrev)
	}
}

var hrefOf = regexp.MustCompile(`<a href="([^"]*)"[^>]*>([^<]*)</a>`)

// links returns the page's links by their text.
func links(body string) map[string]string {
	out := map[string]string{}
	for _, m := range hrefOf.FindAllStringSubmatch(body, -1) {
		out[html.UnescapeString(m[2])] = html.UnescapeString(m[1])
	}
	return out
}

// The page shows 200 events and 100 alerts, with links to the others;
// following them walks the timeline and the alerts, each keeping the other's place.
func TestIncidentPageLinksItsPages(t *testing.T) {
	base, _ := pagingServer(t)
	status, body := get(t, base+"/incidents/9")
	if status != http.StatusOK {
		t.Fatalf("GET /incidents/9: %d", status)
	}
	if n := strings.Count(body, `<li class="ev `); n != TimelinePageSize {
		t.Errorf("the first page shows %d events, want %d", n, TimelinePageSize)
	}
	if n := strings.Count(body, `<td data-label="Alert">`); n != AlertsPageSize {
		t.Errorf("the first page shows %d alerts, want %d", n, AlertsPageSize)
	}
	for _, want := range []string{"250 alerts, 200 firing", "batch 0<", "Regulatory reporting"} {
		if !strings.Contains(body, want) {
			t.Errorf("the first page lacks %q", want)
		}
	}
	l := links(body)
	if l["Newer events"] == "" || l["Latest events"] == "" || l["Next alerts"] == "" || l["Older events"] != "" || l["First alerts"] != "" {
		t.Fatalf("first page's links: %v", l)
	}

	// Next alerts, then newer events: the timeline link keeps the alerts' place.
	_, body = get(t, base+l["Next alerts"])
	l = links(body)
	if !strings.Contains(l["Newer events"], "alerts=") || l["First alerts"] == "" {
		t.Errorf("the second alerts page's links: %v", l)
	}
	_, body = get(t, base+l["Newer events"])
	if !strings.Contains(body, "batch 200<") || strings.Contains(body, "batch 199<") {
		t.Error("newer events do not start after the first page")
	}
	// By fingerprint, the second page of alerts is Storm149 to Storm50.
	if n := strings.Count(body, `<td data-label="Alert">`); n != AlertsPageSize || !strings.Contains(body, "Storm149<") || strings.Contains(body, "Storm249<") {
		t.Errorf("the second timeline page lost the alerts' place (%d alerts)", n)
	}
	l = links(body)
	if l["Older events"] == "" || l["Newer events"] == "" || l["First events"] == "" {
		t.Errorf("a middle page's links: %v", l)
	}

	// The latest page, then older.
	_, body = get(t, base+l["Latest events"])
	if !strings.Contains(body, "batch 449<") || strings.Count(body, `<li class="ev `) != TimelinePageSize {
		t.Error("the latest page does not end at the newest event")
	}
	l = links(body)
	if l["Newer events"] != "" || l["Older events"] == "" {
		t.Errorf("the latest page's links: %v", l)
	}
	_, body = get(t, base+l["Older events"])
	if !strings.Contains(body, "batch 249<") || strings.Contains(body, "batch 250<") {
		t.Error("older events do not end before the latest page")
	}
}

func TestIncidentPageBadCursors(t *testing.T) {
	base, _ := pagingServer(t)
	for _, q := range []string{"timeline=***", "timeline=" + strings.Repeat("A", 2000), "timeline=YnJva2Vu", "alerts=" + strings.Repeat("f", 2000)} {
		if got := do(t, "GET", base+"/api/v1/incidents/9?"+q, nil); got.code != http.StatusBadRequest || !strings.Contains(got.body, `"error"`) {
			t.Errorf("?%.30s: %d %.100s, want 400 with an error", q, got.code, got.body)
		}
		if code, _ := get(t, base+"/incidents/9?"+q); code != http.StatusBadRequest {
			t.Errorf("page ?%.30s: %d, want 400", q, code)
		}
	}
}
