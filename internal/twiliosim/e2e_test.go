package twiliosim_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/twiliosim"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
	"github.com/incidentbot/incidentbot/paging/twilio"
)

// TestSMSPage is the whole SMS story over HTTP: the real client sends, the
// simulator delivers and calls the real Handler back, signed; the person
// replies "1".
func TestSMSPage(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()

	rec, err := e.client.Send(ctx, e.page("n-1", oncall.MethodSMS))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if rec.Provider != "twilio" || !strings.HasPrefix(rec.ID, "SM") || len(rec.ID) != 34 || rec.Status != paging.StatusQueued {
		t.Errorf("receipt %+v, want twilio, a 34-character SM sid, queued", rec)
	}
	msgs := e.sim.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.SID != rec.ID || m.To != phone || m.From != e.sim.Number() || m.Direction != "outbound-api" {
		t.Errorf("message %+v", m)
	}
	if !strings.Contains(m.Body, "Checkout is down") || !strings.Contains(m.Body, "Reply 1 or ACK 42") {
		t.Errorf("body %q lacks the subject or the ask", m.Body)
	}
	if st, _, _ := e.eng.got(); len(st) != 0 {
		t.Errorf("callbacks before Deliver: %q", st)
	}

	if err := e.sim.Deliver(ctx); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	st, _, _ := e.eng.got()
	if want := []string{"n-1 sent", "n-1 delivered"}; !slices.Equal(st, want) {
		t.Errorf("engine statuses %q, want %q", st, want)
	}
	if got := e.sim.Messages()[0].Status; got != "delivered" {
		t.Errorf("message status %q, want delivered", got)
	}
	for _, cb := range e.sim.Callbacks() {
		if cb.HTTPStatus != 200 || cb.Signature == "" || cb.Params.Get("MessageSid") != rec.ID {
			t.Errorf("callback %+v", cb)
		}
	}
	// Delivering again sends nothing more.
	if err := e.sim.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	if st2, _, _ := e.eng.got(); len(st2) != 2 {
		t.Errorf("a second Deliver sent more callbacks: %q", st2)
	}

	reply, err := e.sim.Reply(ctx, phone, "", "1")
	if err != nil {
		t.Fatalf("Reply: %v", err)
	}
	if reply != "Acknowledged. Thank you." {
		t.Errorf("reply %q", reply)
	}
	if _, _, texts := e.eng.got(); !slices.Equal(texts, []string{phone + " 1"}) {
		t.Errorf("engine texts %q", texts)
	}
	reply, err = e.sim.Reply(ctx, phone, e.sim.Number(), "Ack #42")
	if err != nil || reply != "Acknowledged #42." {
		t.Errorf("Reply ack #42: %q, %v", reply, err)
	}
	thread := e.sim.Messages()
	var dirs []string
	for _, m := range thread {
		dirs = append(dirs, m.Direction)
	}
	if want := []string{"outbound-api", "inbound", "outbound-reply", "inbound", "outbound-reply"}; !slices.Equal(dirs, want) {
		t.Errorf("thread directions %q, want %q", dirs, want)
	}
	if last := thread[len(thread)-1]; last.To != phone || last.From != e.sim.Number() || last.Body != "Acknowledged #42." {
		t.Errorf("last message %+v", last)
	}
	if strings.Contains(e.logs.String(), phone) || strings.Contains(e.logs.String(), "Checkout returns 500") {
		t.Errorf("logs hold a number or a body:\n%s", e.logs)
	}
}

// TestVoicePage: the call rings, is answered, 1 is pressed, the bot's
// answer is read back and the call completes.
func TestVoicePage(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	p := e.page("n-2", oncall.MethodVoice)

	rec, err := e.client.Send(ctx, p)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if !strings.HasPrefix(rec.ID, "CA") || len(rec.ID) != 34 || rec.Status != "queued" {
		t.Errorf("receipt %+v", rec)
	}
	c, ok := e.sim.Call(rec.ID)
	if !ok {
		t.Fatalf("no call %s", rec.ID)
	}
	if c.To != phone || c.From != e.sim.Number() || c.Status != "queued" {
		t.Errorf("call %+v", c)
	}
	if want := twilio.GatherURL(p.CallbackURL); c.GatherAction != want || c.GatherDigits != 1 {
		t.Errorf("gather %q/%d, want %q/1", c.GatherAction, c.GatherDigits, want)
	}
	if len(c.Spoken) < 2 || c.Spoken[0] != p.Spoken || !strings.Contains(c.Spoken[1], "Press 1") {
		t.Errorf("spoken %q", c.Spoken)
	}
	if !slices.Equal(c.Events, []string{"initiated", "ringing", "answered", "completed"}) {
		t.Errorf("events %q", c.Events)
	}

	steps := []struct {
		name string
		do   func() error
		want []string // engine statuses after the step
		call string
	}{
		{"deliver", func() error { return e.sim.Deliver(ctx) }, []string{"n-2 initiated", "n-2 ringing"}, "ringing"},
		{"answer", func() error { return e.sim.Answer(ctx, rec.ID) }, []string{"n-2 initiated", "n-2 ringing", "n-2 in-progress"}, "in-progress"},
		{"press 1", func() error {
			said, err := e.sim.Press(ctx, rec.ID, "1")
			if !slices.Equal(said, []string{"Acknowledged. Goodbye."}) {
				t.Errorf("said %q", said)
			}
			return err
		}, []string{"n-2 initiated", "n-2 ringing", "n-2 in-progress", "n-2 completed"}, "completed"},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		st, _, _ := e.eng.got()
		if !slices.Equal(st, s.want) {
			t.Errorf("after %s: engine statuses %q, want %q", s.name, st, s.want)
		}
		if c, _ := e.sim.Call(rec.ID); c.Status != s.call {
			t.Errorf("after %s: call %s, want %s", s.name, c.Status, s.call)
		}
	}
	if _, presses, _ := e.eng.got(); !slices.Equal(presses, []string{"n-2 1"}) {
		t.Errorf("engine presses %q", presses)
	}
	c, _ = e.sim.Call(rec.ID)
	if len(c.Presses) != 1 || c.Presses[0].HTTPStatus != 200 || c.Presses[0].Digits != "1" {
		t.Errorf("presses %+v", c.Presses)
	}
	// The call is over: no more keys, no second answer.
	if _, err := e.sim.Press(ctx, rec.ID, "2"); err == nil {
		t.Error("Press on a completed call succeeded")
	}
	if err := e.sim.Answer(ctx, rec.ID); err == nil {
		t.Error("Answer on a completed call succeeded")
	}
}

