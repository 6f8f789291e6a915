package bot_test

import (
	"testing"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/incidentbot/incidentbot/bot"
)

// The "announced incident" log line names the announce channel, where the
// line was posted, and the incident's channel apart.
func TestAnnounceLogNamesTheAnnounceChannel(t *testing.T) {
	e := newEnv(t, nil)
	announce := e.channel("sre").ID
	logger, hook := logtest.NewNullLogger()
	n := bot.NewNotifier(e.api, e.svc, e.store, bot.NotifierOptions{AnnounceChannel: announce, Now: e.clock.Now, Logger: logrus.NewEntry(logger)})
	inc := e.declare("Payments API down", "sev2")
	if err := n.Sync(e.ctx, inc.Number); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, entry := range hook.AllEntries() {
		if entry.Message != "announced incident" {
			continue
		}
		found = true
		if entry.Data["channel"] != announce {
			t.Errorf("announced incident: channel = %v, want the announce channel %s", entry.Data["channel"], announce)
		}
		if ic, _ := entry.Data["incident_channel"].(string); ic == "" || ic == announce {
			t.Errorf("announced incident: incident_channel = %q, want the incident's channel", ic)
		}
	}
	if !found {
		t.Fatal(`no "announced incident" log line`)
	}
}
