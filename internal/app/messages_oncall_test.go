package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/slacksim"
)

// withRussianPaging is withPaging with the bot speaking Russian.
func withRussianPaging(c *config.Config) {
	withPaging(c)
	c.Locale = "ru"
}

// noEnglish fails when got has any of the English words.
func noEnglish(t *testing.T, what, got string, words ...string) {
	t.Helper()
	for _, w := range words {
		if strings.Contains(got, w) {
			t.Errorf("%s has the English %q: %s", what, w, got)
		}
	}
}

func wantAll(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q: %s", what, w, got)
		}
	}
}

func TestOncallCommandsInRussian(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withRussianPaging})

	got := h.oncall("U0003", "")
	wantAll(t, "/oncall", got, "*Кто дежурит сейчас*", "*primary*: <@"+primaryUser+"> до пн 30 ноя 09:00 UTC", "*secondary*: <@"+secondaryUser+">")
	noEnglish(t, "/oncall", got, "Who is", "until", "Mon ")

	got = h.oncall("U0003", "help")
	wantAll(t, "/oncall help", got, "Как пользоваться /oncall:", "— кто дежурит сейчас, по всем расписаниям")
	noEnglish(t, "/oncall help", got, "Usage of", "who is on call")

	got = h.oncall("U0003", "nosuch")
	wantAll(t, "/oncall nosuch", got, "Расписания «nosuch» нет. Есть такие: primary, secondary.")

	got = h.oncall(secondaryUser, "override primary <@U0004> now +1h")
	wantAll(t, "override by a non-member", got, "Менять подмены в primary может только администратор или участник этого расписания.")
	noEnglish(t, "override by a non-member", got, "Only an admin")

	got = h.oncall("U0003", "override primary <@U0003> now now")
	wantAll(t, "override to before from", got, "Конец (2026-11-25 03:00) должен быть позже начала (2026-11-25 03:00).",
		`\nФормат: `+"`/oncall override &lt;расписание&gt; @пользователь &lt;начало&gt; &lt;конец&gt;`")
	noEnglish(t, "override to before from", got, "bad time", "must be", "Usage:")

	got = h.oncall("U0003", "override primary <@U0003> now +100d")
	wantAll(t, "override of 100 days", got, "Подмена длится не больше 92 дней; для большего срока измените ротацию")
	noEnglish(t, "override of 100 days", got, "at most", "to:")

	got = h.oncall("U0003", "override primary <@U0003> now +2h")
	wantAll(t, "override by a member", got,
		"<@U0003>: <@U0003> дежурит в *primary* с ср 25 ноя 03:00 UTC до ср 25 ноя 05:00 UTC (подмена `")
	noEnglish(t, "override by a member", got, "put", "on call for", "override `")

	got = h.oncall("U0003", "primary")
	wantAll(t, "/oncall primary", got, "*primary*: <@U0003> до ср 25 ноя 05:00 UTC", "*Следующие смены*",
		"• ср 25 ноя 05:00 UTC → пн 30 ноя 09:00 UTC: <@"+primaryUser+">")
	noEnglish(t, "/oncall primary", got, "Next shifts", "until", "Wed ")

	ovs, err := h.app.store.Overrides(context.Background(), "primary", h.clock.Now())
	if err != nil || len(ovs) != 1 {
		t.Fatalf("overrides = %v, %v", ovs, err)
	}
	id := ovs[0].ID
	got = h.oncall("U0003", "overrides")
	wantAll(t, "/oncall overrides", got, "*Подмены*\\n• `"+id+"` *primary*: <@U0003> с ср 25 ноя 03:00 UTC до ср 25 ноя 05:00 UTC, добавил <@U0003>")
	noEnglish(t, "/oncall overrides", got, "Overrides", " from ", " by ")

	got = h.oncall("U0003", "override remove "+id)
	wantAll(t, "override remove", got, "<@U0003>: подмена `"+id+"` удалена (<@U0003> в *primary*).")
	noEnglish(t, "override remove", got, "removed")
	got = h.oncall("U0003", "override remove "+id)
	wantAll(t, "override remove again", got, "Подмены "+id+" ни сейчас, ни впереди нет; список — /oncall overrides.")
	noEnglish(t, "override remove again", got, "There is no")
	got = h.oncall("U0003", "overrides")
	wantAll(t, "no overrides", got, "Подмен ни сейчас, ни впереди нет. Добавить: `/oncall override <расписание> @пользователь <начало> <конец>`.")

	h.openCritical() // Wed 03:00 UTC: a page at night
	h.advance(time.Hour)
	got = h.oncall("U0003", "load 7d")
	wantAll(t, "/oncall load 7d", got, "*Нагрузка дежурств за последние 7 дней* (часов на дежурстве · из них в нерабочее время · вызовов · ночью)",
		"*primary*", "<@"+primaryUser+">: 43 ч · ", " · 1 · 1")
	noEnglish(t, "/oncall load 7d", got, "On-call load", "43h", "nobody")
}

