package app

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/inboxsim"
	"github.com/incidentbot/incidentbot/internal/slacksim"
	"github.com/incidentbot/incidentbot/internal/twiliosim"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
)

// Stories of paging beyond Slack, on the fake clock, against simulated
// phones: Twilio (SMS and calls), a mail server and an ntfy server.

const (
	alicePhone  = "+77011234567"
	aliceEmail  = "alice@example.com"
	aliceTopic  = "alice-pager"
	twilioSID   = "AC0123456789abcdef0123456789abcdef"
	twilioToken = "twilio-test-token"
	twilioFrom  = "+15005550006"
)

// phones are the simulated devices and providers a story pages through.
type phones struct {
	t        *testing.T
	twilio   *twiliosim.Server
	twURL    string
	fallback *twiliosim.Server // a second provider, when asked for
	fbURL    string
	inbox    *inboxsim.Sim
	ntfyURL  string
}

func newPhones(t *testing.T, clock func() time.Time, fallback bool) *phones {
	t.Helper()
	p := &phones{t: t}
	start := func() (*twiliosim.Server, string) {
		sim := twiliosim.New(twiliosim.Options{AccountSID: twilioSID, AuthToken: twilioToken, Numbers: []string{twilioFrom}, Now: clock})
		srv := httptest.NewServer(sim.Handler())
		t.Cleanup(func() { srv.Close(); sim.Close() })
		return sim, srv.URL
	}
	p.twilio, p.twURL = start()
	if fallback {
		p.fallback, p.fbURL = start()
	}
	inbox, err := inboxsim.Start(inboxsim.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inbox.Close() })
	ntfySrv := httptest.NewServer(inbox.NtfyHandler())
	t.Cleanup(ntfySrv.Close)
	p.inbox, p.ntfyURL = inbox, ntfySrv.URL
	return p
}

// config gives the primary on-call person (alice) every method and the
// rule "Slack, push and email at once, SMS after 2 min, voice after 5 min".
func (p *phones) config(c *config.Config) {
	withPaging(c)
	c.People = map[string]oncall.Person{"alice": {Key: "alice", Slack: primaryUser, Phone: alicePhone, Email: aliceEmail,
		Ntfy: &oncall.NtfyTopic{Server: p.ntfyURL, Topic: aliceTopic},
		Rules: []oncall.NotifyRule{
			{Notify: []oncall.Method{oncall.MethodSlack, oncall.MethodPush, oncall.MethodEmail}},
			{After: 2 * time.Minute, Notify: []oncall.Method{oncall.MethodSMS}},
			{After: 5 * time.Minute, Notify: []oncall.Method{oncall.MethodVoice}},
		}}}
	c.Paging.Twilio = &config.Twilio{AccountSID: twilioSID, From: twilioFrom, APIURL: p.twURL}
	if p.fallback != nil {
		c.Paging.Fallback = &config.Twilio{AccountSID: twilioSID, From: twilioFrom, APIURL: p.fbURL}
	}
	host, port := splitHostPort(p.t, p.inbox.SMTPAddr())
	c.Paging.SMTP = &config.SMTP{Host: host, Port: port, From: "incidentbot <pager@example.com>", TLS: "none"}
}

func (p *phones) harness(t *testing.T, ho harnessOptions) *harness {
	ho.manual, ho.publicURL, ho.config = true, true, p.config
	ho.env = map[string]string{"TWILIO_AUTH_TOKEN": twilioToken, "TWILIO_FALLBACK_AUTH_TOKEN": twilioToken}
	h := newHarness(t, ho)
	p.twilio.SetInboundURL(h.app.URL() + "/webhooks/twilio/sms")
	return h
}

func (p *phones) texts() []twiliosim.Message {
	var out []twiliosim.Message
	for _, m := range p.twilio.Messages() {
		if m.Direction == "outbound-api" && m.To == alicePhone {
			out = append(out, m)
		}
	}
	return out
}

func (p *phones) calls() []twiliosim.Call {
	var out []twiliosim.Call
	for _, c := range p.twilio.Calls() {
		if c.To == alicePhone {
			out = append(out, c)
		}
	}
	return out
}

// count fails unless the phones got exactly these numbers of each so far.
func (p *phones) count(when string, pushes, emails, texts, calls int) {
	p.t.Helper()
	got := []int{len(p.inbox.Topic(aliceTopic)), len(p.inbox.Inbox(aliceEmail)), len(p.texts()), len(p.calls())}
	want := []int{pushes, emails, texts, calls}
	for i, what := range []string{"pushes", "emails", "texts", "calls"} {
		if got[i] != want[i] {
			p.t.Errorf("%s: %s = %d, want %d", when, what, got[i], want[i])
		}
	}
}

