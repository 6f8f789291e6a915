package inboxsim

import (
	"crypto/tls"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/clocktest"
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func start(t *testing.T, o Options) *Sim {
	t.Helper()
	if o.Now == nil {
		o.Now = clocktest.New(t0).Now
	}
	s, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// rawSend runs one SMTP transaction by hand and sends data as it is (no
// line-end conversion, no dot-stuffing), returning the final answer.
func rawSend(t *testing.T, addr, from, to string, data string) (int, string) {
	t.Helper()
	c, err := textproto.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.ReadResponse(220); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"EHLO test.example", "MAIL FROM:<" + from + ">", "RCPT TO:<" + to + ">"} {
		id, err := c.Cmd("%s", cmd)
		if err != nil {
			t.Fatal(err)
		}
		c.StartResponse(id)
		code, msg, err := c.ReadResponse(250)
		c.EndResponse(id)
		if err != nil {
			return code, msg
		}
	}
	id, _ := c.Cmd("DATA")
	c.StartResponse(id)
	if _, _, err := c.ReadResponse(354); err != nil {
		t.Fatal(err)
	}
	c.EndResponse(id)
	if _, err := c.W.WriteString(data + "\r\n.\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := c.W.Flush(); err != nil {
		t.Fatal(err)
	}
	code, msg, _ := c.ReadResponse(250)
	return code, msg
}

const goodMessage = "From: Bot <bot@bot.example>\r\n" +
	"To: alice@example.com\r\n" +
	"Subject: =?utf-8?b?0JrQsNGB0YHQsA==?= is down\r\n" +
	"Date: Mon, 05 Jan 2026 09:00:00 +0000\r\n" +
	"Message-ID: <1@bot.example>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative; boundary=\"b\"\r\n" +
	"\r\n" +
	"--b\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"=D0=9A=D0=B0=D1=81=D1=81=D0=B0 is down.\r\n" +
	"Incident: https://bot.example/incidents/42\r\n" +
	"Acknowledge: https://bot.example/ack/T0k3n\r\n" +
	"--b\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PHA+PGEgaHJlZj0iaHR0cHM6Ly9ib3QuZXhhbXBsZS9hY2svVDBrM24iPkFja25vd2xlZGdlPC9h\r\n" +
	"PjwvcD4=\r\n" +
	"--b--"

func TestSMTPTakesAWellFormedMessage(t *testing.T) {
	s := start(t, Options{})
	if code, msg := rawSend(t, s.SMTPAddr(), "bot@bot.example", "alice@example.com", goodMessage); code != 250 {
		t.Fatalf("answer %d %s, want 250", code, msg)
	}
	got := s.Inbox("ALICE@example.com")
	if len(got) != 1 {
		t.Fatalf("inbox has %d emails, want 1", len(got))
	}
	e := got[0]
	checks := []struct{ name, got, want string }{
		{"ID", e.ID, "m1"},
		{"envelope from", e.From, "bot@bot.example"},
		{"subject", e.Subject, "Касса is down"},
		{"text", e.Text, "Касса is down.\nIncident: https://bot.example/incidents/42\nAcknowledge: https://bot.example/ack/T0k3n"},
		{"html", e.HTML, `<p><a href="https://bot.example/ack/T0k3n">Acknowledge</a></p>`},
		{"ack link", e.AckURL, "https://bot.example/ack/T0k3n"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !e.Received.Equal(t0) || e.TLS || e.User != "" {
		t.Errorf("received %v TLS %v user %q", e.Received, e.TLS, e.User)
	}
}

func TestSMTPRefusesMalformedMessages(t *testing.T) {
	replace := func(old, new string) string { return strings.Replace(goodMessage, old, new, 1) }
	tests := []struct{ name, data, why string }{
		{"8-bit header", replace("is down\r\n", "не работает\r\n"), "8-bit data in the header"},
		{"bare LF", replace("Date:", "X-A: b\nDate:"), "bare CR or LF"},
		{"bare CR", replace("Date:", "X-A: b\rDate:"), "bare CR or LF"},
		{"no Message-ID", replace("Message-ID: <1@bot.example>\r\n", ""), "0 Message-Id fields"},
		{"Message-ID without domain", replace("<1@bot.example>", "<1>"), "Message-ID"},
		{"no Date", replace("Date: Mon, 05 Jan 2026 09:00:00 +0000\r\n", ""), "0 Date fields"},
		{"bad Date", replace("Mon, 05 Jan 2026 09:00:00 +0000", "yesterday"), "Date"},
		{"two From", replace("To:", "From: x@y.example\r\nTo:"), "2 From fields"},
		{"two Subjects", replace("To:", "Subject: x\r\nTo:"), "2 Subject fields"},
		{"bad From", replace("Bot <bot@bot.example>", "not an address"), "From"},
		{"long line", replace("Incident:", strings.Repeat("x", 999)+"\r\nIncident:"), "too long a line"},
		{"no boundary", replace(`; boundary="b"`, ""), "without a boundary"},
		{"unknown encoding", replace("quoted-printable", "x-uuencode"), "Content-Transfer-Encoding"},
		{"other charset", replace("text/plain; charset=utf-8", "text/plain; charset=koi8-r"), "charset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Options{})
			code, msg := rawSend(t, s.SMTPAddr(), "bot@bot.example", "alice@example.com", tt.data)
			if code != 554 || !strings.Contains(msg, tt.why) {
				t.Errorf("answer %d %q, want 554 saying %q", code, msg, tt.why)
			}
			if n := len(s.Emails()); n != 0 {
				t.Errorf("kept %d emails", n)
			}
		})
	}
}

func TestSMTPAuthAndTLSRules(t *testing.T) {
	t.Run("starttls: MAIL before TLS is refused", func(t *testing.T) {
		s := start(t, Options{TLS: TLSStartTLS})
		code, msg := rawSend(t, s.SMTPAddr(), "bot@bot.example", "alice@example.com", goodMessage)
		if code != 530 {
			t.Errorf("answer %d %s, want 530", code, msg)
		}
	})
	t.Run("auth: MAIL before AUTH is refused", func(t *testing.T) {
		s := start(t, Options{Username: "u", Password: "p"})
		code, msg := rawSend(t, s.SMTPAddr(), "bot@bot.example", "alice@example.com", goodMessage)
		if code != 502 || !strings.Contains(msg, "authenticate") {
			t.Errorf("answer %d %s, want 502 Please authenticate first", code, msg)
		}
	})
	t.Run("auth with TLS: not offered before STARTTLS, works after", func(t *testing.T) {
		s := start(t, Options{TLS: TLSStartTLS, Username: "u", Password: "p"})
		login := func(pw string) (*smtp.Client, error) {
			c, err := smtp.Dial(s.SMTPAddr())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			if ok, _ := c.Extension("AUTH"); ok {
				t.Error("AUTH offered in plain text")
			}
			if ok, _ := c.Extension("STARTTLS"); !ok {
				t.Fatal("STARTTLS not offered")
			}
			if err := c.StartTLS(&tls.Config{ServerName: "127.0.0.1", RootCAs: s.RootCAs()}); err != nil {
				t.Fatal(err)
			}
			if ok, mechs := c.Extension("AUTH"); !ok || mechs != "PLAIN" {
				t.Errorf("AUTH after TLS: %v %q, want PLAIN", ok, mechs)
			}
			return c, c.Auth(smtp.PlainAuth("", "u", pw, "127.0.0.1"))
		}
		if _, err := login("wrong"); err == nil || !strings.Contains(err.Error(), "535") {
			t.Errorf("a wrong password: %v, want 535", err)
		}
		c, err := login("p")
		if err != nil {
			t.Fatalf("the right password: %v", err)
		}
		if err := c.Mail("bot@bot.example"); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt("alice@example.com"); err != nil {
			t.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(goodMessage + "\r\n")); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		e := s.Emails()
		if len(e) != 1 || !e[0].TLS || e[0].User != "u" {
			t.Errorf("emails %v", e)
		}
	})
}

func TestKeepsTheLastN(t *testing.T) {
	s := start(t, Options{Keep: 2})
	for range 3 {
		if code, msg := rawSend(t, s.SMTPAddr(), "bot@bot.example", "alice@example.com", goodMessage); code != 250 {
			t.Fatalf("%d %s", code, msg)
		}
	}
	got := s.Emails()
	if len(got) != 2 || got[0].ID != "m2" || got[1].ID != "m3" {
		ids := []string{}
		for _, e := range got {
			ids = append(ids, e.ID)
		}
		t.Errorf("kept %v, want [m2 m3]", ids)
	}
}

func TestStartChecksOptions(t *testing.T) {
	for name, o := range map[string]Options{
		"unknown TLS":        {TLS: "ssl"},
		"user, no password":  {Username: "u"},
		"password, no user":  {Password: "p"},
		"address in use/bad": {SMTPAddr: "256.0.0.1:0"},
	} {
		if s, err := Start(o); err == nil {
			s.Close()
			t.Errorf("%s: started", name)
		}
	}
}

func TestFindAckURL(t *testing.T) {
	tests := []struct{ name, text, html, want string }{
		{"line that says Acknowledge", "Incident: https://b/incidents/1\nAcknowledge: https://b/x/T\n", "", "https://b/x/T"},
		{"path with /ack/", "Open https://b/incidents/1\nor https://b/ack/T", "", "https://b/ack/T"},
		{"HTML anchor", "no link here", `<a style="x" href="https://b/ack/T?a=1&amp;b=2">Acknowledge</a>`, "https://b/ack/T?a=1&b=2"},
		{"none", "https://b/incidents/1", `<a href="https://b/incidents/1">Open</a>`, ""},
	}
	for _, tt := range tests {
		if got := findAckURL(tt.text, tt.html); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
