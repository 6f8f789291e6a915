package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/postmortem"
)

// fakePostmortems records what the handler asked of it.
type fakePostmortems struct {
	mu       sync.Mutex
	requests []int64
	statuses []string
}

func (f *fakePostmortems) RequestDraft(_ context.Context, n int64, _ string) (DraftRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n == 99 {
		return DraftRequest{}, incidents.ErrNotFound
	}
	f.requests = append(f.requests, n)
	// The second request finds the draft written and its link posted.
	return DraftRequest{URL: fmt.Sprintf("http://bot.test/postmortems/%d", n), Posted: len(f.requests) > 1, Status: postmortem.StatusDraft}, nil
}

func (f *fakePostmortems) SetStatus(_ context.Context, n int64, st postmortem.Status, actor string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses = append(f.statuses, fmt.Sprintf("#%d %s by %s", n, st, actor))
	return "The postmortem is now *" + string(st) + "*.", nil
}

func TestPostmortemCommandsAndButton(t *testing.T) {
	pm := &fakePostmortems{}
	e := newEnv(t, func(o *HandlerOptions) { o.Postmortems = pm })
	_, ch := e.incident("U0001", "Checkout down")

	got := e.command("U0001", ch, commandIncident, "postmortem")
	if got.ResponseType != ephemeral || !strings.Contains(got.Text, "<http://bot.test/postmortems/1|the postmortem page>") ||
		!strings.Contains(got.Text, "When it is ready, its link is posted in the incident channel") {
		t.Errorf("postmortem answered %+v, want an ephemeral line with the draft's link", got)
	}
	// Asked again once the draft is written and its link posted: nothing new
	// is posted in the channel, so the answer says where the draft is.
	got = e.command("U0001", ch, commandIncident, "postmortem")
	if got.ResponseType != ephemeral || !strings.Contains(got.Text, "The postmortem draft of incident #1 is on <http://bot.test/postmortems/1|the postmortem page>") ||
		strings.Contains(got.Text, "will be") {
		t.Errorf("postmortem of a written draft answered %+v, want where the draft is", got)
	}
	got = e.command("U0002", ch, commandIncident, "postmortem status in review")
	if got.ResponseType != inChannel || got.Text != "The postmortem is now *in-review*." {
		t.Errorf("postmortem status answered %+v, want the service's message in the channel", got)
	}
	got = e.command("U0001", e.channel("general"), commandIncident, "#99 postmortem")
	if !strings.Contains(got.Text, "Incident #99 does not exist.") {
		t.Errorf("postmortem of an unknown incident answered %+v", got)
	}
	pm.mu.Lock()
	defer pm.mu.Unlock()
	if fmt.Sprint(pm.requests) != "[1 1]" || fmt.Sprint(pm.statuses) != "[#1 in-review by U0002]" {
		t.Errorf("requests %v statuses %v, want [1 1] and [#1 in-review by U0002]", pm.requests, pm.statuses)
	}
}
