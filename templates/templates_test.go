package templates

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseLocale(t *testing.T) {
	for in, want := range map[string]Locale{"": EN, "en": EN, " RU ": RU} {
		if got, err := ParseLocale(in); err != nil || got != want {
			t.Errorf("ParseLocale(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseLocale("fr"); !errors.Is(err, ErrLocale) {
		t.Errorf("ParseLocale(fr) error = %v, want ErrLocale", err)
	}
}

func TestDefaultsRender(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for loc, want := range map[Locale]string{EN: "## Lessons learned", RU: "## Выводы"} {
		out, err := s.RenderPostmortem(Sample(loc))
		if err != nil {
			t.Fatalf("%s: %v", loc, err)
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("%s: the postmortem has no %q:\n%s", loc, want, out)
		}
	}
	d := Sample("fr")
	if _, err := s.RenderPostmortem(d); !errors.Is(err, ErrLocale) {
		t.Errorf("unknown locale: error = %v, want ErrLocale", err)
	}
}

func TestOverrideErrors(t *testing.T) {
	tests := []struct {
		name, text string
		line       int
		msg        string
	}{
		{"unclosed action", "# {{.Title}}\n\n{{if .Summary}}\nno end\n", 5, "unexpected EOF"},
		{"unknown function", "# {{.Title}}\n{{shout .Title}}\n", 2, `function "shout" not defined`},
		{"unknown field", "line one\nline two\n{{.Titel}}\n", 3, "can't evaluate field Titel"},
		{"wrong argument", "\n\n\n\n{{dur .Title}}\n", 5, "wrong type for value"},
		{"bad syntax", "ok\n{{.Title}\n", 2, "bad character"},
		{"range over a number", "ok\n\n{{range 99999999999}}{{end}}\n", 3, "range over a number"},
		{"range over a duration", "{{with .Timeline}}\n{{end}}{{if .Title}}\n{{range .Duration}}x{{end}}{{end}}", 3, "range over a number or a duration"},
		{"range over a measure", "{{range $m := .ToAck.D}}{{end}}", 1, "range over a number"},
		{"huge output", "{{range .Timeline.Days}}{{range $.Actions}}{{printf \"%5000000s\" \"x\"}}{{end}}{{end}}", 0, "writes more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "postmortem.md.tmpl")
			if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := New(Options{PostmortemFile: path})
			var te *Error
			if !errors.As(err, &te) || !errors.Is(err, ErrTemplate) {
				t.Fatalf("error = %v, want a *templates.Error", err)
			}
			if te.Line != tt.line || te.File != path || !strings.Contains(te.Msg, tt.msg) {
				t.Errorf("got %s:%d %q, want line %d and %q", te.File, te.Line, te.Msg, tt.line, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), path+":") {
				t.Errorf("message %q does not start with the file and line", err)
			}
		})
	}
}

func TestOverrideFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pm.tmpl")
	if err := os.WriteFile(path, []byte("# {{md .Title}} ({{count 5 \"минута\" \"минуты\" \"минут\"}})\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{PostmortemFile: path})
	if err != nil {
		t.Fatal(err)
	}
	d := Sample(RU)
	d.Title = "<b>"
	out, err := s.RenderPostmortem(d)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "# &lt;b&gt; (5 минут)\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := New(Options{PostmortemFile: filepath.Join(t.TempDir(), "missing")}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: error = %v, want fs.ErrNotExist", err)
	}
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, make([]byte, maxTemplate+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{PostmortemFile: big}); !errors.Is(err, ErrTemplate) {
		t.Errorf("huge file: error = %v, want ErrTemplate", err)
	}
}
