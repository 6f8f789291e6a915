// Package email pages by email through an SMTP submission server: one
// connection per page (pages are rare), TLS required unless explicitly turned
// off for a server on this machine, AUTH PLAIN, and a message that says what
// is wrong, links the incident and carries a signed Acknowledge link.
//
// The message is multipart/alternative (plain text and HTML, both
// quoted-printable UTF-8), marked urgent (X-Priority: 1, Importance: high)
// and automatic (Auto-Submitted: auto-generated, so vacation responders stay
// quiet). Header values are put on one line and RFC 2047-encoded where they
// are not ASCII, so no header can be injected and Russian subjects arrive
// intact. The recipient's address never reaches a log or an error.
package email

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
)

// TLSMode says how the connection to the SMTP server is secured.
type TLSMode string

// The TLS modes.
const (
	// StartTLS connects in plain text and upgrades with STARTTLS before
	// anything else; a server that does not offer it is an error. The
	// default, usually on port 587.
	StartTLS TLSMode = "starttls"
	// ImplicitTLS speaks TLS from the first byte, usually on port 465.
	ImplicitTLS TLSMode = "tls"
	// NoTLS sends in plain text, AUTH included; only to a server on this
	// machine (a local relay, a test server).
	NoTLS TLSMode = "none"
)

// Options configure a Sender. Host and From are required.
type Options struct {
	// Host is the SMTP server's name; it is also the name its certificate
	// must have.
	Host string
	// Port defaults to 587 (starttls), 465 (tls) or 25 (none).
	Port int
	// Username and Password are for AUTH PLAIN; no Username, no AUTH.
	Username, Password string
	// From is the sender, "Incidentbot <incidents@example.com>" or a bare
	// address.
	From string
	// TLS defaults to StartTLS.
	TLS TLSMode
	// TLSConfig is cloned for the connection (a private CA in RootCAs);
	// its ServerName defaults to Host. Nil means the system's roots.
	TLSConfig *tls.Config
	// DialTimeout bounds connecting; default 10s.
	DialTimeout time.Duration
	// Timeout bounds a whole send, from dialling to QUIT; default 30s.
	Timeout time.Duration
	// HELO is the name the sender greets with; default "localhost".
	HELO string
	// AckValidFor is how long acknowledge links work (the acklink TTL), so
	// the mail can say so; zero says only that the link expires.
	AckValidFor time.Duration
	// Logger gets a line per send, never with the address; nil discards.
	Logger *logrus.Entry
	// Now is the clock for the Date header; nil means time.Now.
	Now func() time.Time
}

// Sender sends email pages. It is safe for concurrent use.
type Sender struct {
	o    Options
	from *mail.Address
	addr string
}

var _ paging.Sender = (*Sender)(nil)

