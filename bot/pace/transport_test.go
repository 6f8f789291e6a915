package pace_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/pace"
)

// longWait is the MaxWait of tests whose callers wait for their turn: far
// longer than any turn, so a timer this long is a caller's deadline.
const longWait = time.Hour

// sent is one request that reached Slack, at the fake clock's time.
type sent struct {
	method, name string
	at           time.Time
}

// fakeSlack is the transport behind the pacer: it records what reaches it and
// answers 200, or 429 with Retry-After while told to.
type fakeSlack struct {
	clock *fakeClock
	mu    sync.Mutex
	sent  []sent
	// limit429 answers the next calls of a method 429 with this Retry-After (seconds).
	limit429 map[string]int
}

func (f *fakeSlack) RoundTrip(r *http.Request) (*http.Response, error) {
	body := ""
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		body = string(b)
	}
	method := pace.APIMethod(r.URL)
	f.mu.Lock()
	f.sent = append(f.sent, sent{method: method, name: r.Header.Get("X-Name"), at: f.clock.Now()})
	retry, limited := f.limit429[method]
	delete(f.limit429, method)
	f.mu.Unlock()
	resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Request: r,
		Body: io.NopCloser(strings.NewReader(`{"ok":true,"echo":` + fmt.Sprintf("%q", body) + `}`))}
	if limited {
		resp.StatusCode = http.StatusTooManyRequests
		resp.Header.Set("Retry-After", fmt.Sprint(retry))
		resp.Body = io.NopCloser(strings.NewReader(`{"ok":false,"error":"ratelimited"}`))
	}
	return resp, nil
}

func (f *fakeSlack) calls() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.sent...)
}

type rig struct {
	clock *fakeClock
	slack *fakeSlack
	tr    *pace.Transport
	start time.Time
}

func newRig(maxWait time.Duration) *rig {
	c := newFakeClock()
	f := &fakeSlack{clock: c, limit429: map[string]int{}}
	return &rig{clock: c, slack: f, start: c.Now(),
		tr: pace.New(f, pace.Options{MaxWait: maxWait, Now: c.Now, NewTimer: c.NewTimer})}
}

// call makes one Web API call through the pacer: form arguments, a priority
// and a name to find it by.
func (r *rig) call(ctx context.Context, method, name string, prio *pace.Priority, form url.Values) (*http.Response, error) {
	if prio != nil {
		ctx = pace.WithPriority(ctx, *prio)
	}
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://slack.example/api/"+method, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Name", name)
	return r.tr.RoundTrip(req)
}

func (r *rig) mustCall(t *testing.T, method, name string) {
	t.Helper()
	resp, err := r.call(context.Background(), method, name, nil, nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, name, err)
	}
	resp.Body.Close()
}

// drive moves the clock to each turn its callers wait for, once every one of
// them waits, until active reports none left.
func (r *rig) drive(t *testing.T, active func() int) {
	t.Helper()
	for range 10000 {
		var turn *fakeTimer
		r.clock.waitFor(t, "every caller to wait for a turn, or to finish", func(ts []*fakeTimer) bool {
			n := active()
			if n == 0 {
				return true
			}
			var ok bool
			turn, ok = nextTurn(ts, longWait/2)
			return ok && count(ts, longWait) == n
		})
		if active() == 0 {
			return
		}
		r.clock.Advance(turn.at.Sub(r.clock.Now()))
	}
	t.Fatal("callers still waiting after 10,000 turns")
}

// callers runs n goroutines that each call f, and returns how many have not
// returned yet, and a wait for all of them.
func (r *rig) callers(n int, f func(i int)) (active func() int, wait func()) {
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.clock.poke()
			defer left.Add(-1)
			f(i)
		}()
	}
	return func() int { return int(left.Load()) }, wg.Wait
}

func TestTierSpacing(t *testing.T) {
	for _, tc := range []struct {
		method   string
		burst    int
		interval time.Duration
	}{
		{"conversations.create", 20, 3 * time.Second},          // Tier 2
		{"conversations.history", 50, 1200 * time.Millisecond}, // Tier 3
		{"users.info", 100, 600 * time.Millisecond},            // Tier 4
		{"apps.uninstall", 20, 3 * time.Second},                // not in the table: Tier 2
	} {
		t.Run(tc.method, func(t *testing.T) {
			r := newRig(longWait)
			calls := tc.burst + 4
			active, wait := r.callers(1, func(int) {
				for i := range calls {
					r.mustCall(t, tc.method, fmt.Sprint(i))
				}
			})
			r.drive(t, active)
			wait()
			got := r.slack.calls()
			if len(got) != calls {
				t.Fatalf("%d calls reached Slack, want %d", len(got), calls)
			}
			for i, c := range got {
				want := r.start
				if i >= tc.burst {
					want = want.Add(time.Duration(i-tc.burst+1) * tc.interval)
				}
				if !c.at.Equal(want) {
					t.Errorf("call %d at +%s, want +%s", i, c.at.Sub(r.start), want.Sub(r.start))
				}
			}
		})
	}
}

