package bot

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/templates"
)

// messageCall finds the message names the Go code renders: l.Text("x.y",
// h.t("x.y", n.t("x.y".
var messageCall = regexp.MustCompile(`\b(?:Text|t)\("([a-z_]+\.[a-z0-9_.]+)"`)

// refusalCode finds the codes of the domain's refusals, each rendered as
// refusal.<code>.
var refusalCode = regexp.MustCompile(`(?:userErrorf\([A-Za-z.]+, |Code: )"([a-z_]+)"`)

// TestEveryMessageIsDefined scans the Slack side's code for the messages it
// renders and holds each to a template in both locales, so no path sends
// Slack a template's name instead of a sentence.
func TestEveryMessageIsDefined(t *testing.T) {
	set, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defined := set.MessageNames(templates.RU)
	files, _ := filepath.Glob("*.go")
	more, _ := filepath.Glob("../internal/app/*.go")
	domain, _ := filepath.Glob("../incidents/*.go")
	paged, _ := filepath.Glob("../paging/*.go")
	domain = append(domain, paged...)
	used, codes := 0, 0
	for _, f := range append(append(files, more...), domain...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range messageCall.FindAllStringSubmatch(string(src), -1) {
			used++
			if !slices.Contains(defined, m[1]) {
				t.Errorf("%s renders %q, which no template defines", f, m[1])
			}
		}
		for _, m := range refusalCode.FindAllStringSubmatch(string(src), -1) {
			codes++
			if !slices.Contains(defined, "refusal."+m[1]) {
				t.Errorf("%s refuses with code %q, which no refusal.%s template says", f, m[1], m[1])
			}
		}
	}
	if used < 20 || codes < 20 {
		t.Errorf("found only %d message calls and %d refusal codes; has a pattern gone stale?", used, codes)
	}
}

// russian is the embedded Russian messages.
func russian(t testing.TB) Lang {
	t.Helper()
	set, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return set.Lang(templates.RU)
}

func TestSummaryInRussian(t *testing.T) {
	set, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ru := set.Lang(templates.RU)
	declared := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	inc := &incidents.Incident{
		Number: 7, Title: "Ошибки <оплаты>", Severity: "sev2", Status: incidents.StatusInvestigating,
		DeclaredAt: declared, Service: "checkout", Storm: true, StormGroups: 22,
		Alerts: map[string]incidents.Alert{
			"a": {Fingerprint: "a", Status: "firing", Labels: map[string]string{"alertname": "HighErrorRate"}, StartsAt: declared},
			"b": {Fingerprint: "b", Status: "resolved", Labels: map[string]string{"alertname": "Latency"}, StartsAt: declared},
		},
		Actions: []incidents.Action{{ID: 1, Text: "Добавить алерт", Due: declared.Add(-24 * time.Hour)}},
	}
	js := blocksJSON(t, summaryBlocks(inc, summaryOptions{Lang: ru, Now: declared.Add(65 * time.Minute), PublicURL: "https://bot.example"}))
	for _, want := range []string{
		`"*Уровень*\nsev2"`, `"*Статус*\n:mag: Расследуется"`, `"*Руководитель*\n_не назначен_"`, "\"*Длительность*\\nоткрыт 1\u00a0ч 5\u00a0мин с обнаружения\"",
		`*Алерты* — 1 активен, 1 снят`, `:ocean: Шторм алертов: 22 группы`, `Сервис: checkout`,
		`*Задачи* (1 открыта из 1)`, `срок вс 29 ноя 2026 *(просрочена)*`,
		`"Подтвердить"`, `"Обновить статус"`, `"Решить инцидент?"`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("Russian summary lacks %s:\n%s", want, js)
		}
	}
	for _, english := range []string{"Severity", "Commander", "firing", "Acknowledge", "Follow-ups", "overdue"} {
		if strings.Contains(js, english) {
			t.Errorf("Russian summary still says %q", english)
		}
	}
	text, blocks := announceText(ru, inc, "C0INC7", "resolved", "")
	if text != ":white_check_mark: Инцидент #7 решён: Ошибки &lt;оплаты&gt;" {
		t.Errorf("announce text = %q", text)
	}
	if js := blocksJSON(t, blocks); !strings.Contains(js, `"Присоединиться"`) {
		t.Errorf("announce blocks lack the Russian Join button: %s", js)
	}
}

// noEnglish fails when s still holds one of the English words.
func noEnglish(t *testing.T, what, s string, words ...string) {
	t.Helper()
	for _, w := range words {
		if strings.Contains(s, w) {
			t.Errorf("%s still says %q: %s", what, w, s)
		}
	}
}

// checkRussian fails unless got has every want and none of the English words.
func checkRussian(t *testing.T, what, got string, want, english []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q: %s", what, w, got)
		}
	}
	noEnglish(t, what, got, english...)
}
