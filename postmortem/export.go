package postmortem

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/templates"
)

// Names in the export directory that belong to the bot.
const (
	manifestFile = ".incidentbot-export.json"
	lockFile     = ".incidentbot-export.lock" // never committed
	indexFile    = "index.md"
	// sideSuffix replaces ".md" in the name of the bot's copy written
	// beside a file someone edited.
	sideSuffix = ".incidentbot.md"
)

// ErrExport wraps every failure to write the export directory.
var ErrExport = errors.New("postmortem export failed")

// ErrBusy means another process is exporting to the same directory right
// now; the caller tries again later (a job retries with backoff).
var ErrBusy = fmt.Errorf("%w: another export is writing this directory", ErrExport)

// WriteState says what happened to one file.
type WriteState string

// The write states.
const (
	Created   WriteState = "created"
	Updated   WriteState = "updated"
	Renamed   WriteState = "renamed" // the title changed; the old file is gone
	Unchanged WriteState = "unchanged"
	// Conflict: someone edited the file since the bot wrote it. It is left
	// as it is and the new draft is in Path, beside it.
	Conflict WriteState = "conflict"
)

// Written is the outcome for one postmortem (or the index).
type Written struct {
	Number int64 // 0 for the index
	Path   string
	State  WriteState
	Edited string // with Conflict: the file someone edited
	Old    string // with Renamed: the file removed
}

// ExportResult is what one Export call did.
type ExportResult struct {
	Files  []Written
	Index  Written
	Commit string // the commit made, when the directory is a git work tree and anything changed
}

// Conflicts returns the files left alone because someone edited them: the
// caller logs them and tells the incident's channel where the new draft is.
func (r *ExportResult) Conflicts() []Written {
	var out []Written
	for _, w := range append(append([]Written(nil), r.Files...), r.Index) {
		if w.State == Conflict {
			out = append(out, w)
		}
	}
	return out
}

// ExportOptions tunes an Exporter; the zero value is English, git when the
// directory is a work tree.
type ExportOptions struct {
	Locale templates.Locale // of the index
	NoGit  bool             // never commit, even in a git work tree
	Git    string           // the git binary; empty = "git" on the PATH
}

// Exporter keeps a directory of postmortem Markdown files for a wiki: one
// file per postmortem, an index, and a manifest with the hash of what the
// bot last wrote to each, so an edit by a person is never overwritten.
type Exporter struct {
	dir string
	o   ExportOptions
	now func() time.Time
	mu  sync.Mutex // one export at a time in this process
}

// NewExporter returns an Exporter for dir, which it creates when needed.
func NewExporter(dir string, o ExportOptions, now func() time.Time) *Exporter {
	if o.Locale == "" {
		o.Locale = templates.EN
	}
	if o.Git == "" {
		o.Git = "git"
	}
	return &Exporter{dir: dir, o: o, now: now}
}

// manifest records what the bot wrote.
type manifest struct {
	Version   int                      `json:"version"`
	Incidents map[string]*manifestItem `json:"incidents"`
	Index     string                   `json:"index_sha256,omitempty"`
}

type manifestItem struct {
	File     string    `json:"file"`
	SHA256   string    `json:"sha256"`
	Side     string    `json:"side,omitempty"` // the bot's copy beside an edited file
	Number   int64     `json:"incident"`
	Title    string    `json:"title"`
	Date     time.Time `json:"date"`
	Severity string    `json:"severity"`
	Status   string    `json:"status"`
	Duration int64     `json:"duration_seconds"`
	Ongoing  bool      `json:"ongoing,omitempty"`
}

func hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Export writes the drafts and the index, then commits them when the
// directory is a git work tree. Files someone edited since the bot last
// wrote them are left alone: the new draft goes beside them (Conflict).
func (e *Exporter) Export(ctx context.Context, drafts ...*Draft) (*ExportResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := os.MkdirAll(e.dir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrExport, err)
	}
	lock, err := lockDir(filepath.Join(e.dir, lockFile))
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	m, err := e.readManifest()
	if err != nil {
		return nil, err
	}
	res := &ExportResult{}
	var touched []string
	for _, d := range drafts {
		w, paths, err := e.writeDraft(m, d)
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, w)
		touched = append(touched, paths...)
	}
	idx, paths, err := e.writeIndex(m)
	if err != nil {
		return nil, err
	}
	res.Index = idx
	touched = append(touched, paths...)
	if err := e.writeManifest(m); err != nil {
		return nil, err
	}
	touched = append(touched, manifestFile)
	if !e.o.NoGit {
		commit, err := e.commit(ctx, touched, commitMessage(drafts))
		if err != nil {
			return res, err
		}
		res.Commit = commit
	}
	return res, nil
}

func commitMessage(drafts []*Draft) string {
	if len(drafts) == 1 {
		d := drafts[0]
		return fmt.Sprintf("Postmortem #%d: %s (%s)", d.Number, exportTitle(d.Title), d.Status)
	}
	return fmt.Sprintf("Export %d postmortems", len(drafts))
}

// edited reports whether the file at name differs from what the bot wrote
// (sum). A missing file is not edited: the bot writes it again.
func (e *Exporter) edited(name, sum string) (bool, error) {
	b, err := os.ReadFile(filepath.Join(e.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrExport, err)
	}
	return hash(b) != sum, nil
}

func (e *Exporter) exists(name string) bool {
	_, err := os.Lstat(filepath.Join(e.dir, name))
	return err == nil
}

// exportTitle is a title as the export writes it into the manifest, the
// index and commit subjects: one line, no control characters.
func exportTitle(s string) string { return oneLine(templates.CleanLine(s)) }

// writeDraft writes one draft and returns the paths it changed. The
// Markdown written (and hashed) has no control characters, whatever the
// stored draft holds: a title from an alert cannot put terminal escapes
// or bidi overrides into a wiki.
func (e *Exporter) writeDraft(m *manifest, d *Draft) (Written, []string, error) {
	key := strconv.FormatInt(d.Number, 10)
	name := d.FileName()
	md := templates.CleanBytes(d.Markdown)
	sum := hash(md)
	item := m.Incidents[key]
	w := Written{Number: d.Number, Path: name}
	var touched []string
	record := func(file, sum string) {
		if item == nil {
			item = &manifestItem{}
			m.Incidents[key] = item
		}
		item.File, item.SHA256 = file, sum
		item.Number, item.Title, item.Date = d.Number, exportTitle(d.Title), d.Date.UTC()
		item.Severity, item.Status = d.Severity, string(d.Status)
		item.Duration, item.Ongoing = int64(d.Duration/time.Second), d.Ongoing
	}
	conflict := func(edited string) (Written, []string, error) {
		side := strings.TrimSuffix(edited, ".md") + sideSuffix
		if err := e.write(side, sideCopy(md)); err != nil {
			return w, nil, err
		}
		if item != nil && item.File == edited {
			record(edited, item.SHA256) // the bot's last version stays the reference
		} else {
			record(edited, sum)
		}
		item.Side = side
		return Written{Number: d.Number, Path: side, State: Conflict, Edited: edited}, []string{side}, nil
	}

	if item == nil {
		if e.exists(name) {
			edited, err := e.edited(name, sum)
			if err != nil {
				return w, nil, err
			}
			if edited {
				// A file of that name the bot did not write: not ours to replace.
				return conflict(name)
			}
			record(name, sum)
			w.State = Unchanged
			return w, nil, nil
		}
		if err := e.write(name, md); err != nil {
			return w, nil, err
		}
		record(name, sum)
		w.State = Created
		return w, []string{name}, nil
	}

	old := item.File
	edited, err := e.edited(old, item.SHA256)
	if err != nil {
		return w, nil, err
	}
	if edited {
		return conflict(old)
	}
	if item.Side != "" {
		// The edited file is gone: the bot's copy beside it is no longer needed.
		if err := e.remove(item.Side); err != nil {
			return w, nil, err
		}
		touched = append(touched, item.Side)
		item.Side = ""
	}
	if old != name {
		if e.exists(name) {
			if ed, err := e.edited(name, sum); err != nil {
				return w, nil, err
			} else if ed {
				return conflict(name)
			}
		}
		if err := e.remove(old); err != nil {
			return w, nil, err
		}
		if err := e.write(name, md); err != nil {
			return w, nil, err
		}
		record(name, sum)
		w.State, w.Old = Renamed, old
		return w, append(touched, old, name), nil
	}
	if e.exists(name) && item.SHA256 == sum {
		record(name, sum)
		w.State = Unchanged
		return w, touched, nil
	}
	state := Updated
	if !e.exists(name) {
		state = Created
	}
	if err := e.write(name, md); err != nil {
		return w, nil, err
	}
	record(name, sum)
	w.State = state
	return w, append(touched, name), nil
}

