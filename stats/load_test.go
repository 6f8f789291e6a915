package stats

import (
	"context"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
)

type fakeSource struct {
	incs   []*incidents.Incident
	ds     []deploys.Deployment
	since  time.Time
	dsFrom time.Time
}

func (f *fakeSource) Incidents(_ context.Context, since time.Time) ([]*incidents.Incident, error) {
	f.since = since
	return f.incs, nil
}

func (f *fakeSource) Deployments(_ context.Context, from, to time.Time) ([]deploys.Deployment, error) {
	f.dsFrom = from
	return f.ds, nil
}

func (f *fakeSource) Pages(context.Context, time.Time, time.Time) ([]PageRecord, error) {
	return []PageRecord{{User: "U1", At: f.since}}, nil
}

func (f *fakeSource) Causes(context.Context) (map[int64]string, error) {
	return map[int64]string{1: "d1"}, nil
}

// ForPeriod reads a month before the window, so a deployment just before it
// still counts as the cause of an incident inside it.
func TestForPeriodReadsBehindTheWindow(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	detected := now.Add(-24 * time.Hour)
	src := &fakeSource{
		incs: []*incidents.Incident{{Number: 1, Severity: "sev2", Service: "api", Status: incidents.StatusResolved,
			DetectedAt: detected, DeclaredAt: detected}},
		ds: []deploys.Deployment{{ID: "d1", Service: "api", Environment: "production", Version: "1",
			Status: deploys.StatusSuccess, At: now.Add(-8 * 24 * time.Hour)}},
	}
	r, err := ForPeriod(context.Background(), src, 7*24*time.Hour, now, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(-37 * 24 * time.Hour); !src.since.Equal(want) || !src.dsFrom.Equal(want) {
		t.Errorf("read incidents since %v and deployments from %v, want both from %v", src.since, src.dsFrom, want)
	}
	if r.Incidents != 1 || !r.From.Equal(now.Add(-7*24*time.Hour)) {
		t.Errorf("report: %d incidents from %v, want 1 from a week ago", r.Incidents, r.From)
	}
}
