// Package templates holds the bot's text templates: the embedded default
// postmortem in English and Russian, an override file a team may supply
// (postmortem.template in the config), the bot's Slack messages in both
// locales (Lang), and the functions templates call to format dates, durations and numbers
// per locale and to escape user text.
// It depends on the standard library only.
package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// Locale is the language of what the bot writes.
type Locale string

// The supported locales.
const (
	EN Locale = "en"
	RU Locale = "ru"
)

// ErrLocale reports a locale other than en or ru.
var ErrLocale = errors.New("unsupported locale")

// ParseLocale parses "en" or "ru"; the empty string is English.
func ParseLocale(s string) (Locale, error) {
	switch l := Locale(strings.ToLower(strings.TrimSpace(s))); l {
	case "", EN:
		return EN, nil
	case RU:
		return RU, nil
	}
	return "", fmt.Errorf("%w %q (use en or ru)", ErrLocale, s)
}

//go:embed default/*.tmpl default/slack/*.tmpl default/reports/*.tmpl
var defaults embed.FS

// ErrTemplate is wrapped by every *Error: the template does not parse or
// does not run on postmortem data.
var ErrTemplate = errors.New("bad template")

// Error is a template that failed to parse or to execute, with the line of
// the template it failed at (0 when the error names none), so check-config
// can point at it.
type Error struct {
	File string // the override's path, or the embedded template's name
	Line int
	Msg  string // what went wrong, without the file and line
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Unwrap lets callers test for ErrTemplate.
func (e *Error) Unwrap() error { return ErrTemplate }

// text/template errors read "template: NAME:LINE: msg" or
// "template: NAME:LINE:COL: executing ...: msg".
var errLine = regexp.MustCompile(`^template: (.*?):(\d+)(?::\d+)?: (.*)$`)

func templateError(file string, err error) error {
	msg := err.Error()
	if m := errLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[2])
		rest := m[3]
		// Keep the message short: the executing "name" at <.X> part stays,
		// it names the field.
		rest = strings.TrimPrefix(rest, fmt.Sprintf("executing %q at ", m[1]))
		return &Error{File: file, Line: line, Msg: rest}
	}
	return &Error{File: file, Msg: strings.TrimPrefix(msg, "template: ")}
}

// Options chooses the postmortem template.
type Options struct {
	// PostmortemFile is the path of a template that replaces the embedded
	// ones for every locale; empty keeps the defaults.
	PostmortemFile string
	// ReportFiles are report templates from files (reporting[].template),
	// each for every locale; RenderReport takes the path as the name.
	ReportFiles []string
	// OnMessageError receives a Slack message that failed to render (a
	// bug: Lang.Text then falls back to English). Nil panics, which is
	// what tests want.
	OnMessageError func(error)
}

// Set is the parsed templates, safe for concurrent use.
type Set struct {
	postmortem  map[Locale]*template.Template
	messages    map[Locale]*template.Template
	reports     map[string]map[Locale]*template.Template // built-in, by name
	reportFiles map[string]*template.Template            // by path
	onError     func(error)
}

// maxTemplate bounds an override file; a postmortem template is a few KB.
const maxTemplate = 1 << 20

// New parses the embedded templates and the override, if any. An override
// that does not parse, or does not run on sample postmortem data, is an
// *Error with its line.
func New(o Options) (*Set, error) {
	msgs, err := parseMessages()
	if err != nil {
		return nil, err
	}
	s := &Set{postmortem: map[Locale]*template.Template{}, messages: msgs, onError: o.OnMessageError}
	for _, loc := range []Locale{EN, RU} {
		name := "default/postmortem." + string(loc) + ".md.tmpl"
		text, err := defaults.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read embedded template %s: %w", name, err)
		}
		t, err := Parse(name, string(text))
		if err != nil {
			return nil, err
		}
		s.postmortem[loc] = t
	}
	if o.PostmortemFile != "" {
		t, err := LoadPostmortem(o.PostmortemFile)
		if err != nil {
			return nil, err
		}
		s.postmortem[EN], s.postmortem[RU] = t, t
	}
	if s.reports, err = loadReports(); err != nil {
		return nil, err
	}
	s.reportFiles = map[string]*template.Template{}
	for _, path := range o.ReportFiles {
		t, err := LoadReport(path)
		if err != nil {
			return nil, err
		}
		s.reportFiles[path] = t
	}
	return s, nil
}

