package store_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/alertmanager"
	"github.com/incidentbot/incidentbot/bot/slackstate"
	"github.com/incidentbot/incidentbot/bot/slackstate/slackstatetest"
	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/deploys/deploystest"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/incidents/incidentstest"
	"github.com/incidentbot/incidentbot/internal/store"
	"github.com/incidentbot/incidentbot/internal/store/storetest"
)

// Every store interface's conformance suite, on every store (SQLite, MongoDB
// over FerretDB, and MongoDB at MONGODB_URI when set).

func TestIncidentsConformance(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, open func(testing.TB) store.Store) {
		incidentstest.Run(t, func(t *testing.T) incidents.Store { return open(t) })
	})
}

func TestDeploysConformance(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, open func(testing.TB) store.Store) {
		deploystest.Run(t, func(t *testing.T) deploys.Store { return open(t) })
	})
}

func TestSlackStateConformance(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, open func(testing.TB) store.Store) {
		slackstatetest.Run(t, func(t *testing.T) slackstate.Store { return open(t) })
	})
}

func TestInboxConformance(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, open func(testing.TB) store.Store) {
		storetest.Inbox(t, func(t testing.TB) alertmanager.Inbox { return open(t) })
	})
}

func TestLeasesConformance(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, open func(testing.TB) store.Store) {
		storetest.Leases(t, func(t testing.TB) store.Leases { return open(t) })
	})
}