// sideCopy marks the bot's copy beside an edited file as a draft, so Hugo
// does not publish it twice.
func sideCopy(md []byte) []byte {
	if !bytes.HasPrefix(md, []byte("---\n")) {
		return md
	}
	i := bytes.Index(md[4:], []byte("\n---\n"))
	if i < 0 {
		return md
	}
	end := 4 + i + 1
	out := make([]byte, 0, len(md)+13)
	out = append(out, md[:end]...)
	out = append(out, "draft: true\n"...)
	return append(out, md[end:]...)
}

// writeIndex writes index.md from the manifest, newest first, unless
// someone edited it.
func (e *Exporter) writeIndex(m *manifest) (Written, []string, error) {
	body := templates.CleanBytes(e.index(m)) // a manifest written before titles were cleaned
	sum := hash(body)
	w := Written{Path: indexFile}
	if m.Index != "" || e.exists(indexFile) {
		ref := m.Index
		if ref == "" {
			ref = sum // an index.md the bot never wrote counts as edited unless it is identical
		}
		edited, err := e.edited(indexFile, ref)
		if err != nil {
			return w, nil, err
		}
		if edited {
			side := strings.TrimSuffix(indexFile, ".md") + sideSuffix
			if err := e.write(side, body); err != nil {
				return w, nil, err
			}
			return Written{Path: side, State: Conflict, Edited: indexFile}, []string{side}, nil
		}
	}
	if m.Index == sum && e.exists(indexFile) {
		w.State = Unchanged
		return w, nil, nil
	}
	w.State = Updated
	if !e.exists(indexFile) {
		w.State = Created
	}
	if err := e.write(indexFile, body); err != nil {
		return w, nil, err
	}
	m.Index = sum
	return w, []string{indexFile}, nil
}

func (e *Exporter) index(m *manifest) []byte {
	entries := make([]IndexEntry, 0, len(m.Incidents))
	for _, it := range m.Incidents {
		entries = append(entries, IndexEntry{
			Number: it.Number, Title: it.Title, Link: it.File, Date: it.Date, Severity: it.Severity,
			Status: Status(it.Status), Duration: time.Duration(it.Duration) * time.Second, Ongoing: it.Ongoing,
		})
	}
	return indexMarkdown(e.o.Locale, entries)
}

// IndexEntry is one postmortem in a list.
type IndexEntry struct {
	Number   int64
	Title    string
	Link     string // where the entry links: a file name in the export, /postmortems/42 on the web
	Date     time.Time
	Severity string
	Status   Status
	Duration time.Duration
	Ongoing  bool
}

// Entry is the draft's line in a list, linking to link.
func (d *Draft) Entry(link string) IndexEntry {
	return IndexEntry{Number: d.Number, Title: d.Title, Link: link, Date: d.Date, Severity: d.Severity,
		Status: d.Status, Duration: d.Duration, Ongoing: d.Ongoing}
}

