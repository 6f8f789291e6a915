package pace

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestIdleQueuesAreSwept(t *testing.T) {
	now := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
	l := &limiter{now: func() time.Time { return now }, maxWait: time.Second, queues: map[string]*queue{},
		newTimer: func(time.Duration) (<-chan time.Time, func() bool) { t.Fatal("no call should wait"); return nil, nil }}
	post := func(channel string) {
		t.Helper()
		lim, _ := ChannelLimit("chat.postMessage")
		if err := l.wait(context.Background(), Normal,
			turn{key: channelKey("chat.postMessage", channel), limit: lim, method: "chat.postMessage", channel: channel}); err != nil {
			t.Fatal(err)
		}
	}
	// A busy channel whose bucket is not full again must be kept.
	for range 3 {
		post("CBUSY")
	}
	for i := range 5000 {
		post(fmt.Sprint("C", i)) // one post each: full again a second later
		if i%100 == 0 {
			now = now.Add(time.Second)
			post("CBUSY") // one a second: never full again
		}
	}
	if n := len(l.queues); n > 2*minSweep+1 {
		t.Errorf("%d queues after posting once in 5,000 channels, want idle ones swept", n)
	}
	if q := l.queues[channelKey("chat.postMessage", "CBUSY")]; q == nil {
		t.Error("the busy channel's queue was swept")
	}
}
