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
	queries := []query{
		{"GetIncident", `SELECT ` + incidentCols + ` FROM incidents WHERE number = ?`, []any{1}},
		{"UpdateIncident", `UPDATE incidents SET version = version + 1, status = ?, declared_at = ?, body = ? WHERE number = ? AND version = ?`, []any{"", 0, "", 1, 0}},
		list("ListIncidents open", incidents.ListOptions{OpenOnly: true, Limit: 50}),
		list("ListIncidents since", incidents.ListOptions{Since: since}),
		list("ListIncidents open since", incidents.ListOptions{OpenOnly: true, Since: since, Limit: 50}),
		{"Timeline", `SELECT id, at, type, actor, text, fields FROM events WHERE incident = ? ORDER BY at, id`, []any{1}},
		{"AppendEvents conflict", `SELECT 1 FROM events WHERE id = ?`, []any{"x"}},
		{"GetGroup", `SELECT incident FROM alert_groups WHERE key = ?`, []any{"g"}},
		{"PendingInbox", `SELECT id, received_at, body FROM inbox ORDER BY id LIMIT ?`, []any{1000}},
		{"RemoveInbox", `DELETE FROM inbox WHERE id IN (?, ?)`, []any{"a", "b"}},
		{"Claim", `SELECT key FROM jobs WHERE run_at <= ?1 AND lease_until <= ?1 ORDER BY run_at, key LIMIT 1`, []any{0}},
		{"Get job", `SELECT ` + jobCols + ` FROM jobs WHERE key = ?`, []any{"k"}},
		{"PruneTicks", `DELETE FROM job_ticks WHERE at < ?`, []any{0}},
		{"SlackState", `SELECT ` + slackCols + ` FROM slack_state WHERE number = ?`, []any{1}},
		{"SlackStateByChannel", `SELECT ` + slackCols + ` FROM slack_state WHERE channel_id = ? AND channel_id <> '' ORDER BY number LIMIT 1`, []any{"C1"}},
		{"Deployments", deploymentsQuery, []any{0, 1}},
		{"Deployment", `SELECT ` + deployCols + ` FROM deployments WHERE id = ?`, []any{"d"}},
		{"AcquireLease", `SELECT holder FROM leases WHERE name = ?`, []any{"l"}},
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
