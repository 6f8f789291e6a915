package store_test

import (
	"context"
	"testing"

	"github.com/incidentbot/incidentbot/internal/store"
	"github.com/incidentbot/incidentbot/internal/store/storetest"
	"github.com/incidentbot/incidentbot/postmortem"
	"github.com/incidentbot/incidentbot/postmortem/postmortemtest"
)

func TestPostmortemConformance(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, open func(testing.TB) store.Store) {
		postmortemtest.Run(t, func(t *testing.T) postmortem.Store {
			s := open(t)
			if ix, ok := s.(interface{ EnsurePostmortemIndexes(context.Context) error }); ok {
				if err := ix.EnsurePostmortemIndexes(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			return s
		})
	})
}
