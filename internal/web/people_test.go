package web

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The pages show people by name, as Slack does, and notes' mrkdwn as safe
// HTML; the names come from Options.Names, asked once per page.
func TestPagesShowNamesAndMrkdwn(t *testing.T) {
	var asked [][]string
	o := testOptions()
	o.Names = fakeNames{asked: &asked}
	srv := serve(t, o)

	tests := []struct {
		path      string
		want, not []string
	}{
		{"/", []string{"Dave Diaz", "Alice Archer", "open", "since detection"}, []string{"U0DAVE", "U0ALICE"}},
		{"/incidents/3", []string{
			// people: commander, role, actors, action owner, mentions
			"Dave Diaz", "Carol Chen", `<span class="mention">@Dave Diaz</span>`, `<span class="mention">@Carol Chen</span>`,
			`<span class="mention">@Bob Baker</span>`,
			// the note's mrkdwn
			"<b>slowly</b>", "<i>carefully</i>", "<s>not</s>", "<code>deploy-123</code>",
			`<a href="https://grafana.example.com/d/x" rel="noopener noreferrer nofollow" target="_blank">the dashboard</a>`,
			`<span class="mention">@here</span>`, "&lt;b&gt;typed&lt;/b&gt;", "click me",
			// the follow-up: its text, owner and due date (end of the day in Almaty)
			"Write the <b>runbook</b> for", `<th scope="col">Due</th>`, `<time datetime="2026-12-03T18:59:59Z">Thu 2026-12-03</time>`,
			// the description: escaped, mentions by name
			`Raised by <span class="mention">@Dave Diaz</span> &amp; &lt;b&gt;friends&lt;/b&gt;`,
			// the duration says what it measures
			"open 45m since detection",
		}, []string{"&lt;@U", "<@U", "U0DAVE", "U0CAROL", "javascript:", "<b>typed", "*slowly*"}},
		{"/incidents/1", []string{"Alice Archer", "Bob Baker", "Carol Chen", "1h 40m, detection to resolution"}, []string{"U0ALICE", "U0BOB"}},
		{"/oncall", []string{"Alice Archer", "Bob Baker", `href="/oncall/primary.ics"`, "primary.ics",
			`href="/oncall/%3cscript%3ealert%281%29%3c/script%3e.ics"`}, []string{"U0ALICE", "U0BOB", "<script>"}},
		{"/stats", []string{"Alice Archer", "Dave Diaz"}, []string{"U0ALICE"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			asked = nil
			code, body := get(t, srv.URL+tt.path)
			if code != 200 {
				t.Fatalf("GET %s = %d", tt.path, code)
			}
			main := body[strings.Index(body, "<main"):]
			if miss := contains(main, tt.want...); miss != "" {
				t.Errorf("GET %s lacks %q\n%s", tt.path, miss, main)
			}
			for _, bad := range tt.not {
				if strings.Contains(main, bad) {
					t.Errorf("GET %s shows %q", tt.path, bad)
				}
			}
			if len(asked) != 1 {
				t.Errorf("GET %s asked for names %d times, want once per page", tt.path, len(asked))
			}
		})
	}
}

// Without Slack (no Names) the pages show IDs, and mentions still never
// appear in Slack's raw form.
func TestPagesWithoutNamesShowIDs(t *testing.T) {
	srv := serve(t, testOptions())
	code, body := get(t, srv.URL+"/incidents/3")
	if code != 200 {
		t.Fatalf("GET /incidents/3 = %d", code)
	}
	if miss := contains(body, "U0DAVE", `<span class="mention">@U0DAVE</span>`, `<span class="mention">@U0CAROL</span>`, "<b>slowly</b>"); miss != "" {
		t.Errorf("GET /incidents/3 lacks %q", miss)
	}
	if strings.Contains(body, "&lt;@U") {
		t.Errorf("a raw Slack mention is on the page")
	}
}

// The favicon is served small, and every page points at it.
func TestFavicon(t *testing.T) {
	srv := serve(t, testOptions())
	a := do(t, "GET", srv.URL+"/favicon.ico", nil)
	if a.code != 200 || a.header.Get("Content-Type") != "image/x-icon" {
		t.Fatalf("GET /favicon.ico = %d %s", a.code, a.header.Get("Content-Type"))
	}
	if !strings.HasPrefix(a.body, "\x00\x00\x01\x00") || len(a.body) > 4096 {
		t.Errorf("favicon: %d bytes, header % x; want a small ICO", len(a.body), a.body[:min(4, len(a.body))])
	}
	if _, body := get(t, srv.URL+"/"); !strings.Contains(body, `<link rel="icon" href="/favicon.ico"`) {
		t.Errorf("the pages do not link the favicon")
	}
}

// /api/v1/oncall answers in UTC, as the OpenAPI file says and the other
// endpoints do, whatever zone the clock and the schedules are in.
func TestAPIOnCallIsUTC(t *testing.T) {
	o := testOptions()
	almaty := o.Location
	o.Now = func() time.Time { return fixNow.In(almaty) }
	o.OnCall = fakeOnCall{{Schedule: "primary", Person: "U0ALICE", Until: ago(-6 * time.Hour).In(almaty), Next: "U0BOB"}}
	srv := serve(t, o)
	a := do(t, "GET", srv.URL+"/api/v1/oncall", nil)
	var raw struct {
		At        string `json:"at"`
		Schedules []struct {
			Until string `json:"until"`
		} `json:"schedules"`
	}
	if err := json.Unmarshal([]byte(a.body), &raw); err != nil || len(raw.Schedules) != 1 {
		t.Fatalf("GET /api/v1/oncall = %d %v\n%s", a.code, err, a.body)
	}
	if raw.At != "2026-12-01T12:00:00Z" || raw.Schedules[0].Until != "2026-12-01T18:00:00Z" {
		t.Errorf("at = %s, until = %s; want UTC (…Z)", raw.At, raw.Schedules[0].Until)
	}
}
