// Package twilio sends SMS and voice pages through Twilio's REST API (a small
// client to the documented Messages and Calls resources, no SDK) and serves
// the webhooks Twilio calls back: inbound SMS, key presses during a call and
// delivery status. Every webhook is verified by its X-Twilio-Signature before
// anything in it is acted on.
//
// Phone numbers and message bodies are personal data: nothing in this package
// logs them or puts them in an error.
package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
)

// defaultBaseURL is Twilio's REST API.
const defaultBaseURL = "https://api.twilio.com"

// defaultTimeout bounds one request to Twilio when Options.HTTPClient is nil.
// Twilio answers a create in well under a second; a page that waits longer is
// better moved on to the person's next step than held.
const defaultTimeout = 15 * time.Second

// apiVersion is the one REST API version Twilio's Messages and Calls live under.
const apiVersion = "2010-04-01"

// maxAnswer bounds how much of Twilio's answer is read; a create answers ~1 KB.
const maxAnswer = 1 << 20

// Options configure a Client. The zero value is a client that is not
// configured: Send returns paging.ErrNotConfigured.
type Options struct {
	// AccountSID ("AC…") and AuthToken authenticate to Twilio (HTTP basic
	// auth) and sign its webhooks.
	AccountSID, AuthToken string
	// From is the Twilio number (E.164) texts and calls come from.
	From string
	// MessagingServiceSID ("MG…"), when set, sends texts through a Messaging
	// Service instead of From (Twilio then picks the sender). Calls always
	// need From.
	MessagingServiceSID string
	// BaseURL is the REST API's base; defaultBaseURL when empty. Tests and
	// `incidentbot dev` point it at internal/twiliosim.
	BaseURL string
	// HTTPClient makes the requests; a client with defaultTimeout when nil.
	HTTPClient *http.Client
	// Logger gets one line per page taken or refused; never a number or a body.
	Logger *logrus.Entry
}

var (
	accountSIDRe = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	serviceSIDRe = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
)

// Validate checks the options a configured client needs; the zero Options
// (Twilio not configured) is valid. Errors name the setting, never its value
// when the value is a number or a secret.
func (o Options) Validate() error {
	if o == (Options{}) {
		return nil
	}
	var errs []error
	if !accountSIDRe.MatchString(o.AccountSID) {
		errs = append(errs, errors.New("twilio account SID must be AC followed by 32 hex digits"))
	}
	if o.AuthToken == "" {
		errs = append(errs, errors.New("twilio auth token is required"))
	}
	if o.From == "" && o.MessagingServiceSID == "" {
		errs = append(errs, errors.New("twilio needs a From number or a messaging service SID"))
	}
	if o.From != "" && !oncall.IsE164(o.From) {
		errs = append(errs, errors.New("twilio From is not an E.164 phone number (like +15005550006)"))
	}
	if o.MessagingServiceSID != "" && !serviceSIDRe.MatchString(o.MessagingServiceSID) {
		errs = append(errs, errors.New("twilio messaging service SID must be MG followed by 32 hex digits"))
	}
	if o.BaseURL != "" {
		if u, err := url.Parse(o.BaseURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("twilio base URL %q is not an http(s) URL", o.BaseURL))
		}
	}
	return errors.Join(errs...)
}

// Client sends SMS and voice pages through Twilio. It implements
// paging.Sender for oncall.MethodSMS and oncall.MethodVoice and is safe for
// concurrent use.
type Client struct {
	o    Options
	base string
	http *http.Client
	log  *logrus.Entry
}

var _ paging.Sender = (*Client)(nil)

// New returns a client with o; it does not call Twilio.
func New(o Options) *Client {
	c := &Client{o: o, base: strings.TrimRight(o.BaseURL, "/"), http: o.HTTPClient, log: o.Logger}
	if c.base == "" {
		c.base = defaultBaseURL
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: defaultTimeout}
	}
	c.log = discard.IfNil(c.log)
	return c
}

// Send texts or calls m.To. It returns the message's or call's SID and
// Twilio's first status ("queued", or "accepted" through a Messaging
// Service). An error means Twilio did not take the page: a refusal (an
// *APIError), a 5xx, a timeout or a network error.
func (c *Client) Send(ctx context.Context, m paging.Message) (paging.Receipt, error) {
	what := string(m.Method)
	if c.o.AccountSID == "" || c.o.AuthToken == "" {
		return paging.Receipt{}, fmt.Errorf("twilio %s: %w (no account SID or auth token)", what, paging.ErrNotConfigured)
	}
	if !oncall.IsE164(m.To) {
		// The number itself stays out of the error: it is personal data.
		return paging.Receipt{}, fmt.Errorf("twilio %s to %s: the number is not E.164", what, nameOf(m))
	}
	var (
		resource string
		form     url.Values
	)
	switch m.Method {
	case oncall.MethodSMS:
		if c.o.From == "" && c.o.MessagingServiceSID == "" {
			return paging.Receipt{}, fmt.Errorf("twilio sms: %w (no From number or messaging service)", paging.ErrNotConfigured)
		}
		resource, form = "Messages.json", c.smsForm(m)
	case oncall.MethodVoice:
		if c.o.From == "" {
			return paging.Receipt{}, fmt.Errorf("twilio voice: %w (calls need a From number)", paging.ErrNotConfigured)
		}
		resource, form = "Calls.json", c.callForm(m)
	default:
		return paging.Receipt{}, fmt.Errorf("twilio sends sms and voice, not %q", what)
	}

	log := c.log.WithFields(logrus.Fields{"notification": m.ID, "incident": m.Incident, "method": what})
	sid, status, err := c.create(ctx, resource, form)
	if err != nil {
		err = fmt.Errorf("twilio %s to %s: %w", what, nameOf(m), err)
		fields := logrus.Fields{}
		var ae *APIError
		if errors.As(err, &ae) {
			fields["http_status"], fields["twilio_code"] = ae.HTTPStatus, ae.Code
		}
		log.WithFields(fields).WithError(err).Warn("twilio did not take the page")
		return paging.Receipt{}, err
	}
	log.WithFields(logrus.Fields{"sid": sid, "status": status}).Info("twilio took the page")
	return paging.Receipt{Provider: "twilio", ID: sid, Status: status}, nil
}

