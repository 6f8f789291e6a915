package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/config"
)

func TestStoryExportDirKeptCurrentAndEditsLeftAlone(t *testing.T) {
	exportDir := t.TempDir()
	h := newHarness(t, harnessOptions{manual: true, config: func(c *config.Config) {
		withSlack(c)
		c.Postmortem.ExportDir = exportDir
	}})
	h.command("U0002", h.channelID("general"), "declare Login <script>broken</script> sev2")
	h.settle()
	ch := h.channel(1)
	h.command("U0002", ch.ID, "resolve cert renewed")
	h.settle()
	files, _ := filepath.Glob(filepath.Join(exportDir, "*-inc-1-*.md"))
	if len(files) != 1 {
		t.Fatalf("export dir files of #1 = %v, want one", files)
	}
	md, _ := os.ReadFile(files[0])
	if !strings.Contains(string(md), "cert renewed") {
		t.Fatalf("exported draft lacks the summary:\n%s", md)
	}
	if index, err := os.ReadFile(filepath.Join(exportDir, "index.md")); err != nil || !strings.Contains(string(index), "#1: ") {
		t.Errorf("index.md = %q, %v; want it to list #1", index, err)
	}

	// Someone edits the file in the wiki; the next draft goes beside it and the channel is told once.
	if err := os.WriteFile(files[0], append(md, []byte("\nEdited by a person.\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	h.command("U0002", ch.ID, "action rotate certs automatically")
	h.settle()
	h.app.queuePostmortem(context.Background(), 1) // a rerun tells nothing twice
	h.settle()
	if got, _ := os.ReadFile(files[0]); !bytes.Contains(got, []byte("Edited by a person.")) {
		t.Error("the edited file was overwritten")
	}
	side, _ := filepath.Glob(filepath.Join(exportDir, "*-inc-1-*.incidentbot.md"))
	if len(side) != 1 {
		t.Fatalf("side files = %v, want the new draft beside the edited one", side)
	}
	if got, _ := os.ReadFile(side[0]); !bytes.Contains(got, []byte("rotate certs automatically")) {
		t.Error("the side file lacks the new action")
	}
	conflicts := 0
	for _, m := range botMessages(h.sim.Messages(ch.ID)) {
		if strings.Contains(m.Text, "edited") && strings.Contains(m.Text, filepath.Base(files[0])) {
			conflicts++
		}
	}
	if conflicts != 1 {
		t.Errorf("conflict messages in the channel = %d, want 1", conflicts)
	}
}

func TestExportPostmortemsCommand(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	ctx := context.Background()
	h.command("U0002", h.channelID("general"), "declare Disk full sev3")
	h.command("U0002", h.channelID("general"), "declare Cache cold sev4")
	h.settle()
	for _, n := range []int64{1, 2} {
		if _, err := h.app.Service().Resolve(ctx, n, "cleaned up", "U0002"); err != nil {
			t.Fatal(err)
		}
	}
	h.settle()

	// The web's provider methods see both.
	list, err := h.app.Postmortems(ctx)
	if err != nil || len(list) != 2 || list[0].Number != 2 || list[0].Status != "draft" || list[0].Title != "Cache cold" {
		t.Fatalf("Postmortems = %+v, %v; want #2 then #1, drafts", list, err)
	}
	page, md, err := h.app.Postmortem(ctx, 1)
	if err != nil || !bytes.Contains(page, []byte("<html")) || !bytes.Contains(page, []byte("Disk full")) || !bytes.HasPrefix(md, []byte("---\n")) {
		t.Fatalf("Postmortem(1): %d bytes of HTML, markdown %.40q, %v", len(page), md, err)
	}
	if _, _, err := h.app.Postmortem(ctx, 3); !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("Postmortem(3) err = %v, want ErrNotFound", err)
	}

	getenv := func(k string) string {
		return map[string]string{"INCIDENTBOT_DATA_DIR": h.dir, "MONGODB_URI": ""}[k]
	}
	dir := t.TempDir()
	var out bytes.Buffer
	// Beside the running bot: read from a snapshot, no lock needed.
	if err := ExportPostmortems(ctx, getenv, dir, &out); err != nil {
		t.Fatalf("export beside the running bot: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*-inc-*.md"))
	if len(files) != 2 || !strings.Contains(out.String(), "2 postmortems exported") {
		t.Errorf("exported files %v, output %q; want 2", files, out.String())
	}
	// The bot still owns its store and goes on writing.
	if _, err := h.app.Service().Reopen(ctx, 1, "U0002"); err != nil {
		t.Errorf("the running bot after an export beside it: %v", err)
	}
	h.stop()
	out.Reset()
	if err := ExportPostmortems(ctx, getenv, dir, &out); err != nil {
		t.Fatalf("export after the bot stopped: %v", err)
	}
	if !strings.Contains(out.String(), "2 postmortems exported") {
		t.Errorf("second export: %q", out.String())
	}
}

// The web view serves the drafts the bot wrote: the list, the page, the Markdown.
func TestPostmortemPagesOverHTTP(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	ctx := context.Background()
	h.command("U0002", h.channelID("general"), "declare Disk <b>full</b> sev3")
	h.settle()
	if _, err := h.app.Service().Resolve(ctx, 1, "cleaned up", "U0002"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	get := func(path string) (int, string) {
		resp, err := http.Get(h.app.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/postmortems"); code != 200 || !strings.Contains(body, `href="/postmortems/1"`) {
		t.Errorf("GET /postmortems = %d, want a link to #1: %.300s", code, body)
	}
	code, body := get("/postmortems/1")
	if code != 200 || !strings.Contains(body, "cleaned up") || strings.Contains(body, "<b>full</b>") || strings.Count(body, "<html") != 1 {
		t.Errorf("GET /postmortems/1 = %d, want the draft in one page with the title escaped: %.500s", code, body)
	}
	if code, body := get("/postmortems/1.md"); code != 200 || !strings.HasPrefix(body, "---\n") {
		t.Errorf("GET /postmortems/1.md = %d %.80q, want the Markdown with front matter", code, body)
	}
	if code, _ := get("/postmortems/2"); code != 404 {
		t.Errorf("GET /postmortems/2 = %d, want 404", code)
	}
}
