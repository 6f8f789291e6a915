package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/slacksim"
	"github.com/incidentbot/incidentbot/templates"
)

// modalErrors decodes a response_action: errors answer.
func modalErrors(t *testing.T, body string) map[string]string {
	t.Helper()
	var ans struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil || ans.ResponseAction != "errors" {
		t.Fatalf("answer %q, want response_action errors", body)
	}
	return ans.Errors
}

// TestButtonsInRussian presses the incident buttons and submits the status
// and resolve modals with the handler in Russian.
func TestButtonsInRussian(t *testing.T) {
	ru := russian(t)
	e := newEnv(t, func(o *HandlerOptions) { o.Lang = ru })
	now := e.clock.Now()
	n, err := e.svc.IngestAlerts(e.ctx, incidents.Notification{
		GroupKey: "{}:{alertname=\"HighErrors\"}", Status: incidents.AlertFiring,
		Alerts:     []incidents.Alert{{Fingerprint: "f1", Status: incidents.AlertFiring, StartsAt: now, Labels: map[string]string{"alertname": "HighErrors"}}},
		ReceivedAt: now, Title: "High error rate", Severity: "sev2",
	})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := e.sim.AddChannel("inc-1-high-error-rate", "U0001", "U0002", slacksim.BotUserID)
	if err != nil {
		t.Fatal(err)
	}
	e.setChannel(n, ch)
	ts := e.postButtons(ch, n)

	e.click("U0002", ch, ts, ActionAcknowledge, n)
	if r := e.lastResponse(); r.Text != "Вы подтвердили инцидент #1." {
		t.Errorf("acknowledge = %q", r.Text)
	}

	// The status modal and its submissions.
	e.click("U0001", ch, ts, ActionStatus, n)
	v := e.lastView()
	js := string(v.JSON)
	for _, want := range []string{`"Обновить статус"`, `"Обновить"`, `"Отмена"`, `"Новый статус"`, `"Статус"`, `"Расследуется"`, `"Наблюдение"`, `"value":"monitoring"`} {
		if !strings.Contains(js, want) {
			t.Errorf("status modal lacks %s: %s", want, js)
		}
	}
	noEnglish(t, "status modal", js, "Update", "Cancel", "New status", "Investigating")
	errs := modalErrors(t, e.submit("U0001", v.ID, input(blockStatus, slacksim.SelectValue("Nope", "nope"))))
	if got, want := errs[blockStatus], "Выберите статус: расследуется, причина найдена, наблюдение или решён."; got != want {
		t.Errorf("bad status error = %q, want %q", got, want)
	}
	e.submit("U0001", v.ID, input(blockStatus, slacksim.SelectValue("Наблюдение", "monitoring")))
	if r := e.lastResponse(); r.Text != "<@U0001> перевёл(а) инцидент #1 в статус *наблюдение*." {
		t.Errorf("status confirmation = %q", r.Text)
	}

	// The resolve modal.
	e.click("U0002", ch, ts, actionResolve, n)
	v = e.lastView()
	js = string(v.JSON)
	for _, want := range []string{`"Решить инцидент"`, `"Решить"`, `"Отмена"`, `"Что случилось и как это исправили?"`} {
		if !strings.Contains(js, want) {
			t.Errorf("resolve modal lacks %s: %s", want, js)
		}
	}
	noEnglish(t, "resolve modal", js, "Resolve", "Cancel", "What happened")
	errs = modalErrors(t, e.submit("U0002", v.ID, input(blockSummary, slacksim.TextValue("  "))))
	if got, want := errs[blockSummary], "Напишите кратко, что случилось и как это исправили."; got != want {
		t.Errorf("empty summary error = %q, want %q", got, want)
	}
	errs = modalErrors(t, e.submit("U0002", v.ID, input(blockSummary, slacksim.TextValue(strings.Repeat("я", maxModalSummary+1)))))
	if got, want := errs[blockSummary], "Итог должен быть не длиннее 3000 символов."; got != want {
		t.Errorf("long summary error = %q, want %q", got, want)
	}
	e.submit("U0002", v.ID, input(blockSummary, slacksim.TextValue("Откатили выкладку")))
	if st := e.get(n).Status; st != incidents.StatusResolved {
		t.Fatalf("status = %s, want resolved", st)
	}

	// Buttons on a resolved incident.
	e.click("U0002", ch, ts, ActionStatus, n)
	if r := e.lastResponse(); r.Text != "Инцидент #1 решён; сначала откройте его снова." {
		t.Errorf("status of a resolved incident = %q", r.Text)
	}
	e.click("U0002", ch, ts, actionResolve, n)
	if r := e.lastResponse(); r.Text != "Инцидент #1 уже решён." {
		t.Errorf("resolve of a resolved incident = %q", r.Text)
	}
	e.click(testAdmin, ch, ts, actionReopen, n)
	if r := e.lastResponse(); r.Text != "<@"+testAdmin+"> снова открыл(а) инцидент #1." {
		t.Errorf("reopen = %q", r.Text)
	}

	// Join.
	e.click("U0003", ch, ts, ActionJoin, n)
	if r := e.lastResponse(); r.Text != "Вы добавлены в <#"+ch+">." {
		t.Errorf("join = %q", r.Text)
	}
	e.click("U0003", ch, ts, ActionJoin, n)
	if r := e.lastResponse(); r.Text != "Вы уже в <#"+ch+">." {
		t.Errorf("second join = %q", r.Text)
	}

	// A button whose value names no incident.
	_, bad, err := e.api.PostMessageContext(e.ctx, ch, slack.MsgOptionText("x", false), slack.MsgOptionBlocks(slack.NewActionBlock("b",
		slack.NewButtonBlockElement(ActionAcknowledge, "nope", plain("x")), slack.NewButtonBlockElement(ActionCause, "nope", plain("y")))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.ClickButton(e.ctx, "U0002", ch, bad, ActionAcknowledge, "nope"); err != nil {
		t.Fatal(err)
	}
	if r := e.lastResponse(); r.Text != "Эта кнопка не указывает инцидент; воспользуйтесь командой /incident." {
		t.Errorf("bad button = %q", r.Text)
	}
	if _, err := e.sim.ClickButton(e.ctx, "U0002", ch, bad, ActionCause, "nope"); err != nil {
		t.Fatal(err)
	}
	if r := e.lastResponse(); !strings.HasPrefix(r.Text, "Эта кнопка не указывает инцидент и выкладку") {
		t.Errorf("bad cause button = %q", r.Text)
	}
}

// TestDeclareModalInRussian checks the declare form and its validation
// errors in Russian.
func TestDeclareModalInRussian(t *testing.T) {
	ru := russian(t)
	m := declareModalIn(ru, []string{"sev1", "sev2"}, "", modalMeta{})
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	js := string(b)
	for _, want := range []string{`"Объявить инцидент"`, `"Объявить"`, `"Отмена"`, `"Название"`, `"Уровень"`, `"Описание"`} {
		if !strings.Contains(js, want) {
			t.Errorf("declare modal lacks %s: %s", want, js)
		}
	}
	noEnglish(t, "declare modal", js, "Declare", "Cancel", "Title", "Severity", "Description")
	for _, title := range []string{m.Title.Text, m.Submit.Text, m.Close.Text} {
		if n := len([]rune(title)); n > 24 {
			t.Errorf("%q is %d characters; Slack allows 24", title, n)
		}
	}

	// The form typed through /incident declare, submitted with errors.
	e := newEnv(t, func(o *HandlerOptions) { o.Lang = ru })
	general := e.channel("general")
	e.incidentCmd("U0002", general, "declare sev1")
	v := e.lastView()
	errs := modalErrors(t, e.submit("U0002", v.ID, input(BlockTitle, slacksim.TextValue("  "))))
	if got, want := errs[BlockTitle], "Дайте инциденту название."; got != want {
		t.Errorf("empty title error = %q, want %q", got, want)
	}
	errs = modalErrors(t, e.submit("U0002", v.ID, merge(
		input(BlockTitle, slacksim.TextValue(strings.Repeat("я", 201))),
		input(BlockDescription, slacksim.TextValue(strings.Repeat("d", maxModalDescription+1))))))
	if got, want := errs[BlockTitle], "Название должно быть не длиннее 200 символов (сейчас 201)."; got != want {
		t.Errorf("long title error = %q, want %q", got, want)
	}
	if got, want := errs[BlockDescription], "Описание должно быть не длиннее 3000 символов."; got != want {
		t.Errorf("long description error = %q, want %q", got, want)
	}
	_, errs = validateDeclareIn(ru, slack.View{State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		BlockTitle: {BlockTitle: {Value: "t"}}, BlockSeverity: {BlockSeverity: {SelectedOption: slack.OptionBlockObject{Value: "sev9"}}},
	}}}, []string{"sev1", "sev2"})
	if got, want := errs[BlockSeverity], "Выберите один из уровней: sev1, sev2."; got != want {
		t.Errorf("severity error = %q, want %q", got, want)
	}
}

