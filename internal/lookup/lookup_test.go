package lookup_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/incidentbot/incidentbot/bot/slackstate"
	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/heartbeats"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/internal/lookup"
	"github.com/incidentbot/incidentbot/maintenance"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
	"github.com/incidentbot/incidentbot/postmortem"
)

// Every store's ErrNotFound is the one value, so testing any of them is
// testing all of them: no errors.Is can pick the wrong package's.
func TestOneNotFound(t *testing.T) {
	for name, err := range map[string]error{
		"incidents":   incidents.ErrNotFound,
		"oncall":      oncall.ErrNotFound,
		"paging":      paging.ErrNotFound,
		"deploys":     deploys.ErrNotFound,
		"maintenance": maintenance.ErrNotFound,
		"heartbeats":  heartbeats.ErrNotFound,
		"postmortem":  postmortem.ErrNotFound,
		"slackstate":  slackstate.ErrNotFound,
		"jobs":        jobs.ErrNotFound,
	} {
		if err != lookup.ErrNotFound {
			t.Errorf("%s.ErrNotFound is not lookup.ErrNotFound", name)
		}
	}
	wrapped := fmt.Errorf("deployment d1: %w", deploys.ErrNotFound)
	if !errors.Is(wrapped, incidents.ErrNotFound) || !errors.Is(wrapped, postmortem.ErrNotFound) {
		t.Error("a wrapped not-found is not every package's ErrNotFound")
	}
}
