// Package amapi is a small client of Alertmanager's API v2 for silences:
// create one (POST /api/v2/silences), list them (GET /api/v2/silences), read
// one (GET /api/v2/silence/{id}) and expire one (DELETE /api/v2/silence/{id}),
// over the standard library's HTTP client, with optional bearer or basic
// authentication and a timeout per request.
//
// An HA pair (several URLs): a silence is posted to one Alertmanager, the
// first that answers, and its peers learn it by gossip. Posting to each
// instead would make one silence per peer, each with its own ID, and gossip
// would then hand every peer all of them: one silence becomes N, and expiring
// it means finding all N. Alertmanager assigns the ID, and a post naming an
// ID the peer does not know yet is refused (404), so the same silence cannot
// be posted to each either. Reads and expiries therefore try each URL in
// turn: a peer that has not heard the gossip yet answers 404, and the next
// one is asked.
package amapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Matcher is one label matcher of a silence, as the API has it.
type Matcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	// IsEqual false negates the matcher (!= or !~); the API's default is true.
	IsEqual bool `json:"isEqual"`
}

// String renders the matcher in Alertmanager's syntax: name="value".
func (m Matcher) String() string {
	op := "="
	switch {
	case m.IsRegex && m.IsEqual:
		op = "=~"
	case m.IsRegex:
		op = "!~"
	case !m.IsEqual:
		op = "!="
	}
	return m.Name + op + fmt.Sprintf("%q", m.Value)
}

