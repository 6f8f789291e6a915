package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

func listNumbers(t *testing.T, base, query string) ([]int64, *int64) {
	t.Helper()
	a := do(t, "GET", base+"/api/v1/incidents?"+query, nil)
	if a.code != 200 {
		t.Fatalf("GET ?%s = %d %s", query, a.code, a.body)
	}
	var l apiIncidentList
	if err := json.Unmarshal([]byte(a.body), &l); err != nil {
		t.Fatal(err)
	}
	nums := []int64{}
	for _, inc := range l.Incidents {
		nums = append(nums, inc.Number)
	}
	return nums, l.Next
}

func TestAPIIncidentFilters(t *testing.T) {
	srv := serve(t, testOptions())
	tests := []struct {
		query string
		want  []int64
	}{
		{"", []int64{4, 3, 2, 1}},
		{"status=open", []int64{4, 3}},
		{"status=resolved", []int64{2, 1}},
		{"status=RESOLVED", []int64{2, 1}},
		{"severity=sev1", []int64{3, 2}},
		{"service=checkout", []int64{2, 1}},
		{"service=search", []int64{4}}, // from the service label
		{"status=open&severity=sev1", []int64{3}},
		{"since=" + url.QueryEscape(fixNow.Add(-time.Hour).Format(time.RFC3339)), []int64{4, 3}},
		{"since=" + url.QueryEscape(fixNow.Add(-time.Hour).In(time.FixedZone("x", 5*3600)).Format(time.RFC3339)), []int64{4, 3}},
		{"before=3", []int64{2, 1}},
		{"cursor=2", []int64{1}},
		{"cursor=1", []int64{}},
		{"severity=sev9", []int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got, next := listNumbers(t, srv.URL, tt.query)
			if !slices.Equal(got, tt.want) || next != nil {
				t.Errorf("?%s = %v next %v, want %v and no next", tt.query, got, next, tt.want)
			}
		})
	}
}

func TestAPIIncidentPagination(t *testing.T) {
	o := testOptions()
	f := &fakeIncidents{incs: map[int64]*incidents.Incident{}}
	for n := int64(1); n <= 250; n++ {
		f.incs[n] = &incidents.Incident{Number: n, Title: fmt.Sprint("inc ", n), Severity: "sev3", Status: incidents.StatusResolved,
			DeclaredAt: fixNow.Add(-time.Duration(300-n) * time.Hour)}
	}
	o.Incidents = f
	srv := serve(t, o)
	first, next := listNumbers(t, srv.URL, "")
	if len(first) != defaultLimit || first[0] != 250 || next == nil || *next != 201 {
		t.Fatalf("first page: %d incidents from %v, next %v; want %d from 250, next 201", len(first), first[:1], next, defaultLimit)
	}
	// Walk every page with limit=70; each number comes once, newest first.
	var all []int64
	query := "limit=70"
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		got, next := listNumbers(t, srv.URL, query)
		all = append(all, got...)
		if next == nil {
			break
		}
		query = fmt.Sprintf("limit=70&cursor=%d", *next)
	}
	if len(all) != 250 || all[0] != 250 || all[249] != 1 || !slices.IsSortedFunc(all, func(a, b int64) int { return int(b - a) }) {
		t.Errorf("walked %d incidents, from %d to %d", len(all), all[0], all[len(all)-1])
	}
	if got, _ := listNumbers(t, srv.URL, "limit=200"); len(got) != maxLimit {
		t.Errorf("limit=200 gave %d", len(got))
	}
}

func TestAPIBadQueries(t *testing.T) {
	srv := serve(t, testOptions())
	for _, q := range []string{"status=closed", "since=yesterday", "since=2026-11-01", "limit=0", "limit=201", "limit=x",
		"cursor=0", "cursor=x", "before=-1", "cursor=5&before=6", "severity=" + strings.Repeat("x", 201)} {
		a := do(t, "GET", srv.URL+"/api/v1/incidents?"+q, nil)
		var e map[string]string
		if err := json.Unmarshal([]byte(a.body), &e); a.code != 400 || err != nil || e["error"] == "" || len(e) != 1 {
			t.Errorf("?%s = %d %s, want 400 {\"error\": …}", q, a.code, a.body)
		}
	}
	for _, q := range []string{"window=1d", "window=30", "service=" + strings.Repeat("s", 201)} {
		if a := do(t, "GET", srv.URL+"/api/v1/stats?"+q, nil); a.code != 400 || !strings.Contains(a.body, `"error"`) {
			t.Errorf("stats ?%s = %d %s, want 400", q, a.code, a.body)
		}
	}
}

