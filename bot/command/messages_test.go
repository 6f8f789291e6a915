package command

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/templates"
)

// grammarEnglish are words of the English answers that no Russian answer
// may keep (command words such as status or override stay English).
var grammarEnglish = []string{"Usage", "needs", "takes", " not ", "Unknown", "There is", "Say what", "give a",
	"is extra", "write it", "numbers start", "characters", "the ", "Name one", "must be after", "bad time"}

func russian(t testing.TB) templates.Lang {
	t.Helper()
	set, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return set.Lang(templates.RU)
}

func TestGrammarErrorsInRussian(t *testing.T) {
	ru := russian(t)
	tests := []struct {
		cmd, text string
		want      []string
	}{
		{"/incident", "explode now", []string{"Неизвестная подкоманда \"explode\"; список — в `/incident help`.",
			"Формат: `/incident [#&lt;номер&gt;] &lt;declare|ack|"}},
		{"/incident", "#42", []string{"Что сделать с инцидентом #42? Например: /incident #42 timeline."}},
		{"/incident", "#abc note x", []string{`"#abc" — не номер инцидента; пишите его так: #42.`}},
		{"/incident", "#0 note x", []string{"номера начинаются с #1."}},
		{"/incident", "#3 list", []string{"list не принимает номер инцидента."}},
		{"/incident", "declare " + strings.Repeat("x", 230), []string{"В заголовке 230 символов; допустимо не больше 200."}},
		{"/incident", "status sleeping", []string{"Для `status` укажите одно из: `investigating`, `identified`, `monitoring`, `resolved` — а не \"sleeping\".",
			"Формат: `/incident status &lt;investigating|identified|monitoring|resolved&gt;`"}},
		{"/incident", "severity sev9", []string{"Для `severity` укажите одно из: `sev1, sev2, sev3, sev4` — а не \"sev9\"."}},
		{"/incident", "commander", []string{"Для commander укажите ровно одного @пользователя.", "Формат: `/incident commander @пользователь`"}},
		{"/incident", "commander bob", []string{`Для commander нужен @пользователь, а не "bob".`}},
		{"/incident", "role comms bob", []string{`В конце role должен стоять @пользователь, а не "bob".`}},
		{"/incident", "role " + strings.Repeat("a", 50) + " @bob", []string{"Название роли слишком длинное; допустимо не больше 40 символов."}},
		{"/incident", "role c!m @bob", []string{`В названии роли допустимы только буквы, цифры, пробелы, - и _; "!" использовать нельзя.`}},
		{"/incident", "note", []string{"Для note нужен текст заметки.", "Формат: `/incident note &lt;текст&gt;`"}},
		{"/incident", "action", []string{"Для action опишите, что нужно сделать."}},
		{"/incident", "action done", []string{"Для action done укажите номер задачи, например: /incident action done 2."}},
		{"/incident", "action fix it due someday", []string{`После due нужна дата, например 2026-12-24, today, tomorrow, +3d, +2w, fri, а не "someday".`}},
		{"/incident", "list foo", []string{"list принимает либо ничего, либо actions и, по желанию, @ответственного."}},
		{"/incident", "list actions bob", []string{`list actions принимает @ответственного, а не "bob".`}},
		{"/incident", "postmortem foo", []string{`postmortem принимает либо ничего, либо status и одно из: draft, in-review, final — а не "foo".`}},
		{"/incident", "postmortem status", []string{"Для `postmortem status` укажите одно из: `draft`, `in-review`, `final`."}},
		{"/incident", "postmortem status bogus", []string{`— а не "bogus".`}},
		{"/incident", "page", []string{"Для page укажите одно расписание или одного @пользователя."}},
		{"/incident", "page !!", []string{`Для page нужно имя расписания или @пользователь, а не "!!".`,
			"Формат: `/incident page &lt;расписание|@пользователь&gt; [сообщение]`"}},
		{"/incident", "stats 7d checkout extra", []string{"stats принимает только период и сервис."}},
		{"/incident", "stats 14d", []string{`stats принимает один период — 7d, 30d или 90d, а не "14d".`}},
		{"/incident", "stats !!", []string{`stats принимает период (7d, 30d или 90d) и одно имя сервиса, а не "!!".`}},
		{"/incident", "cause", []string{"Для cause укажите слово deploy и id деплоя, например: /incident cause deploy d-1a2b3c4d5e6f."}},
		{"/incident", "cause deploy a&b", []string{`"a&amp;b" — не id деплоя.`}},
		{"/incident", "help a b", []string{"help принимает не больше одной подкоманды."}},
		{"/incident", "help zzz", []string{`Подкоманды "zzz" нет.`, "Формат: `/incident help [подкоманда]`"}},
		{"/incident", "ack now", []string{"ack не принимает аргументов."}},

		{"/oncall", "prim@ry", []string{`"prim@ry" — не подкоманда и не имя расписания.`, "Формат: `/oncall [&lt;расписание&gt; | override"}},
		{"/oncall", "primary secondary", []string{`Укажите одно расписание; "secondary" — лишнее.`, "Формат: `/oncall &lt;расписание&gt;`"}},
		{"/oncall", "help me", []string{"help не принимает аргументов.", "Формат: `/oncall help`"}},
		{"/oncall", "handoff a b", []string{"handoff принимает не больше одного расписания."}},
		{"/oncall", "overrides <@U1>", []string{`"&lt;@U1&gt;" — не имя расписания.`}},
		{"/oncall", "override", []string{"Для override укажите расписание, @пользователя, начало и конец.",
			"Формат: `/oncall override &lt;расписание&gt; @пользователь &lt;начало&gt; &lt;конец&gt;`"}},
		{"/oncall", "override primary bob x y", []string{`После расписания в override нужен @пользователь, а не "bob".`}},
		{"/oncall", "override primary @bob", []string{"Укажите время начала и конца."}},
		{"/oncall", "override primary @bob soon 2026-03-01T10:00", []string{"\"soon\" — не время; пишите одно из: `now, +8h,"}},
		{"/oncall", "override primary @bob 2026-03-01T09:00 2026-03-01T10:00 later", []string{`Укажите только начало и конец; "later" — лишнее.`}},
		{"/oncall", "override remove", []string{"Для override remove укажите один ID замены; список замен — в /oncall overrides."}},
		{"/oncall", "load 5d", []string{`"5d" — не период; используйте 7d, 30d или 90d.`}},
		{"/oncall", "load 7d 30d", []string{"load принимает не больше одного периода."}},
		{"/oncall", "cover", []string{"Для cover укажите расписание, начало и конец.", "Формат: `/oncall cover &lt;расписание&gt; &lt;начало&gt; &lt;конец&gt;`"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			var err error
			if tt.cmd == "/oncall" {
				_, err = ParseOncall(tt.text)
			} else {
				_, err = ParseIncident(tt.text, nil)
			}
			if err == nil {
				t.Fatalf("%s %s parsed", tt.cmd, tt.text)
			}
			got := ErrorText(ru, err)
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
		if got := ErrorText(templates.Lang{}, err); got != want {
			t.Errorf("ErrorText(%q) = %q, want %q", text, got, want)
		}
	}
	if got := ErrorText(templates.Lang{}, errors.New("a <b>")); got != "a &lt;b&gt;" {
		t.Errorf("ErrorText(other error) = %q", got)
	}
	hand := &UsageError{Msg: "Built <by> hand.", Usage: "/x"}
	if got := ErrorText(russian(t), hand); got != "Built &lt;by&gt; hand.\nФормат: `/x`" {
		t.Errorf("ErrorText(hand-built) = %q", got)
	}
}

func TestHelpInRussian(t *testing.T) {
	ru := russian(t)
	inc := IncidentHelpText(ru, "")
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
	if got, want := IncidentHelpText(ru, VerbStatus), "/incident status <investigating|identified|monitoring|resolved> — сменить статус"; got != want {
		t.Errorf("IncidentHelpText(ru, status) = %q, want %q", got, want)
	}
	if got := IncidentHelpText(ru, ""); got != inc {
		t.Errorf("IncidentHelpText(ru, \"\") is not the whole help: %q", got)
	}
	onc := OncallHelpText(ru)
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
	if got, want := OncallOverride.Usage(ru), "/oncall override <расписание> @пользователь <начало> <конец>"; got != want {
		t.Errorf("OncallOverride.Usage(ru) = %q, want %q", got, want)
	}
	for _, english := range []string{"Usage", "open a new", "show this help", "who is on call", "the schedule", "<schedule>", "<title>", "@user"} {
		if strings.Contains(inc+onc, english) {
			t.Errorf("Russian help still says %q", english)
		}
	}
	// English is the zero Lang's.
	if en := IncidentHelpText(templates.Lang{}, "") + OncallHelpText(templates.Lang{}); !strings.HasPrefix(en, "Usage of /incident (inside") ||
		!strings.Contains(en, "Usage of /oncall:") {
		t.Errorf("the English help is not English:\n%s", en)
	}
}