// TestUserMessageInRussian explains Slack failures in Russian; UserMessage
// stays English.
func TestUserMessageInRussian(t *testing.T) {
	ru := russian(t)
	wrap := func(err error) error { return fmt.Errorf("sync incident #1: %w", err) }
	tests := []struct {
		err     error
		want    string
		english string
	}{
		{wrap(&slack.RateLimitedError{RetryAfter: 90 * time.Second}), "Slack ограничивает частоту запросов бота; бот повторит попытку через 1\u00a0мин.", "try again in 1m"},
		{wrap(slack.SlackErrorResponse{Err: "ratelimited"}), "Slack ограничивает частоту запросов бота; бот скоро повторит попытку.", "shortly"},
		{wrap(slack.StatusCodeError{Code: 503}), "У Slack неполадки (HTTP 503); бот повторит попытку.", "having trouble"},
		{wrap(slack.StatusCodeError{Code: 400}), "Slack отклонил запрос (HTTP 400).", "refused the request"},
		{wrap(incidents.ErrNotFound), "Такого инцидента нет.", "does not exist"},
		{wrap(errors.New("dial tcp: refused")), "Бот не смог связаться со Slack; он повторит попытку.", "could not reach"},
		{wrap(slack.SlackErrorResponse{Err: "missing_scope", Needed: "channels:manage"}), "Slack сообщает, что боту не хватает разрешения channels:manage; добавьте его приложению и переустановите приложение.", "lacks the scope"},
		{wrap(slack.SlackErrorResponse{Err: "invalid_auth"}), "Slack не принимает токен бота (invalid_auth); проверьте SLACK_BOT_TOKEN и что приложение всё ещё установлено.", "does not accept"},
		{wrap(slack.SlackErrorResponse{Err: "not_in_channel"}), "Бот не участник этого канала; пригласите его командой /invite @incidentbot.", "not a member"},
		{wrap(slack.SlackErrorResponse{Err: "msg_too_long"}), "Slack отклонил сообщение бота как некорректное (msg_too_long); это ошибка бота, пожалуйста, сообщите о ней.", "malformed"},
		{wrap(slack.SlackErrorResponse{Err: "cant_invite_self"}), "Бот не может пригласить сам себя.", "cannot invite itself"},
		{wrap(slack.SlackErrorResponse{Err: "<!channel>"}), `Slack ответил ошибкой "&lt;!channel&gt;".`, "answered with the error"},
	}
	for _, tt := range tests {
		if got := userMessageIn(ru, tt.err); got != tt.want {
			t.Errorf("userMessageIn(ru, %v) =\n%q, want\n%q", tt.err, got, tt.want)
		}
		if got := userMessageIn(Lang{}, tt.err); !strings.Contains(got, tt.english) {
			t.Errorf("userMessageIn(en, %v) = %q, want English with %q", tt.err, got, tt.english)
		}
	}
	if userMessageIn(ru, nil) != "" {
		t.Error("nil error explained")
	}
}

