// Package twiliosim is a Twilio REST API simulator for tests and for
// `incidentbot dev`. It speaks the subset incidentbot uses — creating
// Messages and Calls under /2010-04-01/Accounts/{AccountSid}/ — with
// Twilio's authentication, validation, error codes and JSON shapes, and it
// calls back like Twilio does: status callbacks, <Gather> actions and
// inbound texts, each signed with X-Twilio-Signature.
//
// Time does not pass on its own: a test moves pages along with Deliver,
// Answer, Press and Hangup, and plays the person with Reply and Press, so
// tests never sleep. Options.AutoDeliver makes the simulator deliver by
// itself (one bounded worker) for `incidentbot dev`, where a person uses the
// web view's phones instead.
//
// The signature is implemented here from Twilio's documentation rather than
// borrowed from paging/twilio, so a mistake there cannot hide behind the
// same mistake here.
package twiliosim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Defaults of Options: a well-formed account and Twilio's magic test number.
const (
	DefaultAccountSID          = "AC0000000000000000000000000000051a"
	DefaultAuthToken           = "twiliosim-auth-token"
	DefaultNumber              = "+15005550006"
	DefaultMessagingServiceSID = "MG0000000000000000000000000000051a"
)

// Default bounds.
const (
	DefaultMaxMessages  = 1000
	DefaultMaxCalls     = 1000
	DefaultHoldTimeout  = 30 * time.Second
	defaultHookTimeout  = 10 * time.Second
	maxCallbacks        = 1000
	maxPresses          = 50
	maxRequestBody      = 64 << 10
	maxHookAnswer       = 64 << 10
	autoDeliverCapacity = 256
)

// Options configure a Server; the zero value works with the defaults above.
type Options struct {
	// AccountSID and AuthToken are the only credentials the API accepts;
	// the token also signs the webhooks.
	AccountSID, AuthToken string
	// Numbers are the account's Twilio numbers: the only valid From.
	Numbers []string
	// MessagingServiceSID is the account's one Messaging Service; its
	// messages are sent from Numbers[0].
	MessagingServiceSID string
	// InboundURL is the number's "a message comes in" webhook, where
	// Reply posts texts from phones (the bot's /webhooks/twilio/sms).
	InboundURL string
	// AutoDeliver moves pages along by itself as soon as they are created:
	// texts are delivered, calls ring (and wait to be answered). For dev.
	AutoDeliver bool
	// HTTPClient makes the webhook requests; a 10-second client when nil.
	HTTPClient *http.Client
	// MaxMessages and MaxCalls bound what is kept; the oldest go first.
	MaxMessages, MaxCalls int
	// HoldTimeout bounds how long FaultTimeout holds a request.
	HoldTimeout time.Duration
	// Now is the clock of date_created and callback timestamps.
	Now func() time.Time
}

// Message is a text the simulator carried, either way.
type Message struct {
	SID string
	// Direction is Twilio's: "outbound-api" (sent through the API),
	// "outbound-reply" (the bot's TwiML answer to a text), "inbound".
	Direction           string
	From, To, Body      string
	MessagingServiceSID string
	// Status is Twilio's: "queued" or "accepted", then "sent", "delivered",
	// or "failed" / "undelivered"; "received" for inbound texts.
	Status, ErrorCode string
	StatusCallback    string
	Created           time.Time
}

// Call is a phone call the bot placed.
type Call struct {
	SID, From, To string
	// Status is Twilio's: "queued", "initiated", "ringing", "in-progress",
	// then "completed", "busy", "no-answer" or "failed".
	Status string
	Twiml  string
	// Spoken is what the call's TwiML says, every <Say> in order.
	Spoken []string
	// GatherAction is where a key press is posted (the first <Gather>'s
	// action), GatherDigits how many keys it takes; empty / 0: none.
	GatherAction string
	GatherDigits int
	// Presses are the keys pressed and what the bot said back.
	Presses        []Press
	StatusCallback string
	// Events are the StatusCallbackEvents asked for.
	Events  []string
	Created time.Time
	seq     int
}

// Press is one key press during a call.
type Press struct {
	Digits string
	// HTTPStatus is the bot's answer to the Gather action; Said what its
	// TwiML said; Err a failure to reach it.
	HTTPStatus int
	Said       []string
	Err        string
}

// Callback is one webhook request the simulator made.
type Callback struct {
	URL        string
	Params     url.Values
	Signature  string
	HTTPStatus int // 0 when the request failed
	Err        string
	At         time.Time
}

// Fault is a failure to simulate.
type Fault string

// The faults. Each applies to messages, calls or both; a fault that does
// not apply to a page is ignored for it.
const (
	FaultNone Fault = ""
	// FaultServerError: the API answers 500 (Twilio error 20500). Both.
	FaultServerError Fault = "server-error"
	// FaultTimeout: the API holds the request until the client gives up,
	// at most Options.HoldTimeout, then answers 502. Both.
	FaultTimeout Fault = "timeout"
	// FaultFailed: accepted, then failed (messages: error 30008). Both.
	FaultFailed Fault = "failed"
	// FaultUndelivered: sent, then undelivered (error 30003). Messages.
	FaultUndelivered Fault = "undelivered"
	// FaultBusy and FaultNoAnswer: the call rings, then ends so. Calls.
	FaultBusy     Fault = "busy"
	FaultNoAnswer Fault = "no-answer"
)

// Targets of SetFault besides a phone number.
const (
	TargetMessages = "messages"
	TargetCalls    = "calls"
)

