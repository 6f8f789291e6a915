package stats

import (
	"context"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
)

// Source is where a report's data comes from: the store, through the
// incidents service and the deployments store.
type Source interface {
	// Incidents returns the incidents declared at or after since.
	Incidents(ctx context.Context, since time.Time) ([]*incidents.Incident, error)
	// Deployments returns the deployments with At in [from, to).
	Deployments(ctx context.Context, from, to time.Time) ([]deploys.Deployment, error)
	// Causes returns the incident → deployment links.
	Causes(ctx context.Context) (map[int64]string, error)
	// Pages returns the pages sent in [from, to), for the on-call load.
	Pages(ctx context.Context, from, to time.Time) ([]PageRecord, error)
}

// lookBehind is how far before a window incidents and deployments are read:
// a deployment just before the window may be the cause (and so the failure)
// of an incident inside it, and its recovery may land inside.
const lookBehind = 30 * 24 * time.Hour

// ForPeriod computes the report of the period ending at now.
func ForPeriod(ctx context.Context, src Source, period time.Duration, now time.Time, o Options) (Report, error) {
	from := now.Add(-period)
	incs, err := src.Incidents(ctx, from.Add(-lookBehind))
	if err != nil {
		return Report{}, fmt.Errorf("stats: read incidents: %w", err)
	}
	ds, err := src.Deployments(ctx, from.Add(-lookBehind), now.Add(time.Nanosecond))
	if err != nil {
		return Report{}, fmt.Errorf("stats: read deployments: %w", err)
	}
	causes, err := src.Causes(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("stats: read causes: %w", err)
	}
	pages, err := src.Pages(ctx, from, now)
	if err != nil {
		return Report{}, fmt.Errorf("stats: read pages: %w", err)
	}
	return Compute(Input{From: from, To: now, Incidents: incs, Deploys: ds, Causes: causes, Pages: pages, Options: o}, now)
}
