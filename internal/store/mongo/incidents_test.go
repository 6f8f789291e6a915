package mongo

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/store/mongo/ferrettest"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func openTest(t *testing.T, o Options) *Store {
	t.Helper()
	s, err := Open(testCtx(t), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// Incidents an earlier release wrote (without the derived fields) are found
// by every filter once the store is opened again, and so are incidents whose
// derived fields follow other rules (another derivedVersion).
func TestOpenDerivesIncidentFields(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	o := Options{URI: ferrettest.Start(t), MaxPoolSize: 1}
	first := openTest(t, o)
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	// As the release before the derived fields wrote them.
	old := []any{
		bson.D{{Key: "_id", Value: int64(1)}, {Key: "version", Value: int64(3)}, {Key: "title", Value: "old"},
			{Key: "severity", Value: "sev1"}, {Key: "status", Value: "resolved"}, {Key: "group_key", Value: "g1"},
			{Key: "labels", Value: bson.D{{Key: "service", Value: "search"}}},
			{Key: "alerts", Value: bson.D{{Key: "a1", Value: bson.D{{Key: "fingerprint", Value: "a1"}, {Key: "status", Value: "firing"},
				{Key: "labels", Value: bson.D{{Key: "alertname", Value: "DiskFull"}}}, {Key: "starts_at", Value: t0}}}}},
			{Key: "actions", Value: bson.A{bson.D{{Key: "id", Value: 1}, {Key: "text", Value: "open"}, {Key: "at", Value: t0}}}},
			{Key: "detected_at", Value: t0}, {Key: "declared_at", Value: t0}, {Key: "updated_at", Value: t0}},
		bson.D{{Key: "_id", Value: int64(2)}, {Key: "version", Value: int64(0)}, {Key: "title", Value: "by hand"},
			{Key: "severity", Value: "sev2"}, {Key: "status", Value: "triggered"}, {Key: "service", Value: "pay"},
			{Key: "labels", Value: bson.D{{Key: "alertname", Value: "Latency"}}},
			{Key: "detected_at", Value: t0}, {Key: "declared_at", Value: t0}, {Key: "updated_at", Value: t0},
			// Derived by other rules: rewritten.
			{Key: "alert_names", Value: bson.A{"Stale"}}, {Key: "open_actions", Value: true}, {Key: "derived", Value: derivedVersion + 1}},
	}
	if _, err := first.DB().Collection(colIncidents).InsertMany(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}

	s := openTest(t, o)
	type O = incidents.ListOptions
	for _, tt := range []struct {
		opts O
		want []int64
	}{
		{O{OpenActions: true}, []int64{1}},
		{O{AlertName: "DiskFull"}, []int64{1}},
		{O{AlertName: "Latency", Before: 3, Limit: 1}, []int64{2}},
		{O{AlertName: "Stale"}, []int64{}},
		{O{GroupKey: "g1"}, []int64{1}},
		{O{Service: "search"}, []int64{1}},
		{O{Service: "pay"}, []int64{2}},
		{O{Severity: "sev2"}, []int64{2}},
	} {
		list, err := s.ListIncidents(ctx, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		got := []int64{}
		for _, inc := range list {
			got = append(got, inc.Number)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ListIncidents(%+v) = %v, want %v", tt.opts, got, tt.want)
		}
	}
	inc, err := s.GetIncident(ctx, 1)
	if err != nil || inc.Version != 3 || inc.Title != "old" {
		t.Fatalf("incident 1 after Open = %+v, %v; want it unchanged", inc, err)
	}
	n, err := s.DB().Collection(colIncidents).CountDocuments(ctx, bson.D{{Key: "derived", Value: derivedVersion}})
	if err != nil || n != 2 {
		t.Errorf("%d incidents at derivedVersion (%v), want 2", n, err)
	}
}

// On a real MongoDB (MONGODB_URI), no ListIncidents filter reads the whole
// collection: the winning plan of each has no COLLSCAN.
func TestListQueriesUseAnIndex(t *testing.T) {
	t.Parallel()
	uri := os.Getenv("MONGODB_URI")
	if uri == "" {
		t.Skip("MONGODB_URI is unset: no real MongoDB to explain queries on")
	}
	ctx := testCtx(t)
	db := fmt.Sprintf("incidentbot_plan_%d", time.Now().UnixNano())
	s := openTest(t, Options{URI: uri, Database: db})
	t.Cleanup(func() { s.DB().Drop(context.Background()) })
	for n := int64(1); n <= 50; n++ {
		inc := &incidents.Incident{Number: n, Severity: "sev2", GroupKey: fmt.Sprint("g", n), Status: incidents.StatusResolved,
			Labels: map[string]string{"alertname": fmt.Sprint("A", n)}, DeclaredAt: time.Now()}
		if err := s.Commit(ctx, &incidents.Change{Create: []*incidents.Incident{inc}}); err != nil {
			t.Fatal(err)
		}
	}
	type O = incidents.ListOptions
	for _, o := range []O{
		{OpenOnly: true}, {ResolvedOnly: true, Before: 10}, {Since: time.Now()}, {OpenActions: true}, {GroupKey: "g"},
		{AlertName: "A1", Before: 5, Limit: 1}, {Severity: "sev1"}, {Service: "pay"}, {Before: 10, Limit: 5},
	} {
		filter, _ := listQuery(o)
		cmd := bson.D{{Key: "explain", Value: bson.D{{Key: "find", Value: colIncidents}, {Key: "filter", Value: filter},
			{Key: "sort", Value: bson.D{{Key: "_id", Value: -1}}}}}}
		var res struct {
			QueryPlanner struct {
				WinningPlan bson.Raw `bson:"winningPlan"`
			} `bson:"queryPlanner"`
		}
		if err := s.DB().RunCommand(ctx, cmd).Decode(&res); err != nil {
			t.Fatal(err)
		}
		plan := res.QueryPlanner.WinningPlan.String()
		if plan == "" || strings.Contains(plan, "COLLSCAN") {
			t.Errorf("%+v: winning plan %s scans the collection", o, plan)
		}
	}
}