func TestOncallCoverInRussian(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withRussianPaging})
	got := h.oncall(primaryUser, "cover primary now +4h")
	wantAll(t, "/oncall cover", got, "Попросил в #oncall, чтобы кто-нибудь подменил вас в primary с ср 25 ноя 03:00 UTC до ср 25 ноя 07:00 UTC.")
	noEnglish(t, "/oncall cover", got, "I asked", "cover")
	h.settleNow()
	oncallCh := h.channelID("oncall")
	var req slacksim.Message
	for _, m := range botMessages(h.sim.Messages(oncallCh)) {
		if hasButton(m, bot.ActionTakeCover) {
			req = m
		}
	}
	if req.TS == "" {
		t.Fatalf("no cover request with a button in #oncall: %+v", h.sim.Messages(oncallCh))
	}
	wantAll(t, "cover request", req.Text, ":raising_hand: <@"+primaryUser+"> просит подменить на дежурстве *primary* с ср 25 ноя 03:00 UTC до ср 25 ноя 07:00 UTC. Кто возьмёт?")
	wantAll(t, "cover request's blocks", string(req.Blocks), `"Беру"`)
	noEnglish(t, "cover request", string(req.Blocks), "Take it", "asks for", "Who takes")
	value := ""
	if i := strings.Index(string(req.Blocks), `"value":"`); i >= 0 {
		value = string(req.Blocks)[i+len(`"value":"`):]
		value = value[:strings.Index(value, `"`)]
	}
	h.click(primaryUser, req, bot.ActionTakeCover, value)   // the requester
	h.click(secondaryUser, req, bot.ActionTakeCover, value) // not a member
	h.click("U0003", req, bot.ActionTakeCover, value)
	h.click("U0001", req, bot.ActionTakeCover, value) // second
	h.settleNow()
	var saw []string
	for _, e := range h.sim.Ephemerals() {
		saw = append(saw, e.Text)
	}
	all := strings.Join(saw, "\n")
	wantAll(t, "answers to the clicks", all,
		"Это ваша просьба о подмене; взять смену должен кто-то другой.",
		"Взять эту смену могут только участники primary.",
		"Вы дежурите в primary с ср 25 ноя 03:00 UTC до ср 25 ноя 07:00 UTC.",
		"Эта смена уже занята: её взял <@U0003>.")
	noEnglish(t, "answers to the clicks", all, "You ", "Only members", "took this shift")
	taken, _ := h.sim.Message(oncallCh, req.TS)
	wantAll(t, "the taken request", blocksText(taken),
		":white_check_mark: <@U0003> подменяет <@"+primaryUser+"> на дежурстве *primary* с ср 25 ноя 03:00 UTC до ср 25 ноя 07:00 UTC.")
	noEnglish(t, "the taken request", blocksText(taken), "covers")
}

func TestOncallHandoffInRussian(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withRussianPaging})
	h.openCritical()
	ch := h.channel(1).ID
	h.command("U0001", ch, "action rotate the keys <@U0003> due 2026-11-24")
	h.command("U0001", ch, "action write the runbook")
	got := h.oncall("U0003", "handoff primary")
	wantAll(t, "/oncall handoff primary", got, "Публикую сводку передачи смены.")
	noEnglish(t, "/oncall handoff primary", got, "Posting")
	h.settleNow()
	var digest string
	for _, m := range botMessages(h.sim.Messages(h.channelID("oncall"))) {
		if strings.Contains(m.Text, ":clipboard:") {
			digest = m.Text
		}
	}
	wantAll(t, "digest", digest,
		":clipboard: *Дежурят в primary*: <@"+primaryUser+"> до пн 30 ноя 09:00 UTC",
		"*Открытые инциденты*\n• #1 HighErrorRate",
		"*Не подтверждены*: #1 (1 открытый вызов)",
		"*Открытые задачи*: 2, из них 1 просрочена: #1/1 rotate the keys <@U0003> (срок ")
	noEnglish(t, "digest", digest, "On call for", "until", "Open incidents", "Unacknowledged", "open pages", "follow-ups", "overdue", "due ", "triggered")

	// The shift change on Monday 30 Nov 09:00, on time; the next, on Monday
	// 7 Dec, sent 20 minutes late.
	ctx := context.Background()
	tick := func() {
		if _, err := h.app.cron.TickDue(ctx, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		h.settleNow()
	}
	change := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	h.clock.Advance(change.Sub(h.clock.Now()))
	tick()
	h.clock.Advance(7*24*time.Hour + 20*time.Minute)
	tick()
	var handoffs []string
	for _, m := range botMessages(h.sim.Messages(h.channelID("oncall"))) {
		if strings.Contains(m.Text, "Передача смены в primary") {
			handoffs = append(handoffs, m.Text)
		}
	}
	if len(handoffs) != 2 {
		t.Fatalf("Russian handoffs in #oncall = %q, want 2", handoffs)
	}
	wantAll(t, "handoff", handoffs[0],
		":arrows_counterclockwise: *Передача смены в primary*, пн 30 ноя 09:00 UTC: <@"+primaryUser+"> → <@U0003>")
	wantAll(t, "late handoff", handoffs[1],
		":arrows_counterclockwise: *Передача смены в primary*, пн 7 дек 09:00 UTC: <@U0003> → <@U0001>"+
			" _(с опозданием: отправлено через 20\u00a0мин после смены, бот не работал)_",
		"• #1 HighErrorRate on 0000000000000002 — sev1, сработал", " открытых вызовов)")
	if strings.Contains(handoffs[0], "опозданием") {
		t.Errorf("on-time handoff marked late: %s", handoffs[0])
	}
	for _, m := range handoffs {
		noEnglish(t, "handoff", m, "Handoff", " at ", "late", "Open incidents", "open pages", "triggered")
	}
	dm, _ := h.sim.DirectMessage("U0003")
	n := 0
	for _, m := range botMessages(h.sim.Messages(dm.ID)) {
		if strings.Contains(m.Text, "Передача смены в primary") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("Russian handoffs in U0003's DM = %d, want 2", n)
	}
}