func TestCallPressTakesNumDigits(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	rec, err := e.client.Send(ctx, e.page("n-3", oncall.MethodVoice))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.Press(ctx, rec.ID, "2"); err == nil {
		t.Error("Press on a ringing call succeeded")
	}
	if err := e.sim.Answer(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	said, err := e.sim.Press(ctx, rec.ID, "21")
	if err != nil {
		t.Fatal(err)
	}
	if _, presses, _ := e.eng.got(); !slices.Equal(presses, []string{"n-3 2"}) {
		t.Errorf("engine presses %q, want only the first key", presses)
	}
	if !slices.Equal(said, []string{"Escalated. Goodbye."}) {
		t.Errorf("said %q", said)
	}
}

func TestHangup(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	ringing, _ := e.client.Send(ctx, e.page("ring", oncall.MethodVoice))
	answered, _ := e.client.Send(ctx, e.page("ans", oncall.MethodVoice))
	if err := e.sim.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Answer(ctx, answered.ID); err != nil {
		t.Fatal(err)
	}
	for _, sid := range []string{ringing.ID, answered.ID} {
		if err := e.sim.Hangup(ctx, sid); err != nil {
			t.Fatalf("Hangup: %v", err)
		}
	}
	st, _, _ := e.eng.got()
	if !slices.Contains(st, "ring no-answer") || !slices.Contains(st, "ans completed") {
		t.Errorf("engine statuses %q, want ring no-answer and ans completed", st)
	}
	if err := e.sim.Hangup(ctx, answered.ID); err == nil {
		t.Error("hanging up twice succeeded")
	}
}

// TestFaults: what each fault does to a page, seen through the engine's
// status callbacks or the client's error.
func TestFaults(t *testing.T) {
	tests := []struct {
		name      string
		target    string
		fault     twiliosim.Fault
		method    oncall.Method
		want      []string // engine statuses after Deliver
		wantErr   bool     // Send fails
		temporary bool
	}{
		{"sms undelivered", phone, twiliosim.FaultUndelivered, oncall.MethodSMS, []string{"f sent", "f undelivered 30003"}, false, false},
		{"sms failed", twiliosim.TargetMessages, twiliosim.FaultFailed, oncall.MethodSMS, []string{"f failed 30008"}, false, false},
		{"call busy", phone, twiliosim.FaultBusy, oncall.MethodVoice, []string{"f initiated", "f busy"}, false, false},
		{"call unanswered", twiliosim.TargetCalls, twiliosim.FaultNoAnswer, oncall.MethodVoice, []string{"f initiated", "f ringing", "f no-answer"}, false, false},
		{"call failed", phone, twiliosim.FaultFailed, oncall.MethodVoice, []string{"f initiated", "f failed"}, false, false},
		{"by method name", "voice", twiliosim.FaultBusy, oncall.MethodVoice, []string{"f initiated", "f busy"}, false, false},
		{"busy does not apply to texts", phone, twiliosim.FaultBusy, oncall.MethodSMS, []string{"f sent", "f delivered"}, false, false},
		{"a calls fault leaves texts alone", twiliosim.TargetCalls, twiliosim.FaultServerError, oncall.MethodSMS, []string{"f sent", "f delivered"}, false, false},
		{"another number's fault", "+15551234567", twiliosim.FaultFailed, oncall.MethodSMS, []string{"f sent", "f delivered"}, false, false},
		{"sms API 500", phone, twiliosim.FaultServerError, oncall.MethodSMS, nil, true, true},
		{"call API 500", twiliosim.TargetCalls, twiliosim.FaultServerError, oncall.MethodVoice, nil, true, true},
		{"timeout", phone, twiliosim.FaultTimeout, oncall.MethodVoice, nil, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOptions{clientTO: 300 * time.Millisecond})
			ctx := context.Background()
			e.sim.SetFault(tt.target, tt.fault)
			_, err := e.client.Send(ctx, e.page("f", tt.method))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Send error %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				var ae *twilio.APIError
				if isAPI := errors.As(err, &ae); isAPI != tt.temporary || (isAPI && !ae.Temporary()) {
					t.Errorf("error %v: APIError %v, want temporary APIError %v", err, isAPI, tt.temporary)
				}
				if n := len(e.sim.Messages()) + len(e.sim.Calls()); n != 0 {
					t.Errorf("a refused page was stored (%d)", n)
				}
				return
			}
			if err := e.sim.Deliver(ctx); err != nil {
				t.Fatal(err)
			}
			if st, _, _ := e.eng.got(); !slices.Equal(st, tt.want) {
				t.Errorf("engine statuses %q, want %q", st, tt.want)
			}
			// The simulator's own record ends where the callbacks did.
			final := strings.Fields(tt.want[len(tt.want)-1])[1]
			var got string
			if tt.method == oncall.MethodSMS {
				got = e.sim.Messages()[0].Status
			} else {
				got = e.sim.Calls()[0].Status
			}
			if got != final {
				t.Errorf("simulator status %q, want %q", got, final)
			}
		})
	}

	t.Run("cleared", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		e.sim.SetFault(phone, twiliosim.FaultServerError)
		e.sim.SetFault(phone, twiliosim.FaultNone)
		if _, err := e.client.Send(context.Background(), e.page("c", oncall.MethodSMS)); err != nil {
			t.Errorf("Send after clearing the fault: %v", err)
		}
	})
}