func TestAPIIncidentDetail(t *testing.T) {
	srv := serve(t, testOptions())
	var d APIIncidentDetail
	a := do(t, "GET", srv.URL+"/api/v1/incidents/2", nil)
	if err := json.Unmarshal([]byte(a.body), &d); err != nil {
		t.Fatal(err)
	}
	// JSON carries user text as it is (JSON escaping makes it safe); unsafe
	// links are cut from permalink but kept, as data, in fields.
	if d.Title != xssScript || d.Timeline[1].Permalink != "" || d.Timeline[1].Fields["permalink"] != xssJS ||
		d.Previous == nil || *d.Previous != 1 || len(d.Alerts) != 2 || d.AcknowledgedAt == nil || d.MitigatedAt != nil {
		t.Errorf("detail = %+v", d)
	}
	if strings.Contains(a.body, "<script>") {
		t.Errorf("JSON answer carries a raw <script> (encoding/json escapes it as \\u003c)")
	}
	if d.DurationSeconds != 3*3600 {
		t.Errorf("duration_seconds = %v, want 10800", d.DurationSeconds)
	}
}

func TestAPIStats(t *testing.T) {
	srv := serve(t, testOptions())
	var s struct {
		Window    string `json:"window"`
		Incidents int    `json:"incidents"`
		Service   string `json:"service"`
		DORA      []struct {
			Service, Environment string
			Deployments          int
		} `json:"dora"`
	}
	a := do(t, "GET", srv.URL+"/api/v1/stats?window=30d&service=checkout", nil)
	if err := json.Unmarshal([]byte(a.body), &s); err != nil {
		t.Fatal(err)
	}
	if s.Window != "30d" || s.Incidents != 2 || s.Service != "checkout" || len(s.DORA) != 1 || s.DORA[0].Deployments != 2 {
		t.Errorf("stats 30d checkout = %+v", s)
	}
	a = do(t, "GET", srv.URL+"/api/v1/stats?window=7d", nil)
	if err := json.Unmarshal([]byte(a.body), &s); err != nil {
		t.Fatal(err)
	}
	if s.Window != "7d" || s.Incidents != 3 {
		t.Errorf("stats 7d = %+v, want 3 incidents", s)
	}
}

// recordingIncidents records the List options the API asks for.
type recordingIncidents struct {
	*fakeIncidents
	lists []incidents.ListOptions
}

func (r *recordingIncidents) List(ctx context.Context, o incidents.ListOptions) ([]*incidents.Incident, error) {
	r.lists = append(r.lists, o)
	return r.fakeIncidents.List(ctx, o)
}

// Every filter and the page go to the store in one query (one incident more
// than the page, to know whether a next one follows): nothing is paged in
// memory, so a page costs the same however many incidents there are.
func TestAPIIncidentsPushFiltersDown(t *testing.T) {
	o := testOptions()
	rec := &recordingIncidents{fakeIncidents: o.Incidents.(*fakeIncidents)}
	o.Incidents = rec
	srv := serve(t, o)
	since := fixNow.Add(-time.Hour)
	type O = incidents.ListOptions
	for _, tt := range []struct {
		query string
		want  O
	}{
		{"", O{Limit: defaultLimit + 1}},
		{"status=resolved&severity=sev1&service=checkout&cursor=5&limit=3", O{ResolvedOnly: true, Severity: "sev1", Service: "checkout", Before: 5, Limit: 4}},
		{"status=open&before=9&since=" + url.QueryEscape(since.Format(time.RFC3339)), O{OpenOnly: true, Before: 9, Since: since, Limit: defaultLimit + 1}},
	} {
		rec.lists = nil
		listNumbers(t, srv.URL, tt.query)
		if len(rec.lists) != 1 || !rec.lists[0].Since.Equal(tt.want.Since) {
			t.Fatalf("?%s: store queries %+v, want one: %+v", tt.query, rec.lists, tt.want)
		}
		got := rec.lists[0]
		got.Since, tt.want.Since = time.Time{}, time.Time{}
		if got != tt.want {
			t.Errorf("?%s: store query %+v, want %+v", tt.query, got, tt.want)
		}
	}
}
