package app

import (
	"context"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/postmortem"
)

// nameLookupTimeout bounds the Slack lookups of one draft's people.
const nameLookupTimeout = 10 * time.Second

// peopleNames looks up the names of the people a draft shows, so the wiki
// reads "Alice Chen" where Slack would say <@U123>. Without Slack the
// draft shows IDs.
func (a *App) peopleNames(ctx context.Context, in postmortem.Input) map[string]string {
	if a.slack == nil {
		return nil
	}
	a.directoryOnce.Do(func() { a.directory = bot.NewDirectory(a.slack) })
	ctx, cancel := context.WithTimeout(ctx, nameLookupTimeout)
	defer cancel()
	return a.directory.Names(ctx, postmortem.People(in))
}
