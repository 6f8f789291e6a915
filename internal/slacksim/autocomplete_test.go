package slacksim_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// A slash command typed in the web view reaches the bot as Slack's client
// sends it: @name of a user and #name of a channel picked from autocomplete
// become <@U…|name> and <#C…|name>; anything else stays as typed.
func TestWebViewCommandAutocompletesNames(t *testing.T) {
	e := newEnv(t)
	b := newBot(t, e.sim)
	sre, incidents := e.channel(t, "sre"), e.channel(t, "incidents")
	secret, err := e.api.CreateConversationContext(context.Background(), slack.CreateConversationParams{ChannelName: "secret", IsPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct{ typed, sent string }{
		{"commander @alice", "commander <@U0001|alice>"},
		{"role scribe @Bob.", "role scribe <@U0002|bob>."},
		{"page @carol, @dave and @nobody", "page <@U0003|carol>, <@U0004|dave> and @nobody"},
		{"note moved to #sre from #incidents", "note moved to <#" + sre + "|sre> from <#" + incidents + "|incidents>"},
		{"#42 note see #secret and #nowhere", "#42 note see #secret and #nowhere"},
		{"note mail alice@example.com, see https://x.example/#sre", "note mail alice@example.com, see https://x.example/#sre"},
		{"role scribe <@U0003|carol>", "role scribe <@U0003|carol>"},
		{"note a <b> & @alice", "note a &lt;b&gt; &amp; <@U0001|alice>"},
	} {
		resp, err := noRedirect.PostForm(e.srv.URL+"/ui/command", url.Values{"as": {"U0003"}, "channel": {sre}, "line": {"/incident " + tt.typed}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		form, _ := url.ParseQuery(string(b.last(t).Body))
		if got := form.Get("text"); got != tt.sent {
			t.Errorf("typed %q: the bot got %q, want %q", tt.typed, got, tt.sent)
		}
	}
	if secret.ID == "" {
		t.Fatal("no private channel")
	}
	// The API is unchanged: SlashCommand sends the text as given.
	if _, err := e.sim.SlashCommand(context.Background(), "U0003", sre, "/incident", "commander @alice"); err != nil {
		t.Fatal(err)
	}
	if form, _ := url.ParseQuery(string(b.last(t).Body)); form.Get("text") != "commander @alice" {
		t.Errorf("SlashCommand changed the text: %q", form.Get("text"))
	}
}

// The index counts messages in words: "1 message", "2 messages".
func TestWebViewCountsMessages(t *testing.T) {
	e := newEnv(t)
	one := e.createChannel(t, "one")
	two := e.createChannel(t, "two")
	ctx := context.Background()
	for ch, n := range map[string]int{one: 1, two: 2} {
		for range n {
			if _, _, err := e.api.PostMessageContext(ctx, ch, slack.MsgOptionText("hello", false)); err != nil {
				t.Fatal(err)
			}
		}
	}
	index := get(t, e.srv.URL+"/")
	for _, want := range []string{"#one</a> 1 message", "#two</a> 2 messages"} {
		if !strings.Contains(index, want) {
			t.Errorf("index lacks %q", want)
		}
	}
	if strings.Contains(index, " 1 messages") {
		t.Errorf("index says 1 messages")
	}
}
