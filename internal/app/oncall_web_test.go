package app

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/internal/config"
)

func TestOncallWebProvider(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withPaging})
	ctx := context.Background()
	h.oncall("U0001", "override primary <@U0003> now +2h")
	rows, err := h.app.OncallNow(ctx)
	if err != nil || len(rows) != 2 {
		t.Fatalf("OncallNow = %+v, %v; want two schedules", rows, err)
	}
	if r := rows[0]; r.Schedule != "primary" || r.Now.User != "U0003" || r.Next.User != primaryUser || !r.Next.Start.Equal(h.clock.Now().Add(2*60*60e9)) {
		t.Errorf("primary now/next = %+v, want U0003 now (the override), then %s", r, primaryUser)
	}
	feed, ok, err := h.app.OncallCalendar(ctx, "primary", "")
	if err != nil || !ok {
		t.Fatalf("OncallCalendar = %v, %v", ok, err)
	}
	s := string(feed)
	if !strings.HasPrefix(s, "BEGIN:VCALENDAR\r\n") || strings.Count(s, "BEGIN:VEVENT") < 13 {
		t.Errorf("feed has %d events, want about 13 weeks and the override: %.300s", strings.Count(s, "BEGIN:VEVENT"), s)
	}
	mine, _, _ := h.app.OncallCalendar(ctx, "primary", "U0003")
	if n := strings.Count(string(mine), "BEGIN:VEVENT"); n < 4 || n >= strings.Count(s, "BEGIN:VEVENT") {
		t.Errorf("U0003's feed has %d events, want their shifts only", n)
	}
	if _, ok, _ := h.app.OncallCalendar(ctx, "nope", ""); ok {
		t.Error("OncallCalendar(unknown) ok, want false")
	}
}

// The web view serves who is on call and the calendars from the same answers.
func TestOncallPagesOverHTTP(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withPaging})
	get := func(path string, header ...string) (int, string, string) {
		req, _ := http.NewRequest(http.MethodGet, h.app.URL()+path, nil)
		if len(header) == 2 {
			req.Header.Set(header[0], header[1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	// People by name (users.info through the postmortem's directory), never
	// by their contact details.
	if code, _, body := get("/oncall"); code != 200 || !strings.Contains(body, "primary") || !strings.Contains(body, "Bob Baker") ||
		strings.Contains(body, "@example.com") || !strings.Contains(body, `href="/oncall/primary.ics"`) {
		t.Errorf("GET /oncall = %d, want the primary schedule, Bob Baker (%s) and its calendar: %.400s", code, primaryUser, body)
	}
	if code, ct, body := get("/oncall", "Accept", "application/json"); code != 200 || !strings.HasPrefix(ct, "application/json") || !strings.Contains(body, `"person":"`+primaryUser+`"`) {
		t.Errorf("GET /oncall as JSON = %d %s %.300s", code, ct, body)
	}
	code, ct, body := get("/oncall/primary.ics?user=" + primaryUser)
	if code != 200 || !strings.HasPrefix(ct, "text/calendar") || !strings.HasPrefix(body, "BEGIN:VCALENDAR\r\n") || !strings.Contains(body, "BEGIN:VEVENT") {
		t.Errorf("GET /oncall/primary.ics = %d %s %.200q", code, ct, body)
	}
	if code, _, _ := get("/oncall/nope.ics"); code != 404 {
		t.Errorf("GET /oncall/nope.ics = %d, want 404", code)
	}
}

func TestMembersByEmailResolvedAtStart(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: func(c *config.Config) {
		withPaging(c)
		c.Schedules[1].Rotations[0].Members = []string{"dave@example.com"}
	}})
	rows, err := h.app.OncallNow(context.Background())
	if err != nil || rows[1].Now.User != secondaryUser {
		t.Fatalf("secondary now = %+v, %v; want dave@example.com resolved to %s", rows, err, secondaryUser)
	}
	if got := h.sim.OKCalls("users.lookupByEmail"); got != 1 {
		t.Errorf("users.lookupByEmail calls = %d, want 1", got)
	}
}

func TestUnknownMemberEmailStopsTheStart(t *testing.T) {
	sim := newHarness(t, harnessOptions{manual: true, config: withSlack})
	cfg := config.Default()
	withPaging(cfg)
	cfg.Schedules[1].Rotations[0].Members = []string{"nobody@example.com"}
	env := sim.app.opts.Env
	env.DataDir = t.TempDir()
	_, err := New(context.Background(), Options{Env: env, Config: cfg, Now: sim.clock.Now})
	if err == nil || !strings.Contains(err.Error(), "nobody@example.com") {
		t.Fatalf("New with an unknown member email: %v, want an error naming it", err)
	}
}
