package store_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/heartbeats"
	"github.com/incidentbot/incidentbot/heartbeats/heartbeatstest"
	"github.com/incidentbot/incidentbot/maintenance"
	"github.com/incidentbot/incidentbot/maintenance/maintenancetest"

	"github.com/incidentbot/incidentbot/internal/store"
	"github.com/incidentbot/incidentbot/internal/store/storetest"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/oncall/oncalltest"
	"github.com/incidentbot/incidentbot/paging"
	"github.com/incidentbot/incidentbot/paging/pagingtest"
)

func TestPagesConformance(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, open func(testing.TB) store.Store) {
		oncalltest.Run(t, func(t *testing.T) oncall.PageStore { return open(t) })
	})
}

func TestOverridesConformance(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, open func(testing.TB) store.Store) {
		oncalltest.RunOverrides(t, func(t *testing.T) oncall.OverrideStore { return open(t) })
	})
}

func TestPagingConformance(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, open func(testing.TB) store.Store) {
		pagingtest.Run(t, func(t *testing.T) paging.Store { return open(t) })
	})
}

func TestMaintenanceConformance(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, open func(testing.TB) store.Store) {
		maintenancetest.Run(t, func(t *testing.T) maintenance.Store { return open(t) })
	})
}

func TestHeartbeatsConformance(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, open func(testing.TB) store.Store) {
		heartbeatstest.Run(t, func(t *testing.T) heartbeats.Store { return open(t) })
	})
}
