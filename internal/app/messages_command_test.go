package app

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/internal/config"
)

// withRussian is withSlack with locale: ru.
func withRussian(c *config.Config) {
	withSlack(c)
	c.Locale = "ru"
}

// replyText is the text of a slash command's JSON answer.
func replyText(t *testing.T, body string) string {
	t.Helper()
	var r struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	return r.Text
}

// TestRussianCommandRepliesThroughTheApp drives /incident through the whole
// app with locale: ru: the app hands its Lang to the handler, and the
// postmortem refusal the app writes is Russian too.
func TestRussianCommandRepliesThroughTheApp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{manual: true, config: withRussian})
	general := h.channelID("general")

	if got, want := replyText(t, h.command("U0002", general, "declare Checkout errors sev2")),
		"<@U0002> объявил(а) инцидент #1 (sev2): Checkout errors. Канал инцидента уже создаётся."; got != want {
		t.Fatalf("declare = %q, want %q", got, want)
	}
	h.settle()
	ch := h.channel(1)
	if got := replyText(t, h.command("U0002", ch.ID, "resolve bad config")); got != "<@U0002> решил(а) инцидент #1: bad config" {
		t.Errorf("resolve = %q", got)
	}
	h.settle()
	h.command("U0002", ch.ID, "postmortem status final")
	h.settle()
	if got, want := replyText(t, h.command("U0002", ch.ID, "postmortem status final")),
		"Постмортем инцидента #1 уже в статусе «Окончательный»."; got != want {
		t.Errorf("final again = %q, want %q", got, want)
	}

	got := replyText(t, h.command("U0002", general, "stats 7d"))
	if !strings.HasPrefix(got, "Статистика инцидентов за последние 7 дней, все сервисы: ") || !strings.HasSuffix(got, ", 0 открыто") {
		t.Errorf("stats = %q", got)
	}
	if got := replyText(t, h.command("U0002", general, "list")); got != "Открытых инцидентов нет. :tada:" {
		t.Errorf("list = %q", got)
	}
}