func TestTierSpacingSharedByGoroutines(t *testing.T) {
	r := newRig(longWait)
	const goroutines, each = 4, 8 // 32 calls: 20 at once, then one every 3 s
	active, wait := r.callers(goroutines, func(g int) {
		for i := range each {
			r.mustCall(t, "conversations.create", fmt.Sprintf("%d-%d", g, i))
		}
	})
	r.drive(t, active)
	wait()
	got := r.slack.calls()
	if len(got) != goroutines*each {
		t.Fatalf("%d calls reached Slack, want %d", len(got), goroutines*each)
	}
	if end := got[len(got)-1].at.Sub(r.start); end != 12*3*time.Second {
		t.Errorf("the last call went at +%s, want +36s (20 at once, then 12 at 3 s each)", end)
	}
}

func TestPostMessagePacedPerChannel(t *testing.T) {
	r := newRig(500 * time.Millisecond)
	post := func(channel string, i int) error {
		resp, err := r.call(context.Background(), "chat.postMessage", fmt.Sprintf("%s-%d", channel, i), nil,
			url.Values{"channel": {channel}, "text": {fmt.Sprintf("message %d", i)}})
		if err == nil {
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if want := fmt.Sprintf("message+%d", i); !strings.Contains(string(b), want) {
				t.Errorf("Slack got %s, want the whole body with text %s", b, want)
			}
		}
		return err
	}
	// A burst of 3 per channel, then one a second: the 4th in C1 would wait 1 s,
	// longer than MaxWait, so it fails at once; C2 is not held up by C1.
	for i := range 3 {
		if err := post("C1", i); err != nil {
			t.Fatalf("post %d in C1: %v", i, err)
		}
	}
	err := post("C1", 3)
	var we *pace.WaitError
	if !errors.As(err, &we) {
		t.Fatalf("4th post in C1: err = %v, want a *pace.WaitError", err)
	}
	if we.Method != "chat.postMessage" || we.Channel != "C1" || we.RetryAfter != time.Second {
		t.Errorf("WaitError = %+v, want chat.postMessage in C1, retry after 1s", *we)
	}
	for i := range 3 {
		if err := post("C2", i); err != nil {
			t.Errorf("post %d in C2: %v (C1's pace held it up)", i, err)
		}
	}
	r.clock.Advance(time.Second)
	if err := post("C1", 4); err != nil {
		t.Errorf("post in C1 a second later: %v", err)
	}
	if n := len(r.slack.calls()); n != 7 {
		t.Errorf("%d posts reached Slack, want 7", n)
	}
}

