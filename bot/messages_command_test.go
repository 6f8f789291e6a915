package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/stats"
)

// newRussianEnv is newEnv with the handler answering in Russian.
func newRussianEnv(t testing.TB, tweak ...func(*HandlerOptions)) *env {
	t.Helper()
	ru := russian(t)
	return newEnv(t, append([]func(*HandlerOptions){func(o *HandlerOptions) { o.Lang = ru }}, tweak...)...)
}

func TestCommandRepliesInRussian(t *testing.T) {
	e := newRussianEnv(t)
	_, ch := e.incident("U0001", "Checkout down")

	tests := []struct {
		name, user, text, wantType, want string
		english                          []string
	}{
		{"status", "U0002", "status identified", inChannel, "<@U0002> перевёл(а) инцидент #1 в статус *причина найдена*.", []string{"set incident", "identified"}},
		{"severity", "U0002", "severity SEV1", inChannel, "<@U0002> изменил(а) уровень инцидента #1 на *sev1*.", []string{"changed the severity"}},
		{"commander", "U0001", "commander <@U0002|bob>", inChannel, "<@U0001> назначил(а) <@U0002> руководителем инцидента #1.", []string{"made", "commander of"}},
		{"role", "U0002", "role comms <@U0003|carol>", inChannel, "<@U0002> назначил(а) <@U0003> на роль *comms* в инциденте #1.", []string{"assigned", " as "}},
		{"note", "U0003", "note p99 up", ephemeral, "Ваша заметка добавлена в хронологию инцидента #1.", []string{"Added your note"}},
		{"action", "U0002", "action add an index <@U0003|carol> due 2026-03-10", ephemeral,
			"Задача 1 добавлена в инцидент #1, ответственный — <@U0003>, срок — вт 10 мар 2026.", []string{"Added follow-up", "owned by", "due "}},
		{"action done", "U0002", "action done 1", inChannel, "<@U0002> отметил(а) выполненной задачу 1 инцидента #1: add an index", []string{"marked done", "action 1 of"}},
		{"action open", "U0002", "action reopen 1", inChannel, "<@U0002> снова открыл(а) задачу 1 инцидента #1: add an index", []string{"opened again"}},
		{"list", "U0003", "list", ephemeral, "Открытые инциденты (1):\n• *#1* [sev1] Checkout down — причина найдена — <#" + ch + "> — руководитель <@U0002>", []string{"Open incidents", "commander", "identified"}},
		{"unresolved user", "U0001", "commander @bob", ephemeral, "Не могу понять, кто такой @bob. Выберите человека из подсказки @ в Slack", []string{"can't tell", "autocomplete"}},
		{"resolve", "U0002", "resolve rolled back &lt;b&gt;", inChannel, "<@U0002> решил(а) инцидент #1: rolled back &lt;b&gt;", []string{"resolved incident"}},
		{"resolve again", "U0002", "resolve", ephemeral, "Инцидент #1 уже решён.", []string{"already resolved"}},
		{"reopen", "U0001", "reopen", inChannel, "<@U0001> снова открыл(а) инцидент #1.", []string{"reopened incident"}},
		{"no stats", "U0001", "stats", ephemeral, "Статистика здесь недоступна.", []string{"Figures"}},
		{"no postmortems", "U0001", "postmortem", ephemeral, "Постмортемы здесь недоступны.", []string{"not available"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.incidentCmd(tt.user, ch, tt.text)
			if got.ResponseType != tt.wantType || !strings.Contains(got.Text, tt.want) {
				t.Fatalf("answer = %+v, want %s containing %q", got, tt.wantType, tt.want)
			}
			noEnglish(t, "Russian answer", got.Text, tt.english...)
		})
	}

	t.Run("timeline", func(t *testing.T) {
		got := e.incidentCmd("U0003", ch, "timeline")
		for _, want := range []string{
			"*Хронология инцидента #1* — Checkout down",
			"`пн 2 мар 2026 09:00 +05`", // 04:00 UTC in Asia/Almaty
			"<@U0002>: comms: <@U0003>",
		} {
			if !strings.Contains(got.Text, want) {
				t.Errorf("timeline lacks %q:\n%s", want, got.Text)
			}
		}
		noEnglish(t, "Russian answer", got.Text, "Timeline of", "Mar 2")
	})
}

