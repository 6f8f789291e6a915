package twiliosim

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Error codes Twilio reports in status callbacks of pages that did not arrive.
const (
	codeUnknown     = "30008" // Unknown error: the message failed
	codeUnreachable = "30003" // Unreachable destination handset
)

// hook is one webhook request to make.
type hook struct {
	url    string
	params url.Values
}

// Deliver moves every page created since the last Deliver along as far as
// it goes by itself, sending the status callbacks Twilio would: a text is
// sent and delivered (or failed / sent and undelivered, by fault); a call
// is initiated and rings (or is busy, unanswered or failed, by fault) and
// then waits for Answer. Twilio sends no callback for a text's first status
// (queued), nor for call events the page did not ask for. It returns the
// callbacks that failed (transport errors and non-2xx answers).
func (s *Server) Deliver(ctx context.Context) error {
	return s.deliver(ctx, func(string) bool { return true })
}

// deliver is Deliver for the pages whose SID pick accepts.
func (s *Server) deliver(ctx context.Context, pick func(sid string) bool) error {
	s.mu.Lock()
	var hooks []hook
	for _, m := range s.messages {
		if pick(m.SID) {
			hooks = append(hooks, s.advanceMessage(m)...)
		}
	}
	for _, c := range s.calls {
		if pick(c.SID) {
			hooks = append(hooks, s.advanceCall(c)...)
		}
	}
	s.mu.Unlock()
	return s.send(ctx, hooks)
}

// advanceMessage moves an outbound text to its final status and returns
// its callbacks; s.mu held.
func (s *Server) advanceMessage(m *Message) []hook {
	if m.Direction != "outbound-api" || (m.Status != "queued" && m.Status != "accepted") {
		return nil
	}
	steps := []string{"sent", "delivered"}
	switch s.faultFor(TargetMessages, m.To) {
	case FaultFailed:
		steps, m.ErrorCode = []string{"failed"}, codeUnknown
	case FaultUndelivered:
		steps, m.ErrorCode = []string{"sent", "undelivered"}, codeUnreachable
	}
	m.Status = steps[len(steps)-1]
	if m.StatusCallback == "" {
		return nil
	}
	hooks := make([]hook, 0, len(steps))
	for _, st := range steps {
		p := url.Values{
			"AccountSid": {s.o.AccountSID}, "ApiVersion": {apiVersion},
			"MessageSid": {m.SID}, "SmsSid": {m.SID},
			"MessageStatus": {st}, "SmsStatus": {st},
			"From": {m.From}, "To": {m.To},
		}
		if m.MessagingServiceSID != "" {
			p.Set("MessagingServiceSid", m.MessagingServiceSID)
		}
		if st == "failed" || st == "undelivered" {
			p.Set("ErrorCode", m.ErrorCode)
		}
		if st == "delivered" {
			p.Set("RawDlrDoneDate", s.o.Now().UTC().Format("0601021504"))
		}
		hooks = append(hooks, hook{m.StatusCallback, p})
	}
	return hooks
}

// advanceCall dials a queued call: it rings and waits for Answer, or ends
// by fault. s.mu held.
func (s *Server) advanceCall(c *Call) []hook {
	if c.Status != "queued" {
		return nil
	}
	hooks := s.callHook(nil, c, "initiated", "initiated")
	switch s.faultFor(TargetCalls, c.To) {
	case FaultFailed:
		return s.endCall(hooks, c, "failed")
	case FaultBusy:
		return s.endCall(hooks, c, "busy")
	case FaultNoAnswer:
		hooks = s.callHook(hooks, c, "ringing", "ringing")
		return s.endCall(hooks, c, "no-answer")
	}
	return s.callHook(hooks, c, "ringing", "ringing")
}

// callHook sets the call's status and appends its callback when the call
// asked for event; s.mu held.
func (s *Server) callHook(hooks []hook, c *Call, status, event string) []hook {
	c.Status = status
	if c.StatusCallback == "" || !slices.Contains(c.Events, event) {
		return hooks
	}
	p := url.Values{
		"AccountSid": {s.o.AccountSID}, "ApiVersion": {apiVersion}, "CallSid": {c.SID},
		"CallStatus": {status}, "Direction": {"outbound-api"},
		"From": {c.From}, "Caller": {c.From}, "To": {c.To}, "Called": {c.To},
		"CallbackSource": {"call-progress-events"}, "SequenceNumber": {strconv.Itoa(c.seq)},
		"Timestamp": {rfc2822(s.o.Now())},
	}
	c.seq++
	if event == "completed" {
		d := "0"
		if status == "completed" {
			d = strconv.Itoa(int(s.o.Now().Sub(c.Created) / time.Second))
		}
		p.Set("CallDuration", d)
		p.Set("Duration", d)
	}
	return append(hooks, hook{c.StatusCallback, p})
}

