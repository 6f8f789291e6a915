package app

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/oncall"
)

// userByEmail is the one Slack call the member lookup makes.
type userByEmail interface {
	GetUserByEmailContext(ctx context.Context, email string) (*slack.User, error)
}

// resolveMemberEmails returns cfg with schedule members given by email
// turned into Slack user IDs with users.lookupByEmail (each email asked
// once); cfg itself is left as it is, and returned when no member is an
// email. An email Slack does not know stops the start with an error naming
// it.
func resolveMemberEmails(ctx context.Context, users userByEmail, cfg *config.Config) (*config.Config, error) {
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
					u, err := users.GetUserByEmailContext(ctx, m)
					if err != nil {
						if bot.ErrorCode(err) == "users_not_found" {
							return nil, fmt.Errorf("schedule %s, rotation %s: no Slack user has the email %s", s.Name, r.Name, m)
						}
						return nil, fmt.Errorf("schedule %s: look up %s: %w", s.Name, m, err)
					}
					id, ids[m] = u.ID, u.ID
				}
				r.Members[k] = id
			}
		}
	}
	if len(ids) == 0 {
		return cfg, nil
	}
	c := *cfg
	c.Schedules = schedules
	return &c, nil
}

// memberLookupTimeout bounds the start-up lookups of members by email.
const memberLookupTimeout = 30 * time.Second
