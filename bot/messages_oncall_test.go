package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/templates"
)

// badRanges are from/to pairs oncall.ParseRange refuses, one per reason.
var badRanges = [][2]string{
	{strings.Repeat("x", 70), "+1h"}, // too long
	{"", "+1h"},                      // empty
	{"now", "today 25:00"},           // not a clock
	{"2026-12-01T09:00 10:00", "+1h"},
	{"someday 09:00", "+1h"},    // not a day
	{"0001-01-01", "+1h"},       // year out of range
	{"now", "+400d"},            // days
	{"now", "+soon"},            // duration
	{"now", "+-1h"},             // duration
	{"now", "+0h"},              // not ahead
	{"now", "+9000h"},           // too far
	{"now", "now"},              // order
	{"2026-03-29 02:30", "+1h"}, // gap (Europe/Berlin)
	{"now", "2026-12-01T<b>"},   // a clock that needs escaping
}

// The English sentence of every time error is the error's text, as before
// the templates; the Russian one has none of its English words.
func TestOncallTimeErrorsInBothLanguages(t *testing.T) {
	ru := russian(t)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	now := time.Date(2026, 3, 28, 12, 0, 0, 0, berlin)
	names := map[string]bool{}
	for _, r := range badRanges {
		_, _, err := oncall.ParseRange(r[0], r[1], now, berlin)
		if err == nil {
			t.Fatalf("ParseRange(%q, %q) accepted", r[0], r[1])
		}
		var te *oncall.TimeError
		if !asTimeError(err, &te) {
			t.Fatalf("ParseRange(%q, %q) = %v, not a TimeError", r[0], r[1], err)
		}
		names[te.Name] = true
		if got, want := badTimeText(templates.English(), err), slacktext.Escape(err.Error()+"."); got != want {
			t.Errorf("English of %q %q:\n got %s\nwant %s", r[0], r[1], got, want)
		}
		got := badTimeText(ru, err)
		for _, english := range []string{"bad time", "use now", "must be", "is not", "want a", "does not exist", "from:", "to:"} {
			if strings.Contains(got, english) {
				t.Errorf("Russian of %q %q has %q: %s", r[0], r[1], english, got)
			}
		}
		if !strings.Contains(got, "можно так") && te.Name != oncall.TimeOrder && te.Name != oncall.TimeGap {
			t.Errorf("Russian of %q %q = %s, want the forms", r[0], r[1], got)
		}
		if strings.Contains(got, "<b>") {
			t.Errorf("Russian of %q %q is not escaped: %s", r[0], r[1], got)
		}
	}
	if len(names) != 12 {
		t.Errorf("reasons covered = %v, want all 12", names)
	}
	_, _, err = oncall.ParseRange("now", "+0h", now, berlin)
	if got, want := badTimeText(ru, err), `Конец: не понимаю время "+0h": время должно быть позже текущего (можно так: `; !strings.HasPrefix(got, want) {
		t.Errorf("Russian = %s, want it to start %s", got, want)
	}
	_, _, err = oncall.ParseRange("2026-03-29 02:30", "+1h", now, berlin)
	if got, want := badTimeText(ru, err), `Начало: не понимаю время "2026-03-29 02:30": 2026-03-29 02:30 не существует в поясе Europe/Berlin (в это время часы переводят вперёд).`; got != want {
		t.Errorf("Russian gap = %s, want %s", got, want)
	}
}

func asTimeError(err error, te **oncall.TimeError) bool {
	e, ok := err.(*oncall.TimeError)
	*te = e
	return ok
}

// An override's invalid fields: English is the error's text, Russian a
// sentence per field with the days' plural.
func TestOncallInvalidOverrideInBothLanguages(t *testing.T) {
	ru := russian(t)
	from := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	for _, o := range []oncall.Override{
		{},
		{Schedule: "p", Kind: "swap", User: "bob<", Replaces: "U0001", From: from, To: from.Add(-time.Hour)},
		{Schedule: "p", Kind: oncall.OverrideAdd, User: "U0001", Replaces: "U0002", From: from, To: from.Add(100 * 24 * time.Hour)},
		{Schedule: "p", User: "U0001", Replaces: "U0001", From: from, To: from.Add(time.Hour)},
		{Schedule: "p", User: "U0001", Replaces: "nobody", From: from, To: from.Add(time.Hour)},
	} {
		err := o.Validate()
		if err == nil {
			t.Fatalf("%+v is valid", o)
		}
		if got, want := invalidText(templates.English(), err), slacktext.Escape(err.Error()); got != want {
			t.Errorf("English:\n got %s\nwant %s", got, want)
		}
		got := invalidText(ru, err)
		for _, english := range []string{"is required", "is not", "must be", "at most", "applies only", "cannot", "unknown"} {
			if strings.Contains(got, english) {
				t.Errorf("Russian has %q: %s", english, got)
			}
		}
		if strings.Contains(got, "bob<") {
			t.Errorf("Russian is not escaped: %s", got)
		}
	}
	err := oncall.Override{Schedule: "p", User: "U0001", From: from, To: from.Add(100 * 24 * time.Hour)}.Validate()
	if got, want := invalidText(ru, err), "Подмена длится не больше 92 дней; для большего срока измените ротацию"; got != want {
		t.Errorf("Russian too long = %q, want %q", got, want)
	}
	if got, want := invalidText(ru, oncall.Override{}.Validate()), "Не указано расписание\n"; !strings.HasPrefix(got, want) {
		t.Errorf("Russian of an empty override = %q", got)
	}
}

func TestOncallTimesAndPluralsInRussian(t *testing.T) {
	ru := russian(t)
	s := oncall.Schedule{Name: "primary", Timezone: time.UTC}
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	if got := WhenText(templates.English(), at, s); got != "Mon 30 Nov 09:00 UTC" {
		t.Errorf("English when = %q", got)
	}
	if got := WhenText(ru, at, s); got != "пн 30 ноя 09:00 UTC" {
		t.Errorf("Russian when = %q", got)
	}
	for days, want := range map[int]string{7: "за последние 7 дней*", 1: "за последние 1 день*", 3: "за последние 3 дня*"} {
		if got := ru.Text("oncall.load_title", days); !strings.Contains(got, want) {
			t.Errorf("load title of %d days = %q, want %q", days, got, want)
		}
	}
	if got := ru.Text("oncall.no_change", 14); got != "• в ближайшие 14 дней без изменений" {
		t.Errorf("no change = %q", got)
	}
	if got := ru.Text("oncall.load_line", M{"User": "<@U1>", "OnCall": 1500, "OutOfHours": 2, "Pages": 3, "Night": 0}); got != "• <@U1>: "+ru.Number(1500)+" ч · 2 ч · 3 · 0" {
		t.Errorf("load line = %q", got)
	}
}
