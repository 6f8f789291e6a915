package incidents_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/incidents/incidentstest"
)

// The test fake keeps the contract, so tests that use it test real behaviour.
func TestMemStoreConformance(t *testing.T) {
	incidentstest.Run(t, func(*testing.T) incidents.Store { return incidents.NewMemStore() })
}