func TestDeclareAndErrorsInRussian(t *testing.T) {
	e := newRussianEnv(t)
	general := e.channel("general")

	got := e.incidentCmd("U0001", general, "declare Payments &lt;b&gt; down sev2")
	want := "<@U0001> объявил(а) инцидент #1 (sev2): Payments &lt;b&gt; down. Канал инцидента уже создаётся."
	if got.ResponseType != inChannel || got.Text != want {
		t.Fatalf("declare = %+v, want %q", got, want)
	}

	for _, tt := range []struct{ name, text, want string }{
		{"no such incident", "#99 note hi", "Инцидента #99 нет."},
		{"outside a channel", "note where am I", "Это не канал инцидента, поэтому укажите, о каком инциденте речь: поставьте его номер первым, например /incident #42 note …"},
		{"no incidents of nobody", "list actions", "Открытых задач нет. :tada:"},
		{"no actions of carol", "list actions <@U0003|carol>", "У <@U0003> нет открытых задач. :tada:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := e.incidentCmd("U0002", general, tt.text)
			if got.ResponseType != ephemeral || got.Text != tt.want {
				t.Fatalf("answer = %+v, want %q", got, tt.want)
			}
		})
	}

	// Only whoever declared it, the commander or an admin may resolve: the
	// refusal ends with the Russian hint.
	_, ch := e.incident("U0001", "Checkout down") // #2, with a channel
	got = e.incidentCmd("U0003", ch, "resolve fixed")
	if got.ResponseType != ephemeral || !strings.HasSuffix(got.Text, " Возьмите руководство на себя: /incident commander @you.") {
		t.Fatalf("refused resolve = %+v", got)
	}
	noEnglish(t, "Russian answer", got.Text, "Take command")

	e.h.svc = ackService{e.svc}
	got = e.incidentCmd("U0002", ch, "ack")
	if got.ResponseType != inChannel || got.Text != "<@U0002> подтвердил(а) инцидент #2." {
		t.Fatalf("ack = %+v", got)
	}

	got = e.command("U0001", general, "/frobnicate", "")
	if got.Text != "Я не знаю команду /frobnicate." {
		t.Fatalf("unknown command = %+v", got)
	}
}

func TestListActionsInRussian(t *testing.T) {
	e := newRussianEnv(t)
	_, ch := e.incident("U0001", "Checkout down")
	e.incidentCmd("U0001", ch, "action add an index <@U0003|carol> due 2026-03-01")
	e.incidentCmd("U0001", ch, "action write a runbook")

	got := e.incidentCmd("U0001", ch, "list actions")
	for _, want := range []string{
		"Открытые задачи:",
		"• *#1* задача 1: add an index — <@U0003> — срок вс 1 мар 2026 *(просрочена)*",
		"• *#1* задача 2: write a runbook",
	} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("list actions lacks %q:\n%s", want, got.Text)
		}
	}
	noEnglish(t, "Russian answer", got.Text, "Open follow-up", "action 1", "due ", "overdue")

	got = e.incidentCmd("U0001", ch, "list actions <@U0003|carol>")
	if !strings.HasPrefix(got.Text, "Открытые задачи (<@U0003>):\n• *#1* задача 1: add an index — срок") {
		t.Errorf("carol's actions = %q", got.Text)
	}
}

// ackService acknowledges without asking the domain, whose declarer has
// acknowledged already.
type ackService struct{ Service }

func (s ackService) Acknowledge(ctx context.Context, n int64, _ string) (*incidents.Incident, error) {
	return s.Get(ctx, n)
}

// failingService fails notes with the given error.
type failingService struct {
	Service
	err error
}

func (s failingService) AddNote(context.Context, int64, string, string) (*incidents.Incident, error) {
	return nil, s.err
}