func TestPostMessageChannelFromJSONBody(t *testing.T) {
	r := newRig(500 * time.Millisecond)
	post := func(i int) error {
		body := fmt.Sprintf(`{"channel":"C9","text":"json %d"}`, i)
		req, _ := http.NewRequest(http.MethodPost, "https://slack.example/api/chat.postMessage", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		resp, err := r.tr.RoundTrip(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(b), fmt.Sprintf("json %d", i)) {
			t.Errorf("Slack got %s, want the JSON body intact", b)
		}
		return nil
	}
	for i := range 3 {
		if err := post(i); err != nil {
			t.Fatal(err)
		}
	}
	var we *pace.WaitError
	if err := post(3); !errors.As(err, &we) || we.Channel != "C9" {
		t.Errorf("4th JSON post in C9: err = %v, want a WaitError for C9", err)
	}
}

func TestRetryAfterPausesTheMethodForEveryCaller(t *testing.T) {
	r := newRig(longWait)
	r.slack.limit429["conversations.invite"] = 7
	resp, err := r.call(context.Background(), "conversations.invite", "bounced", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "7" {
		t.Fatalf("the 429 was not handed back: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	// Two other workers call the same method: both wait out the Retry-After.
	active, wait := r.callers(2, func(i int) { r.mustCall(t, "conversations.invite", fmt.Sprint("worker", i)) })
	r.clock.waitFor(t, "both workers to wait", func(ts []*fakeTimer) bool { return count(ts, longWait) == 2 })
	// Another method is not paused.
	r.mustCall(t, "chat.update", "other")
	r.drive(t, active)
	wait()

	var invites []time.Duration
	for _, c := range r.slack.calls() {
		switch c.method {
		case "conversations.invite":
			invites = append(invites, c.at.Sub(r.start))
		case "chat.update":
			if !c.at.Equal(r.start) {
				t.Errorf("chat.update went at +%s, want at once", c.at.Sub(r.start))
			}
		}
	}
	// After the pause, one at once, the next at Tier 3's 1.2 s: no burst.
	want := []time.Duration{0, 7 * time.Second, 8200 * time.Millisecond}
	if fmt.Sprint(invites) != fmt.Sprint(want) {
		t.Errorf("conversations.invite went at %v, want %v", invites, want)
	}
}

func TestPausedMethodFailsAtOnceBeyondMaxWait(t *testing.T) {
	r := newRig(0) // the default: 2 s
	r.slack.limit429["conversations.setTopic"] = 30
	resp, err := r.call(context.Background(), "conversations.setTopic", "bounced", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	// Through an http.Client, as slack-go calls it: the error comes wrapped in a *url.Error.
	client := &http.Client{Transport: r.tr}
	req, _ := http.NewRequest(http.MethodPost, "https://slack.example/api/conversations.setTopic", strings.NewReader("channel=C1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, err = client.Do(req)
	var we *pace.WaitError
	if !errors.As(err, &we) {
		t.Fatalf("err = %v, want a *pace.WaitError through the client's wrapping", err)
	}
	if we.Method != "conversations.setTopic" || we.RetryAfter != 30*time.Second {
		t.Errorf("WaitError = %+v, want conversations.setTopic, retry after 30s", *we)
	}
	if n := len(r.slack.calls()); n != 1 {
		t.Errorf("%d calls reached Slack, want only the one that was answered 429", n)
	}
}

func TestWaitersServedByPriorityThenArrival(t *testing.T) {
	r := newRig(longWait)
	for i := range 20 { // Tier 2's burst: the next call waits 3 s
		r.mustCall(t, "conversations.create", fmt.Sprint("burst", i))
	}
	p := func(p pace.Priority) *pace.Priority { return &p }
	arrivals := []struct {
		name string
		prio *pace.Priority
	}{
		{"normal-1", p(pace.Normal)},
		{"cosmetic", p(pace.Cosmetic)},
		{"page", p(pace.Page)},
		{"unset", nil}, // Normal
		{"urgent", p(pace.Urgent)},
		{"normal-2", p(pace.Normal)},
		{"page-2", p(pace.Page)},
	}
	var wg sync.WaitGroup
	var left atomic.Int64
	left.Store(int64(len(arrivals)))
	for i, a := range arrivals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.clock.poke()
			defer left.Add(-1)
			resp, err := r.call(context.Background(), "conversations.create", a.name, a.prio, nil)
			if err != nil {
				t.Errorf("%s: %v", a.name, err)
				return
			}
			resp.Body.Close()
		}()
		// One at a time, so arrival order is known.
		r.clock.waitFor(t, a.name+" to queue", func(ts []*fakeTimer) bool { return count(ts, longWait) == i+1 })
	}
	if n := r.tr.Queued("conversations.create", ""); n != len(arrivals) {
		t.Errorf("Queued = %d, want %d", n, len(arrivals))
	}
	r.drive(t, func() int { return int(left.Load()) })
	wg.Wait()
	var order, at []string
	for _, c := range r.slack.calls()[20:] {
		order = append(order, c.name)
		at = append(at, fmt.Sprintf("%s@+%s", c.name, c.at.Sub(r.start)))
	}
	want := []string{"page", "page-2", "urgent", "normal-1", "unset", "normal-2", "cosmetic"}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("served %v, want %v", at, want)
	}
}

func TestLowPriorityBehindAQueueFailsAtOnce(t *testing.T) {
	r := newRig(0) // 2 s
	for i := range 20 {
		r.mustCall(t, "conversations.setPurpose", fmt.Sprint("burst", i))
	}
	// The next turn is 3 s away: more than MaxWait, so even the first caller
	// hears at once when to come back.
	cosmetic := pace.Cosmetic
	_, err := r.call(context.Background(), "conversations.setPurpose", "late", &cosmetic, nil)
	var we *pace.WaitError
	if !errors.As(err, &we) || we.RetryAfter != 3*time.Second {
		t.Fatalf("err = %v, want a WaitError to retry after 3s", err)
	}
	if n := r.tr.Queued("conversations.setPurpose", ""); n != 0 {
		t.Errorf("Queued = %d after the error, want 0", n)
	}
}

func TestCancelWhileWaiting(t *testing.T) {
	r := newRig(longWait)
	for i := range 20 {
		r.mustCall(t, "pins.add", fmt.Sprint("burst", i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := r.call(ctx, "pins.add", "cancelled", nil, nil)
		done <- err
	}()
	r.clock.waitFor(t, "the call to wait", func(ts []*fakeTimer) bool { return count(ts, longWait) == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := r.tr.Queued("pins.add", ""); n != 0 {
		t.Errorf("Queued = %d after the cancel, want 0", n)
	}
	// The cancelled call used no turn: the next goes at +3s.
	active, wait := r.callers(1, func(int) { r.mustCall(t, "pins.add", "next") })
	r.drive(t, active)
	wait()
	got := r.slack.calls()
	if len(got) != 21 || got[20].name != "next" || got[20].at.Sub(r.start) != 3*time.Second {
		t.Errorf("after the cancel: %d calls, last %+v; want 21, the last at +3s", len(got), got[len(got)-1])
	}
}

func TestOtherRequestsPassStraightThrough(t *testing.T) {
	r := newRig(0)
	for i := range 30 { // far beyond any tier's burst, on a clock that stands still
		req, _ := http.NewRequest(http.MethodPost, "https://files.slack.example/upload/v1/abc", strings.NewReader("data"))
		resp, err := r.tr.RoundTrip(req)
		if err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
		resp.Body.Close()
	}
}
