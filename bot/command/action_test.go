package command

import (
	"errors"
	"strings"
	"testing"
)

func TestParseIncidentActions(t *testing.T) {
	tests := []struct {
		text              string
		wantText, wantDue string
		wantOwner         string
		mark              string
		id                int
	}{
		{"action add a replica", "add a replica", "", "", "", 0},
		{"action add a replica <@U0002|bob>", "add a replica", "", "U0002", "", 0},
		{"action add a replica due 2026-12-24", "add a replica", "2026-12-24", "", "", 0},
		{"action add a replica <@U0002> due tomorrow", "add a replica", "tomorrow", "U0002", "", 0},
		{"action add a replica due +3d <@U0002>", "add a replica", "+3d", "U0002", "", 0},
		{"action add a replica due FRI", "add a replica", "fri", "", "", 0},
		{"action due", "due", "", "", "", 0},
		{"action done 2", "", "", "", ActionMarkDone, 2},
		{"action reopen #3", "", "", "", ActionMarkReopen, 3},
		{"action done the migration", "done the migration", "", "", "", 0},
		{"action done soon", "done soon", "", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			cmd, err := ParseIncident(tt.text, nil)
			if err != nil {
				t.Fatalf("ParseIncident(%q): %v", tt.text, err)
			}
			if cmd.Verb != VerbAction || cmd.Text != tt.wantText || cmd.Due != tt.wantDue || cmd.User.ID != tt.wantOwner ||
				cmd.ActionMark != tt.mark || cmd.ActionID != tt.id {
				t.Errorf("got text %q due %q owner %q mark %q id %d; want %q %q %q %q %d", cmd.Text, cmd.Due, cmd.User.ID,
					cmd.ActionMark, cmd.ActionID, tt.wantText, tt.wantDue, tt.wantOwner, tt.mark, tt.id)
			}
		})
	}
}

func TestParseIncidentListActions(t *testing.T) {
	cmd, err := ParseIncident("list actions <@U0002|bob>", nil)
	if err != nil || !cmd.ListActions || cmd.User.ID != "U0002" {
		t.Errorf("list actions @bob = %+v, %v", cmd, err)
	}
	cmd, err = ParseIncident("list", nil)
	if err != nil || cmd.ListActions {
		t.Errorf("list = %+v, %v", cmd, err)
	}
	for text, want := range map[string]string{
		"list actions bob extra":    "list takes nothing, or actions",
		"list actions #4":           `list actions takes an @owner, not "#4"`,
		"action done":               "action done needs the action's number",
		"action fix it due someday": `due takes a date such as 2026-12-24, today, tomorrow, +3d, +2w, fri, not "someday"`,
		"action fix it due +99999d": "due takes a date",
	} {
		_, err := ParseIncident(text, nil)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(ue.Msg, want) {
			t.Errorf("ParseIncident(%q) = %v, want a usage error containing %q", text, err, want)
		}
	}
}
