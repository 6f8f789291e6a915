package store_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/incidentbot/incidentbot/bot/slackstate"
	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/heartbeats"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/maintenance"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
	"github.com/incidentbot/incidentbot/postmortem"
)

// Every store built on incidents names incidents.ErrNotFound as its own, and
// paging names oncall's, so no errors.Is among them can pick the wrong
// package's sentinel. (incidents and oncall import the standard library
// only, so each has one of its own.)
func TestOneNotFoundPerRoot(t *testing.T) {
	for name, err := range map[string]error{
		"deploys":     deploys.ErrNotFound,
		"maintenance": maintenance.ErrNotFound,
		"heartbeats":  heartbeats.ErrNotFound,
		"postmortem":  postmortem.ErrNotFound,
		"slackstate":  slackstate.ErrNotFound,
	} {
		if err != incidents.ErrNotFound {
			t.Errorf("%s.ErrNotFound is not incidents.ErrNotFound", name)
		}
	}
	if paging.ErrNotFound != oncall.ErrNotFound {
		t.Error("paging.ErrNotFound is not oncall.ErrNotFound")
	}
	wrapped := fmt.Errorf("deployment d1: %w", deploys.ErrNotFound)
	if !errors.Is(wrapped, incidents.ErrNotFound) || !errors.Is(wrapped, postmortem.ErrNotFound) {
		t.Error("a wrapped not-found is not every package's ErrNotFound")
	}
}
