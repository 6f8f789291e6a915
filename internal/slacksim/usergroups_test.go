package slacksim_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestUsergroupsCreate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sre := e.channel(t, "sre")
	tests := []struct {
		name string
		args url.Values
		want string
	}{
		{"ok", url.Values{"name": {"On-call payments"}, "handle": {"oncall-payments"}, "description": {"Who is on call"}, "channels": {sre}}, ""},
		{"dots and underscores", url.Values{"name": {"SRE leads"}, "handle": {"sre.leads_eu"}}, ""},
		{"no handle", url.Values{"name": {"Handleless"}}, ""},
		{"80-character handle", url.Values{"name": {"Long"}, "handle": {repeat("a", 80)}}, ""},
		{"81-character handle", url.Values{"name": {"Longer"}, "handle": {repeat("a", 81)}}, "bad_handle"},
		{"upper-case handle", url.Values{"name": {"Upper"}, "handle": {"OnCall"}}, "bad_handle"},
		{"handle with a space", url.Values{"name": {"Space"}, "handle": {"on call"}}, "bad_handle"},
		{"handle with @", url.Values{"name": {"At"}, "handle": {"@oncall"}}, "bad_handle"},
		{"empty handle", url.Values{"name": {"Empty"}, "handle": {""}}, "bad_handle"},
		{"special mention", url.Values{"name": {"Here"}, "handle": {"here"}}, "forbidden_handle"},
		{"handle of a group", url.Values{"name": {"Dup"}, "handle": {"oncall-primary"}}, "handle_already_exists"},
		{"handle of a user", url.Values{"name": {"Alice"}, "handle": {"alice"}}, "handle_already_exists"},
		{"handle of a channel", url.Values{"name": {"Channel"}, "handle": {"incidents"}}, "handle_already_exists"},
		{"no name", url.Values{"handle": {"noname"}}, "missing_subteam_name"},
		{"name taken", url.Values{"name": {"on-call (PRIMARY)"}, "handle": {"other"}}, "name_already_exists"},
		{"name too long", url.Values{"name": {repeat("n", 256)}, "handle": {"toolong"}}, "name_too_long"},
		{"description too long", url.Values{"name": {"Desc"}, "description": {repeat("d", 251)}}, "description_too_long"},
		{"unknown channel", url.Values{"name": {"Chan"}, "channels": {"C404"}}, "invalid_channel_provided"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body, _ := e.post(t, "usergroups.create", tt.args)
			got, _ := body["error"].(string)
			if got != tt.want {
				t.Fatalf("usergroups.create %v: error %q, want %q (%v)", tt.args, got, tt.want, body)
			}
			if tt.want != "" {
				return
			}
			g := body["usergroup"].(map[string]any)
			if !strings.HasPrefix(g["id"].(string), "S") || g["name"] != tt.args.Get("name") || g["handle"] != tt.args.Get("handle") ||
				g["is_usergroup"] != true || g["date_delete"] != float64(0) {
				t.Errorf("usergroup %v", g)
			}
		})
	}

	// slack-go's CreateUserGroup and the inspection API agree.
	g, err := e.api.CreateUserGroupContext(ctx, slack.UserGroup{Name: "Secondary", Handle: "oncall-secondary", Description: "second line"})
	if err != nil || g.Handle != "oncall-secondary" || g.Description != "second line" || g.DateCreate.Time().IsZero() {
		t.Fatalf("CreateUserGroup: %v %+v", err, g)
	}
	found := false
	for _, ug := range e.sim.Usergroups() {
		if ug.ID == g.ID {
			found = ug.Handle == "oncall-secondary" && ug.Name == "Secondary" && len(ug.Users) == 0
		}
		if ug.Handle == "oncall-payments" && (len(ug.Channels) != 1 || ug.Channels[0] != sre || ug.Description != "Who is on call") {
			t.Errorf("oncall-payments %+v", ug)
		}
	}
	if !found {
		t.Errorf("Usergroups() lacks %s: %+v", g.ID, e.sim.Usergroups())
	}
}

