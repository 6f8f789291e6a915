package bot

import (
	"errors"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/incidents"
)

// A title the service would refuse is refused by the grammar, with the
// service's limit, not accepted and then refused with another message.
func TestDeclareCommandUsesTheDomainTitleLimit(t *testing.T) {
	_, err := command.ParseIncident("declare "+strings.Repeat("x", incidents.MaxTitle+30), nil)
	var ue *command.UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("230-character title: err = %v, want a usage error", err)
	}
	if want := "within 200"; !strings.Contains(ue.Error(), want) {
		t.Errorf("230-character title: %q, want it to name the limit (%q)", ue.Error(), want)
	}
	cmd, err := command.ParseIncident("declare "+strings.Repeat("я", incidents.MaxTitle), nil)
	if err != nil || len([]rune(cmd.Title)) != incidents.MaxTitle {
		t.Errorf("200 Cyrillic characters: %+v, %v; want accepted", cmd, err)
	}
}

// The declare form counts characters, not bytes.
func TestDeclareModalCountsCharacters(t *testing.T) {
	form := func(title string) slack.View {
		return slack.View{State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
			BlockTitle: {BlockTitle: {Value: title}},
		}}}
	}
	tests := []struct {
		name, title string
		wantErr     string
	}{
		{"150 Cyrillic characters", strings.Repeat("я", 150), ""},
		{"200 Cyrillic characters", strings.Repeat("я", 200), ""},
		{"201 characters", strings.Repeat("я", 201), "it has 201"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := validateDeclareIn(Lang{}, form(tt.title), nil)
			got := errs[BlockTitle]
			if tt.wantErr == "" && got != "" || tt.wantErr != "" && !strings.Contains(got, tt.wantErr) {
				t.Errorf("title error = %q, want %q", got, tt.wantErr)
			}
		})
	}
}