// Silence is a silence as the API posts and returns it. ID, Status and
// UpdatedAt are set by Alertmanager.
type Silence struct {
	ID        string    `json:"id,omitempty"`
	Matchers  []Matcher `json:"matchers"`
	StartsAt  time.Time `json:"startsAt"`
	EndsAt    time.Time `json:"endsAt"`
	CreatedBy string    `json:"createdBy"`
	Comment   string    `json:"comment"`
	Status    *Status   `json:"status,omitempty"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// Status is a silence's state: pending (starts in the future), active or expired.
type Status struct {
	State string `json:"state"`
}

// Silence states.
const (
	StatePending = "pending"
	StateActive  = "active"
	StateExpired = "expired"
)

// State is the silence's state as Alertmanager reported it ("" if it did not).
func (s Silence) State() string {
	if s.Status == nil {
		return ""
	}
	return s.Status.State
}

// Options configure a Client. URLs is required.
type Options struct {
	// URLs are the Alertmanagers' base URLs (http://alertmanager:9093),
	// tried in order.
	URLs []string
	// BearerToken, when set, is sent as Authorization: Bearer; Username
	// and Password, when Username is set, as basic auth.
	BearerToken        string
	Username, Password string
	// Timeout bounds each request; 0 means defaultTimeout.
	Timeout time.Duration
	// Transport carries the requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
}

// defaultTimeout bounds one request when Options.Timeout is zero: well
// inside the time a slash command may take before it answers "working".
const defaultTimeout = 5 * time.Second

// Body limits: a silence list may be long, anything else is small.
const (
	maxListBody = 16 << 20
	maxBody     = 1 << 20
)

// Client talks to one Alertmanager or an HA pair.
type Client struct {
	urls []*url.URL
	o    Options
	http *http.Client
}

// New returns a client; it checks the URLs and never logs the credentials.
func New(o Options) (*Client, error) {
	if len(o.URLs) == 0 {
		return nil, errors.New("amapi: no Alertmanager URL")
	}
	c := &Client{o: o}
	for _, raw := range o.URLs {
		u, err := url.Parse(strings.TrimRight(raw, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("amapi: %q is not an http(s) URL", raw)
		}
		if u.User != nil {
			return nil, fmt.Errorf("amapi: %s: put credentials in the token, not in the URL", u.Host)
		}
		c.urls = append(c.urls, u)
	}
	if o.Timeout <= 0 {
		c.o.Timeout = defaultTimeout
	}
	t := o.Transport
	if t == nil {
		t = http.DefaultTransport
	}
	c.http = &http.Client{Transport: t, Timeout: c.o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c, nil
}

// Error is a failure of one Alertmanager: it answered Status with Message,
// or (Status 0) it could not be reached. It never holds credentials.
type Error struct {
	Host    string
	Status  int
	Message string
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("alertmanager %s: %s", e.Host, e.Message)
	}
	if e.Message == "" {
		return fmt.Sprintf("alertmanager %s: HTTP %d", e.Host, e.Status)
	}
	return fmt.Sprintf("alertmanager %s: HTTP %d: %s", e.Host, e.Status, e.Message)
}

// Refused reports an answer another peer would give too: the request
// itself is wrong (4xx other than 404, 408 and 429).
func (e *Error) Refused() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusNotFound &&
		e.Status != http.StatusRequestTimeout && e.Status != http.StatusTooManyRequests
}

// ErrNotFound is returned (wrapped) when no Alertmanager knows the silence.
var ErrNotFound = errors.New("silence not found")

// Create posts a new silence and returns its ID. s.ID must be empty: the
// API would read it as an update of that silence.
func (c *Client) Create(ctx context.Context, s Silence) (string, error) {
	if s.ID != "" {
		return "", errors.New("amapi: Create takes a silence without an ID")
	}
	if len(s.Matchers) == 0 {
		return "", errors.New("amapi: a silence needs at least one matcher")
	}
	s.Status, s.UpdatedAt = nil, time.Time{}
	s.StartsAt, s.EndsAt = s.StartsAt.UTC(), s.EndsAt.UTC()
	body, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("amapi: encode silence: %w", err)
	}
	var out struct {
		SilenceID string `json:"silenceID"`
	}
	err = c.each(ctx, func(u *url.URL) error {
		return c.do(ctx, http.MethodPost, u, "/api/v2/silences", body, maxBody, &out)
	}, false)
	if err != nil {
		return "", err
	}
	if out.SilenceID == "" {
		return "", &Error{Host: c.urls[0].Host, Status: http.StatusOK, Message: "answered without a silenceID"}
	}
	return out.SilenceID, nil
}

// Silences lists every silence the first Alertmanager that answers knows
// (expired ones included, until Alertmanager forgets them).
func (c *Client) Silences(ctx context.Context) ([]Silence, error) {
	var out []Silence
	err := c.each(ctx, func(u *url.URL) error {
		out = nil
		return c.do(ctx, http.MethodGet, u, "/api/v2/silences", nil, maxListBody, &out)
	}, false)
	return out, err
}

// Silence reads one silence, from the first Alertmanager that knows it.
func (c *Client) Silence(ctx context.Context, id string) (Silence, error) {
	var out Silence
	err := c.each(ctx, func(u *url.URL) error {
		out = Silence{}
		return c.do(ctx, http.MethodGet, u, "/api/v2/silence/"+url.PathEscape(id), nil, maxBody, &out)
	}, true)
	return out, err
}

// Expire ends a silence now (DELETE). A silence that already expired is
// no error; one that no Alertmanager knows is ErrNotFound.
func (c *Client) Expire(ctx context.Context, id string) error {
	return c.each(ctx, func(u *url.URL) error {
		return c.do(ctx, http.MethodDelete, u, "/api/v2/silence/"+url.PathEscape(id), nil, maxBody, nil)
	}, true)
}

// each runs call against each URL in turn until one succeeds. A refusal
// ends it at once (every peer would refuse); a 404 goes on when byID (the
// peer may not have the gossip yet) and is ErrNotFound when every peer
// says it. The error of the last peer tried is returned, wrapped with how
// many were tried.
func (c *Client) each(ctx context.Context, call func(u *url.URL) error, byID bool) error {
	var errs []error
	notFound := 0
	for _, u := range c.urls {
		err := call(u)
		if err == nil {
			return nil
		}
		var e *Error
		if errors.As(err, &e) {
			if e.Status == http.StatusNotFound && byID {
				notFound++
				errs = append(errs, err)
				continue
			}
			if e.Refused() || e.Status == http.StatusNotFound {
				return err
			}
		}
		if ctx.Err() != nil {
			return err
		}
		errs = append(errs, err)
	}
	if notFound == len(c.urls) {
		return fmt.Errorf("%w (asked %d Alertmanager(s))", ErrNotFound, len(c.urls))
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return fmt.Errorf("every Alertmanager failed: %w", errors.Join(errs...))
}

// do sends one request to u and decodes a 2xx JSON answer into out (nil:
// the body is ignored). Other answers become an *Error with the message
// Alertmanager gave (its errors are JSON strings, or {"message": …}).
func (c *Client) do(ctx context.Context, method string, base *url.URL, path string, body []byte, limit int64, out any) error {
	u := *base
	u.Path = strings.TrimRight(u.Path, "/") + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return &Error{Host: base.Host, Message: "bad request: " + err.Error()}
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case c.o.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+c.o.BearerToken)
	case c.o.Username != "":
		req.SetBasicAuth(c.o.Username, c.o.Password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL; the host is said once
		}
		msg := err.Error()
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			msg = fmt.Sprintf("no answer within %s", c.o.Timeout)
		}
		return &Error{Host: base.Host, Message: msg}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return &Error{Host: base.Host, Status: resp.StatusCode, Message: "reading the answer: " + err.Error()}
	}
	if int64(len(data)) > limit {
		return &Error{Host: base.Host, Status: resp.StatusCode, Message: fmt.Sprintf("answer larger than %d bytes", limit)}
	}
	if resp.StatusCode/100 != 2 {
		return &Error{Host: base.Host, Status: resp.StatusCode, Message: errorMessage(data)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &Error{Host: base.Host, Status: resp.StatusCode, Message: "unreadable answer: " + err.Error()}
	}
	return nil
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// errorMessage is what Alertmanager said: a JSON string (its 400s and
// 500s), {"message": …} (its validation errors), or short plain text.
func errorMessage(data []byte) string {
	var s string
	if json.Unmarshal(data, &s) == nil {
		return clip(s)
	}
	var m struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(data, &m) == nil && (m.Message != "" || m.Error != "") {
		return clip(m.Message + m.Error)
	}
	return clip(strings.TrimSpace(string(data)))
}

// clip keeps an error message short and on one line.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		return string(r[:300]) + "…"
	}
	return s
}
