// Package pace is the rate-limit-aware part of the Slack client: an
// http.RoundTripper that keeps every Web API method within Slack's limits for
// all the bot's workers together, so calls wait their turn instead of bouncing
// off HTTP 429.
//
// Each method has one limiter (chat.postMessage one per channel as well), built
// from Slack's tier table (MethodLimit, ChannelLimit), which the simulator
// enforces too. Waiters for a method are served by priority (Page, Urgent,
// Normal, Cosmetic; set with WithPriority), then in arrival order. A 429 from
// Slack pauses that method (that channel, for chat.postMessage) for every
// caller until its Retry-After; other methods go on. The 429 answer itself is
// still returned to its caller.
//
// A call never waits long: when its turn is further away than Options.MaxWait
// (2 s unless set), RoundTrip fails at once with a *WaitError saying when the
// slot should be free, so a job runner can reschedule the job for then rather
// than hold one of its few workers. slack-go hands that error back wrapped in a
// *url.Error, which errors.As sees through.
//
// The package uses only the standard library, so the simulator can share its
// table without importing slack-go.
package pace

import (
	"context"
	"fmt"
	"time"
)

// Priority orders the waiters for one method: higher first, then first come,
// first served.
type Priority int

// Priorities, from DESIGN.md's rule three: what wakes a person goes first.
const (
	// Cosmetic is work a newer run replaces or nobody waits for: topics,
	// purposes, user-group sync, summary refreshes.
	Cosmetic Priority = -1
	// Normal is the default, for a request whose context sets none.
	Normal Priority = 0
	// Urgent is the channel, summary and announcement of a high severity.
	Urgent Priority = 1
	// Page is a page and its acknowledgement.
	Page Priority = 2
)

func (p Priority) String() string {
	switch p {
	case Cosmetic:
		return "cosmetic"
	case Normal:
		return "normal"
	case Urgent:
		return "urgent"
	case Page:
		return "page"
	}
	return fmt.Sprintf("priority(%d)", int(p))
}

type priorityKey struct{}

// WithPriority returns a context whose Slack calls wait their turn at priority p.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// PriorityFrom returns the priority set on ctx, Normal when none is.
func PriorityFrom(ctx context.Context) Priority {
	if p, ok := ctx.Value(priorityKey{}).(Priority); ok {
		return p
	}
	return Normal
}

// WaitError is returned, at once, for a call whose turn would come later than
// Options.MaxWait: the method (or, for chat.postMessage, the channel) is busy
// or paused by Slack's Retry-After. Nothing was sent. RetryAfter is when the
// slot is expected to be free, from what is queued now.
type WaitError struct {
	Method     string
	Channel    string // for a method limited per channel; "" otherwise
	RetryAfter time.Duration
}

func (e *WaitError) Error() string {
	where := e.Method
	if e.Channel != "" {
		where += " in " + e.Channel
	}
	return fmt.Sprintf("slack %s is busy: its turn comes in %s", where, e.RetryAfter.Round(time.Millisecond))
}