// TestSignatureMismatch: a bot that verifies with another token refuses
// every callback, and the simulator says so.
func TestSignatureMismatch(t *testing.T) {
	e := newEnv(t, envOptions{handlerToken: "not-the-token"})
	ctx := context.Background()
	if _, err := e.client.Send(ctx, e.page("x", oncall.MethodSMS)); err != nil {
		t.Fatal(err)
	}
	err := e.sim.Deliver(ctx)
	if err == nil || !strings.Contains(err.Error(), "HTTP 403") {
		t.Errorf("Deliver: %v, want the callbacks' 403", err)
	}
	if _, err := e.sim.Reply(ctx, phone, "", "1"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("Reply: %v, want 403", err)
	}
	if st, presses, texts := e.eng.got(); len(st)+len(presses)+len(texts) != 0 {
		t.Errorf("unsigned webhooks reached the engine: %q %q %q", st, presses, texts)
	}
	for _, cb := range e.sim.Callbacks() {
		if cb.HTTPStatus != 403 {
			t.Errorf("callback answered %d, want 403", cb.HTTPStatus)
		}
	}
}

// TestRefusedByTwilio: the simulator's validation reaches the client as
// Twilio's error, without the number.
func TestRefusedByTwilio(t *testing.T) {
	e := newEnv(t, envOptions{})
	other := twilio.New(twilio.Options{AccountSID: e.sim.AccountSID(), AuthToken: e.sim.AuthToken(), From: "+15557654321", BaseURL: e.simURL})
	wrongToken := twilio.New(twilio.Options{AccountSID: e.sim.AccountSID(), AuthToken: "nope", From: e.sim.Number(), BaseURL: e.simURL})
	tests := []struct {
		name   string
		c      *twilio.Client
		m      paging.Message
		code   int
		status int
	}{
		{"From not the account's (sms)", other, e.page("a", oncall.MethodSMS), 21606, 400},
		{"From not the account's (call)", other, e.page("a", oncall.MethodVoice), 21210, 400},
		{"wrong token", wrongToken, e.page("a", oncall.MethodSMS), 20003, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.Send(context.Background(), tt.m)
			var ae *twilio.APIError
			if !errors.As(err, &ae) || ae.Code != tt.code || ae.HTTPStatus != tt.status {
				t.Fatalf("error %v, want Twilio %d (HTTP %d)", err, tt.code, tt.status)
			}
			if strings.Contains(err.Error(), phone) || strings.Contains(err.Error(), "5557654321") {
				t.Errorf("error holds a number: %v", err)
			}
		})
	}
}

// TestAutoDeliver: in dev the simulator moves pages along by itself; the
// test waits for the engine's callbacks, never for a clock.
func TestAutoDeliver(t *testing.T) {
	seen := make(chan string, 16)
	e := newEnv(t, envOptions{sim: twiliosim.Options{AutoDeliver: true}, seen: seen})
	if _, err := e.client.Send(context.Background(), e.page("auto", oncall.MethodSMS)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"auto sent", "auto delivered"} {
		select {
		case got := <-seen:
			if got != want {
				t.Errorf("callback %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second): // a guard against a hang, not a wait
			t.Fatalf("no %q callback", want)
		}
	}
}
