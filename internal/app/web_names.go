package app

import (
	"context"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/internal/web"
)

// webNameTimeout bounds the Slack lookups of one page: names the page could
// not get in time show as IDs, and the next view has them (bot.Directory
// remembers every name it found).
const webNameTimeout = 2 * time.Second

// webNames gives the web view the names the postmortem uses (bot.Directory:
// users.info, remembered, paused after a failure). Without Slack it names
// nobody and the pages show IDs.
type webNames struct{ a *App }

var _ web.Names = webNames{}

// Names implements web.Names.
func (w webNames) Names(ctx context.Context, ids []string) map[string]string {
	if w.a.slack == nil {
		return nil
	}
	w.a.directoryOnce.Do(func() { w.a.directory = bot.NewDirectory(w.a.slack) })
	ctx, cancel := context.WithTimeout(ctx, webNameTimeout)
	defer cancel()
	return w.a.directory.Names(ctx, ids)
}
