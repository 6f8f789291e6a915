package inboxsim

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

type backend struct{ s *Sim }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, tls := c.TLSConnectionState()
	return &session{s: b.s, tls: tls}, nil
}

// session is one SMTP session. go-smtp calls it from one goroutine.
type session struct {
	s    *Sim
	tls  bool
	user string
	from string
	to   []string
}

var (
	errTLSRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	errBadMessage  = func(why string) error {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message rejected: " + why}
	}
)

func (ss *session) AuthMechanisms() []string {
	if ss.s.o.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || ss.s.o.Username == "" {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		okUser := subtle.ConstantTimeCompare([]byte(username), []byte(ss.s.o.Username)) == 1
		okPass := subtle.ConstantTimeCompare([]byte(password), []byte(ss.s.o.Password)) == 1
		if !okUser || !okPass || (identity != "" && identity != username) {
			return smtp.ErrAuthFailed
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.o.TLS == TLSStartTLS && !ss.tls {
		return errTLSRequired
	}
	if ss.s.o.Username != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	if _, err := mail.ParseAddress(from); err != nil && from != "" {
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 7}, Message: "Bad sender address syntax"}
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if _, err := mail.ParseAddress(to); err != nil {
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Bad recipient address syntax"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	e, err := parseEmail(raw)
	if err != nil {
		return errBadMessage(err.Error())
	}
	e.Received = ss.s.o.Now()
	e.From, e.To, e.TLS, e.User = ss.from, append([]string(nil), ss.to...), ss.tls, ss.user
	ss.s.addEmail(e)
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// parseEmail checks raw as RFC 5322 / MIME and reads what the view shows.
func parseEmail(raw []byte) (Email, error) {
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	for _, b := range head {
		if b >= 0x80 {
			// Without SMTPUTF8, header fields are ASCII (RFC 5322 2.2);
			// anything else must be RFC 2047-encoded.
			return Email{}, errors.New("8-bit data in the header")
		}
	}
	crlfs := bytes.Count(raw, []byte("\r\n"))
	if bytes.Count(raw, []byte("\n")) != crlfs || bytes.Count(raw, []byte("\r")) != crlfs {
		// A bare CR or LF: what SMTP smuggling uses; Postfix and others
		// refuse it.
		return Email{}, errors.New("a bare CR or LF; lines end in CRLF")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Email{}, fmt.Errorf("header: %v", err)
	}
	h := msg.Header
	for _, name := range []string{"From", "Date", "Message-Id"} {
		if n := len(h[name]); n != 1 {
			return Email{}, fmt.Errorf("%d %s fields, want exactly one", n, name)
		}
	}
	for _, name := range []string{"To", "Subject", "Sender", "Reply-To", "Cc", "Bcc"} {
		if len(h[name]) > 1 {
			return Email{}, fmt.Errorf("%d %s fields, want at most one", len(h[name]), name)
		}
	}
	if _, err := h.AddressList("From"); err != nil {
		return Email{}, fieldErr("From", err)
	}
	if h.Get("To") != "" {
		if _, err := h.AddressList("To"); err != nil {
			return Email{}, fieldErr("To", err)
		}
	}
	if _, err := h.Date(); err != nil {
		return Email{}, fieldErr("Date", err)
	}
	if id := h.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, ">") || !strings.Contains(id, "@") {
		return Email{}, fmt.Errorf("Message-ID %q is not <id@domain>", id)
	}
	dec := mime.WordDecoder{}
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil {
		return Email{}, fieldErr("Subject", err)
	}
	e := Email{Header: h, Subject: subject, Raw: raw}
	if err := readBody(&e, h.Get("Content-Type"), h.Get("Content-Transfer-Encoding"), msg.Body, 0); err != nil {
		return Email{}, err
	}
	e.AckURL = findAckURL(e.Text, e.HTML)
	return e, nil
}

// fieldErr names the header field that failed. The text goes on the wire
// in the 554 reply, so it keeps the field's own spelling ("From: ...").
func fieldErr(field string, err error) error {
	return fmt.Errorf("%s: %v", field, err)
}

// readBody reads a (possibly multipart) body into e's Text and HTML.
func readBody(e *Email, ctype, cte string, body io.Reader, depth int) error {
	if depth > 5 {
		return errors.New("MIME parts nested too deep")
	}
	if ctype == "" {
		ctype = "text/plain; charset=us-ascii"
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return fmt.Errorf("Content-Type %q: %v", ctype, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		if params["boundary"] == "" {
			return fmt.Errorf("%s without a boundary", mt)
		}
		mr := multipart.NewReader(body, params["boundary"])
		for n := 0; ; n++ {
			if n > 20 {
				return errors.New("too many MIME parts")
			}
			p, err := mr.NextRawPart()
			if err == io.EOF {
				if n == 0 {
					return fmt.Errorf("%s without parts", mt)
				}
				return nil
			}
			if err != nil {
				return fmt.Errorf("MIME: %v", err)
			}
			if err := readBody(e, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1); err != nil {
				return err
			}
		}
	}
	var r io.Reader
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "", "7bit", "8bit", "binary":
		r = body
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &crlfStripper{r: body})
	default:
		return fmt.Errorf("unknown Content-Transfer-Encoding %q", cte)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s part: %v", mt, err)
	}
	if mt != "text/plain" && mt != "text/html" {
		return nil
	}
	switch cs := strings.ToLower(params["charset"]); cs {
	case "", "utf-8", "us-ascii":
		if !utf8.Valid(b) {
			return fmt.Errorf("%s part is not valid %s", mt, cs)
		}
	default:
		return fmt.Errorf("%s part in charset %q; inboxsim reads utf-8 only", mt, cs)
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	if mt == "text/plain" && e.Text == "" {
		e.Text = text
	} else if mt == "text/html" && e.HTML == "" {
		e.HTML = text
	}
	return nil
}

// crlfStripper drops CR and LF, which base64 bodies wrap with.
type crlfStripper struct{ r io.Reader }

func (c *crlfStripper) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	j := 0
	for _, b := range p[:n] {
		if b != '\r' && b != '\n' {
			p[j] = b
			j++
		}
	}
	return j, err
}

var (
	urlRe     = regexp.MustCompile(`https?://[^\s<>"']+`)
	ackAnchor = regexp.MustCompile(`(?is)<a\s[^>]*href="([^"]+)"[^>]*>\s*Acknowledge\s*</a>`)
)

// findAckURL finds the Acknowledge link (see Email.AckURL).
func findAckURL(text, htm string) string {
	var byPath string
	for _, line := range strings.Split(text, "\n") {
		for _, u := range urlRe.FindAllString(line, -1) {
			if strings.Contains(strings.ToLower(line), "acknowledge") {
				return u
			}
			if byPath == "" && strings.Contains(u, "/ack/") {
				byPath = u
			}
		}
	}
	if byPath != "" {
		return byPath
	}
	if m := ackAnchor.FindStringSubmatch(htm); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}
