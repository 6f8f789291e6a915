package email_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/internal/clocktest"
	"github.com/incidentbot/incidentbot/internal/inboxsim"
	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
	"github.com/incidentbot/incidentbot/paging/email"
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.FixedZone("+05", 5*3600))

const (
	alice = "alice.pager@example.com"
	user  = "incidentbot"
	pass  = "s3cret-pass"
)

func startSim(t *testing.T, mode string, auth bool) *inboxsim.Sim {
	t.Helper()
	o := inboxsim.Options{TLS: mode}
	if auth {
		o.Username, o.Password = user, pass
	}
	sim, err := inboxsim.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sim.Close(); err != nil {
			t.Errorf("closing the simulator: %v", err)
		}
	})
	return sim
}

func options(sim *inboxsim.Sim, mode email.TLSMode) email.Options {
	return email.Options{
		Host: "127.0.0.1", Port: sim.SMTPPort(),
		Username: user, Password: pass,
		From:        "Incidentbot <incidents@bot.example>",
		TLS:         mode,
		TLSConfig:   &tls.Config{RootCAs: sim.RootCAs()},
		Timeout:     5 * time.Second,
		AckValidFor: time.Hour,
		Now:         clocktest.New(t0).Now,
	}
}

func newSender(t *testing.T, o email.Options) *email.Sender {
	t.Helper()
	s, err := email.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func page() paging.Message {
	return paging.Message{
		ID: "01JNX6Q8Z3K4M5N6P7Q8R9S0TV", Incident: 42, Method: oncall.MethodEmail,
		Person: "Алиса Иванова", To: alice,
		Subject:     "#42 sev1: Касса не работает",
		Body:        "Оплата отвечает 503 <script>alert(1)</script>.\n.\nSee https://grafana.example/d/checkout",
		IncidentURL: "https://bot.example/incidents/42",
		AckURL:      "https://bot.example/ack/AQ-tok_en?x=1&y=2",
		Severity:    "sev1", Title: "Касса не работает",
	}
}

func onlyEmail(t *testing.T, sim *inboxsim.Sim) inboxsim.Email {
	t.Helper()
	got := sim.Emails()
	if len(got) != 1 {
		t.Fatalf("the server has %d emails, want 1", len(got))
	}
	return got[0]
}

func TestPageOverSTARTTLSWithAuth(t *testing.T) {
	sim := startSim(t, inboxsim.TLSStartTLS, true)
	rc, err := newSender(t, options(sim, email.StartTLS)).Send(context.Background(), page())
	if err != nil {
		t.Fatal(err)
	}
	e := onlyEmail(t, sim)
	if rc.Provider != "smtp" || rc.Status != paging.StatusSent || rc.ID != e.Header.Get("Message-Id") {
		t.Errorf("receipt = %+v; want smtp, sent, the Message-ID %s", rc, e.Header.Get("Message-Id"))
	}
	if !e.TLS || e.User != user {
		t.Errorf("delivered with TLS %v as %q; want TLS as %q", e.TLS, e.User, user)
	}
	if e.From != "incidents@bot.example" || len(e.To) != 1 || e.To[0] != alice {
		t.Errorf("envelope from %q to %v", e.From, e.To)
	}
	if e.Subject != "#42 sev1: Касса не работает" {
		t.Errorf("subject decodes to %q", e.Subject)
	}
	if raw := e.Header.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?b?") {
		t.Errorf("the non-ASCII subject is not RFC 2047-encoded: %q", raw)
	}
	to, err := e.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != alice || to[0].Name != "Алиса Иванова" {
		t.Errorf("To = %v (%v)", to, err)
	}
	from, err := e.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].String() != `"Incidentbot" <incidents@bot.example>` {
		t.Errorf("From = %v (%v)", from, err)
	}
	if d, err := e.Header.Date(); err != nil || !d.Equal(t0) {
		t.Errorf("Date = %v (%v), want %v", d, err, t0)
	}
	for k, want := range map[string]string{
		"Mime-Version":             "1.0",
		"Auto-Submitted":           "auto-generated",
		"X-Auto-Response-Suppress": "All",
		"X-Priority":               "1",
		"Importance":               "high",
	} {
		if got := e.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if ct := e.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative; boundary=") {
		t.Errorf("Content-Type = %q", ct)
	}
	if id := e.Header.Get("Message-Id"); !strings.HasPrefix(id, "<01JNX6Q8Z3K4M5N6P7Q8R9S0TV.") || !strings.HasSuffix(id, "@bot.example>") {
		t.Errorf("Message-ID = %q", id)
	}

	for _, want := range []string{
		"#42 sev1: Касса не работает",
		"Оплата отвечает 503 <script>alert(1)</script>.\n.\nSee https://grafana.example/d/checkout",
		"Incident: https://bot.example/incidents/42",
		"Acknowledge: https://bot.example/ack/AQ-tok_en?x=1&y=2",
		"The link expires 1 hour after this page was sent",
	} {
		if !strings.Contains(e.Text, want) {
			t.Errorf("the text part lacks %q:\n%s", want, e.Text)
		}
	}
	for _, want := range []string{
		"<title>#42 sev1: Касса не работает</title>",
		"Оплата отвечает 503 &lt;script&gt;alert(1)&lt;/script&gt;.",
		`href="https://bot.example/ack/AQ-tok_en?x=1&amp;y=2"`,
		`href="https://bot.example/incidents/42"`,
		">Acknowledge</a>",
		"The link expires 1 hour after this page was sent",
	} {
		if !strings.Contains(e.HTML, want) {
			t.Errorf("the HTML part lacks %q:\n%s", want, e.HTML)
		}
	}
	if strings.Contains(e.HTML, "<script>") {
		t.Errorf("the HTML part has an unescaped script")
	}
	if e.AckURL != page().AckURL {
		t.Errorf("the Acknowledge link found is %q, want %q", e.AckURL, page().AckURL)
	}
	checkHeaderLines(t, e.Raw)
}

