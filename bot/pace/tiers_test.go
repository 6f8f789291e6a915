package pace_test

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/pace"
)

func TestMethodTable(t *testing.T) {
	for method, want := range map[string]pace.Tier{
		"conversations.create": pace.Tier2, "conversations.setTopic": pace.Tier2, "pins.add": pace.Tier2,
		"conversations.history": pace.Tier3, "conversations.open": pace.Tier3, "chat.update": pace.Tier3,
		"users.info": pace.Tier4, "views.open": pace.Tier4, "chat.postEphemeral": pace.Tier4,
		"chat.postMessage": pace.Special, "no.such.method": pace.Tier2,
	} {
		if got := pace.MethodLimit(method).Tier; got != want {
			t.Errorf("MethodLimit(%s).Tier = %d, want %d", method, got, want)
		}
	}
	if l, ok := pace.ChannelLimit("chat.postMessage"); !ok || l.Interval() != time.Second {
		t.Errorf("ChannelLimit(chat.postMessage) = %+v, %v; want one a second", l, ok)
	}
	if _, ok := pace.ChannelLimit("chat.update"); ok {
		t.Error("chat.update has a per-channel limit; Slack gives it none")
	}
	for tier, per := range map[pace.Tier]int{pace.Tier1: 1, pace.Tier2: 20, pace.Tier3: 50, pace.Tier4: 100} {
		if got := pace.TierLimit(tier).PerMinute; got != per {
			t.Errorf("tier %d: %d a minute, want %d", tier, got, per)
		}
	}
}

func TestBucketPacesAtTheTiersRate(t *testing.T) {
	now := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
	b := pace.NewBucket(pace.TierLimit(pace.Tier2))
	for i := range 20 {
		if w := b.Wait(now); w != 0 {
			t.Fatalf("call %d of the burst waits %s", i, w)
		}
		b.Take(now)
	}
	if w := b.Wait(now); w != 3*time.Second {
		t.Errorf("21st call waits %s, want 3s", w)
	}
	if w := b.Wait(now.Add(3 * time.Second)); w != 0 {
		t.Errorf("at +3s the call waits %s, want 0", w)
	}
	// A minute of quiet fills the bucket again, but never beyond its burst.
	later := now.Add(10 * time.Minute)
	for i := range 20 {
		if w := b.Wait(later); w != 0 {
			t.Fatalf("after a quiet spell, call %d waits %s", i, w)
		}
		b.Take(later)
	}
	if w := b.Wait(later); w != 3*time.Second {
		t.Errorf("after 20 more, a call waits %s, want 3s", w)
	}
	// Blocked: nothing before the end, one call at it, the next paced, no burst.
	b.Block(later.Add(time.Minute))
	if w := b.Wait(later.Add(59 * time.Second)); w != time.Second {
		t.Errorf("a second before the block ends: waits %s, want 1s", w)
	}
	end := later.Add(time.Minute)
	if w := b.Wait(end); w != 0 {
		t.Errorf("at the block's end: waits %s, want 0", w)
	}
	b.Take(end)
	if w := b.Wait(end); w != 3*time.Second {
		t.Errorf("right after: waits %s, want 3s (no burst after a block)", w)
	}
}
