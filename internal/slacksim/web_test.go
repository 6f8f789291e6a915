package slacksim_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestWebViewEscapesAndRendersBlocks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.createChannel(t, "inc-50")
	evil := `<script>alert("x")</script>`
	blocks := slack.MsgOptionBlocks(
		slack.NewHeaderBlock(slack.NewTextBlockObject("plain_text", "Incident #50 "+evil, false, false)),
		slack.NewSectionBlock(nil, []*slack.TextBlockObject{
			slack.NewTextBlockObject("mrkdwn", "*Severity*\nsev1", false, false),
			slack.NewTextBlockObject("mrkdwn", "*Commander*\n<@U0001>", false, false),
		}, nil),
		slack.NewContextBlock("", slack.NewTextBlockObject("mrkdwn", "from Alertmanager", false, false)),
		slack.NewActionBlock("a", slack.NewButtonBlockElement("resolve", "50", slack.NewTextBlockObject("plain_text", "Resolve", false, false))),
	)
	_, ts, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionText(evil, false), blocks)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.api.AddPinContext(ctx, id, slack.NewRefToMessage(id, ts)); err != nil {
		t.Fatal(err)
	}
	page := get(t, e.srv.URL+"/channels/"+id+"?as=U0001")
	if strings.Contains(page, evil) || !strings.Contains(page, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Errorf("the message text is not escaped:\n%s", page)
	}
	for _, want := range []string{"Incident #50", "<b>Severity</b>", `<span class="mention">@alice</span>`, "from Alertmanager", `name="action_id" value="resolve"`, ">Resolve</button>", "pinned", `action="/ui/command"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	index := get(t, e.srv.URL+"/")
	if !strings.Contains(index, "#inc-50") || !strings.Contains(index, "#incidents") {
		t.Errorf("index lacks channels:\n%s", index)
	}
}

func TestWebViewActions(t *testing.T) {
	e := newEnv(t)
	b := newBot(t, e.sim)
	sre := e.channel(t, "sre")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(e.srv.URL+"/ui/command", url.Values{"as": {"U0003"}, "channel": {sre}, "line": {"/oncall primary"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "flash=") {
		t.Errorf("answer %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	form, _ := url.ParseQuery(string(b.last(t).Body))
	if form.Get("command") != "/oncall" || form.Get("text") != "primary" || form.Get("user_id") != "U0003" {
		t.Errorf("command form %v", form)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/ui/command", strings.NewReader("as=U0003&channel="+sre+"&line=%2Foncall"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post: %d", resp.StatusCode)
	}
}

func TestWebViewModalAndEphemeralButton(t *testing.T) {
	e := newEnv(t)
	b := newBot(t, e.sim)
	ctx := context.Background()
	view, err := e.api.OpenViewContext(ctx, e.sim.IssueTrigger("U0002", ""), modal("Declare <b>", titleInput()))
	if err != nil {
		t.Fatal(err)
	}
	page := get(t, e.srv.URL+"/views?as=U0002")
	if !strings.Contains(page, "Declare &lt;b&gt;") || !strings.Contains(page, `name="in:title/title_input"`) {
		t.Fatalf("modal page:\n%s", page)
	}
	resp, err := http.PostForm(e.srv.URL+"/ui/submit", url.Values{
		"as": {"U0002"}, "view": {view.ID}, "in:title/title_input": {"Checkout errors"}, "type:title/title_input": {"plain_text_input"},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cb slack.InteractionCallback
	if err := jsonDecode(strings.NewReader(payload(t, b.last(t).Body)), &cb); err != nil {
		t.Fatal(err)
	}
	if cb.View.State.Values["title"]["title_input"].Value != "Checkout errors" || cb.User.ID != "U0002" {
		t.Errorf("submission %+v", cb.View.State)
	}

	// A button in an ephemeral message is clickable by its one viewer.
	id := e.createChannel(t, "inc-60")
	if _, err := e.api.InviteUsersToConversationContext(ctx, id, "U0002"); err != nil {
		t.Fatal(err)
	}
	confirm := slack.NewActionBlock("confirm", slack.NewButtonBlockElement("declare_confirm", "yes", slack.NewTextBlockObject("plain_text", "Declare", false, false)))
	ts, err := e.api.PostEphemeralContext(ctx, id, "U0002", slack.MsgOptionText("Declare?", false), slack.MsgOptionBlocks(confirm))
	if err != nil {
		t.Fatal(err)
	}
	if page := get(t, e.srv.URL+"/channels/"+id+"?as=U0002"); !strings.Contains(page, "Only visible to you") || !strings.Contains(page, `value="declare_confirm"`) {
		t.Errorf("ephemeral not shown to its viewer:\n%s", page)
	}
	if page := get(t, e.srv.URL+"/channels/"+id+"?as=U0001"); strings.Contains(page, "declare_confirm") {
		t.Error("ephemeral shown to another user")
	}
	if _, err := e.sim.ClickButton(ctx, "U0001", id, ts, "declare_confirm", ""); err == nil {
		t.Error("another user clicked an ephemeral button")
	}
	if _, err := e.sim.ClickButton(ctx, "U0002", id, ts, "declare_confirm", ""); err != nil {
		t.Fatal(err)
	}
	if err := jsonDecode(strings.NewReader(payload(t, b.last(t).Body)), &cb); err != nil {
		t.Fatal(err)
	}
	if !cb.Container.IsEphemeral || cb.Container.MessageTs != ts {
		t.Errorf("container %+v", cb.Container)
	}
	resp, err = http.Post(cb.ResponseURL, "application/json", strings.NewReader(`{"delete_original":true}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(e.sim.Ephemerals()) != 0 {
		t.Errorf("delete_original left %+v", e.sim.Ephemerals())
	}
}

