package postmortemtest_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/postmortem"
	"github.com/incidentbot/incidentbot/postmortem/postmortemtest"
)

func TestMem(t *testing.T) {
	postmortemtest.Run(t, func(*testing.T) postmortem.Store { return postmortemtest.NewMem() })
}