// endCall ends the call with a final status; s.mu held.
func (s *Server) endCall(hooks []hook, c *Call, status string) []hook {
	c.GatherAction, c.GatherDigits = "", 0
	return s.callHook(hooks, c, status, "completed")
}

// Answer picks up the ringing call sid: it is in progress, and its
// "answered" callback is sent.
func (s *Server) Answer(ctx context.Context, sid string) error {
	s.mu.Lock()
	c := s.findCall(sid)
	if c == nil {
		s.mu.Unlock()
		return fmt.Errorf("twiliosim: no call %s", sid)
	}
	if c.Status != "ringing" {
		st := c.Status
		s.mu.Unlock()
		return fmt.Errorf("twiliosim: call %s is %s, not ringing (Deliver dials queued calls)", sid, st)
	}
	hooks := s.callHook(nil, c, "in-progress", "answered")
	s.mu.Unlock()
	return s.send(ctx, hooks)
}

// Hangup ends the call sid from the phone: an answered call completes, a
// ringing one goes unanswered.
func (s *Server) Hangup(ctx context.Context, sid string) error {
	s.mu.Lock()
	c := s.findCall(sid)
	var hooks []hook
	var err error
	switch {
	case c == nil:
		err = fmt.Errorf("twiliosim: no call %s", sid)
	case c.Status == "in-progress":
		hooks = s.endCall(nil, c, "completed")
	case c.Status == "ringing":
		hooks = s.endCall(nil, c, "no-answer")
	default:
		err = fmt.Errorf("twiliosim: call %s is %s, not ringing or in progress", sid, c.Status)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.send(ctx, hooks)
}

// Press presses digits during the answered call sid: the <Gather> action is
// posted (signed) and the TwiML the bot answers is read out; its <Say>s are
// returned. When that TwiML gathers no more keys the call ends (completed).
// A <Gather numDigits="n"> takes only the first n digits. A failed answer
// (non-2xx, not TwiML) ends the call as Twilio does after its "application
// error" message, and is returned as an error.
func (s *Server) Press(ctx context.Context, sid, digits string) ([]string, error) {
	if digits == "" || strings.Trim(digits, "0123456789*#") != "" || len(digits) > 32 {
		return nil, fmt.Errorf("twiliosim: %q are not keys of a phone", digits)
	}
	s.mu.Lock()
	c := s.findCall(sid)
	var err error
	switch {
	case c == nil:
		err = fmt.Errorf("twiliosim: no call %s", sid)
	case c.Status != "in-progress":
		err = fmt.Errorf("twiliosim: call %s is %s, not answered", sid, c.Status)
	case c.GatherAction == "":
		err = fmt.Errorf("twiliosim: call %s is not gathering keys", sid)
	}
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if c.GatherDigits > 0 && len(digits) > c.GatherDigits {
		digits = digits[:c.GatherDigits]
	}
	action := c.GatherAction
	p := url.Values{
		"AccountSid": {s.o.AccountSID}, "ApiVersion": {apiVersion}, "CallSid": {c.SID},
		"CallStatus": {"in-progress"}, "Direction": {"outbound-api"},
		"From": {c.From}, "Caller": {c.From}, "To": {c.To}, "Called": {c.To},
		"Digits": {digits}, "FinishedOnKey": {""},
	}
	s.mu.Unlock()

	status, body, postErr := s.post(ctx, action, p)
	press := Press{Digits: digits, HTTPStatus: status}
	var doc twimlDoc
	switch {
	case postErr != nil:
		press.Err = postErr.Error()
	case status/100 != 2:
		press.Err = fmt.Sprintf("the gather action answered HTTP %d", status)
	default:
		var perr error
		if doc, perr = parseTwiML(string(body)); perr != nil {
			press.Err = "the gather action's answer is not TwiML: " + perr.Error()
		}
	}
	press.Said = doc.says

	s.mu.Lock()
	var hooks []hook
	if c = s.findCall(sid); c != nil {
		if len(c.Presses) < maxPresses {
			c.Presses = append(c.Presses, press)
		}
		if press.Err == "" && doc.hasGather {
			c.GatherAction, c.GatherDigits = doc.gatherAction, doc.gatherDigits
		} else if c.Status == "in-progress" {
			hooks = s.endCall(nil, c, "completed")
		}
	}
	s.mu.Unlock()
	hookErr := s.send(ctx, hooks)
	if press.Err != "" {
		return doc.says, errors.Join(errors.New("twiliosim: "+press.Err), hookErr)
	}
	return doc.says, hookErr
}

// Reply texts body from the phone number from to the Twilio number to
// (empty: the first number): the inbound webhook is posted (signed) to
// Options.InboundURL, and the bot's TwiML <Message> answers are carried
// back to the phone. It returns those answers joined by newlines.
func (s *Server) Reply(ctx context.Context, from, to, body string) (string, error) {
	s.mu.Lock()
	inbound := s.o.InboundURL
	s.mu.Unlock()
	if to == "" {
		to = s.o.Numbers[0]
	}
	switch {
	case inbound == "":
		return "", errors.New("twiliosim: no InboundURL to post texts to")
	case !e164Re.MatchString(from):
		return "", fmt.Errorf("twiliosim: from %q is not an E.164 number", from)
	case !slices.Contains(s.o.Numbers, to):
		return "", fmt.Errorf("twiliosim: %s is not a number of this account", to)
	case body == "" || utf8.RuneCountInString(body) > maxBody:
		return "", fmt.Errorf("twiliosim: a text has 1 to %d characters", maxBody)
	}
	in := &Message{SID: newSID("SM"), Direction: "inbound", From: from, To: to, Body: body, Status: "received", Created: s.o.Now()}
	s.mu.Lock()
	s.addMessage(in)
	s.mu.Unlock()

	p := url.Values{
		"AccountSid": {s.o.AccountSID}, "ApiVersion": {apiVersion},
		"MessageSid": {in.SID}, "SmsSid": {in.SID}, "SmsMessageSid": {in.SID},
		"From": {from}, "To": {to}, "Body": {body},
		"NumMedia": {"0"}, "NumSegments": {"1"}, "SmsStatus": {"received"},
	}
	status, answer, err := s.post(ctx, inbound, p)
	if err != nil {
		return "", fmt.Errorf("twiliosim: posting the text: %w", err)
	}
	if status/100 != 2 {
		return "", fmt.Errorf("twiliosim: the inbound webhook answered HTTP %d", status)
	}
	doc, err := parseTwiML(string(answer))
	if err != nil {
		return "", fmt.Errorf("twiliosim: the inbound webhook's answer is not TwiML: %w", err)
	}
	s.mu.Lock()
	for _, text := range doc.messages {
		s.addMessage(&Message{SID: newSID("SM"), Direction: "outbound-reply", From: to, To: from, Body: text, Status: "delivered", Created: s.o.Now()})
	}
	s.mu.Unlock()
	return strings.Join(doc.messages, "\n"), nil
}

// send makes the webhook requests in order and returns the failures.
func (s *Server) send(ctx context.Context, hooks []hook) error {
	var errs []error
	for _, h := range hooks {
		status, _, err := s.post(ctx, h.url, h.params)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("twiliosim: callback %s: %w", h.params.Get("MessageStatus")+h.params.Get("CallStatus"), err))
		case status/100 != 2:
			errs = append(errs, fmt.Errorf("twiliosim: callback %s to %s answered HTTP %d", h.params.Get("MessageStatus")+h.params.Get("CallStatus"), h.url, status))
		}
	}
	return errors.Join(errs...)
}

