package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/deploys/deploystest"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/slacksim"
	"github.com/incidentbot/incidentbot/oncall"
)

// The paging, nudge, cause and follow-up messages in Russian.

// ruNotifier is a Notifier writing Russian to e's Slack.
func (e *env) ruNotifier(t *testing.T) *Notifier {
	return NewNotifier(e.api, e.svc, e.state, NotifierOptions{Lang: russian(t), PublicURL: "https://bot.example.com",
		Now: e.clock.Now, Logger: discardLogger()})
}

func (e *env) botTexts(ch string) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range e.sim.Messages(ch) {
		if m.User == slacksim.BotUserID {
			out = append(out, m)
		}
	}
	return out
}

func simBlocks(m slacksim.Message) string { return unescape(string(m.Blocks)) }

// unescape undoes JSON's escaping of <, > and &.
func unescape(s string) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(s)
}

func TestPagingMessagesRussianNudge(t *testing.T) {
	e := newEnv(t)
	n := e.ruNotifier(t)
	inc, err := e.svc.Declare(e.ctx, incidents.DeclareRequest{Title: "Payments API down", Severity: "sev1", Actor: "U0001"})
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := e.sim.AddChannel(ChannelName("inc", inc.Number, inc.Title), "U0001", slacksim.BotUserID)
	e.setChannel(inc.Number, ch)
	due, err := n.DueNudges(e.ctx, inc.DeclaredAt.Add(95*time.Minute))
	if err != nil || len(due) != 1 {
		t.Fatalf("due nudges = %+v, %v", due, err)
	}
	if err := n.Nudge(e.ctx, due[0].Incident, due[0].Due); err != nil {
		t.Fatal(err)
	}
	msgs := e.botTexts(ch)
	if len(msgs) != 1 {
		t.Fatalf("reminders = %d, want 1", len(msgs))
	}
	checkRussian(t, "nudge", msgs[0].Text+simBlocks(msgs[0]),
		[]string{"⏰ Статус не обновлялся уже 1\u00a0ч 30\u00a0мин — обновите его: `/incident status …`"},
		[]string{"No status update", "post one", "1h 30m"})
}

