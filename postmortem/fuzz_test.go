package postmortem

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

var fileNameRE = regexp.MustCompile(`^\d{4}-\d\d-\d\d-inc-\d+-[a-z0-9]+(-[a-z0-9]+)*\.md$`)

// FuzzFrontMatter writes front matter and a file name for any title and
// severity: the YAML must parse back to the same safe title, and the name
// must keep the export layout.
func FuzzFrontMatter(f *testing.F) {
	for _, s := range []string{"Checkout is down", `<script>alert("x")</script>`, "a: b\n---\nc", "\\\"\x00\u2028\ufeff", "Оплата: сбой", "'; DROP", "\xff\xfe", "\x1b[31mred\u202e"} {
		f.Add(s, "sev1", int64(42))
	}
	f.Fuzz(func(t *testing.T, title, severity string, number int64) {
		fm := FrontMatter{Title: title, Date: time.Date(2026, 11, 30, 14, 5, 0, 0, time.UTC), Tags: []string{"incident", severity},
			Severity: severity, Status: "draft", Incident: number}
		out := string(fm.Bytes())
		if !strings.HasPrefix(out, "---\n") || !strings.HasSuffix(out, "\n---\n") || strings.Count(out, "\n---\n") != 1 {
			t.Fatalf("front matter is not one block:\n%s", out)
		}
		var got struct {
			Title    string   `yaml:"title"`
			Tags     []string `yaml:"tags"`
			Severity string   `yaml:"severity"`
			Incident int64    `yaml:"incident"`
		}
		if err := yaml.Unmarshal([]byte(strings.TrimSuffix(strings.TrimPrefix(out, "---\n"), "---\n")), &got); err != nil {
			t.Fatalf("front matter does not parse: %v\n%s", err, out)
		}
		if want := SafeTitle(title); got.Title != want {
			t.Fatalf("title parsed back as %q, want %q", got.Title, want)
		}
		if strings.ContainsAny(got.Title, "<>&\"'`") {
			t.Fatalf("title %q is not safe to print unescaped", got.Title)
		}
		if i := strings.IndexFunc(got.Title, func(r rune) bool {
			return r < 0x20 || r >= 0x7f && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
		}); i >= 0 {
			t.Fatalf("title %q keeps a control character at %d", got.Title, i)
		}
		if want := strings.ToValidUTF8(severity, "\uFFFD"); got.Severity != want || got.Incident != number || len(got.Tags) != 2 || got.Tags[1] != want {
			t.Fatalf("parsed back %+v from %q", got, out)
		}
		if number >= 0 {
			if name := FileName(number, title, fm.Date); !fileNameRE.MatchString(name) || !utf8.ValidString(name) {
				t.Fatalf("FileName(%d, %q) = %q", number, title, name)
			}
		}
	})
}
