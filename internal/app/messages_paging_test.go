package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/internal/config"
)

// The paging messages with locale: ru, through the whole app.

func withPagingRU(c *config.Config) {
	withPaging(c)
	c.Locale = "ru"
}

// wantRussian fails unless got has every want and none of the English words.
func wantRussian(t *testing.T, what, got string, want, english []string) {
	t.Helper()
	wantAll(t, what, got, want...)
	noEnglish(t, what, got, english...)
}

func TestPagingMessagesRussianPageDeclineAck(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withPagingRU})
	h.openCritical()
	first := h.pages(primaryUser)
	if len(first) != 1 {
		t.Fatalf("pages to the primary = %d, want 1", len(first))
	}
	wantRussian(t, "page", blocksText(first[0])+first[0].Text,
		[]string{":rotating_light: *Вас вызывают по инциденту #1: ", "Уровень *sev1*", "Ступень эскалации 1 (расписание primary) · <http://incidentbot.test/incidents/1|Подробнее>",
			`"text":"Подтвердить"`, `"text":"Отклонить (эскалировать сразу)"`, "Вызов по инциденту #1: "},
		[]string{"You are paged", "Severity", "Escalation level", "schedule", "Details", "Acknowledge", "Decline", "Paged for"})

	// Decline: the answer and the page's new last line.
	h.advance(2 * time.Minute)
	h.click(primaryUser, first[0], bot.ActionDecline, "1")
	h.settleNow()
	var answers []string
	for _, e := range h.sim.Ephemerals() {
		answers = append(answers, e.Text)
	}
	wantRussian(t, "decline answer", strings.Join(answers, "\n"),
		[]string{"Вы отклонили вызов по инциденту #1; вызываем следующую ступень."}, []string{"You declined", "next level"})
	declined := h.pages(primaryUser)[0]
	wantRussian(t, "declined page", blocksText(declined)+declined.Text,
		[]string{"*Инцидент #1: ", ":arrow_heading_up: Отклонено: <@" + primaryUser + ">, ", "; вызов передан дальше", "Инцидент #1: :arrow_heading_up:"},
		[]string{"Declined by", "escalated", "Incident #"})

	// The escalation reaches the secondary and #sre; the secondary acknowledges.
	second := h.pages(secondaryUser)
	if len(second) != 1 {
		t.Fatalf("pages to the secondary = %d, want 1", len(second))
	}
	sre := botMessages(h.sim.Messages(h.channelID("sre")))
	if len(sre) != 1 {
		t.Fatalf("pages in #sre = %d, want 1", len(sre))
	}
	wantRussian(t, "channel page", blocksText(sre[0]), []string{":rotating_light: *Вызов в этот канал по инциденту #1: ", "Ступень эскалации 2 (critical)"},
		[]string{"Paging this channel", "Escalation level"})
	h.click(secondaryUser, second[0], bot.ActionAcknowledge, "1")
	h.settleNow()
	acked := h.pages(secondaryUser)[0]
	wantRussian(t, "acknowledged page", blocksText(acked)+acked.Text,
		[]string{":white_check_mark: Подтверждено: <@" + secondaryUser + ">, "}, []string{"Acknowledged by", " at ", "Incident #"})
	if hasButton(acked, bot.ActionAcknowledge) {
		t.Errorf("acknowledged page keeps its button")
	}
}

func TestPagingMessagesRussianNobodyAcknowledged(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withPagingRU})
	h.openCritical()
	h.advance(40 * time.Minute)
	var notices []string
	for _, ch := range []string{h.channel(1).ID, h.channelID("incidents")} {
		for _, m := range botMessages(h.sim.Messages(ch)) {
			if strings.Contains(m.Text, "Никто не подтвердил") {
				notices = append(notices, m.Text)
			}
		}
	}
	if len(notices) != 2 {
		t.Fatalf("nobody-acknowledged notices = %d, want 2", len(notices))
	}
	wantRussian(t, "notice", notices[0],
		[]string{":warning: Никто не подтвердил инцидент #1: ", "(sev1). Вызывали: <@" + primaryUser + ">, <@" + secondaryUser + ">."},
		[]string{"Nobody acknowledged", "Paged:"})
}

