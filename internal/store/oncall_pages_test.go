package store_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/internal/store/storetest"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/oncall/oncalltest"
)

func TestPagesConformance(t *testing.T) {
	oncalltest.Run(t, func(t *testing.T) oncall.PageStore {
		s := storetest.New(t)
		if err := s.EnsurePageIndexes(t.Context()); err != nil {
			t.Fatal(err)
		}
		return s
	})
}
