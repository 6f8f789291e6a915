package slackstatetest_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/bot/slackstate"
	"github.com/incidentbot/incidentbot/bot/slackstate/slackstatetest"
)

func TestMem(t *testing.T) {
	slackstatetest.Run(t, func(*testing.T) slackstate.Store { return slackstatetest.NewMem() })
}