// refusals are the domain's refusals, made by the real service code, with
// their Russian sentences.
func refusals(t *testing.T) []struct {
	err error
	ru  string
} {
	t.Helper()
	e := newEnv(t)
	ctx := e.ctx
	inc, _ := e.incident("U0001", "Checkout down")
	n := inc.Number
	if _, err := e.svc.AssignRole(ctx, n, incidents.RoleCommander, "U0002", "U0001"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AssignRole(ctx, n, "scribe", "U0003", "U0001"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddAction(ctx, n, "Add an alert", "", "U0001"); err != nil {
		t.Fatal(err)
	}
	cur := e.get(n)
	must := func(_ any, err error) error {
		t.Helper()
		if err == nil {
			t.Fatal("no refusal")
		}
		return err
	}
	resolved := &incidents.Incident{Number: 9, Status: incidents.StatusResolved}
	sev := e.svc.Severities()[0].Name
	if _, err := e.svc.SetSeverity(ctx, n, sev, "U0001"); err != nil {
		t.Fatal(err)
	}
	return []struct {
		err error
		ru  string
	}{
		{must(e.svc.IngestAlerts(ctx, incidents.Notification{})), "В уведомлении нет ключа группы (groupKey)"},
		{must(e.svc.SetActionDone(ctx, n, 7, true, "U0001")), "У инцидента #1 нет задачи 7"},
		{must(e.svc.SetActionDone(ctx, n, 1, false, "U0001")), "Задача 1 инцидента #1 уже открыта"},
		{must(e.svc.ParseSeverity("sev9")), "Неизвестный уровень «sev9» (допустимы: " + strings.Join(e.h.severityNames(), ", ") + ")"},
		{must(incidents.CheckTitle(" ")), "У инцидента должно быть название"},
		{must(incidents.CheckTitle(strings.Repeat("я", 201))), "В названии 201 символ, а можно не больше 200"},
		{must(e.svc.SetSeverity(ctx, n, sev, "U0001")), "У инцидента #1 уже уровень " + sev},
		{must(e.svc.AssignRole(ctx, n, " ", "U0003", "U0001")), "Название роли должно быть длиной от 1 до 40 символов"},
		{must(e.svc.AssignRole(ctx, n, "scribe", "", "U0001")), "Укажите, кому назначить роль"},
		{must(e.svc.AssignRole(ctx, n, incidents.RoleCommander, "U0002", "U0001")), "<@U0002> уже руководит этим инцидентом"},
		{must(e.svc.AssignRole(ctx, n, "scribe", "U0003", "U0001")), "<@U0003> уже в роли scribe"},
		{must(e.svc.AddNote(ctx, n, " ", "U0001")), "Заметка пустая"},
		{must(e.svc.AddAction(ctx, n, " ", "", "U0001")), "У задачи должен быть текст"},
		{e.svc.MayClose(cur, "U0003", "resolve"), "Только руководитель инцидента <@U0002>, тот, кто его объявил, или администратор могут решить инцидент #1. Попросите их или сначала станьте руководителем"},
		{e.svc.MayClose(&incidents.Incident{Number: 2, DeclaredBy: "U0001"}, "U0003", "reopen"), "Только тот, кто его объявил, или администратор могут снова открыть инцидент #2. Попросите их или сначала станьте руководителем"},
		{must(incidents.ParseStatus("done")), "Неизвестный статус «done» (допустимы investigating, identified, monitoring и resolved)"},
		{cur.SetStatus(incidents.StatusTriggered, time.Now()), "Нельзя установить статус «triggered»"},
		{resolved.SetStatus(incidents.StatusMonitoring, time.Now()), "Инцидент #9 решён; сначала откройте его снова"},
		{cur.SetStatus(cur.Status, time.Now()), "Инцидент #1 уже в статусе «расследуется»"},
		{resolved.Acknowledge(time.Now()), "Инцидент #9 уже решён"},
		{(&incidents.Incident{Number: 3, Status: incidents.StatusInvestigating, AcknowledgedAt: &time.Time{}}).Acknowledge(time.Now()), "Инцидент #3 уже подтверждён"},
		{cur.Reopen(time.Now()), "Инцидент #1 ещё не решён"},
		{&incidents.UserError{Kind: incidents.ErrTransition, Message: "the postmortem of incident #4 is already final",
			Code: "postmortem_already", Data: map[string]any{"Number": int64(4), "Status": "final"}}, "Постмортем инцидента #4 уже в статусе «Окончательный»"},
		// Regulatory reporting's refusals (internal/app/reporting.go).
		{&incidents.UserError{Kind: incidents.ErrInvalid, Message: `there is no regulatory reporting obligation "nis3" (configured: dora-major, nis2)`,
			Code: "unknown_obligation", Data: map[string]any{"Name": "nis3", "Names": "dora-major, nis2"}},
			"Обязательства регуляторной отчётности «nis3» нет (настроены: dora-major, nis2)"},
		{&incidents.UserError{Kind: incidents.ErrTransition, Message: "incident #5 is already classified under dora-major",
			Code: "already_classified", Data: map[string]any{"Number": int64(5), "Obligation": "dora-major"}},
			"Инцидент #5 уже отнесён к обязательству dora-major"},
		{&incidents.UserError{Kind: incidents.ErrTransition, Message: "incident #5 is not classified under nis2; run /incident classify nis2 first",
			Code: "not_classified", Data: map[string]any{"Number": int64(5), "Obligation": "nis2"}},
			"Инцидент #5 не отнесён к обязательству nis2; сначала выполните /incident classify nis2"},
		{&incidents.UserError{Kind: incidents.ErrInvalid, Message: `dora-major has no report "interim" (its reports: initial, intermediate, final)`,
			Code: "unknown_report", Data: map[string]any{"Obligation": "dora-major", "Report": "interim", "Reports": "initial, intermediate, final"}},
			"У обязательства dora-major нет отчёта «interim» (его отчёты: initial, intermediate, final)"},
	}
}

// TestRefusalTextInRussian renders every domain refusal in Russian, and in
// English exactly as the UserError's Message.
func TestRefusalTextInRussian(t *testing.T) {
	ru := russian(t)
	codes := map[string]bool{}
	for _, tt := range refusals(t) {
		var ue *incidents.UserError
		if !errors.As(tt.err, &ue) {
			t.Fatalf("%v is no UserError", tt.err)
		}
		if ue.Code == "" {
			t.Errorf("%q has no Code", ue.Message)
		}
		codes[ue.Code] = true
		if got, ok := refusalText(ru, tt.err); !ok || got != tt.ru {
			t.Errorf("refusal %s in Russian =\n%q, want\n%q", ue.Code, got, tt.ru)
		}
		if got, ok := refusalText(Lang{}, fmt.Errorf("wrapped: %w", tt.err)); !ok || got != ue.Message {
			t.Errorf("refusal %s in English = %q, want the Message %q", ue.Code, got, ue.Message)
		}
		if msg, _ := incidents.UserMessage(tt.err); msg != ue.Message {
			t.Errorf("UserMessage = %q, want %q", msg, ue.Message)
		}
	}
	set, _ := templates.New(templates.Options{})
	for _, name := range set.MessageNames(templates.EN) {
		if code, ok := strings.CutPrefix(name, "refusal."); ok && !codes[code] {
			t.Errorf("no test makes the refusal %s", code)
		}
	}
	if _, ok := refusalText(ru, errors.New("boom")); ok {
		t.Error("a plain error is a refusal")
	}
	if got, ok := refusalText(ru, &incidents.UserError{Kind: incidents.ErrInvalid, Message: "odd", Code: "nope"}); !ok || got != "odd" {
		t.Errorf("unknown code = %q, %v; want its Message", got, ok)
	}
	if got, ok := refusalText(ru, &incidents.UserError{Kind: incidents.ErrInvalid, Message: "plain"}); !ok || got != "plain" {
		t.Errorf("no code = %q, %v; want its Message", got, ok)
	}
}

// TestChannelTextsInRussian checks the channel purpose and the summary's
// notification text.
func TestChannelTextsInRussian(t *testing.T) {
	ru := russian(t)
	inc := &incidents.Incident{Number: 7, Title: "Ошибки <оплаты>", Severity: "sev2", Status: incidents.StatusInvestigating}
	if got, want := purposeText(ru, inc), "Инцидент #7: Ошибки &lt;оплаты&gt; — ведёт incidentbot"; got != want {
		t.Errorf("purpose = %q, want %q", got, want)
	}
	if got, want := purposeText(Lang{}, inc), "Incident #7: Ошибки &lt;оплаты&gt; — managed by incidentbot"; got != want {
		t.Errorf("English purpose = %q, want %q", got, want)
	}
	long := &incidents.Incident{Number: 7, Title: strings.Repeat("я", 400)}
	if n := len([]rune(purposeText(ru, long))); n > maxPurpose {
		t.Errorf("purpose of a long title is %d characters, over %d", n, maxPurpose)
	}
	if p := purposeText(ru, long); !strings.HasSuffix(p, " — ведёт incidentbot") {
		t.Errorf("long purpose lost its tail: %q", p)
	}
	n := NewNotifier(nil, nil, nil, NotifierOptions{Lang: ru})
	text, _ := n.summary(inc)
	if !strings.HasPrefix(text, "Инцидент #7: Ошибки &lt;оплаты&gt; — ") || !strings.Contains(text, "Расследуется") {
		t.Errorf("summary text = %q", text)
	}
	noEnglish(t, "summary text", text, "Incident", "Investigating")
}
