package sqlite

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// Every query on a table that grows with use reads an index (or the primary
// key), never the whole table. (ListIncidents with no filter walks the
// primary key from the newest and stops at its limit.) The jobs table is kept small (finished jobs
// are deleted), so Count and List may scan it; the claim may not.
func TestQueriesUseAnIndex(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir())
	type query struct {
		name, sql string
		args      []any
	}
	list := func(name string, o incidents.ListOptions) query {
		q, args := listQuery(o)
		return query{name, q, args}
	}
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	page := func(name string, from incidents.Cursor) query {
		q, args := timelinePageQuery(1, from, 200)
		return query{name, q, args}
	}
	queries := []query{
		{"GetIncident", `SELECT ` + incidentCols + ` FROM incidents WHERE number = ?`, []any{1}},
		{"UpdateIncident", updateIncidentSQL, []any{"", 0, "", "", "", "", 0, 1, 0}},
		{"alert names of an incident", `SELECT name FROM incident_alert_names WHERE incident = ?`, []any{1}},
		{"delete an alert name", `DELETE FROM incident_alert_names WHERE name = ? AND incident = ?`, []any{"a", 1}},
		list("ListIncidents open", incidents.ListOptions{OpenOnly: true, Limit: 50}),
		list("ListIncidents since", incidents.ListOptions{Since: since}),
		list("ListIncidents open since", incidents.ListOptions{OpenOnly: true, Since: since, Limit: 50}),
		{"Timeline", `SELECT ` + eventCols + ` FROM events WHERE incident = ? ORDER BY at, id`, []any{1}},
		{"AppendEvents conflict", `SELECT 1 FROM events WHERE id = ?`, []any{"x"}},
		{"chain head", `SELECT seq, hash FROM events WHERE incident = ? ORDER BY seq DESC LIMIT 1`, []any{1}},
		page("TimelinePage first", incidents.Cursor{}),
		page("TimelinePage newer", incidents.Cursor{At: since, ID: "x"}),
		page("TimelinePage last", incidents.Cursor{Back: true}),
		page("TimelinePage older", incidents.Cursor{At: since, ID: "x", Back: true}),
		{"AlertsPage", alertsPageSQL, []any{1, "a", 101}},
		{"CountOpen", countOpenSQL, nil},
		{"GetAlerts", `SELECT fingerprint, body FROM alerts WHERE incident = ? AND fingerprint IN (?, ?)`, []any{1, "a", "b"}},
		{"LastNumber", `SELECT value FROM counters WHERE name = 'incident'`, nil},
		{"GetGroup", `SELECT incident FROM alert_groups WHERE key = ?`, []any{"g"}},
		{"PendingInbox", `SELECT id, received_at, body FROM inbox ORDER BY id LIMIT ?`, []any{1000}},
		{"RemoveInbox", `DELETE FROM inbox WHERE id IN (?, ?)`, []any{"a", "b"}},
		{"Claim", `SELECT key FROM jobs WHERE priority <= ?2 AND run_at <= ?1 AND lease_until <= ?1 ORDER BY priority, run_at, key LIMIT 1`, []any{0, 0}},
		{"Get job", `SELECT ` + jobCols + ` FROM jobs WHERE key = ?`, []any{"k"}},
		{"PruneTicks", `DELETE FROM job_ticks WHERE at < ?`, []any{0}},
		{"SlackState", `SELECT ` + slackCols + ` FROM slack_state WHERE number = ?`, []any{1}},
		{"SlackStateByChannel", `SELECT ` + slackCols + ` FROM slack_state WHERE channel_id = ? AND channel_id <> '' ORDER BY number LIMIT 1`, []any{"C1"}},
		{"Deployments", deploymentsQuery, []any{0, 1}},
		{"Deployment", `SELECT ` + deployCols + ` FROM deployments WHERE id = ?`, []any{"d"}},
		{"AcquireLease", `SELECT holder FROM leases WHERE name = ?`, []any{"l"}},
		{"Windows", `SELECT ` + windowCols + ` FROM maintenance_windows WHERE to_at > ?`, []any{0}},
	}
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			rows, err := s.r.QueryContext(testCtx(t), "EXPLAIN QUERY PLAN "+q.sql, q.args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if len(plan) == 0 {
				t.Fatal("no plan")
			}
			for _, step := range plan {
				// "SCAN t USING INDEX i" walks an index in order (a LIMIT or an
				// ORDER BY served by it); a bare "SCAN t" reads every row.
				if strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, " USING ") {
					t.Errorf("plan %q scans the table", plan)
				}
				// Sorting what an index range found is fine (incidents since a
				// time); sorting a whole table is not.
				if strings.Contains(step, "TEMP B-TREE") && !strings.Contains(q.sql, "INDEXED BY") {
					t.Errorf("plan %q sorts in a temporary b-tree", plan)
				}
			}
			t.Logf("%s: %q", q.name, plan)
		})
	}
}

// Every combination of the ListOptions filters reads an index: never a bare
// SCAN, and a sort only of the declared_at range (Since, when no more
// selective filter leads). Only no filter at all walks the whole primary key
// (from the newest, up to its Limit).
func TestListQueriesUseAnIndex(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir())
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	set := []func(o *incidents.ListOptions){
		func(o *incidents.ListOptions) { o.OpenOnly = true },
		func(o *incidents.ListOptions) { o.ResolvedOnly = true },
		func(o *incidents.ListOptions) { o.Since = since },
		func(o *incidents.ListOptions) { o.Before = 100 },
		func(o *incidents.ListOptions) { o.OpenActions = true },
		func(o *incidents.ListOptions) { o.GroupKey = "g" },
		func(o *incidents.ListOptions) { o.AlertName = "HighErrorRate" },
		func(o *incidents.ListOptions) { o.Severity = "sev1" },
		func(o *incidents.ListOptions) { o.Service = "payments" },
		func(o *incidents.ListOptions) { o.Limit = 1 },
	}
	for mask := 1; mask < 1<<len(set); mask++ {
		var o incidents.ListOptions
		for i, f := range set {
			if mask&(1<<i) != 0 {
				f(&o)
			}
		}
		if o == (incidents.ListOptions{Limit: o.Limit}) {
			continue // no filter
		}
		q, args := listQuery(o)
		rows, err := s.r.QueryContext(testCtx(t), "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatalf("%+v: %s: %v", o, q, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		sorts := !o.Since.IsZero() && o.AlertName == "" && o.GroupKey == "" && !o.OpenActions
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, " USING ") {
				t.Errorf("%+v: plan %q scans a table", o, plan)
			}
			if strings.Contains(step, "TEMP B-TREE") && !sorts {
				t.Errorf("%+v: plan %q sorts in a temporary b-tree", o, plan)
			}
		}
		if len(plan) == 0 || !strings.Contains(strings.Join(plan, ";"), "INDEX") && !strings.Contains(strings.Join(plan, ";"), "PRIMARY KEY") {
			t.Errorf("%+v: plan %q reads no index", o, plan)
		}
		if testing.Verbose() && bitsSet(mask) <= 2 {
			t.Logf("%+v: %q", o, plan)
		}
	}
}

func bitsSet(m int) (n int) {
	for ; m > 0; m &= m - 1 {
		n++
	}
	return n
}
