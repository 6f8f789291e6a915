package store_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/deploys/deploystest"
	"github.com/incidentbot/incidentbot/internal/store/storetest"
)

func TestDeploysConformance(t *testing.T) {
	deploystest.Run(t, func(t *testing.T) deploys.Store { return storetest.New(t) })
}