// TestWebViewRendersAsSlack checks that a summary like the bot's reads as Slack shows
// it: mrkdwn, links, mentions and emoji rendered, nothing from the message able to add
// markup or a javascript: link.
func TestWebViewRendersAsSlack(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.createChannel(t, "inc-51")
	groups := e.sim.Usergroups()
	blocks := slack.MsgOptionBlocks(
		slack.NewHeaderBlock(slack.NewTextBlockObject("plain_text", ":rotating_light: Incident #51", true, false)),
		slack.NewSectionBlock(nil, []*slack.TextBlockObject{
			slack.NewTextBlockObject("mrkdwn", "*Status*\n:red_circle: Triggered", false, false),
			slack.NewTextBlockObject("mrkdwn", "*Paged*\n<!subteam^"+groups[0].ID+">", false, false),
		}, nil),
		slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn",
			":fire: *HighErrorRate* — firing\n5xx ratio is 12% (&gt; 10%)\n<http://prometheus:9090/graph?g0.expr=a&amp;g0.tab=1|Source> <javascript:alert(1)|evil> in <#"+id+">", false, false), nil, nil),
		slack.NewContextBlock("", slack.NewTextBlockObject("mrkdwn", "_from Alertmanager_ · `severity=critical` <script>", false, false)),
		slack.NewActionBlock("a", slack.NewButtonBlockElement("ack", "51", slack.NewTextBlockObject("plain_text", ":white_check_mark: Acknowledge", true, false))),
	)
	if _, _, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionText("Incident #51 <!here>", false), blocks); err != nil {
		t.Fatal(err)
	}
	// mrkdwn=false: Slack shows the text unformatted.
	if _, _, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionText("*literal* _text_", false), slack.MsgOptionDisableMarkdown()); err != nil {
		t.Fatal(err)
	}
	page := get(t, e.srv.URL+"/channels/"+id+"?as=U0001")
	for _, want := range []string{
		"🚨</span> Incident #51", "<b>Status</b>", "🔴</span> Triggered", `<span class="mention">@oncall-primary</span>`,
		"🔥</span> <b>HighErrorRate</b>", "(&gt; 10%)",
		`<a href="http://prometheus:9090/graph?g0.expr=a&amp;g0.tab=1" rel="noopener noreferrer nofollow" target="_blank">Source</a>`,
		`<span class="mention">#inc-51</span>`, "<i>from Alertmanager</i>", "<code>severity=critical</code>",
		"✅</span> Acknowledge</button>", "<summary>notification text</summary>", `<span class="mention">@here</span>`,
		`<div class="text">*literal* _text_</div>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"javascript:", ":fire: *", "*Status*", "<!subteam", "&amp;gt;"} {
		if strings.Contains(page, bad) {
			t.Errorf("page has %q", bad)
		}
	}
	if n := strings.Count(page, "<script"); n != 1 { // the page's own
		t.Errorf("page has %d script tags", n)
	}
}

func TestWebViewDirectMessages(t *testing.T) {
	e := newEnv(t)
	b := newBot(t, e.sim)
	ctx := context.Background()
	dm, _, _, err := e.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U0002"}})
	if err != nil {
		t.Fatal(err)
	}
	ack := slack.NewButtonBlockElement("page_ack", "page-9", slack.NewTextBlockObject("plain_text", "Acknowledge", false, false))
	ack.Style = slack.StylePrimary
	_, ts, err := e.api.PostMessageContext(ctx, dm.ID, slack.MsgOptionText("You are paged", false), slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", ":rotating_light: You are paged for *#9 Checkout down*", false, false), nil, nil),
		slack.NewActionBlock("page", ack)))
	if err != nil {
		t.Fatal(err)
	}

	index := get(t, e.srv.URL+"/?as=U0001")
	if !strings.Contains(index, `href="/channels/`+dm.ID+`?as=U0002">@bob ↔ incidentbot</a> 1 message`) {
		t.Errorf("index does not list bob's DM:\n%s", index)
	}
	if strings.Contains(index, `class="dm"`) {
		t.Error("alice's sidebar lists someone else's DM")
	}
	if side := get(t, e.srv.URL+"/?as=U0002"); !strings.Contains(side, `href="/channels/`+dm.ID+`?as=U0002" class="dm">@incidentbot</a> (1)`) {
		t.Errorf("bob's sidebar lacks his DM:\n%s", side)
	}
	// Opened as anyone, the DM page acts as its user: the button posts as bob.
	page := get(t, e.srv.URL+"/channels/"+dm.ID+"?as=U0001")
	for _, want := range []string{"@bob ↔ incidentbot", "only @bob sees", `<option value="U0002" selected>`, `name="as" value="U0002"`,
		`value="page_ack"`, `<button class="primary">Acknowledge</button>`, "<b>#9 Checkout down</b>"} {
		if !strings.Contains(strings.ToLower(page), strings.ToLower(want)) {
			t.Errorf("DM page lacks %q", want)
		}
	}
	if strings.Contains(page, `name="as" value="U0001"`) {
		t.Error("the DM page acts as alice")
	}

	resp, err := http.PostForm(e.srv.URL+"/ui/click", url.Values{"as": {"U0002"}, "channel": {dm.ID}, "ts": {ts}, "action_id": {"page_ack"}, "value": {"page-9"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cb slack.InteractionCallback
	if err := jsonDecode(strings.NewReader(payload(t, b.last(t).Body)), &cb); err != nil {
		t.Fatal(err)
	}
	if cb.User.ID != "U0002" || cb.Channel.ID != dm.ID || cb.ActionCallback.BlockActions[0].Value != "page-9" {
		t.Errorf("click from the DM page: %+v", cb)
	}
	// Clicking as someone else, as a crafted form would, is refused.
	n := b.count()
	resp, err = http.PostForm(e.srv.URL+"/ui/click", url.Values{"as": {"U0003"}, "channel": {dm.ID}, "ts": {ts}, "action_id": {"page_ack"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if b.count() != n {
		t.Error("carol clicked in bob's DM")
	}
}

func TestWebViewUsergroups(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	groups, err := e.api.GetUserGroupsContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.UpdateUserGroupMembersContext(ctx, groups[0].ID, "U0002,U0003"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.CreateUserGroupContext(ctx, slack.UserGroup{Name: "Payments <b>", Handle: "oncall-payments", Description: "pays & <i>"}); err != nil {
		t.Fatal(err)
	}
	index := get(t, e.srv.URL+"/")
	for _, want := range []string{"<b>@oncall-primary</b> On-call (primary): <span class=\"mention\">@bob</span> <span class=\"mention\">@carol</span>",
		"<b>@oncall-payments</b> Payments &lt;b&gt;: <i>no members</i>", "pays &amp; &lt;i&gt;"} {
		if !strings.Contains(index, want) {
			t.Errorf("index lacks %q:\n%s", want, index)
		}
	}
}

func TestWebViewAttachments(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.createChannel(t, "inc-52")
	att := slack.Attachment{
		Color: "danger", Title: ":fire: Firing", Text: "*HighErrorRate* on <@U0001>",
		Fields: []slack.AttachmentField{{Title: "Severity", Value: "_critical_", Short: true}},
	}
	evil := slack.Attachment{Color: "red;background:url(javascript:alert(1))", Fallback: "fallback <b>"}
	if _, _, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionAttachments(att, evil)); err != nil {
		t.Fatal(err)
	}
	page := get(t, e.srv.URL+"/channels/"+id)
	for _, want := range []string{`border-left-color:#e01e5a`, "🔥</span> Firing", `<b>HighErrorRate</b> on <span class="mention">@alice</span>`,
		"<b>Severity</b>", "<i>critical</i>", `border-left-color:#dddddd`, "fallback &lt;b&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "javascript") {
		t.Error("an attachment colour reached the page")
	}
}
