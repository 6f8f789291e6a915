package app

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/oncall"
)

// resolveMemberEmails turns schedule members given by email into Slack user
// IDs with users.lookupByEmail, once at start (each email asked once). An
// email Slack does not know stops the start with an error naming it.
func (a *App) resolveMemberEmails(ctx context.Context) error {
	cfg := a.opts.Config
	ids := map[string]string{}
	schedules := slices.Clone(cfg.Schedules)
	for i := range schedules {
		s := &schedules[i]
		s.Rotations = slices.Clone(s.Rotations)
		for j := range s.Rotations {
			r := &s.Rotations[j]
			r.Members = slices.Clone(r.Members)
			for k, m := range r.Members {
				if !oncall.IsEmail(m) {
					continue
				}
				id, ok := ids[m]
				if !ok {
					u, err := a.slack.GetUserByEmailContext(ctx, m)
					if err != nil {
						if bot.ErrorCode(err) == "users_not_found" {
							return fmt.Errorf("schedule %s, rotation %s: no Slack user has the email %s", s.Name, r.Name, m)
						}
						return fmt.Errorf("schedule %s: look up %s: %w", s.Name, m, err)
					}
					id, ids[m] = u.ID, u.ID
				}
				r.Members[k] = id
			}
		}
	}
	if len(ids) > 0 {
		c := *cfg
		c.Schedules = schedules
		a.opts.Config = &c
	}
	return nil
}

// memberLookupTimeout bounds the start-up lookups of members by email.
const memberLookupTimeout = 30 * time.Second
