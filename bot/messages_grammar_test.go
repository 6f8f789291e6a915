package bot

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/oncall"
)

// grammarEnglish are words of the English answers that no Russian answer
// may keep (command words such as status or override stay English).
var grammarEnglish = []string{"Usage", "needs", "takes", " not ", "Unknown", "There is", "Say what", "give a",
	"is extra", "write it", "numbers start", "characters", "the ", "Name one", "must be after", "bad time"}

func TestGrammarErrorsInRussian(t *testing.T) {
	ru := russian(t)
	tests := []struct {
		cmd, text string
		want      []string
	}{
		{CommandIncident, "explode now", []string{"Неизвестная подкоманда \"explode\"; список — в `/incident help`.",
			"Формат: `/incident [#&lt;номер&gt;] &lt;declare|ack|"}},
		{CommandIncident, "#42", []string{"Что сделать с инцидентом #42? Например: /incident #42 timeline."}},
		{CommandIncident, "#abc note x", []string{`"#abc" — не номер инцидента; пишите его так: #42.`}},
		{CommandIncident, "#0 note x", []string{"номера начинаются с #1."}},
		{CommandIncident, "#3 list", []string{"list не принимает номер инцидента."}},
		{CommandIncident, "declare " + strings.Repeat("x", 230), []string{"В заголовке 230 символов; допустимо не больше 200."}},
		{CommandIncident, "status sleeping", []string{"Для `status` укажите одно из: `investigating`, `identified`, `monitoring`, `resolved` — а не \"sleeping\".",
			"Формат: `/incident status &lt;investigating|identified|monitoring|resolved&gt;`"}},
		{CommandIncident, "severity sev9", []string{"Для `severity` укажите одно из: `sev1, sev2, sev3, sev4` — а не \"sev9\"."}},
		{CommandIncident, "commander", []string{"Для commander укажите ровно одного @пользователя.", "Формат: `/incident commander @пользователь`"}},
		{CommandIncident, "commander bob", []string{`Для commander нужен @пользователь, а не "bob".`}},
		{CommandIncident, "role comms bob", []string{`В конце role должен стоять @пользователь, а не "bob".`}},
		{CommandIncident, "role " + strings.Repeat("a", 50) + " @bob", []string{"Название роли слишком длинное; допустимо не больше 40 символов."}},
		{CommandIncident, "role c!m @bob", []string{`В названии роли допустимы только буквы, цифры, пробелы, - и _; "!" использовать нельзя.`}},
		{CommandIncident, "note", []string{"Для note нужен текст заметки.", "Формат: `/incident note &lt;текст&gt;`"}},
		{CommandIncident, "action", []string{"Для action опишите, что нужно сделать."}},
		{CommandIncident, "action done", []string{"Для action done укажите номер задачи, например: /incident action done 2."}},
		{CommandIncident, "action fix it due someday", []string{`После due нужна дата, например 2026-12-24, today, tomorrow, +3d, +2w, fri, а не "someday".`}},
		{CommandIncident, "list foo", []string{"list принимает либо ничего, либо actions и, по желанию, @ответственного."}},
		{CommandIncident, "list actions bob", []string{`list actions принимает @ответственного, а не "bob".`}},
		{CommandIncident, "postmortem foo", []string{`postmortem принимает либо ничего, либо status и одно из: draft, in-review, final — а не "foo".`}},
		{CommandIncident, "postmortem status", []string{"Для `postmortem status` укажите одно из: `draft`, `in-review`, `final`."}},
		{CommandIncident, "postmortem status bogus", []string{`— а не "bogus".`}},
		{CommandIncident, "page", []string{"Для page укажите одно расписание или одного @пользователя."}},
		{CommandIncident, "page !!", []string{`Для page нужно имя расписания или @пользователь, а не "!!".`,
			"Формат: `/incident page &lt;расписание|@пользователь&gt; [сообщение]`"}},
		{CommandIncident, "stats 7d checkout extra", []string{"stats принимает только период и сервис."}},
		{CommandIncident, "stats 14d", []string{`stats принимает один период — 7d, 30d или 90d, а не "14d".`}},
		{CommandIncident, "stats !!", []string{`stats принимает период (7d, 30d или 90d) и одно имя сервиса, а не "!!".`}},
		{CommandIncident, "cause", []string{"Для cause укажите слово deploy и id деплоя, например: /incident cause deploy d-1a2b3c4d5e6f."}},
		{CommandIncident, "cause deploy a&b", []string{`"a&amp;b" — не id деплоя.`}},
		{CommandIncident, "help a b", []string{"help принимает не больше одной подкоманды."}},
		{CommandIncident, "help zzz", []string{`Подкоманды "zzz" нет.`, "Формат: `/incident help [подкоманда]`"}},
		{CommandIncident, "ack now", []string{"ack не принимает аргументов."}},

		{CommandOncall, "prim@ry", []string{`"prim@ry" — не подкоманда и не имя расписания.`, "Формат: `/oncall [&lt;расписание&gt; | override"}},
		{CommandOncall, "primary secondary", []string{`Укажите одно расписание; "secondary" — лишнее.`, "Формат: `/oncall &lt;расписание&gt;`"}},
		{CommandOncall, "help me", []string{"help не принимает аргументов.", "Формат: `/oncall help`"}},
		{CommandOncall, "handoff a b", []string{"handoff принимает не больше одного расписания."}},
		{CommandOncall, "overrides <@U1>", []string{`"&lt;@U1&gt;" — не имя расписания.`}},
		{CommandOncall, "override", []string{"Для override укажите расписание, @пользователя, начало и конец.",
			"Формат: `/oncall override &lt;расписание&gt; @пользователь &lt;начало&gt; &lt;конец&gt;`"}},
		{CommandOncall, "override primary bob x y", []string{`После расписания в override нужен @пользователь, а не "bob".`}},
		{CommandOncall, "override primary @bob", []string{"Укажите время начала и конца."}},
		{CommandOncall, "override primary @bob soon 2026-03-01T10:00", []string{"\"soon\" — не время; пишите одно из: `now, +8h,"}},
		{CommandOncall, "override primary @bob 2026-03-01T09:00 2026-03-01T10:00 later", []string{`Укажите только начало и конец; "later" — лишнее.`}},
		{CommandOncall, "override remove", []string{"Для override remove укажите один ID замены; список замен — в /oncall overrides."}},
		{CommandOncall, "load 5d", []string{`"5d" — не период; используйте 7d, 30d или 90d.`}},
		{CommandOncall, "load 7d 30d", []string{"load принимает не больше одного периода."}},
		{CommandOncall, "cover", []string{"Для cover укажите расписание, начало и конец.", "Формат: `/oncall cover &lt;расписание&gt; &lt;начало&gt; &lt;конец&gt;`"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			var err error
			if tt.cmd == CommandOncall {
				_, err = ParseOncall(tt.text)
			} else {
				_, err = ParseIncident(tt.text, nil)
			}
			if err == nil {
				t.Fatalf("%s %s parsed", tt.cmd, tt.text)
			}
			got := parseErrorText(ru, err)
			for _, want := range tt.want {
				if !strings.Contains(got, want) {
					t.Errorf("Russian answer to %q lacks %q:\n%s", tt.text, want, got)
				}
			}
			assertNoEnglish(t, got, tt.text)
		})
	}
}

