package bot

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/oncall"
)

// TestEveryVerbHasARunner holds the handler's run tables to the grammar's
// verb tables: a verb added to one and not the other fails here.
func TestEveryVerbHasARunner(t *testing.T) {
	check := func(cmd string, verbs []string, runners []string) {
		for _, v := range verbs {
			if !slices.Contains(runners, v) {
				t.Errorf("%s %s parses but has no runner", cmd, v)
			}
		}
		for _, v := range runners {
			if !slices.Contains(verbs, v) {
				t.Errorf("%s %s has a runner but no verb in the grammar", cmd, v)
			}
		}
	}
	var verbs, runners []string
	for _, v := range command.IncidentVerbs() {
		verbs = append(verbs, string(v))
	}
	for v := range incidentRunners {
		runners = append(runners, string(v))
	}
	check(commandIncident, verbs, runners)
	verbs, runners = nil, nil
	for _, v := range command.OncallVerbs() {
		verbs = append(verbs, string(v))
	}
	for v := range oncallRunners {
		runners = append(runners, string(v))
	}
	check(commandOncall, verbs, runners)
}

func TestOncallWindowInScheduleZone(t *testing.T) {
	almaty, err := time.LoadLocation("Asia/Almaty")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	now := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC) // 08:00 in Almaty
	cmd, err := command.ParseOncall("override primary @bob 2026-03-01T09:00 +9h")
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{}
	from, to, bad := h.oncallWindow(cmd, now, almaty)
	if bad != nil {
		t.Fatalf("oncallWindow() refused: %s", bad.Text)
	}
	if want := time.Date(2026, 3, 1, 9, 0, 0, 0, almaty); !from.Equal(want) {
		t.Errorf("from = %v, want %v", from, want)
	}
	if want := time.Date(2026, 3, 1, 18, 0, 0, 0, almaty); !to.Equal(want) {
		t.Errorf("to = %v, want %v", to, want)
	}
	cmd, _ = command.ParseOncall("override primary @bob 2026-03-01T10:00 2026-03-01T09:00")
	if _, _, bad := h.oncallWindow(cmd, now, almaty); bad == nil || !strings.Contains(bad.Text, "must be after") {
		t.Errorf("oncallWindow(end before start) = %+v, want an answer saying so", bad)
	}
}

func TestDueErrorTextInRussian(t *testing.T) {
	ru := russian(t)
	now := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	for in, want := range map[string]string{
		"someday":    `"someday" — не дата срока. Срок пишется так: 2026-12-24, today, tomorrow, +3d, +2w, fri.`,
		"2099-01-01": `Срок "2099-01-01" слишком далеко в будущем. Срок пишется так: 2026-12-24,`,
		"<b>":        `"&lt;b&gt;" — не дата срока.`,
	} {
		_, err := oncall.DueDate(in, now, time.UTC)
		if err == nil {
			t.Fatalf("DueDate(%q) accepted", in)
		}
		if got := dueErrorText(ru, err); !strings.Contains(got, want) || strings.Contains(got, "due date") {
			t.Errorf("dueErrorText(ru, %q) = %q, want %q", in, got, want)
		}
		// English: what actions.go wrote before the templates.
		if got, want := dueErrorText(Lang{}, err), fmt.Sprintf("%s. Due dates look like %s.", slacktext.Escape(err.Error()), oncall.DueForms); got != want {
			t.Errorf("dueErrorText(en, %q) = %q, want %q", in, got, want)
		}
	}
}
