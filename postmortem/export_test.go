package postmortem

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestFileName(t *testing.T) {
	at := time.Date(2026, 11, 28, 23, 30, 0, 0, time.FixedZone("+05", 5*3600)) // 18:30 UTC
	tests := []struct {
		number int64
		title  string
		want   string
	}{
		{42, "Checkout fails for card payments", "2026-11-28-inc-42-checkout-fails-for-card-payments.md"},
		{7, "API: 5xx on /v1/pay (EU)", "2026-11-28-inc-7-api-5xx-on-v1-pay-eu.md"},
		{8, "Оплата картой не проходит", "2026-11-28-inc-8-oplata-kartoy-ne-prokhodit.md"},
		{9, "<script>alert(1)</script>", "2026-11-28-inc-9-script-alert-1-script.md"},
		{10, "日本語だけ", "2026-11-28-inc-10-incident.md"},
		{11, "", "2026-11-28-inc-11-incident.md"},
		{12, "../../etc/passwd", "2026-11-28-inc-12-etc-passwd.md"},
		{13, strings.Repeat("very long title ", 20), "2026-11-28-inc-13-very-long-title-very-long-title-very-long-title-very-long.md"},
	}
	for _, tt := range tests {
		if got := FileName(tt.number, tt.title, at); got != tt.want {
			t.Errorf("FileName(%d, %q) = %q, want %q", tt.number, tt.title, got, tt.want)
		}
	}
}

type parsedFrontMatter struct {
	Title    string    `yaml:"title"`
	Date     time.Time `yaml:"date"`
	Tags     []string  `yaml:"tags"`
	Severity string    `yaml:"severity"`
	Status   string    `yaml:"status"`
	Incident int64     `yaml:"incident"`
	Draft    bool      `yaml:"draft"`
}

// frontMatter parses the YAML between the first two --- lines.
func frontMatter(t *testing.T, md []byte) parsedFrontMatter {
	t.Helper()
	rest, ok := bytes.CutPrefix(md, []byte("---\n"))
	i := bytes.Index(rest, []byte("\n---\n"))
	if !ok || i < 0 {
		t.Fatalf("no front matter in %.200q", md)
	}
	var fm parsedFrontMatter
	dec := yaml.NewDecoder(bytes.NewReader(rest[:i+1]))
	dec.KnownFields(true)
	if err := dec.Decode(&fm); err != nil {
		t.Fatalf("front matter does not parse: %v\n%s", err, rest[:i+1])
	}
	return fm
}

func TestFrontMatterParsesBack(t *testing.T) {
	titles := []string{
		"Checkout fails",
		`<script>alert("x")</script> & 'quotes'`,
		"colon: and # hash and - dash",
		"---\nnot: yaml\n...",
		"back\\slash \"quoted\" \x00 nul \x1b esc",
		"line\u2028separator\u0085next",
		"Оплата: «ошибка» 100%",
		"{{ .Hugo }} {% raw %} ${x}",
		"!!binary AAAA",
		"null",
		"123",
	}
	dr := newDrafter(t, t0.Add(time.Hour))
	for _, title := range titles {
		in := shortSev4()
		inc := *in.Incident
		inc.Title = title
		in.Incident = &inc
		d, err := dr.Draft(in)
		if err != nil {
			t.Fatal(err)
		}
		fm := frontMatter(t, d.Markdown)
		wantTitle := "#7: " + SafeTitle(oneLine(title))
		if oneLine(title) == "" {
			wantTitle = "#7: Incident 7"
		}
		if fm.Title != wantTitle {
			t.Errorf("title %q: parsed back %q, want %q", title, fm.Title, wantTitle)
		}
		if strings.ContainsAny(fm.Title, "<>&\"'`\n\r\x00") {
			t.Errorf("title %q: %q is not safe to print unescaped", title, fm.Title)
		}
		if !fm.Date.Equal(t0) || fm.Severity != "sev4" || fm.Status != "draft" || fm.Incident != 7 || fm.Draft {
			t.Errorf("title %q: front matter %+v", title, fm)
		}
		if got, want := strings.Join(fm.Tags, ","), "incident,sev4,docs"; got != want {
			t.Errorf("tags = %q, want %q", got, want)
		}
	}
}

