package store_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/internal/store"
	"github.com/incidentbot/incidentbot/internal/store/storetest"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/oncall/oncalltest"
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
