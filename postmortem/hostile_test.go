package postmortem

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hostileTitle carries a terminal colour sequence, a NUL, a window-title
// escape and a bidi override, as an alert's summary could.
const hostileTitle = "Disk \x1b[31mfull\x1b[0m\x00 on \x1b]0;pwned\x07db-1 \u202eexe.tset\u202c"

// forbidden are the characters none of the export's outputs may contain.
var forbidden = []string{"\x1b", "\x00", "\x07", "\u202e", "\u202c", "\u009b", "[31m"}

func assertClean(t *testing.T, what, s string) {
	t.Helper()
	for _, f := range forbidden {
		if strings.Contains(s, f) {
			t.Errorf("%s contains %q:\n%q", what, f, s)
		}
	}
}

func TestExportRemovesControlCharacters(t *testing.T) {
	dir := t.TempDir()
	gitOK := exec.Command("git", "--version").Run() == nil
	if gitOK {
		t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
		t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
		git(t, dir, nil, "init", "-q", "-b", "main")
	} else {
		t.Log("git is not installed: commit subjects are not checked")
	}
	e := NewExporter(dir, ExportOptions{}, func() time.Time { return t0 })

	fresh := exportDraft(t, 7, hostileTitle, StatusDraft, t0)
	assertClean(t, "the Drafter's Markdown", string(fresh.Markdown))
	if name := fresh.FileName(); strings.Contains(name, "31m") || strings.Contains(name, "pwned") {
		t.Errorf("file name %q keeps an escape sequence's remains", name)
	}
	// A draft stored before drafts were cleaned still carries them.
	stored := *exportDraft(t, 8, "Queue backlog", StatusDraft, t0)
	stored.Title = hostileTitle
	stored.Markdown = append([]byte(nil), stored.Markdown...)
	stored.Markdown = append(stored.Markdown, "\nNote: \x1b[31mred\x1b[0m \u202eevil\x00\n"...)

	for _, d := range []*Draft{fresh, &stored} {
		res, err := e.Export(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		assertClean(t, d.FileName(), readFile(t, filepath.Join(dir, res.Files[0].Path)))
		if !strings.Contains(readFile(t, filepath.Join(dir, res.Files[0].Path)), "# Incident #") {
			t.Errorf("%s lost its content", d.FileName())
		}
		index := readFile(t, filepath.Join(dir, indexFile))
		assertClean(t, "index.md", index)
		if !strings.Contains(index, "db-1") {
			t.Errorf("index.md lost the title's text:\n%s", index)
		}
		manifest := readFile(t, filepath.Join(dir, manifestFile))
		for _, f := range []string{`\u001b`, `\u0000`, "\u202e"} {
			if strings.Contains(manifest, f) {
				t.Errorf("the manifest keeps %q", f)
			}
		}
		if gitOK {
			if res.Commit == "" {
				t.Fatal("no commit in a git work tree")
			}
			subject := git(t, dir, nil, "log", "-1", "--format=%s")
			assertClean(t, "the commit subject", subject)
			if want := fmt.Sprintf("Postmortem #%d: Disk full on db-1 exe.tset (draft)", d.Number); subject != want {
				t.Errorf("commit subject = %q, want %q", subject, want)
			}
		}
	}
	// The stored copy is what the manifest's hash is of: an unchanged
	// re-export writes nothing and reports no edit.
	res, err := e.Export(context.Background(), &stored)
	if err != nil || res.Files[0].State != Unchanged {
		t.Errorf("re-export of the cleaned draft: %+v, %v; want unchanged", res, err)
	}
	if _, err := os.Stat(filepath.Join(dir, strings.TrimSuffix(stored.FileName(), ".md")+sideSuffix)); err == nil {
		t.Error("the cleaned file was taken for a person's edit")
	}
}