// exportDraft drafts the sev4 with a title, status and detection time.
func exportDraft(t *testing.T, number int64, title string, status Status, detected time.Time) *Draft {
	t.Helper()
	in := shortSev4()
	inc := *in.Incident
	inc.Number, inc.Title, inc.DetectedAt, inc.DeclaredAt = number, title, detected, detected
	inc.ResolvedAt = ptr(detected.Add(time.Duration(number) * time.Minute))
	in.Incident, in.Status = &inc, status
	d, err := newDrafter(t, t0.Add(100*24*time.Hour)).Draft(in)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExportIndexNewestFirst(t *testing.T) {
	dir := t.TempDir()
	e := NewExporter(dir, ExportOptions{NoGit: true}, func() time.Time { return t0 })
	ctx := context.Background()
	drafts := []*Draft{
		exportDraft(t, 3, "Third | pipe", StatusFinal, t0.Add(48*time.Hour)),
		exportDraft(t, 1, "First", StatusDraft, t0),
		exportDraft(t, 2, "Second <b>", StatusInReview, t0.Add(24*time.Hour)),
	}
	res, err := e.Export(ctx, drafts...)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range res.Files {
		if w.State != Created {
			t.Errorf("%s: state %s, want created", w.Path, w.State)
		}
	}
	if res.Index.State != Created || res.Commit != "" {
		t.Errorf("index %+v, commit %q", res.Index, res.Commit)
	}
	index := readFile(t, filepath.Join(dir, indexFile))
	rows := []string{
		"| 2026-11-30 | [#3: Third \\| pipe](2026-11-30-inc-3-third-pipe.md) | sev4 | 3 minutes | Final |",
		"| 2026-11-29 | [#2: Second &lt;b&gt;](2026-11-29-inc-2-second-b.md) | sev4 | 2 minutes | In review |",
		"| 2026-11-28 | [#1: First](2026-11-28-inc-1-first.md) | sev4 | 1 minute | Draft |",
	}
	last := -1
	for _, row := range rows {
		i := strings.Index(index, row)
		if i < 0 {
			t.Fatalf("index has no row %q:\n%s", row, index)
		}
		if i < last {
			t.Errorf("row %q is out of order:\n%s", row, index)
		}
		last = i
	}
	if fm := frontMatter(t, []byte(index)); fm.Title != "Postmortems" {
		t.Errorf("index title %q", fm.Title)
	}
	// One more export later keeps the others in the index.
	if _, err := e.Export(ctx, exportDraft(t, 4, "Fourth", StatusDraft, t0.Add(72*time.Hour))); err != nil {
		t.Fatal(err)
	}
	index = readFile(t, filepath.Join(dir, indexFile))
	if !strings.Contains(index, "#4: Fourth") || !strings.Contains(index, "#1: First") ||
		strings.Index(index, "#4:") > strings.Index(index, "#3:") {
		t.Errorf("index after a second export:\n%s", index)
	}
}

func TestExportKeepsEdits(t *testing.T) {
	dir := t.TempDir()
	e := NewExporter(dir, ExportOptions{NoGit: true}, func() time.Time { return t0 })
	ctx := context.Background()
	d1 := exportDraft(t, 5, "Payments slow", StatusDraft, t0)
	res, err := e.Export(ctx, d1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, res.Files[0].Path)

	res, err = e.Export(ctx, d1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Files[0].State != Unchanged || res.Index.State != Unchanged || len(res.Conflicts()) != 0 {
		t.Errorf("re-export of the same draft: %+v", res)
	}

	d2 := exportDraft(t, 5, "Payments slow", StatusInReview, t0)
	if res, err = e.Export(ctx, d2); err != nil {
		t.Fatal(err)
	}
	if res.Files[0].State != Updated || !strings.Contains(readFile(t, path), `status: "in-review"`) {
		t.Errorf("an unedited file is updated: %+v", res.Files[0])
	}

	edited := readFile(t, path) + "\nWe found the cause: a slow disk.\n"
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	d3 := exportDraft(t, 5, "Payments slow", StatusFinal, t0)
	if res, err = e.Export(ctx, d3); err != nil {
		t.Fatal(err)
	}
	c := res.Conflicts()
	if len(c) != 1 || c[0].Edited != filepath.Base(path) || c[0].Path != strings.TrimSuffix(filepath.Base(path), ".md")+sideSuffix {
		t.Fatalf("conflicts = %+v", c)
	}
	if got := readFile(t, path); got != edited {
		t.Errorf("the edited file was overwritten:\n%s", got)
	}
	side := readFile(t, filepath.Join(dir, c[0].Path))
	if fm := frontMatter(t, []byte(side)); !fm.Draft || fm.Status != "final" {
		t.Errorf("the copy beside it: %+v", fm)
	}
	// Still edited on the next export: still left alone.
	if res, err = e.Export(ctx, d3); err != nil || len(res.Conflicts()) != 1 || readFile(t, path) != edited {
		t.Errorf("second export after the edit: %+v, %v", res, err)
	}
	// Deleting the edited file hands it back to the bot.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if res, err = e.Export(ctx, d3); err != nil {
		t.Fatal(err)
	}
	if res.Files[0].State != Created || len(res.Conflicts()) != 0 {
		t.Errorf("after the edited file was deleted: %+v", res.Files[0])
	}
	if _, err := os.Stat(filepath.Join(dir, c[0].Path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the copy beside it is still there: %v", err)
	}

	// A person's own index stays theirs too.
	idx := filepath.Join(dir, indexFile)
	if err := os.WriteFile(idx, []byte("# Our incidents\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res, err = e.Export(ctx, exportDraft(t, 6, "Another", StatusDraft, t0)); err != nil {
		t.Fatal(err)
	}
	if res.Index.State != Conflict || readFile(t, idx) != "# Our incidents\n" {
		t.Errorf("edited index: %+v", res.Index)
	}
}

func TestExportRenameAndForeignFile(t *testing.T) {
	dir := t.TempDir()
	e := NewExporter(dir, ExportOptions{NoGit: true}, func() time.Time { return t0 })
	ctx := context.Background()
	res, err := e.Export(ctx, exportDraft(t, 5, "Payments slow", StatusDraft, t0))
	if err != nil {
		t.Fatal(err)
	}
	old := res.Files[0].Path
	if res, err = e.Export(ctx, exportDraft(t, 5, "Payments slow in EU", StatusDraft, t0)); err != nil {
		t.Fatal(err)
	}
	w := res.Files[0]
	if w.State != Renamed || w.Old != old || w.Path != "2026-11-28-inc-5-payments-slow-in-eu.md" {
		t.Errorf("rename: %+v", w)
	}
	if _, err := os.Stat(filepath.Join(dir, old)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the old file is still there")
	}

	// A file the bot never wrote, under the name it would use.
	d := exportDraft(t, 9, "Theirs", StatusDraft, t0)
	mine := filepath.Join(dir, d.FileName())
	if err := os.WriteFile(mine, []byte("written by hand\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res, err = e.Export(ctx, d); err != nil {
		t.Fatal(err)
	}
	if res.Files[0].State != Conflict || readFile(t, mine) != "written by hand\n" {
		t.Errorf("foreign file: %+v", res.Files[0])
	}

	if err := os.WriteFile(filepath.Join(dir, manifestFile), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Export(ctx, d); !errors.Is(err, ErrExport) {
		t.Errorf("damaged manifest: error %v, want ErrExport", err)
	}
}

func git(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestExportCommitsInGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed (apt-get install git); the export's commits are not tested")
	}
	dir := t.TempDir()
	alice := []string{"GIT_AUTHOR_NAME=alice", "GIT_AUTHOR_EMAIL=alice@example.com",
		"GIT_COMMITTER_NAME=alice", "GIT_COMMITTER_EMAIL=alice@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1"}
	git(t, dir, alice, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(dir, "Home.md"), []byte("# Wiki\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, alice, "add", "Home.md")
	git(t, dir, alice, "commit", "-q", "-m", "wiki home")
	wiki := filepath.Join(dir, "postmortems")
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	e := NewExporter(wiki, ExportOptions{}, func() time.Time { return t0 })
	ctx := context.Background()

	// Alice has a change staged elsewhere; the bot's commit must not take it.
	if err := os.WriteFile(filepath.Join(dir, "Home.md"), []byte("# Wiki\n\nmore\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, alice, "add", "Home.md")

	d := exportDraft(t, 5, "Payments slow", StatusDraft, t0)
	res, err := e.Export(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if res.Commit == "" {
		t.Fatal("no commit in a git work tree")
	}
	if got := git(t, dir, nil, "log", "-1", "--format=%an <%ae>|%cn|%s"); got != "incidentbot <incidentbot@localhost>|incidentbot|Postmortem #5: Payments slow (draft)" {
		t.Errorf("bot commit = %q", got)
	}
	files := git(t, dir, nil, "show", "--name-only", "--format=", res.Commit)
	if want := "postmortems/.incidentbot-export.json\npostmortems/2026-11-28-inc-5-payments-slow.md\npostmortems/index.md"; files != want {
		t.Errorf("committed files:\n%s\nwant:\n%s", files, want)
	}
	if staged := git(t, dir, nil, "diff", "--cached", "--name-only"); staged != "Home.md" {
		t.Errorf("alice's staged change: %q", staged)
	}

	// Nothing new: no commit.
	again, err := e.Export(ctx, d)
	if err != nil || again.Commit != "" {
		t.Errorf("unchanged re-export: commit %q, %v", again.Commit, err)
	}

	// Alice edits the postmortem and commits it; the bot's next draft goes beside it.
	path := filepath.Join(wiki, d.FileName())
	if err := os.WriteFile(path, []byte(readFile(t, path)+"\nCause: a full disk.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, alice, "commit", "-q", "-m", "postmortem: cause", "--", "postmortems/"+d.FileName())
	res, err = e.Export(ctx, exportDraft(t, 5, "Payments slow", StatusInReview, t0))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Conflicts()) != 1 || res.Commit == "" {
		t.Fatalf("export after alice's edit: %+v", res)
	}
	log := git(t, dir, nil, "log", "--format=%an: %s", "--", "postmortems/"+d.FileName())
	if want := "alice: postmortem: cause\nincidentbot: Postmortem #5: Payments slow (draft)"; log != want {
		t.Errorf("history of the postmortem:\n%s\nwant:\n%s", log, want)
	}
	if !strings.Contains(readFile(t, path), "Cause: a full disk.") {
		t.Error("alice's edit is gone")
	}

	// A rename removes the old file in the same commit.
	_, err = e.Export(ctx, exportDraft(t, 6, "Queue backlog", StatusDraft, t0))
	if err != nil {
		t.Fatal(err)
	}
	res, err = e.Export(ctx, exportDraft(t, 6, "Queue backlog in EU", StatusDraft, t0))
	if err != nil || res.Files[0].State != Renamed {
		t.Fatalf("rename: %+v, %v", res, err)
	}
	status := git(t, dir, nil, "show", "--name-status", "--format=", res.Commit)
	if !regexp.MustCompile(`(?m)^R\d+\tpostmortems/2026-11-28-inc-6-queue-backlog.md\tpostmortems/2026-11-28-inc-6-queue-backlog-in-eu.md$`).MatchString(status) {
		t.Errorf("rename commit:\n%s", status)
	}
}

func TestExportBusyAndNoGit(t *testing.T) {
	dir := t.TempDir()
	lock, err := lockDir(filepath.Join(dir, lockFile))
	if err != nil {
		t.Fatal(err)
	}
	e := NewExporter(dir, ExportOptions{Git: filepath.Join(dir, "no-such-git")}, func() time.Time { return t0 })
	d := exportDraft(t, 5, "Payments slow", StatusDraft, t0)
	if _, err := e.Export(context.Background(), d); !errors.Is(err, ErrBusy) || !errors.Is(err, ErrExport) {
		t.Errorf("export while another holds the lock: error = %v, want ErrBusy", err)
	}
	lock.Close()
	res, err := e.Export(context.Background(), d)
	if err != nil || res.Commit != "" || res.Files[0].State != Created {
		t.Errorf("export without git: %+v, %v", res, err)
	}
}

func TestIndexMarkdown(t *testing.T) {
	entries := []IndexEntry{
		{Number: 1, Title: "Old", Link: "/postmortems/1", Date: t0, Severity: "sev2", Status: StatusFinal, Duration: 90 * time.Minute},
		{Number: 2, Title: "New [x](javascript:alert(1))", Link: "javascript:alert(1)", Date: t0.Add(time.Hour), Severity: "sev1", Status: StatusDraft, Duration: 5 * time.Minute, Ongoing: true},
		{Number: 3, Title: "Linked", Link: "https://wiki.example.com/pm (3)", Date: t0.Add(-time.Hour), Severity: "sev3", Status: StatusInReview},
	}
	got := string(indexMarkdown("ru", entries))
	for _, want := range []string{
		"# Постмортемы\n",
		"| 2026-11-28 | #2: New \\[x\\](javascript:alert(1)) | sev1 | 5 минут … | Черновик |\n",
		"| 2026-11-28 | [#1: Old](/postmortems/1) | sev2 | 1 час 30 минут | Окончательный |\n",
		"| 2026-11-28 | #3: Linked | sev3 | 0 секунд | На рецензии |\n", // a URL with a space is no link
	} {
		if !strings.Contains(got, want) {
			t.Errorf("index has no %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "#2:") > strings.Index(got, "#1:") || strings.Index(got, "#1:") > strings.Index(got, "#3:") {
		t.Errorf("not newest first:\n%s", got)
	}
	html, err := HTMLFragment([]byte(got))
	if err != nil {
		t.Fatal(err)
	}
	checkMarkup(t, string(html))
}
