package templates

import (
	"errors"
	"testing"
)

func TestMessages(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := Notice{Number: 42, Title: "<!channel> & <https://evil.example|x>", URL: "https://bot.example/postmortems/42", Status: "final",
		File: "2026-11-28-inc-42-x.incidentbot.md", Edited: "2026-11-28-inc-42-x.md"}
	tests := []struct {
		loc  Locale
		name string
		want string
	}{
		{EN, MsgPostmortemDraft, ":memo: The postmortem draft of *INC-42: &lt;!channel&gt; &amp; &lt;https://evil.example|x&gt;* is ready: <https://bot.example/postmortems/42|open it>. The bot rewrites it as the incident changes until it is final (`/incident postmortem status final`)."},
		{RU, MsgPostmortemStatus, "Постмортем *INC-42: &lt;!channel&gt; &amp; &lt;https://evil.example|x&gt;* теперь в статусе *Окончательный*. Бот больше не будет его переписывать."},
		{EN, MsgPostmortemConflict, ":warning: Someone edited `2026-11-28-inc-42-x.md` in the postmortem export since the bot wrote it, so it was left as it is. The new draft of INC-42 is beside it in `2026-11-28-inc-42-x.incidentbot.md`."},
	}
	for _, tt := range tests {
		got, err := s.Message(tt.loc, tt.name, n)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.loc, tt.name, err)
		}
		if got != tt.want {
			t.Errorf("%s %s:\ngot  %q\nwant %q", tt.loc, tt.name, got, tt.want)
		}
	}
	if _, err := s.Message(EN, "nope", n); !errors.Is(err, ErrNoMessage) {
		t.Errorf("unknown message: error = %v, want ErrNoMessage", err)
	}
	if _, err := s.Message("fr", MsgPostmortemDraft, n); !errors.Is(err, ErrLocale) {
		t.Errorf("unknown locale: error = %v, want ErrLocale", err)
	}
	if got, want := SlackLink("javascript:alert(1)", "a|b <c>"), "a¦b &lt;c&gt;"; got != want {
		t.Errorf("SlackLink to javascript: = %q, want %q", got, want)
	}
}
