package command

import (
	"errors"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/postmortem"
)

func TestParseIncidentPostmortem(t *testing.T) {
	tests := []struct {
		text   string
		number int64
		want   postmortem.Status
	}{
		{"postmortem", 0, ""},
		{"#7 postmortem", 7, ""},
		{"postmortem status draft", 0, postmortem.StatusDraft},
		{"postmortem status in-review", 0, postmortem.StatusInReview},
		{"postmortem status in review", 0, postmortem.StatusInReview},
		{"POSTMORTEM Status FINAL", 0, postmortem.StatusFinal},
		{"#3 postmortem status final", 3, postmortem.StatusFinal},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			cmd, err := ParseIncident(tt.text, nil)
			if err != nil {
				t.Fatalf("ParseIncident(%q): %v", tt.text, err)
			}
			if cmd.Verb != VerbPostmortem || cmd.Incident != tt.number || cmd.PostmortemStatus != tt.want {
				t.Errorf("got verb %s #%d status %q, want postmortem #%d %q", cmd.Verb, cmd.Incident, cmd.PostmortemStatus, tt.number, tt.want)
			}
		})
	}
}

func TestParseIncidentPostmortemErrors(t *testing.T) {
	usage := "/incident postmortem [status draft|in-review|final]"
	for text, wantMsg := range map[string]string{
		"postmortem now":                 `not "now"`,
		"postmortem status":              "needs one of draft, in-review, final.",
		"postmortem status done":         `not "done"`,
		"postmortem status in review ok": "needs one of draft, in-review, final.",
		"postmortem status <@U1>":        "not ",
	} {
		t.Run(text, func(t *testing.T) {
			_, err := ParseIncident(text, nil)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseIncident(%q) = %v, want a *UsageError", text, err)
			}
			if !strings.Contains(ue.Msg, wantMsg) || ue.Usage != usage {
				t.Errorf("got %q (usage %q), want %q (usage %q)", ue.Msg, ue.Usage, wantMsg, usage)
			}
		})
	}
}
