package pace

import (
	"sort"
	"time"
)

// Tier is one of Slack's Web API rate-limit tiers, as each method's page gives it.
type Tier int

// Slack's tiers (docs.slack.dev, "Rate limits"): limits apply per method, per app,
// per workspace.
const (
	Tier1   Tier = 1 // 1+ a minute
	Tier2   Tier = 2 // 20+ a minute: most methods
	Tier3   Tier = 3 // 50+ a minute
	Tier4   Tier = 4 // 100+ a minute
	Special Tier = 5 // the method's page says; see the table
)

// Limit is how often calls may go: PerMinute a minute on average, up to Burst of
// them at once.
type Limit struct {
	Tier      Tier
	PerMinute int
	Burst     int
}

// Interval is the spacing of calls at the sustained rate: a minute divided by
// PerMinute.
func (l Limit) Interval() time.Duration {
	if l.PerMinute <= 0 {
		return time.Minute
	}
	return time.Minute / time.Duration(l.PerMinute)
}

// The tiers' limits. Slack documents "N+ per minute" and "occasional bursts" without a
// figure for the burst; both sides of this repository take the documented floor as the
// sustained rate and let a minute's quota go at once.
var (
	tier1 = Limit{Tier: Tier1, PerMinute: 1, Burst: 1}
	tier2 = Limit{Tier: Tier2, PerMinute: 20, Burst: 20}
	tier3 = Limit{Tier: Tier3, PerMinute: 50, Burst: 50}
	tier4 = Limit{Tier: Tier4, PerMinute: 100, Burst: 100}
)

// PostMessage limits: Slack's "Rate limits" page gives chat.postMessage "one message per
// second per channel" with "short bursts >1 allowed", "while also maintaining a
// workspace-wide limit" of no published figure. The method's own page speaks of
// several hundred messages a minute across a workspace: we take 300 a minute, with a
// burst of a minute's quota like the tiers, and a burst of 3 per channel.
var (
	postMessageChannel   = Limit{Tier: Special, PerMinute: 60, Burst: 3}
	postMessageWorkspace = Limit{Tier: Special, PerMinute: 300, Burst: 300}
	// auth.test and chat.getPermalink are "Special" too: their pages allow "hundreds of
	// requests per minute"; 300 a minute, like chat.postMessage across a workspace.
	specialHundreds = Limit{Tier: Special, PerMinute: 300, Burst: 300}
)

// methodLimits is each Web API method's limit per app per workspace, from the method's
// page on docs.slack.dev. Methods missing here get Tier 2, which Slack names as that of
// "most methods".
var methodLimits = map[string]Limit{
	"auth.test":                    specialHundreds,
	"chat.getPermalink":            specialHundreds,
	"chat.postMessage":             postMessageWorkspace,
	"chat.postEphemeral":           tier4,
	"chat.update":                  tier3,
	"conversations.archive":        tier2,
	"conversations.create":         tier2,
	"conversations.history":        tier3,
	"conversations.info":           tier3,
	"conversations.invite":         tier3,
	"conversations.join":           tier3,
	"conversations.list":           tier2,
	"conversations.members":        tier4,
	"conversations.open":           tier3,
	"conversations.replies":        tier3,
	"conversations.setPurpose":     tier2,
	"conversations.setTopic":       tier2,
	"conversations.unarchive":      tier2,
	"files.completeUploadExternal": tier4,
	"files.getUploadURLExternal":   tier4,
	"pins.add":                     tier2,
	"reactions.add":                tier3,
	"usergroups.create":            tier2,
	"usergroups.disable":           tier2,
	"usergroups.enable":            tier2,
	"usergroups.list":              tier2,
	"usergroups.update":            tier2,
	"usergroups.users.list":        tier2,
	"usergroups.users.update":      tier2,
	"users.info":                   tier4,
	"users.lookupByEmail":          tier3,
	"views.open":                   tier4,
	"views.update":                 tier4,
}

// channelLimits are the methods limited per channel as well as per workspace.
var channelLimits = map[string]Limit{
	"chat.postMessage": postMessageChannel,
}

// MethodLimit returns the limit of a Web API method per app per workspace: the tier
// its page on docs.slack.dev gives, or Tier 2 for a method not in the table.
func MethodLimit(method string) Limit {
	if l, ok := methodLimits[method]; ok {
		return l
	}
	return tier2
}

// ChannelLimit returns the limit a method has in each channel besides its
// workspace-wide one, and whether it has one: chat.postMessage, about one message a
// second per channel.
func ChannelLimit(method string) (Limit, bool) {
	l, ok := channelLimits[method]
	return l, ok
}

// TierLimit returns the limit of a numbered tier (Tier1 to Tier4).
func TierLimit(t Tier) Limit {
	switch t {
	case Tier1:
		return tier1
	case Tier3:
		return tier3
	case Tier4:
		return tier4
	}
	return tier2
}

// Methods lists the methods in the table, sorted.
func Methods() []string {
	out := make([]string, 0, len(methodLimits))
	for m := range methodLimits {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// Bucket paces calls to one Limit with the generic cell rate algorithm (GCRA, a
// token bucket kept as one time): a call conforms when it comes no earlier than its
// theoretical arrival time minus the burst tolerance. All arithmetic is in whole
// durations, so the simulator (which refuses calls) and the bot (which waits for its
// turn) agree to the nanosecond on the same clock. It is not safe for concurrent use.
type Bucket struct {
	interval  time.Duration
	tolerance time.Duration
	tat       time.Time // theoretical arrival time of the next call
}

// NewBucket returns a full Bucket for l: Burst calls may go at once.
func NewBucket(l Limit) *Bucket {
	burst := max(l.Burst, 1)
	return &Bucket{interval: l.Interval(), tolerance: time.Duration(burst-1) * l.Interval()}
}

// Wait returns how long after now a call would conform; 0 means it may go now.
func (b *Bucket) Wait(now time.Time) time.Duration { return b.waitN(now, 1) }

// waitN returns how long after now the n-th next call would conform, if nothing else
// is taken meanwhile.
func (b *Bucket) waitN(now time.Time, n int) time.Duration {
	tat := b.tat
	if tat.Before(now) {
		tat = now
	}
	d := tat.Add(time.Duration(n-1)*b.interval).Sub(now) - b.tolerance
	return max(d, 0)
}

// Take records a call at now.
func (b *Bucket) Take(now time.Time) {
	if b.tat.Before(now) {
		b.tat = now
	}
	b.tat = b.tat.Add(b.interval)
}

// untake gives back the call taken last.
func (b *Bucket) untake() { b.tat = b.tat.Add(-b.interval) }

// Block lets no call conform before until: the first call at until conforms, and
// the ones after it are paced from there, without a burst.
func (b *Bucket) Block(until time.Time) {
	if t := until.Add(b.tolerance); t.After(b.tat) {
		b.tat = t
	}
}
