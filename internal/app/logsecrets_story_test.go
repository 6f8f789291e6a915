package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/inboxsim"
	"github.com/incidentbot/incidentbot/internal/twiliosim"
	"github.com/incidentbot/incidentbot/oncall"
)

// Personal data and secrets never reach the logs: a whole story — an
// alert, pages by Slack, push, email (through an SMTP server that wants a
// password), SMS and a call, a delivery report, a key press, an SMS
// reply, a slash command, a tampered link — logged at debug level, and
// not one token, password, signing secret, phone number or email address
// in what was written.
func TestStoryLogsCarryNoSecretsOrPersonalData(t *testing.T) {
	t.Parallel()
	const smtpUser, smtpPassword = "pager-relay", "smtp-pa55word-never-logged"
	twilioSim := twiliosim.New(twiliosim.Options{AccountSID: twilioSID, AuthToken: twilioToken, Numbers: []string{twilioFrom}})
	twSrv := httptest.NewServer(twilioSim.Handler())
	t.Cleanup(func() { twSrv.Close(); twilioSim.Close() })
	inbox, err := inboxsim.Start(inboxsim.Options{Username: smtpUser, Password: smtpPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inbox.Close() })
	ntfySrv := httptest.NewServer(inbox.NtfyHandler())
	t.Cleanup(ntfySrv.Close)
	const ntfyToken = "tk_ntfy-token-never-logged"

	var logs lockedBuffer
	h := newHarness(t, harnessOptions{manual: true, publicURL: true, logTo: &logs,
		env: map[string]string{"TWILIO_AUTH_TOKEN": twilioToken, "SMTP_PASSWORD": smtpPassword},
		config: func(c *config.Config) {
			withPaging(c)
			c.People = map[string]oncall.Person{"alice": {Key: "alice", Slack: primaryUser, Phone: alicePhone, Email: aliceEmail,
				Ntfy: &oncall.NtfyTopic{Server: ntfySrv.URL, Topic: aliceTopic, Token: ntfyToken},
				Rules: []oncall.NotifyRule{
					{Notify: []oncall.Method{oncall.MethodSlack, oncall.MethodPush, oncall.MethodEmail}},
					{After: 2 * time.Minute, Notify: []oncall.Method{oncall.MethodSMS}},
					{After: 5 * time.Minute, Notify: []oncall.Method{oncall.MethodVoice}},
				}}}
			c.Paging.Twilio = &config.Twilio{AccountSID: twilioSID, From: twilioFrom, APIURL: twSrv.URL}
			host, port := splitHostPort(t, inbox.SMTPAddr())
			c.Paging.SMTP = &config.SMTP{Host: host, Port: port, Username: smtpUser, From: "incidentbot <pager@example.com>", TLS: "none"}
		}})
	twilioSim.SetInboundURL(h.app.URL() + "/webhooks/twilio/sms")
	ctx := context.Background()

	h.openCritical()
	if len(inbox.Inbox(aliceEmail)) == 0 || len(inbox.Topic(aliceTopic)) == 0 {
		t.Fatalf("the page did not reach email (%d) and push (%d)", len(inbox.Inbox(aliceEmail)), len(inbox.Topic(aliceTopic)))
	}
	ack := inbox.Inbox(aliceEmail)[0].AckURL
	h.advance(2 * time.Minute) // the SMS
	if err := twilioSim.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	h.advance(3 * time.Minute) // the call
	if err := twilioSim.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range twilioSim.Calls() {
		twilioSim.Answer(ctx, c.SID)
		twilioSim.Press(ctx, c.SID, "9") // a key that means nothing
	}
	twilioSim.Reply(ctx, "+19995550100", twilioFrom, "ACK 1")                                     // a stranger
	if resp, err := http.Post(h.app.URL()+"/ack/"+strings.Repeat("A", 40), "", nil); err == nil { // a tampered link
		resp.Body.Close()
	}
	h.command("U0001", h.channel(1).ID, "note checking the database")
	if reply, err := twilioSim.Reply(ctx, alicePhone, twilioFrom, "1"); err != nil || !strings.Contains(reply, "Acknowledged") {
		t.Fatalf("the SMS reply: %q, %v", reply, err)
	}
	h.settleNow()
	if inc := h.incidents()[0]; inc.AcknowledgedAt == nil {
		t.Fatal("not acknowledged")
	}

	if len(twilioSim.Messages()) < 2 || len(twilioSim.Calls()) != 1 || inbox.Inbox(aliceEmail)[0].User != smtpUser {
		t.Fatalf("the story did not run whole: %d texts, %d calls, email authenticated as %q",
			len(twilioSim.Messages()), len(twilioSim.Calls()), inbox.Inbox(aliceEmail)[0].User)
	}
	out := logs.String()
	if !strings.Contains(out, `level=debug`) && !strings.Contains(out, `"level":"debug"`) {
		t.Fatalf("no debug lines were logged: the test sees nothing (%d bytes)", len(out))
	}
	secrets := map[string]string{
		"the webhook token": testToken, "the bot token": testBotToken, "the signing secret": testSigningSecret,
		"the Twilio auth token": twilioToken, "the SMTP password": smtpPassword, "the ntfy token": ntfyToken,
		"an acknowledge link's token": ack[strings.LastIndex(ack, "/")+1:],
	}
	for what, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the logs carry %s", what)
		}
	}
	for what, re := range map[string]*regexp.Regexp{
		"a phone number":   regexp.MustCompile(`\+\d{8,15}|\b7701\d{7}\b`),
		"an email address": regexp.MustCompile(`[\w.+-]+@[\w-]+\.[\w.-]+`),
	} {
		// A Message-ID (<notification.random@the sender's domain>) names a
		// message, not a person: the only address-like text allowed.
		scrubbed := regexp.MustCompile(`message_id="<[na][0-9a-f]{20}\.[0-9a-f]{16}@example\.com>"`).ReplaceAllString(out, "")
		if m := re.FindAllString(scrubbed, 5); len(m) > 0 {
			t.Errorf("the logs carry %s: %q", what, m)
			for _, line := range strings.Split(scrubbed, "\n") {
				if re.MatchString(line) {
					t.Log(line)
					break
				}
			}
		}
	}
}