// An unacknowledged sev1 wakes alice as her rules say: Slack, push and
// email at once, SMS at 2 min, voice at 5 min. "1" by SMS acknowledges:
// every pending step stops, and the DM, the push and the email say who.
func TestStoryPageWakesByEveryMethodUntilAcknowledgedBySMS(t *testing.T) {
	t.Parallel()
	p := newPhones(t, nil, false)
	h := p.harness(t, harnessOptions{})
	h.openCritical()
	if dms := h.pages(primaryUser); len(dms) != 1 {
		t.Fatalf("Slack pages = %d, want 1", len(dms))
	}
	p.count("at once", 1, 1, 0, 0)
	push := p.inbox.Topic(aliceTopic)[0]
	if push.Priority != 5 || !strings.Contains(push.Title, "#1") || len(push.Actions) != 1 {
		t.Errorf("push = %+v, want priority 5, the incident, an Acknowledge action", push)
	}
	if mail := p.inbox.Inbox(aliceEmail)[0]; !strings.Contains(mail.Subject, "#1 sev1") || mail.AckURL == "" {
		t.Errorf("email: subject %q, ack link %q", mail.Subject, mail.AckURL)
	}

	h.clock.Advance(time.Minute + 50*time.Second)
	h.runJobs()
	p.count("at 1m50s", 1, 1, 0, 0)
	h.advance(10 * time.Second)
	p.count("at 2m", 1, 1, 1, 0)
	if sms := p.texts()[0].Body; !strings.Contains(sms, "#1") || !strings.Contains(sms, "ACK 1") {
		t.Errorf("SMS = %q, want the incident and how to acknowledge", sms)
	}
	if err := p.twilio.Deliver(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.settleNow()

	h.advance(time.Minute)
	reply, err := p.twilio.Reply(context.Background(), alicePhone, twilioFrom, "1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reply, "Acknowledged #1") {
		t.Errorf("reply to 1 = %q, want it acknowledged", reply)
	}
	h.settleNow()
	inc := h.incidents()[0]
	if inc.AcknowledgedAt == nil || inc.Commander != primaryUser {
		t.Fatalf("incident after the SMS: acknowledged %v, commander %q", inc.AcknowledgedAt, inc.Commander)
	}
	var via string
	for _, e := range h.timeline(1) {
		if e.Type == incidents.EventAcknowledged {
			via = e.Fields["via"]
		}
	}
	if via != incidents.ViaSMS {
		t.Errorf("acknowledged via %q, want sms", via)
	}
	// The DM says who acknowledged; push and email got a notice.
	dm := h.pages(primaryUser)[0]
	if !strings.Contains(blocksText(dm), "Acknowledged by <@"+primaryUser+">") || hasButton(dm, "page_decline") {
		t.Errorf("DM after the acknowledgement: %s", blocksText(dm))
	}
	p.count("after the acknowledgement", 2, 2, 1, 0)
	if n := p.inbox.Topic(aliceTopic)[1]; !strings.Contains(n.Title, "acknowledged") || len(n.Actions) != 0 {
		t.Errorf("push notice = %+v, want who acknowledged, no action", n)
	}
	if m := p.inbox.Inbox(aliceEmail)[1]; !strings.Contains(m.Subject, "acknowledged") {
		t.Errorf("email notice subject = %q", m.Subject)
	}
	// Nothing more: no call at 5 min, no second level at 10 min, no repeat.
	h.advance(30 * time.Minute)
	p.count("30 min later", 2, 2, 1, 0)
	if got := h.pages(secondaryUser); len(got) != 0 {
		t.Errorf("the secondary was paged after the acknowledgement: %d", len(got))
	}
}

// Without an acknowledgement the call comes at 5 min; pressing 1
// acknowledges, and an answered call goes on the timeline.
func TestStoryCallKeyPressAcknowledges(t *testing.T) {
	t.Parallel()
	p := newPhones(t, nil, false)
	h := p.harness(t, harnessOptions{})
	h.openCritical()
	h.advance(5 * time.Minute)
	calls := p.calls()
	if len(calls) != 1 {
		t.Fatalf("calls at 5m = %d, want 1", len(calls))
	}
	ctx := context.Background()
	if err := p.twilio.Deliver(ctx); err != nil { // it rings
		t.Fatal(err)
	}
	if err := p.twilio.Answer(ctx, calls[0].SID); err != nil {
		t.Fatal(err)
	}
	said, err := p.twilio.Press(ctx, calls[0].SID, "1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(said, " "), "Acknowledged #1") {
		t.Errorf("said after 1: %q", said)
	}
	h.settleNow()
	evs := h.timeline(1)
	var answered, acked bool
	for _, e := range evs {
		answered = answered || (e.Type == paging.EventNotified && e.Fields["method"] == "voice" && e.Fields["outcome"] == "answered")
		acked = acked || (e.Type == incidents.EventAcknowledged && e.Fields["via"] == incidents.ViaVoice)
	}
	if !answered || !acked {
		t.Errorf("timeline: call answered %v, acknowledged by voice %v", answered, acked)
	}
}

// A provider answering 500 fails over to the fallback at once.
func TestStorySMSProviderFailsOverToTheFallback(t *testing.T) {
	t.Parallel()
	p := newPhones(t, nil, true)
	p.twilio.SetFault("sms", twiliosim.FaultServerError)
	h := p.harness(t, harnessOptions{})
	h.openCritical()
	h.advance(2 * time.Minute)
	var viaFallback int
	for _, m := range p.fallback.Messages() {
		if m.To == alicePhone {
			viaFallback++
		}
	}
	if viaFallback != 1 || len(p.texts()) != 0 {
		t.Errorf("texts: %d through the fallback, %d through the failing provider; want 1 and 0", viaFallback, len(p.texts()))
	}
}

// Without a fallback, a failing SMS moves alice to her next step (the
// call) at once instead of 3 minutes later; a call reported "no-answer"
// goes on the timeline.
func TestStoryFailedSMSMovesToTheNextStepAtOnce(t *testing.T) {
	t.Parallel()
	p := newPhones(t, nil, false)
	p.twilio.SetFault(alicePhone, twiliosim.FaultUndelivered)
	h := p.harness(t, harnessOptions{})
	h.openCritical()
	h.advance(2 * time.Minute)
	if len(p.texts()) != 1 || len(p.calls()) != 0 {
		t.Fatalf("at 2m: %d texts, %d calls; want 1, 0", len(p.texts()), len(p.calls()))
	}
	if err := p.twilio.Deliver(context.Background()); err != nil { // reports "undelivered"
		t.Fatal(err)
	}
	h.settleNow()
	if len(p.calls()) != 1 {
		t.Fatalf("calls right after the SMS failed = %d, want 1 (not at 5m)", len(p.calls()))
	}
	var failed bool
	for _, e := range h.timeline(1) {
		failed = failed || (e.Type == paging.EventNotified && e.Fields["method"] == "sms" && e.Fields["outcome"] == "undelivered")
	}
	if !failed {
		t.Error("the undelivered SMS is not on the timeline")
	}
}

// A text from a number that belongs to nobody gets a polite answer and
// changes nothing.
func TestStorySMSFromAnUnknownNumberAcknowledgesNothing(t *testing.T) {
	t.Parallel()
	p := newPhones(t, nil, false)
	h := p.harness(t, harnessOptions{})
	h.openCritical()
	reply, err := p.twilio.Reply(context.Background(), "+19995550100", twilioFrom, "ACK 1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reply, "not known") {
		t.Errorf("reply = %q, want a polite refusal", reply)
	}
	h.settleNow()
	if inc := h.incidents()[0]; inc.AcknowledgedAt != nil {
		t.Error("a stranger's text acknowledged the incident")
	}
}

// A kill between two steps loses none and repeats none: the restarted bot
// sends the SMS at 2 min, once, and nothing of step 0 again.
func TestStoryKillBetweenStepsNeitherLosesNorRepeats(t *testing.T) {
	t.Parallel()
	p := newPhones(t, nil, false)
	h := p.harness(t, harnessOptions{})
	h.openCritical()
	p.count("before the kill", 1, 1, 0, 0)
	h.kill()
	h2 := p.harness(t, harnessOptions{dir: h.dir, clock: h.clock, slackOf: h})
	h2.advance(2 * time.Minute)
	p.count("after the restart", 1, 1, 1, 0)
	if dms := h2.pages(primaryUser); len(dms) != 1 {
		t.Errorf("Slack pages after the restart = %d, want 1", len(dms))
	}
}

// Two instances on one store send each step once.
func TestStoryTwoInstancesSendEachStepOnce(t *testing.T) {
	t.Parallel()
	p := newPhones(t, nil, false)
	a := p.harness(t, harnessOptions{})
	b := p.harness(t, harnessOptions{store: a.app.Store(), clock: a.clock, slackOf: a})
	a.mustPost(payload("g", testAlert{fp(1), "firing", "HighErrorRate", a.clock.Now()}))
	a.applyAll()
	for range 3 {
		done := make(chan struct{})
		go func() { defer close(done); b.runJobs() }()
		a.runJobs()
		<-done
		a.clock.Advance(time.Minute)
	}
	a.settleNow()
	p.count("two instances, 3 min", 1, 1, 1, 0)
	if dms := a.pages(primaryUser); len(dms) != 1 {
		t.Errorf("Slack pages = %d, want 1", len(dms))
	}
}

// A page does not wait for the incident's channel: with Slack refusing to
// create it, the DM, the push and the SMS still go out; the DM links the
// channel once it exists.
func TestStoryPageDoesNotWaitForTheChannel(t *testing.T) {
	t.Parallel()
	p := newPhones(t, nil, false)
	h := p.harness(t, harnessOptions{})
	h.sim.SetServerError("conversations.create", slacksim.Always(), 500)
	h.openCritical()
	h.advance(2 * time.Minute)
	p.count("no channel yet", 1, 1, 1, 0)
	dms := h.pages(primaryUser)
	if len(dms) != 1 || strings.Contains(blocksText(dms[0]), "<#C") {
		t.Fatalf("DM before the channel: %d, %v", len(dms), dms)
	}
	h.sim.ClearFaults()
	h.advance(time.Minute)
	dm := h.pages(primaryUser)[0]
	if !strings.Contains(blocksText(dm), "<#C") {
		t.Errorf("the DM does not link the channel once it exists: %s", blocksText(dm))
	}
}

func splitHostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, port, ok := strings.Cut(addr, ":")
	n := 0
	for _, r := range port {
		n = n*10 + int(r-'0')
	}
	if !ok || n == 0 {
		t.Fatalf("address %q", addr)
	}
	return host, n
}

