package templates

import (
	"strings"
	"testing"
	"time"
)

func TestPluralRussian(t *testing.T) {
	forms := []string{"минута", "минуты", "минут"}
	tests := map[int]string{
		0: "минут", 1: "минута", 2: "минуты", 4: "минуты", 5: "минут", 11: "минут", 12: "минут",
		14: "минут", 15: "минут", 21: "минута", 22: "минуты", 25: "минут", 101: "минута",
		111: "минут", 112: "минут", 122: "минуты", 1001: "минута", -1: "минута",
	}
	for n, want := range tests {
		if got := pluralOf(RU, n, forms...); got != want {
			t.Errorf("pluralOf(ru, %d) = %q, want %q", n, got, want)
		}
	}
}

func TestPluralEnglish(t *testing.T) {
	for n, want := range map[int]string{0: "minutes", 1: "minute", 2: "minutes", 21: "minutes"} {
		if got := pluralOf(EN, n, "minute", "minutes"); got != want {
			t.Errorf("pluralOf(en, %d) = %q, want %q", n, got, want)
		}
	}
	if got := pluralOf(RU, 5, "раз"); got != "раз" {
		t.Errorf("one form for all: got %q", got)
	}
	if got := pluralOf(EN, 5); got != "" {
		t.Errorf("no forms: got %q", got)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		loc  Locale
		d    time.Duration
		want string
	}{
		{EN, 45 * time.Second, "45 seconds"},
		{EN, time.Second, "1 second"},
		{EN, time.Minute, "1 minute"},
		{EN, 2*time.Hour + 5*time.Minute, "2 hours 5 minutes"},
		{EN, 2*time.Hour + 5*time.Minute + 31*time.Second, "2 hours 5 minutes"}, // rounded down, as everywhere
		{EN, time.Minute + 59*time.Second, "1 minute"},
		{EN, 59*time.Second + 900*time.Millisecond, "59 seconds"},
		{EN, 26*time.Hour + 7*time.Minute, "1 day 2 hours"},
		{EN, 24*time.Hour + 7*time.Minute, "1 day"},
		{EN, 3 * time.Hour, "3 hours"},
		{RU, time.Minute, "1 минута"},
		{RU, 2 * time.Minute, "2 минуты"},
		{RU, 5 * time.Minute, "5 минут"},
		{RU, 21 * time.Minute, "21 минута"},
		{RU, 22*time.Hour + 11*time.Minute, "22 часа 11 минут"},
		{RU, 49*time.Hour + 3*time.Minute, "2 дня 1 час"},
		{RU, 30 * time.Second, "30 секунд"},
		{RU, 1031 * 24 * time.Hour, "1031 день"},
		{EN, 1031 * 24 * time.Hour, "1,031 days"},
		{EN, -5 * time.Minute, "5 minutes"},
	}
	for _, tt := range tests {
		if got := Duration(tt.loc, tt.d); got != tt.want {
			t.Errorf("Duration(%s, %v) = %q, want %q", tt.loc, tt.d, got, tt.want)
		}
	}
}

func TestNumber(t *testing.T) {
	tests := []struct {
		loc  Locale
		n    int
		want string
	}{
		{EN, 0, "0"}, {EN, 999, "999"}, {EN, 4000, "4,000"}, {EN, 1234567, "1,234,567"}, {EN, -4000, "-4,000"},
		{RU, 4000, "4000"}, {RU, 12345, "12\u00a0345"}, {RU, 1234567, "1\u00a0234\u00a0567"}, {RU, -12345, "-12\u00a0345"},
	}
	for _, tt := range tests {
		if got := formatNumber(tt.loc, tt.n); got != tt.want {
			t.Errorf("formatNumber(%s, %d) = %q, want %q", tt.loc, tt.n, got, tt.want)
		}
	}
}

