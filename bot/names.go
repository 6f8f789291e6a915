package bot

import (
	"context"
	"strings"
	"sync"

	"github.com/slack-go/slack"
)

// maxNames bounds the names a Directory keeps.
const maxNames = 10000

// Directory looks up people's names in Slack (users.info), for what is read
// outside Slack, where <@U123> means nothing: the postmortem. It remembers
// what it found for the life of the process. It is safe for concurrent use.
type Directory struct {
	api *slack.Client

	mu    sync.Mutex
	names map[string]string
}

// NewDirectory returns a Directory that asks Slack through api.
func NewDirectory(api *slack.Client) *Directory {
	return &Directory{api: api, names: map[string]string{}}
}

// Names returns the names of ids that Slack knows: the real name (the wiki
// is read by people who know colleagues by name, not by handle), else the
// display name, else the handle. A failure leaves the
// rest unnamed rather than failing the caller (a draft names people the
// next time it is written); any failure but an unknown user stops the
// lookups at once.
func (d *Directory) Names(ctx context.Context, ids []string) map[string]string {
	out := make(map[string]string, len(ids))
	var ask []string
	d.mu.Lock()
	for _, id := range ids {
		if n, ok := d.names[id]; ok {
			out[id] = n
		} else {
			ask = append(ask, id)
		}
	}
	d.mu.Unlock()
	for _, id := range ask {
		u, err := d.api.GetUserInfoContext(ctx, id)
		if err != nil {
			if c := ErrorCode(err); c == "user_not_found" || c == "user_not_visible" {
				continue
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
