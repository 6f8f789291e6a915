package postmortem

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/incidentbot/incidentbot/internal/translit"
	"github.com/incidentbot/incidentbot/templates"
)

// FrontMatter is the YAML header of an exported postmortem, in the keys
// Hugo, MkDocs and Docusaurus all read.
type FrontMatter struct {
	Title    string
	Date     time.Time
	Tags     []string
	Severity string
	Status   string
	Incident int64
	// Draft asks Hugo to skip the page: set on the bot's copy written
	// beside a file someone edited.
	Draft bool
}

// Bytes is the header between --- lines, as Draft writes it.
func (f FrontMatter) Bytes() []byte {
	var b bytes.Buffer
	f.write(&b)
	return b.Bytes()
}

// write writes the header between --- lines. Every string is a quoted
// YAML scalar, and the title is made safe for wikis that print it as HTML.
func (f FrontMatter) write(b *bytes.Buffer) {
	b.WriteString("---\n")
	b.WriteString("title: " + yamlQuote(SafeTitle(f.Title)) + "\n")
	b.WriteString("date: " + f.Date.UTC().Format(time.RFC3339) + "\n")
	b.WriteString("tags: [")
	for i, t := range f.Tags {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(yamlQuote(t))
	}
	b.WriteString("]\n")
	b.WriteString("severity: " + yamlQuote(f.Severity) + "\n")
	b.WriteString("status: " + yamlQuote(f.Status) + "\n")
	b.WriteString("incident: " + strconv.FormatInt(f.Incident, 10) + "\n")
	if f.Draft {
		b.WriteString("draft: true\n")
	}
	b.WriteString("---\n")
}

// yamlQuote returns s as a YAML double-quoted scalar. Only the backslash,
// the quote and characters YAML will not take literally are escaped, so
// the title a wiki reads is the one written (JSON's \u003c would come
// back as '<').
func yamlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// SafeTitle makes a title safe to print unescaped into HTML, as MkDocs
// does with a front-matter title, and still readable where it is escaped
// (Hugo): markup characters become look-alikes, control characters and
// runs of space one space.
func SafeTitle(s string) string {
	var b strings.Builder
	for _, c := range templates.CleanLine(strings.ToValidUTF8(s, "")) {
		if unicode.IsControl(c) || unicode.Is(unicode.Zl, c) || unicode.Is(unicode.Zp, c) || c == 0xfeff {
			c = ' '
		}
		b.WriteRune(c)
	}
	return titleLookalikes.Replace(strings.Join(strings.Fields(b.String()), " "))
}

// titleLookalikes stand in for the characters HTML gives meaning to.
var titleLookalikes = strings.NewReplacer("<", "‹", ">", "›", "&", "＆", `"`, "”", "'", "’", "`", "ʼ")

// maxSlug bounds the slug in file names; with the date and number a name
// stays well below file-system limits.
const maxSlug = 60

// Slug is s in lowercase ASCII letters, digits and single hyphens, at
// most 60 characters; letters are spelled by translit.Rune (as in channel
// names), apostrophes dropped inside a word, anything else a hyphen.
// It names exported files, so it never contains ':' or '/'.
func Slug(s string) string {
	var b strings.Builder
	dash := false
	emit := func(t string) {
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteString(t)
	}
	for _, r := range strings.ToLower(templates.CleanLine(s)) {
		t, inWord := translit.Rune(r)
		switch {
		case t != "":
			emit(t)
		case inWord || r == '\'' || r == '’':
		default:
			dash = true
		}
		if b.Len() > maxSlug {
			break
		}
	}
	out := b.String()
	if len(out) > maxSlug {
		out = out[:maxSlug]
		// End at a word, not in one.
		if i := strings.LastIndexByte(out, '-'); i > maxSlug/2 {
			out = out[:i]
		}
	}
	return strings.Trim(out, "-")
}

// FileName is the export file of a postmortem:
// YYYY-MM-DD-inc-<n>-<slug>.md, dated by detection in UTC.
func FileName(number int64, title string, detected time.Time) string {
	slug := Slug(title)
	if slug == "" {
		slug = "incident"
	}
	return fmt.Sprintf("%s-inc-%d-%s.md", detected.UTC().Format("2006-01-02"), number, slug)
}

// FileName is the export file of the draft.
func (d *Draft) FileName() string { return FileName(d.Number, d.Title, d.Date) }

// StripFrontMatter returns md without a leading --- … --- block.
func StripFrontMatter(md []byte) []byte {
	rest, ok := bytes.CutPrefix(md, []byte("---\n"))
	if !ok {
		return md
	}
	if i := bytes.Index(rest, []byte("\n---\n")); i >= 0 {
		return bytes.TrimLeft(rest[i+len("\n---\n"):], "\n")
	}
	if bytes.HasPrefix(rest, []byte("---\n")) {
		return bytes.TrimLeft(rest[4:], "\n")
	}
	return md
}