func TestPagingMessagesRussianByHandAndRepage(t *testing.T) {
	config := func(c *config.Config) {
		withPagingRU(c)
		c.EscalationPolicies[0].AckTimeout = 30 * time.Minute
	}
	h := newHarness(t, harnessOptions{manual: true, config: config})
	h.openCritical()
	ch := h.channel(1).ID
	wantRussian(t, "page by hand", unescapeJSON(h.command("U0001", ch, "page <@U0003> посмотрите базу")),
		[]string{"Вызываем <@U0003> по инциденту #1."}, []string{"Paging", "for incident"})
	wantRussian(t, "page a schedule", h.command("U0001", ch, "page secondary"),
		[]string{"Вызываем дежурного по расписанию secondary по инциденту #1."}, []string{"Paging", "whoever"})
	wantRussian(t, "page nosuch", h.command("U0001", ch, "page nosuch"),
		[]string{"Расписания nosuch нет. Список расписаний — в /oncall."}, []string{"There is no schedule"})
	h.settleNow()
	ps := h.pages("U0003")
	if len(ps) != 1 {
		t.Fatalf("manual pages = %d, want 1", len(ps))
	}
	wantRussian(t, "manual page", blocksText(ps[0]), []string{"Сообщение: посмотрите базу"}, []string{"Message:"})

	h.click(primaryUser, h.pages(primaryUser)[0], bot.ActionAcknowledge, "1")
	h.settleNow()
	h.advance(30 * time.Minute)
	got := h.pages(primaryUser)
	if len(got) != 2 {
		t.Fatalf("pages to the primary after the ack timeout = %d, want 2", len(got))
	}
	wantRussian(t, "repage", blocksText(got[1]),
		[]string{"Сообщение: Инцидент подтверждён, но статус с тех пор не обновлялся; пожалуйста, обновите его (/incident status)."},
		[]string{"Acknowledged, but", "no status update"})

	// Declining an acknowledged incident (a page left with its buttons): nobody else is paged.
	answer, err := pagingHandler{h.app}.Decline(context.Background(), 1, primaryUser)
	if err != nil {
		t.Fatal(err)
	}
	wantRussian(t, "late decline", answer,
		[]string{"Инцидент #1 уже подтверждён или решён; больше никого не вызываем."}, []string{"already acknowledged"})
}

func TestPagingMessagesRussianOverdueFollowUps(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: func(c *config.Config) { withSlack(c); c.Locale = "ru" }})
	ctx := context.Background()
	h.command("U0002", h.channelID("general"), "declare Payments slow sev2") // Wed 25 Nov 2026
	h.settle()
	ch := h.channel(1)
	h.command("U0002", ch.ID, "action add a payments dashboard <@U0003|carol> due tomorrow")
	h.command("U0002", ch.ID, "action check the queue <@U0003|carol> due tomorrow")
	h.command("U0002", ch.ID, "action one for dave <@U0004> due tomorrow")
	h.settle()
	h.clock.Advance(time.Date(2026, 11, 30, 9, 1, 0, 0, time.UTC).Sub(h.clock.Now()))
	if _, err := h.app.cron.TickDue(ctx, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.settle()
	dm := func(user string) string {
		t.Helper()
		c, ok := h.sim.DirectMessage(user)
		if !ok {
			t.Fatalf("no DM with %s", user)
		}
		msgs := botMessages(h.sim.Messages(c.ID))
		if len(msgs) != 1 {
			t.Fatalf("DMs to %s = %d, want 1", user, len(msgs))
		}
		return msgs[0].Text
	}
	wantRussian(t, "overdue DM", dm("U0003"),
		[]string{":alarm_clock: У вас 2 просроченные задачи:", "\n• <http://incidentbot.test/incidents/1|#1>, задача 1: add a payments dashboard — срок чт 26 ноя 2026",
			"\n• <http://incidentbot.test/incidents/1|#1>, задача 2: check the queue — срок чт 26 ноя 2026",
			"\nКогда задача выполнена: `/incident #1 action done 1`."},
		[]string{"of your", "follow-up", "overdue", " action 1", "due ", "When one is done"})
	wantRussian(t, "overdue DM of one", dm("U0004"), []string{":alarm_clock: У вас 1 просроченная задача:"}, []string{"follow-up"})
}
