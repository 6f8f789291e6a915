// Package inboxsim is the phone and the mailbox of `incidentbot dev` and of
// the tests: an SMTP server on 127.0.0.1 that keeps the mail it is given, an
// ntfy-compatible publish endpoint that keeps the pushes, and a small web view
// of both where a person can open an email's Acknowledge link or tap a push's
// Acknowledge button, which sends the request the ntfy app would.
//
// It is as strict as the real services, never more lenient: the SMTP server
// takes only well-formed RFC 5322 messages in 7-bit headers (it offers no
// SMTPUTF8), requires AUTH PLAIN when given credentials and, in starttls mode,
// TLS before MAIL; the publish endpoint follows ntfy's documented rules for
// topics, priorities, actions and message sizes, and answers ntfy's JSON.
//
// Mount NtfyHandler where the ntfy server would be (e.g. /ntfy/, so topic
// URLs are <base>/ntfy/<topic>) and WebHandler anywhere (e.g. /inbox/): its
// links are relative.
package inboxsim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/internal/discard"
)

// The SMTP TLS modes, named as paging/email names them.
const (
	TLSNone     = "none"     // plain text only
	TLSStartTLS = "starttls" // STARTTLS offered, and required before MAIL
	TLSImplicit = "tls"      // TLS from the first byte
)

// Options configure a Sim; the zero value is a plain-text SMTP server
// without AUTH on a free port of 127.0.0.1.
type Options struct {
	// SMTPAddr is where the SMTP server listens; default "127.0.0.1:0".
	SMTPAddr string
	// TLS is TLSNone (default), TLSStartTLS or TLSImplicit; the certificate
	// is generated, self-signed for localhost, 127.0.0.1 and ::1 (RootCAs).
	TLS string
	// Username and Password, when set, make AUTH PLAIN required before
	// MAIL (and, with TLS, allowed only after it).
	Username, Password string
	// NtfyToken, when set, makes publishing require
	// "Authorization: Bearer <NtfyToken>".
	NtfyToken string
	// Keep is how many emails and how many pushes are kept; default 200.
	Keep int
	// Client sends the requests of pressed push actions; default a client
	// with ntfy's 15-second timeouts.
	Client *http.Client
	// Logger gets the servers' errors; nil discards.
	Logger *logrus.Entry
	// Now stamps what arrives; nil means time.Now.
	Now func() time.Time
}

// Sim is the simulator. It is safe for concurrent use.
type Sim struct {
	o      Options
	smtp   *smtp.Server
	ln     net.Listener
	certs  *x509.CertPool
	served chan struct{}
	mu     sync.Mutex
	emails []Email
	pushes []Push
	seq    int
}