func assertNoEnglish(t *testing.T, got, what string) {
	t.Helper()
	for _, english := range grammarEnglish {
		if strings.Contains(got, english) {
			t.Errorf("Russian answer to %q still says %q:\n%s", what, english, got)
		}
	}
}

// TestParseErrorTextEnglish holds the English answer to what the handler
// wrote before the templates: the message, then the usage line in code.
func TestParseErrorTextEnglish(t *testing.T) {
	for _, text := range []string{"status sleeping", "#abc", "page <!channel>", "cause deploy a&b", "role c<m @bob"} {
		_, err := ParseIncident(text, nil)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Fatalf("ParseIncident(%q) = %v", text, err)
		}
		want := fmt.Sprintf("%s\nUsage: `%s`", slacktext.Escape(ue.Msg), slacktext.Escape(ue.Usage))
		if got := parseErrorText(Lang{}, err); got != want {
			t.Errorf("parseErrorText(%q) = %q, want %q", text, got, want)
		}
	}
	if got := parseErrorText(Lang{}, errors.New("a <b>")); got != "a &lt;b&gt;" {
		t.Errorf("parseErrorText(other error) = %q", got)
	}
	hand := &UsageError{Msg: "Built <by> hand.", Usage: "/x"}
	if got := parseErrorText(russian(t), hand); got != "Built &lt;by&gt; hand.\nФормат: `/x`" {
		t.Errorf("parseErrorText(hand-built) = %q", got)
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

func TestHelpInRussian(t *testing.T) {
	ru := russian(t)
	inc := IncidentUsageIn(ru)
	for _, want := range []string{
		"Как пользоваться /incident (в канале инцидента команда относится к его инциденту; в других каналах сначала укажите #<номер>, например: /incident #42 note …):",
		"/incident declare <заголовок> [sev1..sev4] — открыть новый инцидент (без заголовка — открыть форму)",
		"/incident action <текст> [@ответственный] [due <дата>] | action done|reopen <номер> — записать задачу (срок: 2026-12-24, today, tomorrow, +3d, +2w, fri), отметить её выполненной или открыть снова",
		"/incident ack — подтвердить: вы занимаетесь инцидентом (вызовы прекращаются)",
		"/incident help [подкоманда] — показать эту справку",
	} {
		if !strings.Contains(inc, want) {
			t.Errorf("Russian /incident help lacks %q:\n%s", want, inc)
		}
	}
	if got := strings.Count(inc, "\n"); got != len(IncidentVerbs()) {
		t.Errorf("Russian /incident help has %d lines after the first, want %d", got, len(IncidentVerbs()))
	}
	if got, want := IncidentHelpIn(ru, VerbStatus), "/incident status <investigating|identified|monitoring|resolved> — сменить статус"; got != want {
		t.Errorf("IncidentHelpIn(ru, status) = %q, want %q", got, want)
	}
	if got := IncidentHelpIn(ru, ""); got != inc {
		t.Errorf("IncidentHelpIn(ru, \"\") is not the whole help: %q", got)
	}
	onc := OncallUsageIn(ru)
	for _, want := range []string{
		"Как пользоваться /oncall:",
		"/oncall [now] — кто дежурит сейчас, по всем расписаниям",
		"/oncall override <расписание> @пользователь <начало> <конец> — поставить кого-то дежурить на время",
		"<начало> и <конец> — в часовом поясе расписания: now, +8h,",
		"/oncall help — показать эту справку",
	} {
		if !strings.Contains(onc, want) {
			t.Errorf("Russian /oncall help lacks %q:\n%s", want, onc)
		}
	}
	if got, want := OncallOverride.UsageIn(ru), "/oncall override <расписание> @пользователь <начало> <конец>"; got != want {
		t.Errorf("OncallOverride.UsageIn(ru) = %q, want %q", got, want)
	}
	for _, english := range []string{"Usage", "open a new", "show this help", "who is on call", "the schedule", "<schedule>", "<title>", "@user"} {
		if strings.Contains(inc+onc, english) {
			t.Errorf("Russian help still says %q", english)
		}
	}
	// English stays what it was.
	if IncidentUsageIn(Lang{}) != IncidentUsage() || OncallUsageIn(Lang{}) != OncallUsage() {
		t.Error("the English help differs from IncidentUsage/OncallUsage")
	}
}
