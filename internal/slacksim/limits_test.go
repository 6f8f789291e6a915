package slacksim_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/internal/slacksim"
)

func TestTierLimitAnswers429WithRetryAfter(t *testing.T) {
	e := newEnv(t)
	create := func(name string) (int, map[string]any, http.Header) {
		return e.post(t, "conversations.create", url.Values{"name": {name}})
	}
	// Tier 2: a minute's quota (20) at once, on a clock that stands still.
	for i := range 20 {
		if status, got, _ := create(fmt.Sprintf("inc-%d", i)); status != http.StatusOK || got["ok"] != true {
			t.Fatalf("create %d: %d %v", i, status, got)
		}
	}
	status, got, h := create("inc-20")
	if status != http.StatusTooManyRequests || got["ok"] != false || got["error"] != "ratelimited" || h.Get("Retry-After") != "3" {
		t.Fatalf("21st create: %d %v Retry-After %q; want 429 ratelimited, Retry-After 3", status, got, h.Get("Retry-After"))
	}
	// Another method has its own limit.
	if status, got, _ := e.post(t, "conversations.list", url.Values{}); status != http.StatusOK || got["ok"] != true {
		t.Errorf("conversations.list after create's 429: %d %v", status, got)
	}
	// slack-go reads it as a rate limit.
	_, err := e.api.CreateConversationContext(context.Background(), slack.CreateConversationParams{ChannelName: "inc-21"})
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Errorf("slack-go error = %v, want a RateLimitedError of 3s", err)
	}
	e.clock.Advance(2 * time.Second)
	if status, _, h := create("inc-22"); status != http.StatusTooManyRequests || h.Get("Retry-After") != "1" {
		t.Errorf("create at +2s: %d Retry-After %q, want 429 and 1", status, h.Get("Retry-After"))
	}
	e.clock.Advance(time.Second)
	if status, got, _ := create("inc-23"); status != http.StatusOK || got["ok"] != true {
		t.Errorf("create at +3s: %d %v, want it to pass", status, got)
	}
	if status, _, _ := create("inc-24"); status != http.StatusTooManyRequests {
		t.Errorf("a second create at +3s: %d, want 429 (one every 3 s)", status)
	}
	if c, rl, ok := e.sim.Calls("conversations.create"), e.sim.RateLimited("conversations.create"), e.sim.OKCalls("conversations.create"); c != 25 || rl != 4 || ok != 21 {
		t.Errorf("calls, 429s, ok = %d, %d, %d; want 25, 4, 21", c, rl, ok)
	}
	if n := e.sim.RateLimited("conversations.list"); n != 0 {
		t.Errorf("conversations.list 429s = %d, want 0", n)
	}
}

func TestBlockedUntilRetryAfterInWholeSeconds(t *testing.T) {
	e := newEnv(t)
	id := e.createChannel(t, "inc-history")
	history := func() (int, http.Header) {
		status, _, h := e.post(t, "conversations.history", url.Values{"channel": {id}})
		return status, h
	}
	for i := range 50 { // Tier 3
		if status, _ := history(); status != http.StatusOK {
			t.Fatalf("history %d: %d", i, status)
		}
	}
	// The 51st would pass after 1.2 s: Slack says 2, and keeps the method
	// blocked until then, though the tier alone would let a call through at +1.5s.
	if status, h := history(); status != http.StatusTooManyRequests || h.Get("Retry-After") != "2" {
		t.Fatalf("51st history: %d Retry-After %q, want 429 and 2", status, h.Get("Retry-After"))
	}
	e.clock.Advance(1500 * time.Millisecond)
	if status, h := history(); status != http.StatusTooManyRequests || h.Get("Retry-After") != "1" {
		t.Errorf("history at +1.5s: %d Retry-After %q, want 429 and 1", status, h.Get("Retry-After"))
	}
	e.clock.Advance(500 * time.Millisecond)
	if status, _ := history(); status != http.StatusOK {
		t.Errorf("history at +2s: %d, want 200", status)
	}
}

