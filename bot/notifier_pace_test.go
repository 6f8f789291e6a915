package bot_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/pace"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/clocktest"
	"github.com/incidentbot/incidentbot/internal/slacksim"
	"github.com/incidentbot/incidentbot/internal/store/sqlite/sqlitetest"
)

// priorities records the pace priority each Web API call carried, by method.
type priorities struct {
	next http.RoundTripper
	mu   sync.Mutex
	got  map[string][]pace.Priority
}

func (p *priorities) RoundTrip(r *http.Request) (*http.Response, error) {
	p.mu.Lock()
	m := pace.APIMethod(r.URL)
	p.got[m] = append(p.got[m], pace.PriorityFrom(r.Context()))
	p.mu.Unlock()
	return p.next.RoundTrip(r)
}

func TestNotifierMarksPagesFirstAndCosmeticsLast(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	sim := slacksim.New(slacksim.Options{Token: testToken, Now: clock.Now})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	rec := &priorities{next: srv.Client().Transport, got: map[string][]pace.Priority{}}
	api := slack.New(testToken, slack.OptionAPIURL(srv.URL+"/api/"), slack.OptionHTTPClient(&http.Client{Transport: rec}))
	st := sqlitetest.New(t)
	svc := incidents.NewService(st, noTasks{}, incidents.Options{Now: clock.Now})
	n := bot.NewNotifier(api, svc, st, bot.NotifierOptions{AnnounceChannel: "#incidents", Now: clock.Now,
		Logger: discardLogger(), RetriesMarked: true})
	ctx := pace.WithPriority(context.Background(), pace.Urgent) // a sev1's job
	inc, err := svc.Declare(ctx, incidents.DeclareRequest{Title: "Payments API down", Severity: "sev1", Actor: "U0001"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Sync(ctx, inc.Number); err != nil {
		t.Fatal(err)
	}
	if err := n.Sync(ctx, inc.Number); err != nil { // a refresh
		t.Fatal(err)
	}
	if _, _, _, err := n.SendPage(ctx, inc.Number, testPage(inc.Number, "U0002"), ""); err != nil {
		t.Fatal(err)
	}
	want := map[string][]pace.Priority{
		"conversations.create":     {pace.Urgent},
		"conversations.setTopic":   {pace.Cosmetic},
		"conversations.setPurpose": {pace.Cosmetic},
		"chat.postMessage":         {pace.Urgent, pace.Urgent, pace.Page}, // summary, announce, page
		"chat.update":              {pace.Cosmetic},                       // the refresh
		"conversations.open":       {pace.Page},
		"conversations.invite":     {pace.Urgent, pace.Page}, // the channel's people, then the paged one
	}
	for method, w := range want {
		if got := rec.got[method]; !slices.Equal(got, w) {
			t.Errorf("%s went at %v, want %v", method, got, w)
		}
	}
}
