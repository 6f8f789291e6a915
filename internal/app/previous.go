package app

import (
	"context"

	"github.com/incidentbot/incidentbot/internal/jobs"
)

// previousNames bounds the alert names of a new incident looked up for an
// earlier one (a storm incident has many): one indexed query each.
const previousNames = 20

// openedWithPrevious is the incident.opened job: a new incident from alerts
// that has no previous incident of its group is linked to the latest
// earlier one with the same alert name ("this happened before": the summary
// and the draft show it), then the likely causes are offered.
func (a *App) openedWithPrevious(ctx context.Context, j jobs.Job, n int64) error {
	inc, err := a.service.Get(ctx, n)
	if err != nil {
		return err
	}
	if inc.Previous == 0 {
		prev, err := a.service.FindPrevious(ctx, inc, previousNames)
		if err != nil {
			return err
		}
		if prev != 0 {
			if _, err := a.service.LinkPrevious(ctx, n, prev); err != nil {
				return err
			}
		}
	}
	return a.opened(ctx, j, n)
}