func TestPostMessageLimitedPerChannel(t *testing.T) {
	e := newEnv(t)
	inc := e.createChannel(t, "inc-busy")
	other := e.createChannel(t, "inc-quiet")
	post := func(channel string) (int, string) {
		status, _, h := e.post(t, "chat.postMessage", url.Values{"channel": {channel}, "text": {"update"}})
		return status, h.Get("Retry-After")
	}
	for i := range 3 { // a short burst
		if status, _ := post(inc); status != http.StatusOK {
			t.Fatalf("post %d: %d", i, status)
		}
	}
	if status, retry := post(inc); status != http.StatusTooManyRequests || retry != "1" {
		t.Errorf("4th post: %d Retry-After %q, want 429 and 1", status, retry)
	}
	if status, _ := post("#inc-busy"); status != http.StatusTooManyRequests {
		t.Errorf("post by name to the same channel: %d, want 429", status)
	}
	if status, _ := post(other); status != http.StatusOK {
		t.Errorf("post in another channel: %d, want 200", status)
	}
	e.clock.Advance(time.Second)
	if status, _ := post(inc); status != http.StatusOK {
		t.Errorf("post a second later: %d, want 200", status)
	}
	if got := e.sim.RateLimited("chat.postMessage"); got != 2 {
		t.Errorf("chat.postMessage 429s = %d, want 2", got)
	}
}

func TestPostMessageWorkspaceLimit(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := range 101 {
		ids = append(ids, e.createChannel(t, fmt.Sprintf("inc-ws-%d", i)))
		e.clock.Advance(3 * time.Second) // within conversations.create's tier
	}
	// 300 a minute across the workspace, in any number of channels: 3 posts in
	// each of 100 channels pass, the 301st post anywhere waits.
	for _, id := range ids[:100] {
		for range 3 {
			if status, got, _ := e.post(t, "chat.postMessage", url.Values{"channel": {id}, "text": {"x"}}); status != http.StatusOK {
				t.Fatalf("post in %s: %d %v", id, status, got)
			}
		}
	}
	status, _, h := e.post(t, "chat.postMessage", url.Values{"channel": {ids[100]}, "text": {"x"}})
	if status != http.StatusTooManyRequests || h.Get("Retry-After") != "1" {
		t.Errorf("301st post: %d Retry-After %q, want 429 and 1 (300 a minute: one every 200 ms)", status, h.Get("Retry-After"))
	}
}

func TestUnlimitedLetsEveryCallThrough(t *testing.T) {
	e := newUnlimitedEnv(t)
	id := e.createChannel(t, "inc-unlimited")
	for i := range 100 {
		if status, got, _ := e.post(t, "chat.postMessage", url.Values{"channel": {id}, "text": {"x"}}); status != http.StatusOK {
			t.Fatalf("post %d: %d %v", i, status, got)
		}
	}
	if got := e.sim.RateLimited("chat.postMessage"); got != 0 {
		t.Errorf("429s = %d, want 0", got)
	}
}

func TestInjectedRateLimitsAreCounted(t *testing.T) {
	e := newEnv(t)
	e.sim.SetRateLimit("auth.test", slacksim.Next(2), 5*time.Second)
	for range 3 {
		_, _ = e.api.AuthTestContext(context.Background())
	}
	if got := e.sim.RateLimited("auth.test"); got != 2 {
		t.Errorf("auth.test 429s = %d, want 2", got)
	}
}