// New checks o and returns a Sender.
func New(o Options) (*Sender, error) {
	if o.Host == "" {
		return nil, fmt.Errorf("email: %w: no SMTP host", paging.ErrNotConfigured)
	}
	if o.TLS == "" {
		o.TLS = StartTLS
	}
	switch o.TLS {
	case StartTLS, ImplicitTLS:
	case NoTLS:
		if !loopback(o.Host) {
			return nil, fmt.Errorf("email: TLS mode none is only for a server on this machine, not %q; use starttls or tls", o.Host)
		}
	default:
		return nil, fmt.Errorf("email: unknown TLS mode %q (use starttls, tls or none)", o.TLS)
	}
	if o.Port == 0 {
		o.Port = map[TLSMode]int{StartTLS: 587, ImplicitTLS: 465, NoTLS: 25}[o.TLS]
	}
	if o.Port < 1 || o.Port > 65535 {
		return nil, fmt.Errorf("email: port %d is out of range", o.Port)
	}
	from, err := mail.ParseAddress(o.From)
	if err != nil {
		return nil, fmt.Errorf("email: the from address %q is not valid: %v", o.From, err)
	}
	if o.Password != "" && o.Username == "" {
		return nil, errors.New("email: a password without a username")
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 10 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.HELO == "" {
		o.HELO = "localhost"
	}
	if strings.ContainsAny(o.HELO, " \r\n") {
		return nil, fmt.Errorf("email: the HELO name %q is not a host name", o.HELO)
	}
	o.Logger = discard.IfNil(o.Logger)
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Sender{o: o, from: from, addr: net.JoinHostPort(o.Host, strconv.Itoa(o.Port))}, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send mails m to the address m.To over one connection.
func (s *Sender) Send(ctx context.Context, m paging.Message) (paging.Receipt, error) {
	if m.Method != oncall.MethodEmail {
		return paging.Receipt{}, fmt.Errorf("email: cannot send a %q message", m.Method)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil || to.Name != "" {
		return paging.Receipt{}, errors.New("email: the recipient is not a bare email address")
	}
	msgID := s.messageID(m.ID)
	msg, err := compose(s.o, s.from, to.Address, msgID, m)
	if err != nil {
		return paging.Receipt{}, fmt.Errorf("email: %w", err)
	}
	log := s.o.Logger.WithFields(logrus.Fields{"incident": m.Incident, "notification": m.ID, "method": "email"})
	if err := s.deliver(ctx, to.Address, msg); err != nil {
		err = redact(err, to.Address)
		log.WithError(err).Warn("email: page not sent")
		return paging.Receipt{}, fmt.Errorf("email: %w", err)
	}
	log.WithField("message_id", msgID).Info("email: page sent")
	return paging.Receipt{Provider: "smtp", ID: msgID, Status: paging.StatusSent}, nil
}

// messageID is "<notification.random@from-domain>".
func (s *Sender) messageID(notification string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	local := strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return -1
	}, notification)
	if len(local) > 64 {
		local = local[:64]
	}
	if local != "" {
		local += "."
	}
	_, domain, _ := strings.Cut(s.from.Address, "@")
	return "<" + local + hex.EncodeToString(b[:]) + "@" + domain + ">"
}

// deliver runs one SMTP session: connect, (STARTTLS), EHLO, (AUTH), MAIL,
// RCPT, DATA, QUIT, all within the timeout and the context.
func (s *Sender) deliver(ctx context.Context, to string, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	d := net.Dialer{Timeout: s.o.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return stage("connect", err)
	}
	defer conn.Close()
	// The deadline bounds every read and write; cancelling the context
	// cuts a session that is still waiting.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()

	tlsConf := s.tlsConfig()
	if s.o.TLS == ImplicitTLS {
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			return stage("TLS", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.o.Host)
	if err != nil {
		return stage("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(s.o.HELO); err != nil {
		return stage("EHLO", err)
	}
	if s.o.TLS == StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("the server does not offer STARTTLS; refusing to send in plain text")
		}
		if err := c.StartTLS(tlsConf); err != nil {
			return stage("STARTTLS", err)
		}
	}
	if s.o.Username != "" {
		ok, mechs := c.Extension("AUTH")
		if !ok || !hasWord(mechs, "PLAIN") {
			return errors.New("the server does not offer AUTH PLAIN")
		}
		if err := c.Auth(smtp.PlainAuth("", s.o.Username, s.o.Password, s.o.Host)); err != nil {
			return stage("AUTH", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return stage("MAIL FROM", err)
	}
	if err := c.Rcpt(to); err != nil {
		return stage("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return stage("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return stage("DATA", err)
	}
	if err := w.Close(); err != nil {
		return stage("DATA", err)
	}
	// The message is taken once DATA is answered 250; a failed QUIT does
	// not undo that.
	_ = c.Quit()
	return nil
}

func (s *Sender) tlsConfig() *tls.Config {
	var c *tls.Config
	if s.o.TLSConfig != nil {
		c = s.o.TLSConfig.Clone()
	} else {
		c = &tls.Config{}
	}
	if c.ServerName == "" {
		c.ServerName = s.o.Host
	}
	if c.MinVersion < tls.VersionTLS12 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

func hasWord(list, w string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, w) {
			return true
		}
	}
	return false
}

func stage(name string, err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%s: timed out: %w", name, err)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// redactedError keeps the text of an error with the address taken out.
type redactedError struct{ msg string }

func (e redactedError) Error() string { return e.msg }

// redact takes the recipient's address (and its local part) out of err: an
// SMTP server's refusal often repeats it ("550 5.1.1 <alice@…>: unknown").
func redact(err error, addr string) error {
	msg := err.Error()
	local, _, _ := strings.Cut(addr, "@")
	out := replaceFold(msg, addr, "<recipient>")
	if len(local) >= 3 {
		out = replaceFold(out, local, "<recipient>")
	}
	if out == msg {
		return err
	}
	return redactedError{out}
}

// replaceFold replaces every case-insensitive occurrence of old in s.
func replaceFold(s, old, repl string) string {
	if old == "" {
		return s
	}
	ls, lo := strings.ToLower(s), strings.ToLower(old)
	if len(ls) != len(s) || len(lo) != len(old) {
		return strings.ReplaceAll(s, old, repl)
	}
	var b bytes.Buffer
	for {
		i := strings.Index(ls, lo)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s, ls = s[i+len(old):], ls[i+len(old):]
	}
}