// checkHeaderLines checks that header lines keep RFC 5322's 78 characters.
func checkHeaderLines(t *testing.T, raw []byte) {
	t.Helper()
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	for _, l := range strings.Split(string(head), "\r\n") {
		if len(l) > 78 {
			t.Errorf("header line of %d characters: %q", len(l), l)
		}
	}
}

func TestLongRussianSubjectFoldsAndDecodes(t *testing.T) {
	sim := startSim(t, inboxsim.TLSStartTLS, true)
	m := page()
	m.Subject = "#42 sev1: " + strings.Repeat("Платёжный шлюз не отвечает, ", 5) + "конец"
	if _, err := newSender(t, options(sim, email.StartTLS)).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	e := onlyEmail(t, sim)
	if e.Subject != m.Subject {
		t.Errorf("subject decodes to\n%q\nwant\n%q", e.Subject, m.Subject)
	}
	checkHeaderLines(t, e.Raw)
}

func TestTestPage(t *testing.T) {
	sim := startSim(t, inboxsim.TLSStartTLS, true)
	m := page()
	m.Test = true
	if _, err := newSender(t, options(sim, email.StartTLS)).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	e := onlyEmail(t, sim)
	if !strings.HasPrefix(e.Subject, "[TEST] ") {
		t.Errorf("test subject %q", e.Subject)
	}
	if !strings.Contains(e.Text, "This is a test page") || !strings.Contains(e.HTML, "<strong>test page</strong>") {
		t.Errorf("the test page does not say so:\n%s\n%s", e.Text, e.HTML)
	}
	if e.AckURL != "" || strings.Contains(e.Text, "/ack/") || strings.Contains(e.HTML, "/ack/") {
		t.Errorf("a test page carries an Acknowledge link")
	}
	if e.Header.Get("X-Priority") != "" || e.Header.Get("Importance") != "" {
		t.Errorf("a test page is marked urgent")
	}
}

func TestNoHeaderInjection(t *testing.T) {
	tests := []struct {
		name string
		edit func(*paging.Message)
	}{
		{"subject", func(m *paging.Message) { m.Subject = "Down\r\nBcc: evil@attacker.example\r\n\r\nforged body" }},
		{"subject LF", func(m *paging.Message) { m.Subject = "Down\nBcc: evil@attacker.example" }},
		{"subject CR", func(m *paging.Message) { m.Subject = "Down\rBcc: evil@attacker.example" }},
		{"subject unicode line separator", func(m *paging.Message) { m.Subject = "Down\u2028Bcc: evil@attacker.example" }},
		{"person", func(m *paging.Message) { m.Person = "Alice\r\nBcc: evil@attacker.example" }},
		{"empty subject, title", func(m *paging.Message) { m.Subject, m.Title = "", "Down\r\nBcc: evil@attacker.example" }},
		{"encoded-word lookalike", func(m *paging.Message) { m.Subject = "=?utf-8?q?Bcc=3A_evil?=\r\nBcc: evil@attacker.example" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startSim(t, inboxsim.TLSStartTLS, true)
			m := page()
			tt.edit(&m)
			if _, err := newSender(t, options(sim, email.StartTLS)).Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			e := onlyEmail(t, sim)
			if len(e.Header["Bcc"]) != 0 || len(e.Header["Subject"]) != 1 || len(e.Header["To"]) != 1 {
				t.Errorf("injected header fields: %v", e.Header)
			}
			if len(e.To) != 1 || e.To[0] != alice {
				t.Errorf("envelope recipients %v", e.To)
			}
			for _, v := range []string{e.Subject, e.Header.Get("To")} {
				if strings.ContainsAny(v, "\r\n") {
					t.Errorf("a header value holds a line break: %q", v)
				}
			}
			head, _, _ := bytes.Cut(e.Raw, []byte("\r\n\r\n"))
			if strings.Contains(string(head), "\r\nBcc:") {
				t.Errorf("the raw header has a Bcc line:\n%s", head)
			}
			if strings.Contains(tt.name, "lookalike") && !strings.HasPrefix(e.Subject, "=?utf-8?q?Bcc=3A_evil?=") {
				t.Errorf("an encoded-word lookalike arrived as %q, not as written", e.Subject)
			}
		})
	}
}

