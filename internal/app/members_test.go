package app

import (
	"context"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/internal/config"
)

type fakeUsers map[string]string

func (f fakeUsers) GetUserByEmailContext(_ context.Context, email string) (*slack.User, error) {
	return &slack.User{ID: f[email]}, nil
}

// The config passed in stays as it was: the resolved one is a new value
// that New settles on before any wiring.
func TestResolveMemberEmailsLeavesTheGivenConfig(t *testing.T) {
	cfg := config.Default()
	withPaging(cfg)
	cfg.Schedules[1].Rotations[0].Members = []string{"dave@example.com", "U1"}
	got, err := resolveMemberEmails(t.Context(), fakeUsers{"dave@example.com": "U9"}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if m := got.Schedules[1].Rotations[0].Members; m[0] != "U9" || m[1] != "U1" {
		t.Errorf("resolved members = %v, want [U9 U1]", m)
	}
	if m := cfg.Schedules[1].Rotations[0].Members; m[0] != "dave@example.com" {
		t.Errorf("the given config changed: members = %v", m)
	}
	if same, err := resolveMemberEmails(t.Context(), fakeUsers{}, config.Default()); err != nil || same == nil {
		t.Errorf("no emails: %v, %v", same, err)
	}
}
