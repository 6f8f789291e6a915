package slacksim

import (
	"time"

	"github.com/incidentbot/incidentbot/bot/pace"
)

// Slack's rate limits, enforced from the same table the bot paces itself by
// (pace.MethodLimit, pace.ChannelLimit): each Web API method has a limit per app
// per workspace, and chat.postMessage one per channel as well. Each limit is a
// token bucket kept as one time (GCRA, pace.Bucket): a minute's quota may go at
// once, then calls are spaced at the sustained rate, on the simulator's clock.
// A call over a limit is answered as Slack does: HTTP 429, a Retry-After of the
// whole seconds after which it would pass, and {"ok":false,"error":"ratelimited"}.
// The refusing limit stays blocked until then, even for a call that the bucket
// alone would let through a fraction of a second earlier; other methods (and
// other channels) are not affected. Refused calls use no quota.

// admitLocked decides whether an authenticated call of method may go now under
// Slack's limits and, when it may, counts it against them. Otherwise it returns
// the Retry-After to answer with.
func (s *Server) admitLocked(method string, c *call) (retryAfter time.Duration, ok bool) {
	if s.opts.Unlimited {
		return 0, true
	}
	now := s.now()
	keys := []string{method}
	limits := []pace.Limit{pace.MethodLimit(method)}
	if lim, perChannel := pace.ChannelLimit(method); perChannel {
		if ch := s.limitChannelLocked(c.arg("channel")); ch != "" {
			keys, limits = append(keys, method+"\x00"+ch), append(limits, lim)
		}
	}
	var wait time.Duration
	for i, key := range keys {
		wait = max(wait, s.blocked[key].Sub(now), s.bucketLocked(key, limits[i]).Wait(now))
	}
	if wait <= 0 {
		for _, key := range keys {
			s.buckets[key].Take(now)
		}
		return 0, true
	}
	retryAfter = wait.Truncate(time.Second)
	if retryAfter < wait {
		retryAfter += time.Second
	}
	for _, key := range keys {
		// A limit that refuses stays blocked for the whole Retry-After; a call
		// refused while it is blocked does not move the end.
		if b := s.buckets[key]; now.Before(s.blocked[key]) || b.Wait(now) == 0 {
			continue
		}
		s.blocked[key] = now.Add(retryAfter)
		s.buckets[key].Block(now.Add(retryAfter))
	}
	return retryAfter, false
}

func (s *Server) bucketLocked(key string, lim pace.Limit) *pace.Bucket {
	b := s.buckets[key]
	if b == nil {
		b = pace.NewBucket(lim)
		s.buckets[key] = b
	}
	return b
}

// limitChannelLocked names the channel a per-channel limit counts a call against:
// the conversation's ID when the argument resolves to one ("#name", a user ID for
// the bot's DM with them), else the argument as given.
func (s *Server) limitChannelLocked(ref string) string {
	if ref == "" {
		return ""
	}
	if ref[0] == 'U' || ref[0] == 'W' {
		if c := s.imLocked(ref); c != nil {
			return c.ID
		}
		return ref
	}
	if c, err := s.lookupChannel(ref, true); err == nil {
		return c.ID
	}
	return ref
}