// nameOf names the recipient in errors without their number.
func nameOf(m paging.Message) string {
	if m.Person != "" {
		return strconv.Quote(m.Person)
	}
	return "notification " + strconv.Quote(m.ID)
}

func (c *Client) smsForm(m paging.Message) url.Values {
	f := url.Values{"To": {m.To}, "Body": {SMSBody(m)}}
	if c.o.MessagingServiceSID != "" {
		f.Set("MessagingServiceSid", c.o.MessagingServiceSID)
	} else {
		f.Set("From", c.o.From)
	}
	if m.CallbackURL != "" {
		f.Set("StatusCallback", StatusURL(m.CallbackURL))
	}
	return f
}

func (c *Client) callForm(m paging.Message) url.Values {
	f := url.Values{"To": {m.To}, "From": {c.o.From}, "Twiml": {CallTwiML(m)}}
	if m.CallbackURL != "" {
		f.Set("StatusCallback", StatusURL(m.CallbackURL))
		f.Set("StatusCallbackMethod", http.MethodPost)
		// One parameter per event is how Twilio's own libraries send the list.
		for _, ev := range []string{"initiated", "ringing", "answered", "completed"} {
			f.Add("StatusCallbackEvent", ev)
		}
	}
	return f
}

// created is the part of a Message or Call resource the client needs.
type created struct {
	SID    string `json:"sid"`
	Status string `json:"status"`
}

// create POSTs form to the account's resource and returns the new SID and status.
func (c *Client) create(ctx context.Context, resource string, form url.Values) (sid, status string, err error) {
	u := c.base + "/" + apiVersion + "/Accounts/" + url.PathEscape(c.o.AccountSID) + "/" + resource
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return "", "", err
	}
	req.SetBasicAuth(c.o.AccountSID, c.o.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "incidentbot")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return "", "", fmt.Errorf("reading Twilio's answer (HTTP %d): %w", resp.StatusCode, err)
	}
	if resp.StatusCode/100 != 2 {
		return "", "", apiError(resp.StatusCode, body)
	}
	var got created
	if err := json.Unmarshal(body, &got); err != nil {
		return "", "", fmt.Errorf("twilio answered HTTP %d with a body that is not a resource: %w", resp.StatusCode, err)
	}
	if got.SID == "" {
		return "", "", fmt.Errorf("twilio answered HTTP %d without a sid", resp.StatusCode)
	}
	return got.SID, got.Status, nil
}

// APIError is Twilio's refusal of a request: its JSON error body
// ({"code", "message", "more_info", "status"}) with the HTTP status. Message
// has every phone number in it replaced by "<number>".
type APIError struct {
	HTTPStatus int
	// Code is Twilio's error code (21211: invalid To number; 20003:
	// authentication); 0 when the answer had no JSON error.
	Code     int
	Message  string
	MoreInfo string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "twilio refused (HTTP %d", e.HTTPStatus)
	if e.Code != 0 {
		fmt.Fprintf(&b, ", error %d", e.Code)
	}
	b.WriteString(")")
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.MoreInfo != "" {
		b.WriteString(" (")
		b.WriteString(e.MoreInfo)
		b.WriteString(")")
	}
	return b.String()
}

// Temporary reports whether the same request may succeed later: Twilio's 5xx
// and 429 (too many requests), not a refusal of the request itself.
func (e *APIError) Temporary() bool {
	return e.HTTPStatus >= 500 || e.HTTPStatus == http.StatusTooManyRequests
}

// apiError reads Twilio's error body; anything else becomes a bare status.
func apiError(status int, body []byte) *APIError {
	e := &APIError{HTTPStatus: status}
	var j struct {
		Code     json.Number `json:"code"`
		Message  string      `json:"message"`
		MoreInfo string      `json:"more_info"`
	}
	if json.Unmarshal(body, &j) == nil {
		if n, err := j.Code.Int64(); err == nil {
			e.Code = int(n)
		}
		e.Message = scrub(j.Message, 300)
		e.MoreInfo = scrub(j.MoreInfo, 200)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// numberRe matches anything that looks like a phone number: Twilio's error
// messages quote the number they refused ("The 'To' number +7701… is not a
// valid phone number."), and that must not reach logs.
var numberRe = regexp.MustCompile(`\+?[0-9][0-9 ().-]{5,}[0-9]`)

// scrub removes phone numbers and control characters and bounds s.
func scrub(s string, max int) string {
	s = numberRe.ReplaceAllString(clean(s, false), "<number>")
	return truncate(s, max)
}