func TestHandlerAnswersInRussian(t *testing.T) {
	t.Run("friendly", func(t *testing.T) {
		e := newRussianEnv(t)
		_, ch := e.incident("U0001", "Checkout down")
		for _, tt := range []struct {
			err  error
			want string
		}{
			{incidents.ErrConflict, "Кто-то изменил инцидент в тот же момент; попробуйте ещё раз."},
			{context.DeadlineExceeded, "Это заняло слишком много времени и было остановлено; попробуйте ещё раз."},
			{errors.New("disk on fire"), "У меня что-то пошло не так; попробуйте ещё раз. Если ошибка повторяется, сообщите администраторам."},
			{&incidents.UserError{Kind: incidents.ErrTransition, Message: " "}, "Так нельзя."},
		} {
			e.h.svc = failingService{Service: e.svc, err: tt.err}
			if got := e.incidentCmd("U0002", ch, "note hi"); got.Text != tt.want {
				t.Errorf("%v answered %q, want %q", tt.err, got.Text, tt.want)
			}
		}
	})

	t.Run("working and busy", func(t *testing.T) {
		e := newRussianEnv(t, func(o *HandlerOptions) { o.MaxInFlight = 1; o.AckBudget = 10 * time.Millisecond })
		_, ch := e.incident("U0001", "Checkout down")
		e.h.svc = slowService{Service: e.svc, delay: 500 * time.Millisecond}
		if got := e.incidentCmd("U0002", ch, "note one"); got.Text != "Уже занимаюсь… Результат пришлю сюда." {
			t.Fatalf("first = %+v, want working", got)
		}
		if got := e.incidentCmd("U0002", ch, "note two"); got.Text != "Сейчас у меня много работы; попробуйте ещё раз чуть позже." {
			t.Fatalf("second = %+v, want busy", got)
		}
		waitFor(t, "the late result", func() bool { return len(e.responses()) > 0 })
		if r := e.lastResponse(); r.Text != "Ваша заметка добавлена в хронологию инцидента #1." {
			t.Fatalf("late result = %q", r.Text)
		}
	})
}

func TestPostmortemRepliesInRussian(t *testing.T) {
	e := newRussianEnv(t, func(o *HandlerOptions) { o.Postmortems = &fakePostmortems{} })
	_, ch := e.incident("U0001", "Checkout down")
	got := e.incidentCmd("U0001", ch, "postmortem")
	want := "Пишу черновик постмортема инцидента #1. Когда он будет готов, ссылка на него появится в канале инцидента; читать его можно здесь: <http://bot.test/postmortems/1|страница постмортема>."
	if got.ResponseType != ephemeral || got.Text != want {
		t.Fatalf("postmortem = %+v, want %q", got, want)
	}
	got = e.incidentCmd("U0001", ch, "postmortem") // the draft is written and its link posted
	want = "Черновик постмортема инцидента #1 уже есть: <http://bot.test/postmortems/1|страница постмортема> (ссылку на него бот опубликовал в канале инцидента, когда написал его). Обновляю его по инциденту."
	if got.ResponseType != ephemeral || got.Text != want {
		t.Fatalf("postmortem again = %+v, want %q", got, want)
	}
}

// statsReport is a report with every part /incident stats shows.
func statsReport() stats.Report {
	m := func(d time.Duration) stats.Duration { return stats.Duration(d) }
	return stats.Report{
		Incidents: 12, Open: 2,
		BySeverity:        []stats.Count{{Name: "sev1", Count: 3}, {Name: "sev2", Count: 9}},
		TimeToAcknowledge: stats.Durations{Count: 9, Median: m(12 * time.Minute), P90: m(40 * time.Minute), Missing: 3, MissingMeaning: "never acknowledged"},
		TimeToRestore:     stats.Durations{Count: 10, Median: m(65 * time.Minute), P90: m(3 * time.Hour), Missing: 2, MissingMeaning: "not yet restored"},
		TimeToResolve:     stats.Durations{Count: 10, Median: m(2 * time.Hour), P90: m(26 * time.Hour), Missing: 2, MissingMeaning: "not yet resolved"},
		FollowUps:         stats.FollowUps{Open: 4, Done: 21},
		Longest:           []stats.Longest{{Number: 7, Title: "DB <down>", Severity: "sev1", Duration: m(26 * time.Hour), Open: true}},
		NoisiestAlerts:    []stats.AlertCount{{Name: "HighErrorRate", Alerts: 40, Incidents: 5}},
		DORA: []stats.DORA{{Service: "checkout", Environment: "prod", PerDay: 2.5, LeadTime: stats.Durations{Count: 1, Median: m(3 * time.Hour)},
			ChangeFailRate: 0.1, ReworkRate: 0.05}},
	}
}

