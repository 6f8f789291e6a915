package bot

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/pace"
)

// maxNames bounds the names a Directory keeps.
const maxNames = 10000

// lookupPause is how long a Directory asks Slack nothing after a failure
// (rate limited, Slack away), so readers of the web view do not each wait
// for Slack in turn.
const lookupPause = time.Minute

// Directory looks up people's names in Slack (users.info), for what is read
// outside Slack, where <@U123> means nothing: the postmortem and the web view.
// It remembers what it found for the life of the process, and the IDs Slack
// does not know. It is safe for concurrent use.
type Directory struct {
	api *slack.Client
	// Now is the clock of the pause after a failure; nil is time.Now.
	Now func() time.Time

	mu          sync.Mutex
	names       map[string]string
	unknown     map[string]bool
	pausedUntil time.Time
}

// NewDirectory returns a Directory that asks Slack through api.
func NewDirectory(api *slack.Client) *Directory {
	return &Directory{api: api, names: map[string]string{}, unknown: map[string]bool{}}
}

func (d *Directory) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Names returns the names of ids that Slack knows: the real name (the wiki
// is read by people who know colleagues by name, not by handle), else the
// display name, else the handle. A failure leaves the
// rest unnamed rather than failing the caller (a draft names people the
// next time it is written); any failure but an unknown user stops the
// lookups at once, and for lookupPause after it only remembered names are
// returned. Slack calls run at cosmetic priority: a page never waits for a name.
func (d *Directory) Names(ctx context.Context, ids []string) map[string]string {
	out := make(map[string]string, len(ids))
	var ask []string
	d.mu.Lock()
	paused := d.now().Before(d.pausedUntil)
	for _, id := range ids {
		if n, ok := d.names[id]; ok {
			out[id] = n
		} else if !d.unknown[id] && !paused {
			ask = append(ask, id)
		}
	}
	d.mu.Unlock()
	ctx = pace.WithPriority(ctx, pace.Cosmetic)
	for _, id := range ask {
		u, err := d.api.GetUserInfoContext(ctx, id)
		if err != nil {
			if c := ErrorCode(err); c == "user_not_found" || c == "user_not_visible" {
				d.mu.Lock()
				if len(d.unknown) < maxNames {
					d.unknown[id] = true
				}
				d.mu.Unlock()
				continue
			}
			if ctx.Err() == nil { // the caller's deadline is no failure of Slack's
				d.mu.Lock()
				d.pausedUntil = d.now().Add(lookupPause)
				d.mu.Unlock()
			}
			break // rate-limited, or Slack is away: the next draft tries again
		}
		n := displayName(u)
		if n == "" {
			continue
		}
		out[id] = n
		d.mu.Lock()
		if len(d.names) < maxNames {
			d.names[id] = n
		}
		d.mu.Unlock()
	}
	return out
}

func displayName(u *slack.User) string {
	for _, n := range []string{u.Profile.RealName, u.RealName, u.Profile.DisplayName, u.Name} {
		if n = strings.TrimSpace(n); n != "" {
			return n
		}
	}
	return ""
}
