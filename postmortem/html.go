package postmortem

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdown converts postmortems: GFM (tables, task lists, strikethrough,
// autolinks), heading IDs, and no raw HTML — goldmark's default, which
// prints "<!-- raw HTML omitted -->" instead. Links are checked twice:
// goldmark drops javascript:, vbscript:, file: and data: destinations, and
// safeLinks keeps only http, https, mailto and same-site ones. It is
// immutable once built, like a compiled regexp.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(
		parser.WithAutoHeadingID(),
		parser.WithASTTransformers(util.Prioritized(safeLinks{}, 1000)),
	),
	goldmark.WithRendererOptions(html.WithHardWraps()),
)

// HTMLFragment renders Markdown (front matter skipped) to an HTML fragment
// that is safe to put in a page whatever the Markdown holds.
func HTMLFragment(md []byte) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(len(md) * 3 / 2)
	ctx := parser.NewContext(parser.WithIDs(newHeadingIDs()))
	if err := markdown.Convert(StripFrontMatter(md), &b, parser.WithContext(ctx)); err != nil {
		return nil, fmt.Errorf("render postmortem HTML: %w", err)
	}
	return b.Bytes(), nil
}

//go:embed page.css
var pageCSS string

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<main class="postmortem">
{{.Body}}
</main>
</body>
</html>
`))

// HTMLPage renders a draft as a complete, printable HTML page.
func HTMLPage(d *Draft, lang string) ([]byte, error) {
	body, err := HTMLFragment(d.Markdown)
	if err != nil {
		return nil, err
	}
	if lang == "" {
		lang = "en"
	}
	var b bytes.Buffer
	b.Grow(len(body) + len(pageCSS) + 512)
	err = page.Execute(&b, struct {
		Lang, Title string
		CSS         template.CSS
		Body        template.HTML
	}{
		Lang: lang, Title: fmt.Sprintf("INC-%d: %s", d.Number, d.Title),
		CSS:  template.CSS(pageCSS),
		Body: template.HTML(body), // goldmark without unsafe HTML, links checked
	})
	if err != nil {
		return nil, fmt.Errorf("render postmortem page: %w", err)
	}
	return b.Bytes(), nil
}

// safeLinks clears link and image destinations that are not http, https,
// mailto or same-site, whatever wrote them (an override template too).
type safeLinks struct{}

func (safeLinks) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch l := n.(type) {
		case *ast.Link:
			if !allowedURL(l.Destination) {
				l.Destination = nil
			}
		case *ast.Image:
			if !allowedURL(l.Destination) {
				l.Destination = nil
			}
		case *ast.AutoLink:
			if !allowedURL(l.URL(nil)) && l.AutoLinkType != ast.AutoLinkEmail {
				// Keep the text, lose the link.
				parent := l.Parent()
				parent.ReplaceChild(parent, l, ast.NewString(l.Label(nil)))
			}
		}
		return ast.WalkContinue, nil
	})
}

func allowedURL(dest []byte) bool {
	s := string(dest)
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0 {
		return false
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "mailto":
		return true
	case "":
		// #anchor, /path, path: no scheme can hide in them once parsed.
		return !strings.Contains(s, ":") || strings.Index(s, ":") > strings.IndexAny(s, "/?#")
	}
	return false
}

// headingIDs makes heading IDs from letters of any script, so Russian
// headings get "выводы" rather than goldmark's "heading", "heading-1".
type headingIDs struct{ used map[string]bool }

func newHeadingIDs() *headingIDs { return &headingIDs{used: map[string]bool{}} }

// Generate implements parser.IDs.
func (h *headingIDs) Generate(value []byte, kind ast.NodeKind) []byte {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(string(value)) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	base := b.String()
	if base == "" {
		base = "section"
	}
	id := base
	for i := 1; h.used[id]; i++ {
		id = fmt.Sprintf("%s-%d", base, i)
	}
	h.used[id] = true
	return []byte(id)
}

// Put implements parser.IDs.
func (h *headingIDs) Put(value []byte) { h.used[string(value)] = true }