func TestStatsInRussian(t *testing.T) {
	e := newRussianEnv(t, func(o *HandlerOptions) {
		o.Stats = func(context.Context, time.Duration, string) (stats.Report, error) { return statsReport(), nil }
	})
	got := e.incidentCmd("U0001", e.channel("general"), "stats 7d")
	if got.ResponseType != ephemeral {
		t.Fatalf("stats = %+v", got)
	}
	if want := "Статистика инцидентов за последние 7 дней, все сервисы: 12 инцидентов, 2 открыты"; got.Text != want {
		t.Errorf("stats text = %q, want %q", got.Text, want)
	}
	js := blocksJSON(t, got.Blocks.BlockSet)
	for _, want := range []string{
		`"Последние 7 дней · все сервисы"`,
		`*Инциденты*\n12 (2 открыты)`,
		`*По уровням*\nsev1 3 · sev2 9`,
		"*Время до подтверждения*\\n12\u00a0мин (p90 40\u00a0мин), 3 не подтверждены",
		"*Время до восстановления*\\n1\u00a0ч 5\u00a0мин (p90 3\u00a0ч), 2 ещё не восстановлены",
		"*Время до решения*\\n2\u00a0ч (p90 1\u00a0д 2\u00a0ч), 2 ещё не решены",
		`*Задачи*\n4 открыты, 21 выполнена`,
		"*Самые долгие*\\n#7 DB &lt;down&gt; — 1\u00a0д 2\u00a0ч (sev1, ещё открыт)",
		`*Самые шумные алерты*\nHighErrorRate (40 в 5 инцидентах)`,
		"*Поставка (DORA)*\\n*checkout* prod: 2,5 деплоя/день · время выполнения изменений 3\u00a0ч · доля неудачных изменений 10% · восстановление — · доля переделок 5%",
		"Медианы, в скобках p90.",
	} {
		if !strings.Contains(js, want) {
			t.Errorf("Russian stats lack %s:\n%s", want, js)
		}
	}
	noEnglish(t, "Russian answer", js+got.Text, "Incidents", "Last ", "open", "days", "By severity", "Time to", "Follow-ups", "Longest",
		"Noisiest", "deploys/day", "lead time", "Medians", "never acknowledged", "not yet")
}

// TestStatsInEnglishUnchanged holds the English reply to what it was
// before the templates.
func TestStatsInEnglishUnchanged(t *testing.T) {
	text, blocks := statsBlocks(Lang{}, statsReport(), 30*24*time.Hour)
	if want := "Incident figures, last 30 days, all services: 12 incidents, 2 open"; text != want {
		t.Errorf("text = %q, want %q", text, want)
	}
	js := blocksJSON(t, blocks)
	for _, want := range []string{
		`"Last 30 days · all services"`,
		`*Incidents*\n12 (2 open)`,
		`*By severity*\nsev1 3 · sev2 9`,
		`*Time to acknowledge*\n12m (p90 40m), 3 never acknowledged`,
		`*Time to restore*\n1h 5m (p90 3h), 2 not yet restored`,
		`*Time to resolve*\n2h (p90 1d 2h), 2 not yet resolved`,
		`*Follow-ups*\n4 open, 21 done`,
		`*Longest*\n#7 DB &lt;down&gt; — 1d 2h (sev1, still open)`,
		`*Noisiest alerts*\nHighErrorRate (40 in 5 incidents)`,
		`*Delivery (DORA)*\n*checkout* prod: 2.5 deploys/day · lead time 3h · change fail rate 10% · recovery — · rework 5%`,
		`Medians, p90 in brackets. Acknowledge and restore count from detection; restore is mitigation, else resolution.`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("English stats lack %s:\n%s", want, js)
		}
	}
}
