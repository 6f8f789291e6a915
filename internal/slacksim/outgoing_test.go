package slacksim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/incidentbot/incidentbot/internal/slacksim"
)

// Slack's documented example of request signing.
func TestSignDocumentedVector(t *testing.T) {
	body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	got := slacksim.Sign("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", []byte(body))
	want := "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestSlashCommand(t *testing.T) {
	e := newEnv(t)
	b := newBot(t, e.sim)
	ctx := context.Background()
	incidents := e.channel(t, "incidents")
	b.setAnswer(func(string, []byte) (int, string, string) {
		return 200, "application/json", `{"response_type":"ephemeral","text":"Declaring…"}`
	})
	resp, err := e.sim.SlashCommand(ctx, "U0001", incidents, "/incident", "declare DB down sev1")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("command: %v %v", err, resp)
	}
	req := b.last(t)
	if req.Path != "/slack/commands" || req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("request %s %s", req.Path, req.Header.Get("Content-Type"))
	}
	if ts := req.Header.Get("X-Slack-Request-Timestamp"); ts != "1796014800" {
		t.Errorf("timestamp %q, want the simulator's clock", ts)
	}
	form, _ := url.ParseQuery(string(req.Body))
	for k, want := range map[string]string{
		"command": "/incident", "text": "declare DB down sev1", "user_id": "U0001", "user_name": "alice",
		"channel_id": incidents, "channel_name": "incidents", "team_id": slacksim.TeamID, "api_app_id": slacksim.AppID,
	} {
		if got := form.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !strings.HasPrefix(form.Get("response_url"), e.srv.URL+"/response/") || form.Get("trigger_id") == "" {
		t.Errorf("response_url %q trigger_id %q", form.Get("response_url"), form.Get("trigger_id"))
	}
	if r := e.sim.Responses(); len(r) != 1 || r[0].Source != "immediate" || r[0].Text != "Declaring…" || r[0].User != "U0001" {
		t.Errorf("immediate answer %+v", r)
	}
	// The trigger opens a modal once, within 3 seconds.
	if _, err := e.api.OpenViewContext(ctx, form.Get("trigger_id"), modal("Declare", titleInput())); err != nil {
		t.Errorf("views.open with the command's trigger: %v", err)
	}
	// The response_url takes an in_channel message, then ephemeral ones, 5 uses in all.
	post := func(body string) (int, string) {
		resp, err := http.Post(form.Get("response_url"), "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	if code, body := post(`{"response_type":"in_channel","text":"Incident #1 declared"}`); code != 200 || body != "ok" {
		t.Fatalf("response_url: %d %s", code, body)
	}
	msgs := e.sim.Messages(incidents)
	if len(msgs) != 1 || msgs[0].Text != "Incident #1 declared" || msgs[0].User != slacksim.BotUserID {
		t.Errorf("in_channel message %+v", msgs)
	}
	if code, body := post(`{"text":""}`); code != 400 || body != "no_text" {
		t.Errorf("empty response: %d %s", code, body)
	}
	for i := range 4 {
		if code, _ := post(`{"text":"note"}`); code != 200 {
			t.Fatalf("use %d: %d", i+2, code)
		}
	}
	if code, body := post(`{"text":"sixth"}`); code != 404 || body != "used_url" {
		t.Errorf("sixth use: %d %s", code, body)
	}
	// The immediate answer and four response_url posts, all shown to U0001 only.
	if eph := e.sim.Ephemerals(); len(eph) != 5 || eph[0].User != "U0001" || eph[0].Text != "Declaring…" {
		t.Errorf("ephemerals %+v", eph)
	}
	// response_urls expire after 30 minutes.
	if _, err := e.sim.SlashCommand(ctx, "U0002", incidents, "/incident", "list"); err != nil {
		t.Fatal(err)
	}
	form, _ = url.ParseQuery(string(b.last(t).Body))
	e.clock.Advance(31 * time.Minute)
	if code, body := post(`{"text":"late"}`); code != 404 || body != "expired_url" {
		t.Errorf("expired: %d %s", code, body)
	}
	if _, err := e.sim.SlashCommand(ctx, "U0001", incidents, "incident", ""); err == nil {
		t.Error("a command without / was sent")
	}
}

func TestBotTimeout(t *testing.T) {
	e := newEnv(t)
	slow := newBot(t, e.sim)
	release := make(chan struct{})
	slow.setAnswer(func(string, []byte) (int, string, string) {
		<-release
		return 200, "", ""
	})
	defer close(release)
	sim := slacksim.New(slacksim.Options{Token: testToken, SigningSecret: testSecret, BotURL: slow.srv.URL, BotTimeout: 50 * time.Millisecond})
	sim.SetSelfURL(e.srv.URL)
	start := time.Now()
	if _, err := sim.SlashCommand(context.Background(), "U0001", mustChannel(t, sim, "sre"), "/incident", "help"); err == nil {
		t.Error("a bot slower than the timeout answered")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

func mustChannel(t *testing.T, sim *slacksim.Server, name string) string {
	t.Helper()
	ch, ok := sim.ChannelByName(name)
	if !ok {
		t.Fatalf("no #%s", name)
	}
	return ch.ID
}

func TestClickButton(t *testing.T) {
	e := newEnv(t)
	b := newBot(t, e.sim)
	ctx := context.Background()
	id := e.createChannel(t, "inc-20")
	if _, err := e.api.InviteUsersToConversationContext(ctx, id, "U0002"); err != nil {
		t.Fatal(err)
	}
	ack := slack.NewButtonBlockElement("ack", "page-7", slack.NewTextBlockObject("plain_text", "Acknowledge", false, false))
	other := slack.NewButtonBlockElement("ack", "page-8", slack.NewTextBlockObject("plain_text", "Ack 8", false, false))
	_, ts, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionText("You are paged", false),
		slack.MsgOptionBlocks(slack.NewActionBlock("page_7", ack), slack.NewActionBlock("page_8", other)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.ClickButton(ctx, "U0002", id, ts, "ack", "page-8"); err != nil {
		t.Fatalf("click: %v", err)
	}
	req := b.last(t)
	if req.Path != "/slack/interactions" {
		t.Errorf("path %s", req.Path)
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(payload(t, req.Body)), &cb); err != nil {
		t.Fatal(err)
	}
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != "U0002" || cb.Channel.ID != id ||
		cb.Message.Timestamp != ts || cb.Container.MessageTs != ts || cb.TriggerID == "" || cb.ResponseURL == "" {
		t.Errorf("callback %+v", cb)
	}
	acts := cb.ActionCallback.BlockActions
	if len(acts) != 1 || acts[0].ActionID != "ack" || acts[0].Value != "page-8" || acts[0].BlockID != "page_8" ||
		acts[0].Type != "button" || acts[0].ActionTs == "" {
		t.Errorf("actions %+v", acts)
	}
	// replace_original through the response_url updates the message.
	resp, err := http.Post(cb.ResponseURL, "application/json", strings.NewReader(`{"replace_original":true,"text":"Acknowledged by <@U0002>"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if m, _ := e.sim.Message(id, ts); m.Text != "Acknowledged by <@U0002>" || m.Blocks != nil || m.Edited == nil {
		t.Errorf("replaced message %+v", m)
	}
	if _, err := e.sim.ClickButton(ctx, "U0002", id, ts, "ack", ""); err == nil {
		t.Error("clicked a button that is gone")
	}
	// Slack refuses two buttons with one action_id in a block.
	_, _, err = e.api.PostMessageContext(ctx, id, slack.MsgOptionBlocks(slack.NewActionBlock("dup", ack, other)))
	if slackErr(err) != "invalid_blocks" {
		t.Errorf("duplicate action_id in a block: %v", err)
	}
	if _, err := e.sim.ClickButton(ctx, "U0002", id, "1.000001", "ack", ""); err == nil {
		t.Error("clicked in a message that does not exist")
	}
}

func TestSubmitView(t *testing.T) {
	e := newEnv(t)
	b := newBot(t, e.sim)
	ctx := context.Background()
	resp, err := e.api.OpenViewContext(ctx, e.sim.IssueTrigger("U0001", ""), modal("Declare", titleInput()))
	if err != nil {
		t.Fatal(err)
	}
	b.setAnswer(func(string, []byte) (int, string, string) {
		return 200, "application/json", `{"response_action":"errors","errors":{"title":"Too short"}}`
	})
	values := map[string]map[string]slacksim.StateValue{"title": {"title_input": slacksim.TextValue("DB")}}
	if _, err := e.sim.SubmitView(ctx, "U0001", resp.ID, values); err != nil {
		t.Fatal(err)
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(payload(t, b.last(t).Body)), &cb); err != nil {
		t.Fatal(err)
	}
	if cb.Type != slack.InteractionTypeViewSubmission || cb.View.ID != resp.ID || cb.View.CallbackID != "declare" ||
		cb.View.State.Values["title"]["title_input"].Value != "DB" {
		t.Errorf("submission %+v", cb.View)
	}
	if v := e.sim.Views()[0]; !v.Open || v.Errors["title"] != "Too short" {
		t.Errorf("view after errors %+v", v)
	}
	b.setAnswer(nil)
	if _, err := e.sim.SubmitView(ctx, "U0001", resp.ID, values); err != nil {
		t.Fatal(err)
	}
	if v := e.sim.Views()[0]; v.Open {
		t.Error("an empty 200 did not close the view")
	}
	if _, err := e.sim.SubmitView(ctx, "U0001", resp.ID, values); err == nil {
		t.Error("submitted a closed view")
	}
	other, _ := e.api.OpenViewContext(ctx, e.sim.IssueTrigger("U0001", ""), modal("Declare", titleInput()))
	if _, err := e.sim.SubmitView(ctx, "U0001", other.ID, map[string]map[string]slacksim.StateValue{"nope": {"x": slacksim.TextValue("x")}}); err == nil {
		t.Error("submitted a value for an input the view lacks")
	}
	if _, err := e.sim.SubmitView(ctx, "U0002", other.ID, nil); err == nil {
		t.Error("another user submitted the view")
	}
}

func TestEvents(t *testing.T) {
	e := newEnv(t)
	b := newBot(t, e.sim)
	ctx := context.Background()
	b.setAnswer(func(path string, body []byte) (int, string, string) {
		var v struct {
			Type      string `json:"type"`
			Challenge string `json:"challenge"`
		}
		_ = json.Unmarshal(body, &v)
		if v.Type == "url_verification" {
			return 200, "application/json", `{"challenge":"` + v.Challenge + `"}`
		}
		return 200, "", ""
	})
	if err := e.sim.VerifyURL(ctx); err != nil {
		t.Fatalf("url_verification: %v", err)
	}
	incidents := e.channel(t, "incidents")
	ts, err := e.sim.UserPost(ctx, "U0001", incidents, "before the bot joined")
	if err != nil {
		t.Fatal(err)
	}
	before := b.count()
	if err := e.sim.UserPin(ctx, "U0001", incidents, ts); err != nil {
		t.Fatal(err)
	}
	if b.count() != before {
		t.Error("an event was sent from a channel the bot is not in")
	}
	if _, _, _, err := e.api.JoinConversationContext(ctx, incidents); err != nil {
		t.Fatal(err)
	}
	_, botTS, err := e.api.PostMessageContext(ctx, incidents, slack.MsgOptionText("Incident #3: DB down", false))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.UserPin(ctx, "U0002", incidents, botTS); err != nil {
		t.Fatal(err)
	}
	ev := parseEvent(t, b.last(t).Body)
	pin, ok := ev.InnerEvent.Data.(*slackevents.PinAddedEvent)
	if !ok || pin.User != "U0002" || pin.Channel != incidents || pin.Item.Message == nil || pin.Item.Message.Timestamp != botTS {
		t.Errorf("pin_added %#v", ev.InnerEvent.Data)
	}
	if err := e.sim.UserPin(ctx, "U0002", incidents, botTS); err == nil {
		t.Error("pinned twice")
	}
	if err := e.sim.UserReact(ctx, "U0003", incidents, botTS, "pushpin"); err != nil {
		t.Fatal(err)
	}
	ev = parseEvent(t, b.last(t).Body)
	react, ok := ev.InnerEvent.Data.(*slackevents.ReactionAddedEvent)
	if !ok || react.Reaction != "pushpin" || react.User != "U0003" || react.Item.Timestamp != botTS || react.ItemUser != slacksim.BotUserID {
		t.Errorf("reaction_added %#v", ev.InnerEvent.Data)
	}
	if _, err := e.sim.UserPost(ctx, "U0001", incidents, "the DB is back"); err != nil {
		t.Fatal(err)
	}
	ev = parseEvent(t, b.last(t).Body)
	if msg, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent); !ok || msg.Text != "the DB is back" || msg.User != "U0001" {
		t.Errorf("message %#v", ev.InnerEvent.Data)
	}
	// A retry is the same envelope with Slack's retry headers.
	id, _, err := e.sim.SendEvent(ctx, map[string]any{"type": "app_mention", "user": "U0001", "text": "<@U0SIMBOT1> help", "channel": incidents})
	if err != nil {
		t.Fatal(err)
	}
	first := b.last(t)
	if _, err := e.sim.ResendEvent(ctx, id, 1, "http_timeout"); err != nil {
		t.Fatal(err)
	}
	retry := b.last(t)
	if !bytes.Equal(first.Body, retry.Body) || retry.Header.Get("X-Slack-Retry-Num") != "1" ||
		retry.Header.Get("X-Slack-Retry-Reason") != "http_timeout" || first.Header.Get("X-Slack-Retry-Num") != "" {
		t.Errorf("retry headers %v", retry.Header)
	}
	var env struct {
		Type    string `json:"type"`
		EventID string `json:"event_id"`
	}
	_ = json.Unmarshal(first.Body, &env)
	if env.Type != "event_callback" || env.EventID != id {
		t.Errorf("envelope %+v", env)
	}
	evs := e.sim.Events()
	if last := evs[len(evs)-1]; last.EventID != id || last.Retry != 1 || last.Status != 200 {
		t.Errorf("events log %+v", last)
	}
}

func parseEvent(t *testing.T, body []byte) slackevents.EventsAPIEvent {
	t.Helper()
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		t.Fatalf("parse event: %v", err)
	}
	return ev
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.createChannel(t, "inc-30")
	e.sim.SetRateLimit("chat.postMessage", slacksim.Next(1), 7*time.Second)
	_, _, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Fatalf("got %#v, want RateLimitedError after 7s", err)
	}
	if _, _, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("after the limit passed: %v", err)
	}
	// The raw answer is Slack's.
	e.sim.SetRateLimit(slacksim.AllMethods, slacksim.Every(3), 1500*time.Millisecond)
	var pattern []int
	for range 6 {
		status, body, h := e.post(t, "auth.test", url.Values{})
		pattern = append(pattern, status)
		if status == http.StatusTooManyRequests && (h.Get("Retry-After") != "2" || body["error"] != "ratelimited" || body["ok"] != false) {
			t.Errorf("429 answer %v %v", h, body)
		}
	}
	if want := []int{200, 200, 429, 200, 200, 429}; !slices.Equal(pattern, want) {
		t.Errorf("every 3rd: %v, want %v", pattern, want)
	}
	e.sim.SetRateLimit(slacksim.AllMethods, slacksim.When{}, 0)
	// Seeded fractions repeat.
	run := func() []int {
		sim := slacksim.New(slacksim.Options{Token: testToken, Seed: 7})
		sim.SetRateLimit("auth.test", slacksim.Fraction(0.5), time.Second)
		var out []int
		for range 20 {
			rec := httptest.NewRecorder()
			req, _ := http.NewRequest(http.MethodPost, "/api/auth.test", strings.NewReader("token="+testToken))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			sim.Handler().ServeHTTP(rec, req)
			out = append(out, rec.Code)
		}
		return out
	}
	a, b := run(), run()
	if !slices.Equal(a, b) || !slices.Contains(a, 429) || !slices.Contains(a, 200) {
		t.Errorf("seeded runs differ or are one-sided: %v %v", a, b)
	}
}

func TestServerErrorAndLatency(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.sim.SetServerError("auth.test", slacksim.Next(1), http.StatusServiceUnavailable)
	_, err := e.api.AuthTestContext(ctx)
	var sce slack.StatusCodeError
	if !errors.As(err, &sce) || sce.Code != http.StatusServiceUnavailable {
		t.Fatalf("got %#v, want StatusCodeError 503", err)
	}
	if _, err := e.api.AuthTestContext(ctx); err != nil {
		t.Errorf("after the fault: %v", err)
	}
	e.sim.SetLatency("auth.test", 5*time.Second)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := e.api.AuthTestContext(short); err == nil {
		t.Error("a 5 s latency beat a 50 ms deadline")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancellation took %v", d)
	}
	e.sim.ClearFaults()
	if _, err := e.api.AuthTestContext(ctx); err != nil {
		t.Errorf("after ClearFaults: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	e := newUnlimitedEnv(t)
	ctx := context.Background()
	id := e.createChannel(t, "inc-40")
	e.sim.SetRateLimit("chat.postMessage", slacksim.Every(5), time.Second)
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]bool{}
	limited := 0
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				_, ts, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionText("m", false))
				var rl *slack.RateLimitedError
				mu.Lock()
				switch {
				case errors.As(err, &rl):
					limited++
				case err != nil:
					t.Errorf("goroutine %d post %d: %v", g, i, err)
				case seen[ts]:
					t.Errorf("duplicate ts %s", ts)
				default:
					seen[ts] = true
				}
				mu.Unlock()
				_ = e.sim.Messages(id)
				_, _ = e.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: id, Limit: 5})
			}
		}()
	}
	wg.Wait()
	if len(seen)+limited != 200 || limited != 40 {
		t.Errorf("%d posted, %d limited; want 160 and 40", len(seen), limited)
	}
	if got := len(e.sim.Messages(id)); got != len(seen) {
		t.Errorf("%d messages stored, %d acknowledged", got, len(seen))
	}
	if e.sim.Calls("chat.postMessage") != 200 || e.sim.OKCalls("chat.postMessage") != 160 {
		t.Errorf("calls %d ok %d", e.sim.Calls("chat.postMessage"), e.sim.OKCalls("chat.postMessage"))
	}
}
