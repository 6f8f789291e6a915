package store_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/bot/slackstate"
	"github.com/incidentbot/incidentbot/bot/slackstate/slackstatetest"
	"github.com/incidentbot/incidentbot/internal/store/storetest"
)

func TestSlackStateConformance(t *testing.T) {
	slackstatetest.Run(t, func(t *testing.T) slackstate.Store { return storetest.New(t) })
}
