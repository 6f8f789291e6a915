package app

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/templates"
)

// TestStoryEverythingInRussian runs an incident from alert to final
// postmortem with locale: ru, through the summary, pages, commands,
// buttons, modals, nudges, /oncall and the handoff, then reads every word
// the bot put in Slack (messages, blocks, DMs, ephemerals, response_url
// answers, modals, topics) and fails on any English sentence left.
func TestStoryEverythingInRussian(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: func(c *config.Config) {
		withPaging(c)
		c.Locale = "ru"
	}})
	h.openCritical()
	ch := h.channel(1)
	page := h.pages(primaryUser)
	if len(page) != 1 {
		t.Fatalf("pages = %d, want 1", len(page))
	}
	h.click(primaryUser, page[0], bot.ActionAcknowledge, "1")
	h.settleNow()

	for _, cmd := range []string{
		"help", "list", "status identified", "severity sev1", "note откатили релиз 1.2",
		"role scribe <@U0003|carol>", "action добавить алерт на задержку <@U0001|alice> due +1d",
		"action проверить лимиты", "action done 2", "list actions", "stats 30d", "page <@U0004|dave> посмотрите, пожалуйста",
		"nonsense words", "severity sev9", "#99 note нет такого", "timeline", "declare",
	} {
		h.command("U0002", ch.ID, cmd)
		h.settleNow()
	}
	for _, cmd := range []string{"", "now", "primary", "overrides", "load", "help", "override primary <@U0003|carol> 2026-11-26 10:00 to 2026-11-26 12:00", "nonsense"} {
		h.oncall("U0002", cmd)
		h.settleNow()
	}
	h.advance(31 * time.Minute) // a status-update reminder for sev1
	h.click("U0002", h.summaries(ch.ID)[0], bot.ActionStatus, "1")
	h.settleNow()
	h.command("U0002", ch.ID, "resolve откат помог")
	h.settleNow()
	h.command("U0002", ch.ID, "postmortem status final")
	h.settleNow()
	h.advance(7 * 24 * time.Hour) // the weekly overdue follow-ups and the shift handoffs
	h.settleNow()

	// Every event carries the fields its sentence is written from: in
	// English the template says exactly what was stored.
	for _, ev := range h.timeline(1) {
		if got := templates.English().Event(string(ev.Type), ev.Fields, ev.Text); got != ev.Text {
			t.Errorf("%s event: English template says %q, the stored text is %q (fields %v)", ev.Type, got, ev.Text, ev.Fields)
		}
	}

	words := map[string][]string{}
	check := func(where, s string) {
		for _, w := range englishWords(s) {
			words[w] = append(words[w], where+": "+s)
		}
	}
	for _, c := range h.sim.Channels() {
		check("topic of "+c.Name, c.Topic)
		check("purpose of "+c.Name, c.Purpose)
		for _, m := range botMessages(h.sim.Messages(c.ID)) {
			check("message in "+c.Name, m.Text)
			for _, s := range blockTexts(m.Blocks) {
				check("block in "+c.Name, s)
			}
		}
	}
	for _, e := range h.sim.Ephemerals() {
		check("ephemeral", e.Text)
		for _, s := range blockTexts(e.Blocks) {
			check("ephemeral block", s)
		}
	}
	for _, r := range h.sim.Responses() {
		check("response", r.Text)
		for _, s := range blockTexts(r.Blocks) {
			check("response block", s)
		}
	}
	for _, v := range h.sim.Views() {
		for _, s := range blockTexts(v.JSON) {
			check("modal", s)
		}
	}
	if len(words) > 0 {
		var list []string
		for w, where := range words {
			list = append(list, w+"  ← "+where[0])
		}
		sort.Strings(list)
		t.Errorf("English left in Slack with locale: ru (%d words):\n%s", len(list), strings.Join(list, "\n"))
	}
	if len(h.sim.Ephemerals())+len(h.sim.Responses()) < 10 {
		t.Errorf("only %d answers were read: the story did not run", len(h.sim.Ephemerals())+len(h.sim.Responses()))
	}
}

// blockTexts collects every "text" (and placeholder, label, title) string in Block Kit JSON.
func blockTexts(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "text" {
					out = append(out, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}

var (
	// What is not prose: the user's own words quoted back, code spans, <links|and> <@mentions>, :emoji:,
	// /commands with their keywords, times and IDs.
	notProse  = regexp.MustCompile("\"[^\"]*\"|«[^»]*»|HighErrorRate on [0-9a-f]{16}|#[\\w-]+|`[^`]*`|<[^>]*>|:[a-z0-9_+-]+:|/(?:incident|oncall)\\b[^.,;)\\n]*|https?://\\S+|\\b\\w+=\\S+")
	latinWord = regexp.MustCompile(`\b[A-Za-z][A-Za-z'’]+\b`)
	// Names that are the same in every language: data from the alert and
	// the config, product names, units that are international.
	untranslated = map[string]bool{
		"HighErrorRate": true, "sev1": true, "sev2": true, "sev3": true, "sev4": true, "sev9": true, "Slack": true,
		"incidentbot": true, "Alertmanager": true, "UTC": true, "INC": true, "MTTA": true, "MTTR": true, "DORA": true, "p90": true, "p50": true,
		"alertname": true, "primary": true, "secondary": true, "weekly": true, "daily": true, "critical": true,
		"scribe": true, "commander": true, "alice": true, "bob": true, "carol": true, "dave": true,
		"oncall": true, "sre": true, "incidents": true, "general": true, "inc": true, "higherrorrate": true,
	}
)

// englishWords returns the Latin-script words of s that are prose.
func englishWords(s string) []string {
	s = notProse.ReplaceAllString(s, " ")
	var out []string
	for _, w := range latinWord.FindAllString(s, -1) {
		if !untranslated[w] && !untranslated[strings.ToLower(w)] {
			out = append(out, w)
		}
	}
	return out
}