// post makes one signed webhook request as Twilio does and records it.
func (s *Server) post(ctx context.Context, u string, params url.Values) (int, []byte, error) {
	sig := signature(s.o.AuthToken, u, params)
	cb := Callback{URL: u, Params: cloneValues(params), Signature: sig, At: s.o.Now()}
	status, body, err := func() (int, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(params.Encode()))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", sig)
		req.Header.Set("User-Agent", "TwilioProxy/1.1")
		req.Header.Set("Accept", "*/*")
		resp, err := s.o.HTTPClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxHookAnswer))
		return resp.StatusCode, body, err
	}()
	cb.HTTPStatus = status
	if err != nil {
		cb.Err = err.Error()
	}
	s.mu.Lock()
	s.callbacks = append(s.callbacks, cb)
	if over := len(s.callbacks) - maxCallbacks; over > 0 {
		s.callbacks = slices.Delete(s.callbacks, 0, over)
	}
	s.mu.Unlock()
	return status, body, err
}

// signature is X-Twilio-Signature as Twilio's "Webhooks security" page
// describes it: Base64(HMAC-SHA1(auth token, URL + each POST parameter's
// name and value, sorted by name)).
func signature(token, u string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(u)
	for _, k := range keys {
		vs := slices.Clone(params[k])
		slices.Sort(vs)
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// autoDeliver moves pages along as they are created (Options.AutoDeliver).
// One worker, a bounded queue: the simulator never grows goroutines with load.
func (s *Server) autoDeliver() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case sid := <-s.auto:
			// A failed callback is recorded in Callbacks and shown in the web view.
			_ = s.deliver(s.ctx, func(x string) bool { return x == sid })
		}
	}
}
