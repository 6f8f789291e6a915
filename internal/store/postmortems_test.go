package store_test

import (
	"context"
	"testing"

	"github.com/incidentbot/incidentbot/internal/store/storetest"
	"github.com/incidentbot/incidentbot/postmortem"
	"github.com/incidentbot/incidentbot/postmortem/postmortemtest"
)

func TestPostmortemConformance(t *testing.T) {
	postmortemtest.Run(t, func(t *testing.T) postmortem.Store {
		s := storetest.New(t)
		if err := s.EnsurePostmortemIndexes(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	})
}
