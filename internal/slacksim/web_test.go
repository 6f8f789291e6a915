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
	for _, want := range []string{"Incident #50", "*Severity*", "from Alertmanager", `name="action_id" value="resolve"`, ">Resolve</button>", "pinned", `action="/ui/command"`} {
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