// Start starts the SMTP server; the ntfy endpoint and the web view are
// served by whoever mounts their handlers.
func Start(o Options) (*Sim, error) {
	if o.SMTPAddr == "" {
		o.SMTPAddr = "127.0.0.1:0"
	}
	if o.TLS == "" {
		o.TLS = TLSNone
	}
	if o.Keep <= 0 {
		o.Keep = 200
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Logger = discard.IfNil(o.Logger)
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 15 * time.Second}
	}
	if (o.Username == "") != (o.Password == "") {
		return nil, errors.New("inboxsim: set both Username and Password, or neither")
	}
	s := &Sim{o: o, served: make(chan struct{})}

	srv := smtp.NewServer(&backend{s})
	srv.Domain = "localhost"
	srv.MaxLineLength = 1000 // RFC 5321/5322: 998 characters and CRLF, in commands and data
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 100
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.ErrorLog = errorLog{o.Logger}
	switch o.TLS {
	case TLSNone:
		srv.AllowInsecureAuth = true
	case TLSStartTLS, TLSImplicit:
		cert, pool, err := selfSigned(time.Now())
		if err != nil {
			return nil, err
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.certs = pool
	default:
		return nil, fmt.Errorf("inboxsim: unknown TLS mode %q (use none, starttls or tls)", o.TLS)
	}
	ln, err := net.Listen("tcp", o.SMTPAddr)
	if err != nil {
		return nil, fmt.Errorf("inboxsim: %w", err)
	}
	if o.TLS == TLSImplicit {
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	s.smtp, s.ln = srv, ln
	go func() {
		defer close(s.served)
		_ = srv.Serve(ln)
	}()
	return s, nil
}

// Close stops the SMTP server and waits for it.
func (s *Sim) Close() error {
	err := s.smtp.Close()
	// Serve registers its listener only once it runs: a Close before that
	// would leave it accepting, so close the listener here too.
	_ = s.ln.Close()
	<-s.served
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// SMTPAddr is the SMTP server's host:port.
func (s *Sim) SMTPAddr() string { return s.ln.Addr().String() }

// SMTPPort is the SMTP server's port.
func (s *Sim) SMTPPort() int { return s.ln.Addr().(*net.TCPAddr).Port }

// RootCAs trusts the SMTP server's certificate; nil in TLS mode none.
func (s *Sim) RootCAs() *x509.CertPool { return s.certs }

// Emails returns the kept emails, oldest first.
func (s *Sim) Emails() []Email {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Email, len(s.emails))
	for i, e := range s.emails {
		out[i] = e.clone()
	}
	return out
}

// Inbox returns the kept emails whose envelope names addr as a recipient,
// oldest first.
func (s *Sim) Inbox(addr string) []Email {
	var out []Email
	for _, e := range s.Emails() {
		for _, to := range e.To {
			if strings.EqualFold(to, addr) {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// Pushes returns the kept pushes, oldest first.
func (s *Sim) Pushes() []Push {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Push, len(s.pushes))
	for i, p := range s.pushes {
		out[i] = p.clone()
	}
	return out
}

// Topic returns the kept pushes to topic, oldest first.
func (s *Sim) Topic(topic string) []Push {
	var out []Push
	for _, p := range s.Pushes() {
		if p.Topic == topic {
			out = append(out, p)
		}
	}
	return out
}

// Email is a message the SMTP server took.
type Email struct {
	// ID names it in the web view ("m1", "m2", …).
	ID       string
	Received time.Time
	// From and To are the envelope (MAIL FROM, RCPT TO).
	From string
	To   []string
	// TLS and User say how it came: over TLS, authenticated as User.
	TLS  bool
	User string
	// Header is the parsed header; Subject is decoded from RFC 2047.
	Header  mail.Header
	Subject string
	// Text and HTML are the decoded parts (text/plain, text/html).
	Text, HTML string
	// AckURL is the Acknowledge link found in the text part (the URL on a
	// line that says Acknowledge, else one with /ack/ in its path), else
	// in the HTML part (an <a> that says Acknowledge).
	AckURL string
	// Raw is the message as received.
	Raw []byte
}

func (e Email) clone() Email {
	e.To = append([]string(nil), e.To...)
	h := make(mail.Header, len(e.Header))
	for k, v := range e.Header {
		h[k] = append([]string(nil), v...)
	}
	e.Header = h
	e.Raw = append([]byte(nil), e.Raw...)
	return e
}

func (s *Sim) addEmail(e Email) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	e.ID = fmt.Sprintf("m%d", s.seq)
	s.emails = append(s.emails, e)
	if len(s.emails) > s.o.Keep {
		s.emails = append([]Email(nil), s.emails[len(s.emails)-s.o.Keep:]...)
	}
}

// selfSigned makes a certificate for the loopback names.
func selfSigned(now time.Time) (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "inboxsim"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool, nil
}

// errorLog hands go-smtp's error lines to the logger at debug level.
type errorLog struct{ l *logrus.Entry }

func (e errorLog) Printf(format string, v ...any) { e.l.Debugf("inboxsim smtp: "+format, v...) }
func (e errorLog) Println(v ...any)               { e.l.Debug(append([]any{"inboxsim smtp: "}, v...)...) }
