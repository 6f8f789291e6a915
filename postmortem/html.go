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
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdown converts postmortems: GFM tables, task lists and strikethrough,
// heading IDs, and no raw HTML — goldmark's default, which
// prints "<!-- raw HTML omitted -->" instead. Links are checked twice:
// goldmark drops javascript:, vbscript:, file: and data: destinations, and
// safeLinks keeps only http, https, mailto and same-site ones. It is
// immutable once built, like a compiled regexp.
var markdown = goldmark.New(
	// GFM without Linkify: the bot writes the links it means, and scanning
	// every text for URLs was a tenth of the time on big timelines.
	goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.TaskList),
	goldmark.WithParserOptions(
		parser.WithAutoHeadingID(),
		parser.WithASTTransformers(util.Prioritized(safeLinks{}, 1000)),
	),
)

// HTMLFragment renders Markdown (front matter skipped) to an HTML fragment
// that is safe to put in a page whatever the Markdown holds.
func HTMLFragment(md []byte) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(len(md) * 5 / 4)
	if err := renderHTML(md, &b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func renderHTML(md []byte, w *bytes.Buffer) error {
	ctx := parser.NewContext(parser.WithIDs(newHeadingIDs()))
	if err := markdown.Convert(StripFrontMatter(md), w, parser.WithContext(ctx)); err != nil {
		return fmt.Errorf("render postmortem HTML: %w", err)
	}
	return nil
}

//go:embed page.css
var pageCSS string

// pageHead is the page up to the body; pageTail closes it.
var pageHead = template.Must(template.New("page").Parse(`<!DOCTYPE html>
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
`))

const pageTail = "</main>\n</body>\n</html>\n"

// HTMLPage renders a draft as a complete, readable and printable HTML page
// (lang is its language, "en" when empty).
func HTMLPage(d *Draft, lang string) ([]byte, error) {
	if lang == "" {
		lang = "en"
	}
	var b bytes.Buffer
	b.Grow(len(pageCSS) + 1024 + len(d.Markdown)*5/4)
	err := pageHead.Execute(&b, struct {
		Lang, Title string
		CSS         template.CSS
	}{Lang: lang, Title: fmt.Sprintf("#%d: %s", d.Number, d.Title), CSS: template.CSS(pageCSS)})
	if err != nil {
		return nil, fmt.Errorf("render postmortem page: %w", err)
	}
	// The body straight into the page: goldmark without raw HTML, links checked.
	if err := renderHTML(d.Markdown, &b); err != nil {
		return nil, err
	}
	b.WriteString(pageTail)
	return b.Bytes(), nil
}

// safeLinks clears link and image destinations that are not http, https,
// mailto or same-site, whatever wrote them (an override template too).
type safeLinks struct{}

func (safeLinks) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	source := reader.Source()
	// Replace after the walk: a node replaced during it loses its next
	// sibling, and the walk would skip the rest of the paragraph.
	type swap struct{ old, new ast.Node }
	var swaps []swap
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
				// An image without a source still loads the page itself; keep its alt text.
				swaps = append(swaps, swap{l, ast.NewString(inlineText(l, source))})
				return ast.WalkSkipChildren, nil
			}
		case *ast.AutoLink:
			if l.AutoLinkType != ast.AutoLinkEmail && !allowedURL(l.URL(source)) {
				swaps = append(swaps, swap{l, ast.NewString(l.Label(source))})
			}
		}
		return ast.WalkContinue, nil
	})
	for _, s := range swaps {
		s.old.Parent().ReplaceChild(s.old.Parent(), s.old, s.new)
	}
}

// inlineText is the text of n's inline children.
func inlineText(n ast.Node, source []byte) []byte {
	var b bytes.Buffer
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := c.(*ast.Text); ok && entering {
			b.Write(t.Segment.Value(source))
		}
		return ast.WalkContinue, nil
	})
	return b.Bytes()
}

// allowedURL checks a destination as goldmark will write it (entities
// resolved, then percent-encoded).
func allowedURL(dest []byte) bool {
	s := string(util.URLEscape(dest, true))
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