func TestBadRecipientIsRefusedBeforeConnecting(t *testing.T) {
	sim := startSim(t, inboxsim.TLSStartTLS, true)
	s := newSender(t, options(sim, email.StartTLS))
	for _, to := range []string{"alice@example.com\r\nRCPT TO:<evil@attacker.example>", "Alice <alice@example.com>", "not an address", ""} {
		m := page()
		m.To = to
		_, err := s.Send(context.Background(), m)
		if err == nil {
			t.Errorf("%q: sent", to)
		} else if to != "" && strings.Contains(err.Error(), to) {
			t.Errorf("the error repeats the address: %v", err)
		}
	}
	if n := len(sim.Emails()); n != 0 {
		t.Errorf("%d emails delivered", n)
	}
	m := page()
	m.Method = oncall.MethodSMS
	if _, err := s.Send(context.Background(), m); err == nil {
		t.Error("sent an SMS message by email")
	}
}

func TestAuthFailure(t *testing.T) {
	sim := startSim(t, inboxsim.TLSStartTLS, true)
	o := options(sim, email.StartTLS)
	o.Password = "wrong"
	_, err := newSender(t, o).Send(context.Background(), page())
	if err == nil || !strings.Contains(err.Error(), "AUTH") || !strings.Contains(err.Error(), "535") {
		t.Fatalf("err = %v, want an AUTH 535 error", err)
	}
	if n := len(sim.Emails()); n != 0 {
		t.Errorf("%d emails delivered", n)
	}
}

func TestNoAuthNeeded(t *testing.T) {
	sim := startSim(t, inboxsim.TLSStartTLS, false)
	o := options(sim, email.StartTLS)
	o.Username, o.Password = "", ""
	if _, err := newSender(t, o).Send(context.Background(), page()); err != nil {
		t.Fatal(err)
	}
	if e := onlyEmail(t, sim); e.User != "" || !e.TLS {
		t.Errorf("user %q TLS %v; want no AUTH, over TLS", e.User, e.TLS)
	}
}

func TestRefusesPlainTextWhenSTARTTLSIsMissing(t *testing.T) {
	sim := startSim(t, inboxsim.TLSNone, true) // offers AUTH in plain text, no STARTTLS
	_, err := newSender(t, options(sim, email.StartTLS)).Send(context.Background(), page())
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want a refusal for want of STARTTLS", err)
	}
	if n := len(sim.Emails()); n != 0 {
		t.Errorf("%d emails delivered in plain text", n)
	}
}

func TestUntrustedCertificate(t *testing.T) {
	sim := startSim(t, inboxsim.TLSStartTLS, true)
	o := options(sim, email.StartTLS)
	o.TLSConfig = nil // the system's roots do not know the simulator
	_, err := newSender(t, o).Send(context.Background(), page())
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want a STARTTLS certificate error", err)
	}
	if n := len(sim.Emails()); n != 0 {
		t.Errorf("%d emails delivered over an unverified connection", n)
	}
}

func TestImplicitTLS(t *testing.T) {
	sim := startSim(t, inboxsim.TLSImplicit, true)
	if _, err := newSender(t, options(sim, email.ImplicitTLS)).Send(context.Background(), page()); err != nil {
		t.Fatal(err)
	}
	if e := onlyEmail(t, sim); !e.TLS || e.User != user {
		t.Errorf("TLS %v user %q", e.TLS, e.User)
	}
}

