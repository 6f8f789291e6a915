package pace

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxWait is how long a call may wait for its turn unless Options says.
const DefaultMaxWait = 2 * time.Second

// defaultPause is how long a 429 without a readable Retry-After pauses its method.
const defaultPause = time.Second

// maxPacedBody bounds how much of a request body is read to find its channel.
const maxPacedBody = 1 << 20

// Options configure a Transport. The zero value works: real time, calls wait at
// most DefaultMaxWait.
type Options struct {
	// MaxWait bounds how long a call waits for its turn; a call whose turn would
	// come later fails at once with a *WaitError. Zero means DefaultMaxWait; a
	// negative value means no bound (the request's context still ends a wait).
	MaxWait time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewTimer returns a channel that receives once the clock has moved d on, and
	// a function that stops it. nil means time.NewTimer. Tests pass a fake clock's.
	NewTimer func(d time.Duration) (<-chan time.Time, func() bool)
}

// Transport is an http.RoundTripper that paces Slack Web API calls (requests to
// …/api/<method>); other requests pass straight through. Use one Transport for
// every client of one app in one workspace: its limiters are shared by all the
// goroutines that call through it. It is safe for concurrent use.
type Transport struct {
	next http.RoundTripper
	l    *limiter
}

var _ http.RoundTripper = (*Transport)(nil)

// New returns a Transport that sends through next (http.DefaultTransport when nil).
func New(next http.RoundTripper, o Options) *Transport {
	if next == nil {
		next = http.DefaultTransport
	}
	if o.MaxWait == 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewTimer == nil {
		o.NewTimer = func(d time.Duration) (<-chan time.Time, func() bool) {
			t := time.NewTimer(d)
			return t.C, t.Stop
		}
	}
	return &Transport{next: next, l: &limiter{
		now: o.Now, newTimer: o.NewTimer, maxWait: o.MaxWait, queues: map[string]*queue{},
	}}
}

// RoundTrip waits for the call's turn (by the priority on the request's context),
// sends it, and pauses the method when Slack answers 429. It fails without
// sending with a *WaitError when the turn is too far away, or with the context's
// error when the context ends while waiting.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	method := APIMethod(r.URL)
	if method == "" {
		return t.next.RoundTrip(r)
	}
	turns := []turn{{key: method, limit: MethodLimit(method), method: method}}
	channel := ""
	if lim, ok := ChannelLimit(method); ok {
		var err error
		if channel, r, err = channelOf(r); err != nil {
			closeBody(r)
			return nil, err
		}
		if channel != "" {
			// The channel's turn first: it is the narrower limit, and a call that
			// waits for it should not hold a workspace-wide turn meanwhile.
			turns = append([]turn{{key: channelKey(method, channel), limit: lim, method: method, channel: channel}}, turns...)
		}
	}
	if err := t.l.wait(r.Context(), PriorityFrom(r.Context()), turns...); err != nil {
		closeBody(r)
		return nil, err
	}
	resp, err := t.next.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		until := t.l.now().Add(retryAfter(resp.Header))
		paused := turns[0] // the channel for chat.postMessage, else the method
		t.l.pause(paused.key, paused.limit, until)
	}
	return resp, err
}

// Queued returns how many calls wait for their turn at method (in channel, for a
// method limited per channel; "" for the method's workspace-wide turn).
func (t *Transport) Queued(method, channel string) int {
	if channel != "" {
		return t.l.queued(channelKey(method, channel))
	}
	return t.l.queued(method)
}

func channelKey(method, channel string) string { return method + "\x00" + channel }

// APIMethod returns the Web API method a request URL calls ("chat.postMessage"
// for …/api/chat.postMessage), or "" when it is not a Web API call.
func APIMethod(u *url.URL) string {
	i := strings.LastIndex(u.Path, "/api/")
	if i < 0 {
		return ""
	}
	m := u.Path[i+len("/api/"):]
	if m == "" || strings.Contains(m, "/") {
		return ""
	}
	return m
}

// channelOf returns the channel argument of a Web API request, from its query,
// form or JSON body, and the request to send: the same one when its body could
// be read again through GetBody, else a copy with the body put back.
func channelOf(r *http.Request) (string, *http.Request, error) {
	if c := r.URL.Query().Get("channel"); c != "" {
		return c, r, nil
	}
	if r.Body == nil || r.Body == http.NoBody {
		return "", r, nil
	}
	var body []byte
	if r.GetBody != nil {
		rc, err := r.GetBody()
		if err != nil {
			return "", r, err
		}
		body, err = io.ReadAll(io.LimitReader(rc, maxPacedBody))
		rc.Close()
		if err != nil {
			return "", r, err
		}
	} else {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return "", r, err
		}
		body = b
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		var args struct {
			Channel string `json:"channel"`
		}
		if json.Unmarshal(body, &args) == nil {
			return args.Channel, r, nil
		}
	case "application/x-www-form-urlencoded", "":
		if vals, err := url.ParseQuery(string(body)); err == nil {
			return vals.Get("channel"), r, nil
		}
	}
	return "", r, nil
}

// retryAfter reads Slack's Retry-After, in whole seconds.
func retryAfter(h http.Header) time.Duration {
	s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After")))
	if err != nil || s < 0 {
		return defaultPause
	}
	return time.Duration(s) * time.Second
}

func closeBody(r *http.Request) {
	if r.Body != nil {
		r.Body.Close()
	}
}