// /oncall contact shows alice her methods, numbers masked, and her rules;
// /oncall test-page sends a test by each method and says what each
// provider answered; the test is marked as one and counts nowhere.
func TestStoryContactAndTestPage(t *testing.T) {
	t.Parallel()
	p := newPhones(t, nil, false)
	h := p.harness(t, harnessOptions{})
	contact := unescapeJSON(h.oncall(primaryUser, "contact"))
	for _, want := range []string{"slack: <@" + primaryUser + ">", "sms: " + oncall.MaskPhone(alicePhone), "email: a•••@example.com", "push: 127.0.0.1", aliceTopic, "after 2m0s", "at once"} {
		if !strings.Contains(contact, want) {
			t.Errorf("/oncall contact lacks %q: %s", want, contact)
		}
	}
	for _, secret := range []string{alicePhone, aliceEmail} {
		if strings.Contains(contact, secret) {
			t.Errorf("/oncall contact shows %q unmasked", secret)
		}
	}
	answer := h.oncall(primaryUser, "test-page")
	for _, e := range h.sim.Ephemerals() {
		answer += e.Text
	}
	for _, want := range []string{"sms", "voice", "email", "push", "twilio took it (queued)", "smtp took it", "ntfy took it"} {
		if !strings.Contains(answer, want) {
			t.Errorf("/oncall test-page answer lacks %q: %s", want, answer)
		}
	}
	p.count("after the test page", 1, 1, 1, 1)
	if sms := p.texts()[0].Body; !strings.Contains(sms, "TEST") {
		t.Errorf("the test SMS = %q, want it marked as a test", sms)
	}
	if push := p.inbox.Topic(aliceTopic)[0]; push.Priority == 5 || len(push.Actions) != 0 {
		t.Errorf("the test push = %+v, want no urgency and nothing to acknowledge", push)
	}
	reply, err := p.twilio.Reply(context.Background(), alicePhone, twilioFrom, "1")
	if err != nil || !strings.Contains(reply, "Test page received") {
		t.Errorf("reply to the test SMS = %q, %v", reply, err)
	}
	h.settleNow()
	if got := h.incidents(); len(got) != 0 {
		t.Errorf("a test page made %d incidents", len(got))
	}
	pages, err := h.app.Store().PagesBetween(context.Background(), h.clock.Now().Add(-time.Hour), h.clock.Now().Add(time.Hour))
	if err != nil || len(pages) != 0 {
		t.Errorf("a test page counts as %d pages (%v); want none", len(pages), err)
	}
	if got := h.oncall(secondaryUser, "test-page sms"); !strings.Contains(got, "no sms address") {
		t.Errorf("test-page sms for someone without a phone = %q", got)
	}
}
