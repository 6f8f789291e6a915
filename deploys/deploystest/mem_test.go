package deploystest_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/deploys/deploystest"
)

func TestMem(t *testing.T) {
	deploystest.Run(t, func(*testing.T) deploys.Store { return deploystest.NewMem() })
}
