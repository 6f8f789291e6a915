package email

import (
	"bytes"
	"encoding/base64"
	"fmt"
	htmltemplate "html/template"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/paging"
)

// maxSubject bounds the subject (characters); a subject is one line.
const maxSubject = 200

// view is what the text and HTML templates show.
type view struct {
	Test        bool
	Subject     string
	Body        string
	IncidentURL string
	AckURL      string
	Expiry      string
	Person      string
}

var textTmpl = texttemplate.Must(texttemplate.New("text").Parse(
	`{{if .Test}}This is a test page from incidentbot. It acknowledges nothing.

{{end}}{{.Subject}}
{{with .Body}}
{{.}}
{{end}}{{with .IncidentURL}}
Incident: {{.}}
{{end}}{{with .AckURL}}
Acknowledge: {{.}}
Opening the link asks you to confirm. {{$.Expiry}}
{{end}}
-- 
incidentbot paged {{.Person}} by email.
`))

var htmlTmpl = htmltemplate.Must(htmltemplate.New("html").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:24px;font-family:Arial,Helvetica,sans-serif;color:#1d1c1d;background:#ffffff">
{{if .Test}}<p style="padding:8px 12px;background:#fff4ce;border:1px solid #e0b000">This is a <strong>test page</strong> from incidentbot. It acknowledges nothing.</p>
{{end}}<h1 style="font-size:20px;margin:0 0 16px">{{.Subject}}</h1>
{{with .Body}}<div style="white-space:pre-wrap;font-size:15px;line-height:1.4;margin:0 0 16px">{{.}}</div>
{{end}}{{with .AckURL}}<p style="margin:24px 0 8px"><a href="{{.}}" style="display:inline-block;padding:14px 28px;background:#c0392b;color:#ffffff;font-size:18px;font-weight:bold;text-decoration:none;border-radius:6px">Acknowledge</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#616061">Opening the link asks you to confirm. {{$.Expiry}}</p>
{{end}}{{with .IncidentURL}}<p style="font-size:15px"><a href="{{.}}">Open the incident</a></p>
{{end}}<p style="margin-top:32px;font-size:12px;color:#616061">incidentbot paged {{.Person}} by email.</p>
</body></html>
`))

// compose writes the whole message, headers and both parts, with CRLF line
// ends.
func compose(o Options, from *mail.Address, to, msgID string, m paging.Message) ([]byte, error) {
	subject := oneLine(m.Subject)
	if subject == "" {
		subject = oneLine(fmt.Sprintf("#%d %s", m.Incident, m.Title))
	}
	if m.Test {
		subject = "[TEST] " + subject
	}
	subject = cutRunes(subject, maxSubject)
	v := view{
		Test:        m.Test,
		Subject:     subject,
		Body:        strings.TrimSpace(m.Body),
		IncidentURL: m.IncidentURL,
		Person:      oneLine(m.Person),
		Expiry:      expiry(o.AckValidFor),
	}
	if !m.Test {
		v.AckURL = m.AckURL
	}
	if v.Person == "" {
		v.Person = "you"
	}

	var b bytes.Buffer
	h := headerWriter{&b}
	h.set("From", address(from.Name, from.Address))
	h.set("To", address(m.Person, to))
	h.set("Subject", encodeWord(subject))
	h.set("Date", o.Now().Format(time.RFC1123Z))
	h.set("Message-ID", msgID)
	h.set("MIME-Version", "1.0")
	h.set("Auto-Submitted", "auto-generated")
	h.set("X-Auto-Response-Suppress", "All")
	if !m.Test {
		h.set("X-Priority", "1")
		h.set("Importance", "high")
	}
	mw := multipart.NewWriter(&b)
	h.set("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	b.WriteString("\r\n")

	for _, part := range []struct {
		ctype string
		exec  func(*bytes.Buffer) error
	}{
		{"text/plain; charset=utf-8", func(w *bytes.Buffer) error { return textTmpl.Execute(w, v) }},
		{"text/html; charset=utf-8", func(w *bytes.Buffer) error { return htmlTmpl.Execute(w, v) }},
	} {
		var body bytes.Buffer
		if err := part.exec(&body); err != nil {
			return nil, err
		}
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write(crlf(body.Bytes())); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}

// expiry says how long the link works.
func expiry(d time.Duration) string {
	switch {
	case d <= 0:
		return "The link expires; after that, acknowledge in Slack."
	case d%time.Hour == 0:
		n := int(d / time.Hour)
		return fmt.Sprintf("The link expires %d %s after this page was sent; after that, acknowledge in Slack.", n, plural(n, "hour"))
	default:
		n := int((d + time.Minute - 1) / time.Minute)
		return fmt.Sprintf("The link expires %d %s after this page was sent; after that, acknowledge in Slack.", n, plural(n, "minute"))
	}
}

func plural(n int, w string) string {
	if n == 1 {
		return w
	}
	return w + "s"
}

// oneLine makes s one line of printable text: every control character
// (CR and LF above all) becomes a space, and runs of spaces one.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// encodeWord RFC 2047-encodes s when it is not plain printable ASCII, or
// when it looks like an encoded word itself (so it arrives as written).
func encodeWord(s string) string {
	if !needsEncoding(s) {
		return s
	}
	// Words of at most 42 bytes of text: 56 base64 characters, 68 with the
	// markers, so a word fits on a folded line after any of our header names.
	var words []string
	for len(s) > 0 {
		n := 0
		for n < len(s) {
			_, w := utf8.DecodeRuneInString(s[n:])
			if n+w > 42 {
				break
			}
			n += w
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

func needsEncoding(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return true
		}
	}
	return strings.Contains(s, "=?")
}

// address formats a mailbox for a header: the name quoted when it is ASCII,
// encoded when it is not.
func address(name, addr string) string {
	name = oneLine(name)
	if name == "" {
		return addr
	}
	if needsEncoding(name) {
		return encodeWord(name) + " <" + addr + ">"
	}
	return (&mail.Address{Name: name, Address: addr}).String()
}

// headerWriter writes header fields folded at spaces to lines of at most
// 78 characters where the words allow.
type headerWriter struct{ b *bytes.Buffer }

func (h headerWriter) set(name, value string) {
	line := name + ":"
	for _, w := range strings.Split(value, " ") {
		if len(line)+1+len(w) > 78 && strings.TrimSpace(line) != name+":" {
			h.b.WriteString(line + "\r\n")
			line = ""
		}
		line += " " + w
	}
	h.b.WriteString(line + "\r\n")
}

// crlf turns every line end into CRLF.
func crlf(p []byte) []byte {
	p = bytes.ReplaceAll(p, []byte("\r\n"), []byte("\n"))
	p = bytes.ReplaceAll(p, []byte("\r"), []byte("\n"))
	return bytes.ReplaceAll(p, []byte("\n"), []byte("\r\n"))
}