// LoadPostmortem reads, parses and trial-runs an override template file:
// what check-config calls for postmortem.template.
func LoadPostmortem(path string) (*template.Template, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("postmortem template: %w", err)
	}
	defer f.Close()
	text, err := io.ReadAll(io.LimitReader(f, maxTemplate+1))
	if err != nil {
		return nil, fmt.Errorf("postmortem template %s: %w", path, err)
	}
	if len(text) > maxTemplate {
		return nil, &Error{File: path, Msg: fmt.Sprintf("larger than %d bytes", maxTemplate)}
	}
	return Parse(path, string(text))
}

// Parse parses a postmortem template named name (used in errors) and runs
// it on sample data in both locales, so a misspelt field or a function
// called with the wrong arguments is reported now, with its line, rather
// than when the first incident resolves.
func Parse(name, text string) (*template.Template, error) {
	return parseTrial(name, text, func(loc Locale) any { return Sample(loc) })
}

// parseTrial parses a template and runs it on sample(locale) in both
// locales, reporting the first failure with its line.
func parseTrial(name, text string, sample func(Locale) any) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(funcMap(EN, time.UTC)).Parse(text)
	if err != nil {
		return nil, templateError(name, err)
	}
	for _, tt := range t.Templates() {
		if tt.Tree == nil {
			continue
		}
		if n := numberRange(tt.Tree.Root); n != nil {
			line := 1 + strings.Count(text[:min(int(n.Position()), len(text))], "\n")
			return nil, &Error{File: name, Line: line, Msg: "range over a number or a duration: a template ranges over lists"}
		}
	}
	for _, loc := range []Locale{EN, RU} {
		c, err := t.Clone()
		if err != nil {
			return nil, templateError(name, err)
		}
		if err := c.Funcs(funcMap(loc, time.UTC)).Execute(&limitWriter{}, sample(loc)); err != nil {
			return nil, templateError(name, err)
		}
	}
	return t, nil
}

// trialOutput bounds what a trial run on sample data may write; a
// postmortem of the sample is a few KB.
const trialOutput = 4 << 20

var errTooLong = fmt.Errorf("writes more than %d bytes for the sample incident", trialOutput)

type limitWriter struct{ n int }

func (w *limitWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	if w.n > trialOutput {
		return 0, errTooLong
	}
	return len(p), nil
}

// numberRange finds a range over a number literal or a duration field
// (".Duration", ".D"): since Go 1.22 text/template ranges over integers,
// and a duration in nanoseconds would never end.
func numberRange(n parse.Node) parse.Node {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if r := numberRange(c); r != nil {
				return r
			}
		}
	case *parse.RangeNode:
		if cmds := n.Pipe.Cmds; len(cmds) > 0 && len(cmds[len(cmds)-1].Args) > 0 {
			switch a := cmds[len(cmds)-1].Args[0].(type) {
			case *parse.NumberNode:
				return n
			case *parse.FieldNode:
				if last := a.Ident[len(a.Ident)-1]; last == "Duration" || last == "D" {
					return n
				}
			case *parse.ChainNode:
				if len(a.Field) > 0 {
					if last := a.Field[len(a.Field)-1]; last == "Duration" || last == "D" {
						return n
					}
				}
			}
		}
		if r := numberRange(n.List); r != nil {
			return r
		}
		return numberRange(n.ElseList)
	case *parse.IfNode:
		if r := numberRange(n.List); r != nil {
			return r
		}
		return numberRange(n.ElseList)
	case *parse.WithNode:
		if r := numberRange(n.List); r != nil {
			return r
		}
		return numberRange(n.ElseList)
	}
	return nil
}

// ExecutePostmortem writes the postmortem body for d in d.Locale, with
// local times in d.Zone.
func (s *Set) ExecutePostmortem(w io.Writer, d *Postmortem) error {
	t := s.postmortem[d.Locale]
	if t == nil {
		return fmt.Errorf("postmortem template: %w %q", ErrLocale, d.Locale)
	}
	// A clone per call carries this call's locale and zone; the parsed tree is shared.
	c, err := t.Clone()
	if err != nil {
		return fmt.Errorf("postmortem template: %w", err)
	}
	if err := c.Funcs(funcMap(d.Locale, d.Zone)).Execute(w, d); err != nil {
		return templateError(t.Name(), err)
	}
	return nil
}

// RenderPostmortem is ExecutePostmortem into a new buffer.
func (s *Set) RenderPostmortem(d *Postmortem) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(64 << 10)
	if err := s.ExecutePostmortem(&b, d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