// indexMarkdown lists postmortems newest first, with severity, duration and
// status: the export's index.md, and the source of the web's list.
func indexMarkdown(loc templates.Locale, entries []IndexEntry) []byte {
	items := append([]IndexEntry(nil), entries...)
	sort.Slice(items, func(i, j int) bool {
		if !items[i].Date.Equal(items[j].Date) {
			return items[i].Date.After(items[j].Date)
		}
		return items[i].Number > items[j].Number
	})
	head := [2]string{"Postmortems", "| Date (UTC) | Postmortem | Severity | Duration | Status |"}
	if loc == templates.RU {
		head = [2]string{"Постмортемы", "| Дата (UTC) | Постмортем | Уровень | Длительность | Статус |"}
	}
	var b bytes.Buffer
	date := time.Unix(0, 0)
	if len(items) > 0 {
		date = items[0].Date
	}
	FrontMatter{Title: head[0], Date: date}.writeIndex(&b)
	b.WriteString("\n# " + head[0] + "\n\n")
	if len(items) == 0 {
		return b.Bytes()
	}
	b.WriteString(head[1] + "\n|---|---|---|---|---|\n")
	for _, it := range items {
		dur := templates.Duration(loc, it.Duration)
		if it.Ongoing {
			dur += " …"
		}
		title := fmt.Sprintf("#%d: %s", it.Number, templates.Cell(it.Title))
		if link := indexLink(it.Link); link != "" {
			title = "[" + title + "](" + link + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n",
			it.Date.UTC().Format("2006-01-02"), title, templates.Cell(it.Severity), dur,
			templates.Cell(templates.Word(loc, string(it.Status))))
	}
	return b.Bytes()
}

// indexLink accepts the links the bot makes (file names, site paths, http
// URLs) and encodes what would end a link destination; anything with a
// scheme but http(s) is no link.
func indexLink(l string) string {
	if u := templates.Dest(l); u != "" {
		return u
	}
	if l == "" || strings.ContainsAny(l, ":<>\"'` \t\n\\") {
		return ""
	}
	return parenEscaper.Replace(l)
}

var parenEscaper = strings.NewReplacer("(", "%28", ")", "%29")

// writeIndex writes the index's front matter: a title and date only.
func (f FrontMatter) writeIndex(b *bytes.Buffer) {
	b.WriteString("---\n")
	b.WriteString("title: " + yamlQuote(SafeTitle(f.Title)) + "\n")
	b.WriteString("date: " + f.Date.UTC().Format(time.RFC3339) + "\n")
	b.WriteString("---\n")
}

func (e *Exporter) readManifest() (*manifest, error) {
	m := &manifest{Version: 1, Incidents: map[string]*manifestItem{}}
	b, err := os.ReadFile(filepath.Join(e.dir, manifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrExport, err)
	}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("%w: %s is damaged (%w); move it away to export afresh, treating every existing file as edited", ErrExport, manifestFile, err)
	}
	if m.Incidents == nil {
		m.Incidents = map[string]*manifestItem{}
	}
	for k, it := range m.Incidents {
		if it == nil || !safeName(it.File) || (it.Side != "" && !safeName(it.Side)) {
			delete(m.Incidents, k) // never let the manifest point outside the directory
		}
	}
	return m, nil
}

// safeName accepts plain file names in the directory, as the bot makes them.
func safeName(name string) bool {
	return name != "" && name == filepath.Base(name) && !strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".md")
}

func (e *Exporter) writeManifest(m *manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrExport, err)
	}
	return e.write(manifestFile, append(b, '\n'))
}

// write replaces name atomically: a reader sees the old file or the new.
func (e *Exporter) write(name string, data []byte) error {
	f, err := os.CreateTemp(e.dir, ".incidentbot-tmp-*")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrExport, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(e.dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%w: write %s: %w", ErrExport, name, err)
	}
	return nil
}

func (e *Exporter) remove(name string) error {
	err := os.Remove(filepath.Join(e.dir, name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: remove %s: %w", ErrExport, name, err)
	}
	return nil
}