func TestMarkdown(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"api-gw 5xx > 2%", `api-gw 5xx &gt; 2%`},
		{"<script>alert(1)</script>", `&lt;script&gt;alert(1)&lt;/script&gt;`},
		{"[x](javascript:alert(1))", `\[x\](javascript:alert(1))`},
		{"**bold** _em_ `code`", `\*\*bold\*\* \_em\_ \` + "`code\\`"},
		{"# heading", `\# heading`},
		{"> quote", "&gt; quote"},
		{"<img src=x onerror=alert(1)//>", "&lt;img src=x onerror=alert(1)//&gt;"},
		{"- item", `\- item`},
		{"1. first", `1\. first`},
		{"12) first", `12\) first`},
		{"version 1. fine", "version 1. fine"},
		{"a | b", `a \| b`},
		{"&amp; &#60; &#x3c; R&D &", `&amp;amp; &amp;#60; &amp;#x3c; R&D &`},
		{"node_exporter _em_ a_ _b", `node_exporter \_em\_ a\_ \_b`},
		{"two\nlines", "two lines"},
		{"    indented", "indented"},
		{"~~strike~~", `\~\~strike\~\~`},
		{"{alert(1)}", `\{alert(1)\}`},
		{"back\\slash", `back\\slash`},
		{"invalid \xff byte", "invalid \uFFFD byte"},
	}
	for _, tt := range tests {
		if got := markdown(tt.in); got != tt.want {
			t.Errorf("Markdown(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMarkdownBlock(t *testing.T) {
	got := markdownBlock("Rolled back.  \n- then restarted\n\n\n# done\n")
	want := "Rolled back.\n\n\\- then restarted\n\n\\# done"
	if got != want {
		t.Errorf("MarkdownBlock = %q, want %q", got, want)
	}
}

func TestCodeAndLinks(t *testing.T) {
	if got, want := code("service=checkout"), "`service=checkout`"; got != want {
		t.Errorf("Code = %q, want %q", got, want)
	}
	if got, want := code("a`b"), "`` a`b ``"; got != want {
		t.Errorf("Code with backtick = %q, want %q", got, want)
	}
	if got := code("  "); got != "" {
		t.Errorf("Code of blanks = %q", got)
	}
	for u, want := range map[string]string{
		"https://grafana.example/d/1?x=1": "https://grafana.example/d/1?x=1",
		"http://prom:9090/graph":          "http://prom:9090/graph",
		"mailto:sre@example.com":          "mailto:sre@example.com",
		"javascript:alert(1)":             "",
		"JaVaScRiPt:alert(1)":             "",
		"java\tscript:alert(1)":           "",
		"data:text/html,<script>":         "",
		"//evil.example/x":                "",
		"/relative":                       "",
		"https://":                        "",
		`https://x.example/"onmouseover`:  "",
		"vbscript:msgbox":                 "",
	} {
		if got := SafeURL(u); got != want {
			t.Errorf("SafeURL(%q) = %q, want %q", u, got, want)
		}
	}
	if got, want := link("dash", "https://g.example/d/(1)"), "[dash](https://g.example/d/%281%29)"; got != want {
		t.Errorf("Link = %q, want %q", got, want)
	}
	if got, want := link("x]", "javascript:alert(1)"), `x\]`; got != want {
		t.Errorf("Link to javascript: = %q, want %q", got, want)
	}
}

func TestDates(t *testing.T) {
	almaty, err := time.LoadLocation("Asia/Almaty")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	at := time.Date(2026, 11, 30, 20, 5, 0, 0, time.UTC) // 01:05 the next day in Almaty
	en, ru := funcMap(EN, almaty), funcMap(RU, almaty)
	tests := []struct{ got, want string }{
		{en["utc"].(func(time.Time) string)(at), "2026-11-30 20:05 UTC"},
		{en["local"].(func(time.Time) string)(at), "2026-12-01 01:05 +05"},
		{en["date"].(func(time.Time) string)(at), "Tuesday, 1 December 2026"},
		{ru["date"].(func(time.Time) string)(at), "вторник, 1 декабря 2026"},
		{en["localClock"].(func(time.Time) string)(at), "01:05"},
		{en["utc"].(func(time.Time) string)(time.Time{}), "—"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %q, want %q", i, tt.got, tt.want)
		}
	}
	if !strings.Contains(funcMap(EN, nil)["zone"].(func() string)(), "UTC") {
		t.Error("a nil zone is UTC")
	}
}
