package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/web"
)

// floodGroups is the suite's flood: big enough that the storm incident has
// many more alerts than it carries and than a page shows.
const floodGroups = 3000

// The flood of the suite: 3,000 distinct groups from 16 clients, the storm
// guard at its defaults, applied synchronously once posted (no clock to
// wait on), on a fixed clock. It checks counts and sizes, never times
// (BENCHMARKS.md has those, from the command).
func TestFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("the flood posts 3,000 notifications")
	}
	now := time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := flood(ctx, floodOptions{Groups: floodGroups, Clients: 16, Manual: true, Now: func() time.Time { return now },
		Check: checkStormPages})
	if err != nil {
		t.Fatal(err)
	}
	if r.Posts != floodGroups+1 || r.Non2xx != 0 {
		t.Errorf("%d posts, %d not 2xx; want %d, all 2xx", r.Posts, r.Non2xx, floodGroups+1)
	}
	if r.Own != r.MaxNew || r.Storms != 1 {
		t.Fatalf("%d incidents of their own and %d storm incidents, want %d and 1", r.Own, r.Storms, r.MaxNew)
	}
	st, joined := r.Storm, floodGroups-r.MaxNew
	if st.StormGroups != joined || st.AlertCount != joined || st.FiringCount != joined || len(st.Alerts) != incidents.MaxInlineAlerts {
		t.Errorf("storm incident: %d groups, %d alerts (%d firing), %d carried; want %d, %d, %d, %d",
			st.StormGroups, st.AlertCount, st.FiringCount, len(st.Alerts), joined, joined, joined, incidents.MaxInlineAlerts)
	}
	if r.PageBytes >= 1<<20 || r.APIBytes >= 1<<20 || r.APIEvents > web.TimelinePageSize || r.APIAlerts != web.AlertsPageSize || !r.APIAlertsNext {
		t.Errorf("storm incident's page %d bytes, API %d bytes with %d events and %d alerts (more: %v); want < 1 MiB each, ≤ %d events, %d alerts and more",
			r.PageBytes, r.APIBytes, r.APIEvents, r.APIAlerts, r.APIAlertsNext, web.TimelinePageSize, web.AlertsPageSize)
	}
	if r.ScrapeErrors != 0 || r.OpenGauge != float64(r.Open) || r.Open != r.MaxNew+1 {
		t.Errorf("/metrics: %d errors, open gauge %v; %d incidents open, want %d", r.ScrapeErrors, r.OpenGauge, r.Open, r.MaxNew+1)
	}
	if !r.ResolvedApplied {
		t.Error("the resolved posted during the flood was not applied")
	}
}

// checkStormPages walks the storm incident's API pages: every joined
// group's alert once among the alert pages, and every group counted once
// by the timeline's join summaries.
func checkStormPages(ctx context.Context, base string, r *floodReport) error {
	n := strconv.FormatInt(r.Storm.Number, 10)
	read := func(q url.Values) (web.APIIncidentDetail, error) {
		var d web.APIIncidentDetail
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/incidents/"+n+"?"+q.Encode(), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return d, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return d, fmt.Errorf("GET %s: %d", req.URL, resp.StatusCode)
		}
		return d, json.NewDecoder(resp.Body).Decode(&d)
	}
	seen := map[string]bool{}
	q := url.Values{}
	for pages := 0; ; pages++ {
		if pages > floodGroups/web.AlertsPageSize+1 {
			return fmt.Errorf("the alert pages do not end")
		}
		d, err := read(q)
		if err != nil {
			return err
		}
		for _, a := range d.Alerts {
			if seen[a.Fingerprint] {
				return fmt.Errorf("alert %s on two pages", a.Fingerprint)
			}
			seen[a.Fingerprint] = true
		}
		if d.AlertsNext == nil {
			break
		}
		q.Set("alerts", *d.AlertsNext)
	}
	if len(seen) != r.Storm.AlertCount {
		return fmt.Errorf("%d alerts on the pages, want %d", len(seen), r.Storm.AlertCount)
	}
	groups := 0
	q = url.Values{}
	for pages := 0; ; pages++ {
		if pages > floodGroups {
			return fmt.Errorf("the timeline pages do not end")
		}
		d, err := read(q)
		if err != nil {
			return err
		}
		for _, e := range d.Timeline {
			if e.Type == incidents.EventStormGroup {
				g, err := strconv.Atoi(e.Fields["groups"])
				if err != nil {
					return fmt.Errorf("storm event %s: groups %q", e.ID, e.Fields["groups"])
				}
				groups += g
			}
		}
		if d.TimelineNext == nil {
			break
		}
		q.Set("timeline", *d.TimelineNext)
	}
	if groups != r.Storm.StormGroups {
		return fmt.Errorf("the timeline counts %d groups joining, want %d", groups, r.Storm.StormGroups)
	}
	return nil
}