func TestHistoryWindowAndCursor(t *testing.T) {
	e := newUnlimitedEnv(t)
	ctx := context.Background()
	id := e.createChannel(t, "inc-long")
	var tss []string // oldest first
	for i := range 250 {
		_, ts, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionText(fmt.Sprint("m", i), false))
		if err != nil {
			t.Fatal(err)
		}
		tss = append(tss, ts)
	}
	read := func(p slack.GetConversationHistoryParameters) (pages []int, got []string) {
		p.ChannelID = id
		for range 10 {
			h, err := e.api.GetConversationHistoryContext(ctx, &p)
			if err != nil {
				t.Fatalf("history %+v: %v", p, err)
			}
			pages = append(pages, len(h.Messages))
			for _, m := range h.Messages {
				got = append(got, m.Timestamp)
			}
			if h.HasMore != (h.ResponseMetaData.NextCursor != "") {
				t.Errorf("has_more %v with next_cursor %q", h.HasMore, h.ResponseMetaData.NextCursor)
			}
			if h.ResponseMetaData.NextCursor == "" {
				return pages, got
			}
			p.Cursor = h.ResponseMetaData.NextCursor
		}
		t.Fatal("more than 10 pages")
		return nil, nil
	}
	newestFirst := func(from, to int) []string { // tss[from..to], newest first
		out := slices.Clone(tss[from : to+1])
		slices.Reverse(out)
		return out
	}
	for _, tc := range []struct {
		name  string
		p     slack.GetConversationHistoryParameters
		pages []int
		want  []string
	}{
		{"all, 100 a page by default", slack.GetConversationHistoryParameters{}, []int{100, 100, 50}, newestFirst(0, 249)},
		{"oldest, exclusive", slack.GetConversationHistoryParameters{Oldest: tss[100], Limit: 100}, []int{100, 49}, newestFirst(101, 249)},
		{"oldest, inclusive across pages", slack.GetConversationHistoryParameters{Oldest: tss[100], Inclusive: true, Limit: 100}, []int{100, 50}, newestFirst(100, 249)},
		{"latest and oldest", slack.GetConversationHistoryParameters{Oldest: tss[10], Latest: tss[20], Limit: 4}, []int{4, 4, 1}, newestFirst(11, 19)},
		{"latest and oldest, inclusive", slack.GetConversationHistoryParameters{Oldest: tss[10], Latest: tss[20], Inclusive: true, Limit: 4}, []int{4, 4, 3}, newestFirst(10, 20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pages, got := read(tc.p)
			if fmt.Sprint(pages) != fmt.Sprint(tc.pages) {
				t.Errorf("pages of %v, want %v", pages, tc.pages)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %d messages %v…, want %d %v…", len(got), got[:min(3, len(got))], len(tc.want), tc.want[:min(3, len(tc.want))])
			}
		})
	}
	if status, got, _ := e.post(t, "conversations.history", url.Values{"channel": {id}, "oldest": {"yesterday"}}); status != http.StatusOK || got["error"] != "invalid_ts_oldest" {
		t.Errorf("bad oldest: %d %v, want invalid_ts_oldest", status, got)
	}
}

func TestReplies(t *testing.T) {
	e := newUnlimitedEnv(t)
	ctx := context.Background()
	id := e.createChannel(t, "inc-thread")
	_, parent, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionText("parent", false))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{parent}
	for i := range 5 {
		_, ts, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionText(fmt.Sprint("reply ", i), false), slack.MsgOptionTS(parent))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, ts)
		if _, _, err := e.api.PostMessageContext(ctx, id, slack.MsgOptionText("elsewhere", false)); err != nil {
			t.Fatal(err)
		}
	}
	// Paged 2 at a time, from the parent or from any reply.
	for _, from := range []string{parent, want[3]} {
		var got []string
		cursor := ""
		for range 10 {
			msgs, more, next, err := e.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: id, Timestamp: from, Limit: 2, Cursor: cursor,
			})
			if err != nil {
				t.Fatalf("replies from %s: %v", from, err)
			}
			for _, m := range msgs {
				got = append(got, m.Timestamp)
			}
			if more != (next != "") {
				t.Errorf("has_more %v with next_cursor %q", more, next)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if !slices.Equal(got, want) {
			t.Errorf("thread from %s = %v, want the parent then the replies %v", from, got, want)
		}
	}
	if _, _, _, err := e.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: id, Timestamp: "1.000001"}); slackErr(err) != "thread_not_found" {
		t.Errorf("replies of no message: %v, want thread_not_found", err)
	}
}
