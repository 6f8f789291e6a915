package store_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/internal/store"
	"github.com/incidentbot/incidentbot/internal/store/storetest"
	"github.com/incidentbot/incidentbot/postmortem"
	"github.com/incidentbot/incidentbot/postmortem/postmortemtest"
)

func TestPostmortemConformance(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, open func(testing.TB) store.Store) {
		postmortemtest.Run(t, func(t *testing.T) postmortem.Store {
			return open(t)
		})
	})
}