func TestPagingMessagesRussianCause(t *testing.T) {
	store := deploystest.NewMem()
	e := newEnv(t, func(o *HandlerOptions) { o.Deployments = store; o.Lang = russian(t) })
	n := e.ruNotifier(t)
	inc, ch := e.incident("U0001", "Checkout is down")
	ds := []deploys.Deployment{
		{ID: "d-7", Service: "checkout", Version: "v2", Environment: "production", Status: deploys.StatusFailure, At: time.Date(2026, 3, 2, 3, 50, 0, 0, time.UTC)},
		{ID: "d-6", Service: "cart", Version: "v9", Environment: "staging", Status: deploys.StatusSuccess, At: time.Date(2026, 3, 2, 3, 40, 0, 0, time.UTC)},
	}
	for _, d := range ds {
		if _, err := store.AddDeployment(e.ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.OfferCauses(e.ctx, inc.Number, ds); err != nil {
		t.Fatal(err)
	}
	msgs := e.botTexts(ch)
	if len(msgs) != 1 {
		t.Fatalf("offers = %d, want 1", len(msgs))
	}
	checkRussian(t, "cause offer", msgs[0].Text+simBlocks(msgs[0]),
		[]string{fmt.Sprintf(":mag: Эти деплои прошли незадолго до обнаружения инцидента #%d — не один ли из них стал причиной?", inc.Number),
			"*checkout* v2 → production, 03:50 UTC · `d-7` · с ошибкой", "*cart* v9 → staging, 03:40 UTC · `d-6`\"", `"text":"Причина в этом"`},
		[]string{"Deployed shortly", "did one", " to production", " at 03:50", "failed", "This caused it"})
	var blocks []slack.Block
	_, blocks = causeOffer(russian(t), inc.Number, ds)
	checkBlockLimits(t, blocks)

	checkRussian(t, "unknown deployment", e.incidentCmd("U0002", ch, "cause deploy d-nope").Text,
		[]string{"Деплоя d-nope нет. Его id есть в ответе вебхука деплоев и в предложении бота."}, []string{"There is no deployment"})
	got := e.incidentCmd("U0002", ch, "cause deploy d-7")
	checkRussian(t, "cause linked", got.Text,
		[]string{fmt.Sprintf("<@U0002>: причина инцидента #%d — деплой d-7 (checkout v2 → production).", inc.Number)},
		[]string{"linked", "to deployment", "as its cause"})

	e2 := newEnv(t, func(o *HandlerOptions) { o.Lang = russian(t) })
	_, ch2 := e2.incident("U0001", "Search is slow")
	checkRussian(t, "no deployments", e2.incidentCmd("U0002", ch2, "cause deploy d-1").Text,
		[]string{"Деплои здесь не записываются: сначала отправляйте их на POST /webhooks/deploy."}, []string{"Deployments are not recorded"})
}

func TestPagingMessagesRussianPageBlocks(t *testing.T) {
	ru := russian(t)
	inc := &incidents.Incident{Number: 4, Title: "DB <down>", Severity: "sev2", Status: incidents.StatusInvestigating}
	// A page by hand with a message, to a person: no escalation line.
	text, blocks := pageBlocks(ru, inc, "C0INC", oncall.PageRecord{User: "U0002", Step: "page:4:manual:x:1"}, "please look", "https://bot.example.com")
	checkBlockLimits(t, blocks)
	b, _ := slack.Blocks{BlockSet: blocks}.MarshalJSON()
	checkRussian(t, "manual page", text+unescape(string(b)),
		[]string{"Вас вызывают по инциденту #4: DB &lt;down&gt;", "Уровень *sev2* · Расследуется · <#C0INC>", "Сообщение: please look",
			"Вызов по инциденту #4: DB &lt;down&gt; (sev2)"},
		[]string{"You are paged", "Severity", "Investigating", "Message:", "Paged for"})

	// The handler's own paging replies.
	e := newEnv(t, func(o *HandlerOptions) { o.Lang = ru })
	log := discardLogger()
	checkRussian(t, "bad button", e.h.decline(e.ctx, log, "nope", "U0002").Text,
		[]string{"Эта кнопка не указывает на инцидент."}, []string{"That button"})
	checkRussian(t, "no paging", e.h.decline(e.ctx, log, "4", "U0002").Text,
		[]string{"Вызовы дежурных здесь не настроены."}, []string{"Paging is not configured"})
	e.h.o.Paging = fakePaging{}
	checkRussian(t, "page whom", e.h.pageByHand(e.ctx, log, 4, command.Incident{Verb: command.VerbPage}, "U0001").Text,
		[]string{"Кого вызвать? Укажите расписание или упомяните человека: /incident page <schedule|@user>."}, []string{"Page whom"})
}

type fakePaging struct{}

func (fakePaging) Decline(_ context.Context, _ int64, _ string) (string, error) { return "", nil }
func (fakePaging) PageByHand(_ context.Context, _ int64, _, _, _ string) (string, error) {
	return "", nil
}

func TestPagingMessagesRussianOverdueDM(t *testing.T) {
	e := newEnv(t)
	n := e.ruNotifier(t)
	inc := &incidents.Incident{Number: 3, Title: "Orders stuck"}
	due := time.Date(2026, 2, 26, 23, 59, 0, 0, time.UTC) // a Thursday
	var overdue []incidents.OpenAction
	for i := 1; i <= 25; i++ {
		overdue = append(overdue, incidents.OpenAction{Incident: inc, Action: incidents.Action{ID: i, Text: fmt.Sprintf("task <%d>", i), Due: due}})
	}
	if err := n.NudgeOverdue(e.ctx, "U0003", "followup-nudge-2026-W10", overdue); err != nil {
		t.Fatal(err)
	}
	if err := n.NudgeOverdue(e.ctx, "U0004", "followup-nudge-2026-W10", overdue[:2]); err != nil {
		t.Fatal(err)
	}
	dm := func(user string) string {
		t.Helper()
		c, ok := e.sim.DirectMessage(user)
		if !ok {
			t.Fatalf("no DM with %s", user)
		}
		msgs := e.botTexts(c.ID)
		if len(msgs) != 1 {
			t.Fatalf("DMs to %s = %d, want 1", user, len(msgs))
		}
		return msgs[0].Text
	}
	english := []string{"of your", "follow-up", "overdue", "action 1:", "due ", "more:", "When one is done", "Thu", "Feb"}
	checkRussian(t, "overdue DM", dm("U0003"),
		[]string{":alarm_clock: У вас 25 просроченных задач:", "\n• <https://bot.example.com/incidents/3|#3>, задача 1: task &lt;1&gt; — срок чт 26 фев 2026",
			"\n…и ещё 5: /incident list actions", "\nКогда задача выполнена: `/incident #3 action done 1`."}, english)
	checkRussian(t, "overdue DM of two", dm("U0004"), []string{":alarm_clock: У вас 2 просроченные задачи:"}, english)
	if got := overdueText(russian(t), overdue[:1], "", NotifierOptions{Location: time.UTC}); !strings.HasPrefix(got, ":alarm_clock: У вас 1 просроченная задача:\n• #3, задача 1") {
		t.Errorf("one overdue = %q", got)
	}
}