func TestUsergroupsUpdateAndUsers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	groups, err := e.api.GetUserGroupsContext(ctx)
	if err != nil || len(groups) != 1 {
		t.Fatalf("usergroups.list: %v %+v", err, groups)
	}
	primary := groups[0].ID
	second, err := e.api.CreateUserGroupContext(ctx, slack.UserGroup{Name: "Secondary", Handle: "oncall-secondary"})
	if err != nil {
		t.Fatal(err)
	}

	updates := []struct {
		name string
		args url.Values
		want string
	}{
		{"rename", url.Values{"usergroup": {primary}, "name": {"Primary on-call"}, "handle": {"primary"}}, ""},
		{"same handle again", url.Values{"usergroup": {primary}, "handle": {"primary"}}, ""},
		{"handle of another group", url.Values{"usergroup": {primary}, "handle": {"oncall-secondary"}}, "handle_already_exists"},
		{"name of another group", url.Values{"usergroup": {primary}, "name": {"secondary"}}, "name_already_exists"},
		{"bad handle", url.Values{"usergroup": {primary}, "handle": {"Primary!"}}, "bad_handle"},
		{"empty name", url.Values{"usergroup": {primary}, "name": {" "}}, "missing_subteam_name"},
		{"unknown group", url.Values{"usergroup": {"S404"}, "name": {"x"}}, "no_such_subteam"},
		{"no group", url.Values{"name": {"x"}}, "missing_argument"},
		{"unknown channel", url.Values{"usergroup": {primary}, "channels": {"C404"}}, "invalid_channel_provided"},
	}
	for _, tt := range updates {
		t.Run("update/"+tt.name, func(t *testing.T) {
			_, body, _ := e.post(t, "usergroups.update", tt.args)
			if got, _ := body["error"].(string); got != tt.want {
				t.Fatalf("usergroups.update %v: error %q, want %q", tt.args, got, tt.want)
			}
		})
	}
	g, err := e.api.UpdateUserGroupContext(ctx, primary, slack.UpdateUserGroupsOptionDescription(ptr("who is paged first")))
	if err != nil || g.Name != "Primary on-call" || g.Handle != "primary" || g.Description != "who is paged first" {
		t.Fatalf("UpdateUserGroup: %v %+v", err, g)
	}

	members := []struct {
		name, group, users, want string
	}{
		{"set", primary, "U0002,U0003", ""},
		{"duplicates collapse", second.ID, "U0004, U0004,U0001", ""},
		{"unknown user", primary, "U0001,U404", "invalid_users"},
		{"bot user", primary, "U0SIMBOT1", "invalid_users"},
		{"empty list", primary, "", "no_users_provided"},
		{"only commas", primary, " , ", "no_users_provided"},
		{"unknown group", "S404", "U0001", "no_such_subteam"},
	}
	for _, tt := range members {
		t.Run("users.update/"+tt.name, func(t *testing.T) {
			_, err := e.api.UpdateUserGroupMembersContext(ctx, tt.group, tt.users)
			if got := slackErr(err); got != tt.want {
				t.Fatalf("usergroups.users.update %q: %q, want %q", tt.users, got, tt.want)
			}
		})
	}
	lists := []struct {
		name, group, want string
		users             []string
	}{
		{"primary", primary, "", []string{"U0002", "U0003"}},
		{"secondary", second.ID, "", []string{"U0004", "U0001"}},
		{"unknown", "S404", "no_such_subteam", nil},
	}
	for _, tt := range lists {
		t.Run("users.list/"+tt.name, func(t *testing.T) {
			got, err := e.api.GetUserGroupMembersContext(ctx, tt.group)
			if slackErr(err) != tt.want || strings.Join(got, ",") != strings.Join(tt.users, ",") {
				t.Errorf("usergroups.users.list %s: %v %v, want %v %q", tt.group, got, err, tt.users, tt.want)
			}
		})
	}
	// A failed update changed nothing.
	if got := e.sim.UsergroupUsers("primary"); strings.Join(got, ",") != "U0002,U0003" {
		t.Errorf("UsergroupUsers = %v", got)
	}

	// list: users and counts only when asked; disabled groups only when asked.
	if _, err := e.api.DisableUserGroupContext(ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	all, err := e.api.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeUsers(true), slack.GetUserGroupsOptionIncludeCount(true), slack.GetUserGroupsOptionIncludeDisabled(true))
	if err != nil || len(all) != 2 || all[0].UserCount != 2 || strings.Join(all[0].Users, ",") != "U0002,U0003" || all[1].DateDelete == 0 {
		t.Fatalf("list with users, counts and disabled: %v %+v", err, all)
	}
	enabled, err := e.api.GetUserGroupsContext(ctx)
	if err != nil || len(enabled) != 1 || enabled[0].Users != nil || enabled[0].UserCount != 0 {
		t.Errorf("plain list: %v %+v", err, enabled)
	}
	if _, err := e.api.GetUserGroupMembersContext(ctx, second.ID); slackErr(err) != "no_such_subteam" {
		t.Errorf("users.list of a disabled group: %v", err)
	}
	if got, err := e.api.GetUserGroupMembersContext(ctx, second.ID, slack.GetUserGroupMembersOptionIncludeDisabled(true)); err != nil || len(got) != 2 {
		t.Errorf("users.list include_disabled: %v %v", got, err)
	}
	if g, err := e.api.EnableUserGroupContext(ctx, second.ID); err != nil || g.DateDelete != 0 {
		t.Errorf("enable: %v %+v", err, g)
	}
}

func ptr[T any](v T) *T { return &v }
