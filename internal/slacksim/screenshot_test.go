package slacksim_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// TestWebViewScreenshot writes screenshots of a page arriving in a DM and of an
// incident channel, with Debian's chromium, when SLACKSIM_SCREENSHOT_DIR is set:
//
//	SLACKSIM_SCREENSHOT_DIR=/tmp/shots go test -run Screenshot ./internal/slacksim/
func TestWebViewScreenshot(t *testing.T) {
	dir := os.Getenv("SLACKSIM_SCREENSHOT_DIR")
	if dir == "" {
		t.Skip("set SLACKSIM_SCREENSHOT_DIR to take screenshots of the web view")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("no chromium on the PATH")
	}
	e := newEnv(t)
	ctx := context.Background()
	groups := e.sim.Usergroups()
	if _, err := e.api.UpdateUserGroupMembersContext(ctx, groups[0].ID, "U0002"); err != nil {
		t.Fatal(err)
	}
	id := e.createChannel(t, "inc-7-checkout-errors")
	summary := slack.MsgOptionBlocks(
		slack.NewHeaderBlock(slack.NewTextBlockObject("plain_text", ":rotating_light: Incident #7: Checkout errors", true, false)),
		slack.NewSectionBlock(nil, []*slack.TextBlockObject{
			slack.NewTextBlockObject("mrkdwn", "*Status*\n:red_circle: Triggered", false, false),
			slack.NewTextBlockObject("mrkdwn", "*Severity*\nsev1", false, false),
			slack.NewTextBlockObject("mrkdwn", "*Commander*\n<@U0001>", false, false),
			slack.NewTextBlockObject("mrkdwn", "*On call*\n<!subteam^"+groups[0].ID+">", false, false),
		}, nil),
		slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn",
			":fire: *HighErrorRate* — firing\n5xx ratio is 12% (&gt; 10%)\n`instance=api-1:8080` · _service=payments_\n<http://prometheus:9090/graph?g0.expr=a&amp;g0.tab=1|Source>", false, false), nil, nil),
		slack.NewContextBlock("", slack.NewTextBlockObject("mrkdwn", ":information_source: Declared from Alertmanager in <#"+id+">", false, false)),
	)
	if _, _, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionText("Incident #7", false), summary); err != nil {
		t.Fatal(err)
	}
	dm, _, _, err := e.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U0002"}})
	if err != nil {
		t.Fatal(err)
	}
	ack := slack.NewButtonBlockElement("page_ack", "7", slack.NewTextBlockObject("plain_text", "Acknowledge", false, false))
	ack.Style = slack.StylePrimary
	decline := slack.NewButtonBlockElement("page_decline", "7", slack.NewTextBlockObject("plain_text", "Decline (escalate now)", false, false))
	decline.Style = slack.StyleDanger
	page := slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", ":rotating_light: *You are paged* for <#"+id+"> — *#7 Checkout errors* (sev1)\n> 5xx ratio is 12% (&gt; 10%)", false, false), nil, nil),
		slack.NewActionBlock("page_7", ack, decline),
		slack.NewContextBlock("", slack.NewTextBlockObject("mrkdwn", ":alarm_clock: Level 1 of 2 · escalates in 5 minutes", false, false)),
	)
	if _, _, err := e.api.PostMessageContext(ctx, dm.ID, slack.MsgOptionText("You are paged for #7", false), page); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"dm.png": "/channels/" + dm.ID + "?as=U0002", "channel.png": "/channels/" + id + "?as=U0001", "index.png": "/?as=U0002"} {
		shotCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
		out, err := exec.CommandContext(shotCtx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
			"--window-size=1100,900", "--screenshot="+filepath.Join(dir, name), e.srv.URL+path).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("chromium %s: %v\n%s", name, err, out)
		}
	}
}
