package postmortem

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/templates"
)

// Every literal '<' in goldmark's output starts a tag (text is escaped),
// so scanning tags is enough to see what markup reached the page.
var (
	tagRE  = regexp.MustCompile(`<(/?)([a-zA-Z0-9!-]+)([^>]*)>`)
	attrRE = regexp.MustCompile(`([a-zA-Z-]+)(?:="([^"]*)")?`)
)

var allowedTags = map[string]bool{
	"h1": true, "h2": true, "h3": true, "h4": true, "p": true, "ul": true, "ol": true, "li": true, "a": true,
	"table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true, "code": true, "pre": true,
	"strong": true, "em": true, "del": true, "br": true, "input": true, "hr": true, "blockquote": true,
	"!--": true, // <!-- raw HTML omitted -->
	// The page shell.
	"!DOCTYPE": true, "html": true, "head": true, "meta": true, "title": true, "style": true, "body": true, "main": true,
}

var allowedAttrs = map[string]bool{
	"href": true, "id": true, "checked": true, "disabled": true, "type": true, "style": true,
	"lang": true, "charset": true, "name": true, "content": true, "class": true, "html": true,
	"raw": true, "HTML": true, "omitted": true, "--": true,
}

// checkMarkup fails the test for any tag, attribute or link that a
// postmortem page must never carry.
func checkMarkup(t *testing.T, page string) {
	t.Helper()
	// <style> holds the CSS; nothing user-made goes there.
	if i, j := strings.Index(page, "<style>"), strings.Index(page, "</style>"); i >= 0 && j > i {
		page = page[:i] + page[j:]
	}
	for _, m := range tagRE.FindAllStringSubmatch(page, -1) {
		name := m[2]
		if !allowedTags[name] {
			t.Errorf("tag %q reached the page", m[0])
			continue
		}
		for _, a := range attrRE.FindAllStringSubmatch(m[3], -1) {
			if !allowedAttrs[a[1]] {
				t.Errorf("attribute %q in %q reached the page", a[1], m[0])
			}
			if a[1] == "href" || a[1] == "src" {
				v := strings.ToLower(a[2])
				if v != "" && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") &&
					!strings.HasPrefix(v, "mailto:") && !strings.HasPrefix(v, "#") && !strings.HasPrefix(v, "/") {
					t.Errorf("link %q in %q", a[2], m[0])
				}
			}
			if a[1] == "style" && !strings.HasPrefix(a[2], "text-align:") {
				t.Errorf("style %q in %q", a[2], m[0])
			}
		}
	}
	low := strings.ToLower(page)
	// As text a script URL is harmless; inside an attribute it is not.
	if regexp.MustCompile(`="[^"]*(javascript|vbscript|data):`).MatchString(low) {
		t.Errorf("a script URL in an attribute")
	}
	for _, bad := range []string{"<script", "<img", "<svg", "<iframe", "onerror=\"", "onload=\""} {
		if strings.Contains(low, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
}

const (
	xssScript = `<script>alert(1)</script>`
	xssImg    = `<img src=x onerror=alert(1)>`
	xssLink   = `[x](javascript:alert(1))`
)

// hostileInput puts attacks in the title, a note, a pin, an action, an
// alert annotation, labels and names.
func hostileInput() Input {
	in := shortSev4()
	inc := *in.Incident
	inc.Title = xssScript + " " + xssImg + " " + xssLink
	inc.Summary = "<a href=\"javascript:alert(1)\">click</a>\n" + xssLink + "\n<javascript:alert(1)>"
	inc.Description = "<iframe src=//evil.example>"
	inc.Service = xssImg
	inc.Labels = map[string]string{"alertname": xssScript, "x`y": "`<b>`"}
	inc.Alerts = map[string]incidents.Alert{"f1": {
		Fingerprint: "f1", Status: "firing", StartsAt: t0,
		Labels:       map[string]string{"alertname": xssImg, "service": "<svg onload=alert(1)>"},
		Annotations:  map[string]string{"summary": xssScript, "runbook_url": "javascript:alert(1)", "dashboard": "https://g.example/d\"onmouseover=\"alert(1)", "grafana": "https://g.example/ok"},
		GeneratorURL: "javascript:alert(1)//http://prom.example",
	}}
	in.Incident = &inc
	tl := &timeline{number: inc.Number}
	tl.add(incidents.EventNote, t0.Add(time.Minute), "U0BOB", xssImg+" "+xssLink+" [y](JaVaScRiPt:alert(1)) ![i](javascript:alert(1))", nil)
	tl.add(incidents.EventMessagePinned, t0.Add(2*time.Minute), "U0BOB", "&lt;script&gt;alert(1)&lt;/script&gt; <javascript:alert(1)|click me>",
		map[string]string{"permalink": "javascript:alert(1)"})
	tl.add(incidents.EventAlertFired, t0, incidents.ActorAlertmanager, "Alert firing: "+xssScript, map[string]string{"fingerprint": "f1", "generator_url": "javascript:alert(2)"})
	in.Timeline = append(in.Timeline, tl.events...)
	in.Actions = []Action{{ID: 1, Text: xssLink + " " + xssScript, Owner: xssImg, Link: "javascript:alert(1)", State: ActionOpen}}
	in.Names = map[string]string{"U0DAVE": xssScript, "U0BOB": "<b onmouseover=alert(1)>bob</b>"}
	in.Links = Links{Channel: "javascript:alert(1)", ChannelName: xssImg, WebBase: "javascript:alert(1)//"}
	in.Previous = &Previous{Incident: &incidents.Incident{Number: 3, Title: xssScript}, Postmortem: "javascript:alert(1)"}
	in.SeverityDescription = xssImg
	return in
}

func TestHTMLIsSafe(t *testing.T) {
	for _, loc := range []templates.Locale{templates.EN, templates.RU} {
		in := hostileInput()
		in.Locale = loc
		d, err := newDrafter(t, t0.Add(time.Hour)).Draft(in)
		if err != nil {
			t.Fatal(err)
		}
		page, err := HTMLPage(d, string(loc))
		if err != nil {
			t.Fatal(err)
		}
		checkMarkup(t, string(page))
		// The attacks are still there as text a reader can see.
		if !strings.Contains(string(page), "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: the title's text is gone from the page", loc)
		}
		if t.Failed() {
			t.Logf("markdown:\n%s\nhtml:\n%s", d.Markdown, page)
			return
		}
	}
}

// TestHTMLFragmentRawMarkdown renders hostile Markdown as an override
// template could write it, without escaping: goldmark and safeLinks must
// still keep markup and script links out.
func TestHTMLFragmentRawMarkdown(t *testing.T) {
	tests := []string{
		xssScript, xssImg, xssLink,
		"[x](JAVASCRIPT:alert(1))",
		"[x](java&#x09;script:alert(1))",
		"[x](&#106;avascript:alert(1))",
		"[x]( javascript:alert(1) )",
		"<javascript:alert(1)>",
		"![i](javascript:alert(1))",
		"[x][r]\n\n[r]: javascript:alert(1)",
		"[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
		"[x](vbscript:msgbox(1))",
		"[x](file:///etc/passwd)",
		`<a href="javascript:alert(1)">x</a>`,
		"<div onclick=alert(1)>x</div>",
		"# <img src=x onerror=alert(1)>",
		"| a |\n|---|\n| <script>x</script> |",
		"- [ ] <img src=x onerror=alert(1)>",
		"`<script>`",
		"```\n<script>alert(1)</script>\n```",
		"www.example.com/<script>",
		"![i](javascript:alert(1)) [y](javascript:alert(2)) ![j](javascript:alert(3)) [z](javascript:alert(4))",
		"<javascript:alert(1)> [y](javascript:alert(2)) <vbscript:x> ![i](data:image/svg+xml,<svg onload=alert(1)>)",
	}
	for _, md := range tests {
		out, err := HTMLFragment([]byte(md))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(md, func(t *testing.T) { checkMarkup(t, string(out)) })
	}
}

func TestHTMLRendersGFM(t *testing.T) {
	d, err := newDrafter(t, t0.Add(72*time.Hour)).Draft(multiDaySev1(templates.RU))
	if err != nil {
		t.Fatal(err)
	}
	page, err := HTMLPage(d, "ru")
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, want := range []string{
		`<!DOCTYPE html>`, `<html lang="ru">`, `<title>#42: Checkout fails for card payments</title>`,
		`@media print`, `<table>`, `<input checked="" disabled="" type="checkbox"`, `<input disabled="" type="checkbox"`,
		`<h2 id="выводы">Выводы</h2>`, `<h3 id="что-прошло-хорошо">`,
		`<a href="https://tracker.example.com/SRE-105">`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the page has no %q", want)
		}
	}
	if strings.Contains(s, "incident: 42") {
		t.Error("the front matter reached the page")
	}
	frag, err := HTMLFragment(d.Markdown)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(frag), "<html") || !strings.HasPrefix(string(frag), "<h1") {
		t.Errorf("the fragment is not bare: %.80s", frag)
	}
	checkMarkup(t, s)
}

func TestHeadingIDsUnique(t *testing.T) {
	out, err := HTMLFragment([]byte("# A\n\n# A\n\n# A-1\n\n# !!!\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<h1 id="a">`, `<h1 id="a-1">`, `<h1 id="a-1-1">`, `<h1 id="section">`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %s in %s", want, out)
		}
	}
}