// Server is the simulator. Its methods are safe for concurrent use.
type Server struct {
	o    Options
	mux  *http.ServeMux
	tmpl *template.Template

	mu        sync.Mutex
	messages  []*Message
	calls     []*Call
	callbacks []Callback
	faults    map[string]Fault

	auto   chan string // SIDs to move along, with AutoDeliver
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a simulator; Close it to stop its worker and held requests.
func New(o Options) *Server {
	if o.AccountSID == "" {
		o.AccountSID = DefaultAccountSID
	}
	if o.AuthToken == "" {
		o.AuthToken = DefaultAuthToken
	}
	if len(o.Numbers) == 0 {
		o.Numbers = []string{DefaultNumber}
	}
	if o.MessagingServiceSID == "" {
		o.MessagingServiceSID = DefaultMessagingServiceSID
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: defaultHookTimeout}
	}
	if o.MaxMessages <= 0 {
		o.MaxMessages = DefaultMaxMessages
	}
	if o.MaxCalls <= 0 {
		o.MaxCalls = DefaultMaxCalls
	}
	if o.HoldTimeout <= 0 {
		o.HoldTimeout = DefaultHoldTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{o: o, faults: map[string]Fault{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mux = http.NewServeMux()
	s.apiRoutes()
	s.webRoutes()
	if o.AutoDeliver {
		s.auto = make(chan string, autoDeliverCapacity)
		s.wg.Add(1)
		go s.autoDeliver()
	}
	return s
}

// Handler serves the REST API under /2010-04-01/ and the web view at /.
func (s *Server) Handler() http.Handler { return s.mux }

// Close stops the AutoDeliver worker and releases held requests.
func (s *Server) Close() {
	s.cancel()
	s.wg.Wait()
}

// AccountSID, AuthToken and Number are the credentials and the first number
// the simulator accepts, for configuring the client under test.
func (s *Server) AccountSID() string { return s.o.AccountSID }

// AuthToken is the token the API accepts and webhooks are signed with.
func (s *Server) AuthToken() string { return s.o.AuthToken }

// Number is the account's first Twilio number.
func (s *Server) Number() string { return s.o.Numbers[0] }

// MessagingServiceSID is the account's Messaging Service.
func (s *Server) MessagingServiceSID() string { return s.o.MessagingServiceSID }

// SetInboundURL sets where Reply posts texts (when the bot's address is
// known only after the simulator is built).
func (s *Server) SetInboundURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.o.InboundURL = u
}

// SetFault makes target — a phone number (E.164), TargetMessages or
// TargetCalls ("sms" and "voice" too, the contact methods' names) — fail
// with f from now on; FaultNone clears it. A number's fault wins over its
// kind's.
func (s *Server) SetFault(target string, f Fault) {
	switch target {
	case "sms":
		target = TargetMessages
	case "voice":
		target = TargetCalls
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == FaultNone {
		delete(s.faults, target)
		return
	}
	s.faults[target] = f
}

// faultFor is the fault that applies to a page of kind to number; s.mu held.
func (s *Server) faultFor(kind, number string) Fault {
	applies := func(f Fault) bool {
		switch f {
		case FaultServerError, FaultTimeout, FaultFailed:
			return true
		case FaultUndelivered:
			return kind == TargetMessages
		case FaultBusy, FaultNoAnswer:
			return kind == TargetCalls
		}
		return false
	}
	if f, ok := s.faults[number]; ok && applies(f) {
		return f
	}
	if f, ok := s.faults[kind]; ok && applies(f) {
		return f
	}
	return FaultNone
}

// Messages returns copies of the texts carried, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.messages))
	for i, m := range s.messages {
		out[i] = *m
	}
	return out
}

// Calls returns copies of the calls placed, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		out[i] = copyCall(c)
	}
	return out
}

// Call returns a copy of the call sid.
func (s *Server) Call(sid string) (Call, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.findCall(sid); c != nil {
		return copyCall(c), true
	}
	return Call{}, false
}

func copyCall(c *Call) Call {
	cp := *c
	cp.Spoken = slices.Clone(c.Spoken)
	cp.Events = slices.Clone(c.Events)
	cp.Presses = make([]Press, len(c.Presses))
	for i, p := range c.Presses {
		cp.Presses[i] = p
		cp.Presses[i].Said = slices.Clone(p.Said)
	}
	return cp
}

// Callbacks returns the webhook requests made so far (the latest 1000).
func (s *Server) Callbacks() []Callback {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Callback, len(s.callbacks))
	for i, c := range s.callbacks {
		out[i] = c
		out[i].Params = cloneValues(c.Params)
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// addMessage stores m, dropping the oldest beyond the bound; s.mu held.
func (s *Server) addMessage(m *Message) {
	s.messages = append(s.messages, m)
	if over := len(s.messages) - s.o.MaxMessages; over > 0 {
		s.messages = slices.Delete(s.messages, 0, over)
	}
}

// addCall stores c, dropping the oldest beyond the bound; s.mu held.
func (s *Server) addCall(c *Call) {
	s.calls = append(s.calls, c)
	if over := len(s.calls) - s.o.MaxCalls; over > 0 {
		s.calls = slices.Delete(s.calls, 0, over)
	}
}

func (s *Server) findCall(sid string) *Call {
	for _, c := range s.calls {
		if c.SID == sid {
			return c
		}
	}
	return nil
}

// newSID is prefix and 32 random hex digits: Twilio's 34-character SIDs.
func newSID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return prefix + hex.EncodeToString(b[:])
}

// rfc2822 is how Twilio writes dates in resources and callbacks.
func rfc2822(t time.Time) string { return t.UTC().Format(time.RFC1123Z) }