func TestNoTLSOnlyToLoopback(t *testing.T) {
	for _, host := range []string{"smtp.example.com", "10.0.0.5", "0.0.0.0"} {
		if _, err := email.New(email.Options{Host: host, From: "bot@example.com", TLS: email.NoTLS}); err == nil {
			t.Errorf("TLS none accepted for %s", host)
		}
	}
	sim := startSim(t, inboxsim.TLSNone, true)
	o := options(sim, email.NoTLS)
	if _, err := newSender(t, o).Send(context.Background(), page()); err != nil {
		t.Fatal(err)
	}
	if e := onlyEmail(t, sim); e.TLS || e.User != user {
		t.Errorf("TLS %v user %q; want plain text with AUTH on loopback", e.TLS, e.User)
	}
}

func TestNewChecksOptions(t *testing.T) {
	ok := email.Options{Host: "smtp.example.com", From: "bot@example.com"}
	if _, err := email.New(ok); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	if _, err := email.New(email.Options{From: "bot@example.com"}); !errors.Is(err, paging.ErrNotConfigured) {
		t.Errorf("no host: err = %v, want ErrNotConfigured", err)
	}
	for name, edit := range map[string]func(*email.Options){
		"bad from":              func(o *email.Options) { o.From = "not an address" },
		"unknown TLS":           func(o *email.Options) { o.TLS = "ssl" },
		"port":                  func(o *email.Options) { o.Port = 70000 },
		"password without user": func(o *email.Options) { o.Password = "x" },
		"HELO with CRLF":        func(o *email.Options) { o.HELO = "host\r\nMAIL FROM:<x@y>" },
	} {
		o := ok
		edit(&o)
		if _, err := email.New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestServerDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	o := email.Options{Host: "127.0.0.1", Port: port, From: "bot@bot.example", TLS: email.StartTLS, Timeout: time.Second}
	start := time.Now()
	_, err = newSender(t, o).Send(context.Background(), page())
	if err == nil || !strings.Contains(err.Error(), "connect") {
		t.Fatalf("err = %v, want a connect error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestSilentServerTimesOut: a server that accepts and never greets.
func TestSilentServerTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	t.Cleanup(func() {
		select {
		case c := <-accepted:
			c.Close()
		default:
		}
	})
	o := email.Options{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, From: "bot@bot.example", Timeout: 300 * time.Millisecond}
	start := time.Now()
	_, err = newSender(t, o).Send(context.Background(), page())
	d := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if d < 250*time.Millisecond || d > 5*time.Second {
		t.Errorf("returned after %v with a 300ms timeout", d)
	}
}

func TestContextCancelCutsTheSession(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		cancel() // connected: now give up
		_, _ = c.Read(make([]byte, 1))
	}()
	o := email.Options{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, From: "bot@bot.example", Timeout: time.Minute}
	start := time.Now()
	if _, err := newSender(t, o).Send(ctx, page()); err == nil {
		t.Fatal("a canceled send succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancel took %v to cut the session", d)
	}
}

func TestLogsNeverHoldTheAddress(t *testing.T) {
	var buf bytes.Buffer
	l := logrus.New()
	l.SetOutput(&buf)
	l.SetLevel(logrus.TraceLevel)
	sim := startSim(t, inboxsim.TLSStartTLS, true)
	o := options(sim, email.StartTLS)
	o.Logger = logrus.NewEntry(l)
	if _, err := newSender(t, o).Send(context.Background(), page()); err != nil {
		t.Fatal(err)
	}
	o.Password = "wrong"
	_, _ = newSender(t, o).Send(context.Background(), page())
	logs := buf.String()
	if !strings.Contains(logs, "page sent") || !strings.Contains(logs, "page not sent") {
		t.Fatalf("the sends were not logged:\n%s", logs)
	}
	for _, secret := range []string{alice, "alice.pager", pass} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs hold %q:\n%s", secret, logs)
		}
	}
}

// The Date header is in the clock's zone, as RFC 5322 wants a local time.
func TestDateHeaderFormat(t *testing.T) {
	sim := startSim(t, inboxsim.TLSStartTLS, true)
	if _, err := newSender(t, options(sim, email.StartTLS)).Send(context.Background(), page()); err != nil {
		t.Fatal(err)
	}
	if d := onlyEmail(t, sim).Header.Get("Date"); d != "Mon, 05 Jan 2026 09:00:00 +0500" {
		t.Errorf("Date = %q", d)
	}
	if _, err := mail.ParseDate("Mon, 05 Jan 2026 09:00:00 +0500"); err != nil {
		t.Fatal(err)
	}
}
