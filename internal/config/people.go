package config

import (
	"fmt"
	"maps"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/incidentbot/incidentbot/oncall"
)

// Paging says how people are woken beyond Slack: the team's default
// notification rules and the providers of each method.
type Paging struct {
	// Rules are the team default for people without rules of their own
	// (default: a Slack message at once).
	Rules []oncall.NotifyRule
	// Twilio sends SMS and makes calls; Fallback is a second
	// Twilio-compatible provider tried when Twilio fails. Nil: none.
	Twilio, Fallback *Twilio
	// SMTP sends email pages; nil: none.
	SMTP *SMTP
	// NtfyServer is the ntfy server of people whose ntfy names no server.
	NtfyServer string
	// AckLinkTTL is how long an acknowledge link (email, push) works.
	AckLinkTTL time.Duration
}

// Twilio is a Twilio(-compatible) account. The auth token comes from the
// environment (TWILIO_AUTH_TOKEN, TWILIO_FALLBACK_AUTH_TOKEN), never the file.
type Twilio struct {
	AccountSID          string
	From                string // E.164 sender number
	MessagingServiceSID string // instead of From for SMS
	APIURL              string // default https://api.twilio.com
}

// SMTP is the mail server of email pages. The password comes from
// SMTP_PASSWORD.
type SMTP struct {
	Host     string
	Port     int // 0: 587 for starttls, 465 for tls, 25 for none
	Username string
	From     string
	TLS      string // starttls (default), tls, or none
}

// defaultAckLinkTTL is how long acknowledge links work by default.
const defaultAckLinkTTL = 24 * time.Hour

var (
	personKeys  = []string{"slack", "phone", "email", "ntfy", "webhook", "rules"}
	ntfyKeys    = []string{"server", "topic", "token"}
	webhookKeys = []string{"url", "secret"}
	ruleKeys    = []string{"after", "notify"}
	pagingKeys  = []string{"rules", "twilio", "fallback", "smtp", "ntfy", "ack_link_ttl"}
	twilioKeys  = []string{"account_sid", "from", "messaging_service_sid", "api_url"}
	smtpKeys    = []string{"host", "port", "username", "from", "tls"}
	pagingNtfy  = []string{"server"}
)

// Person returns the person with a people key, a Slack ID or an email.
func (c *Config) Person(ref string) (oncall.Person, bool) {
	if p, ok := c.People[ref]; ok {
		return p, true
	}
	for _, k := range slices.Sorted(maps.Keys(c.People)) {
		p := c.People[k]
		if p.Slack == ref || (p.Email != "" && strings.EqualFold(p.Email, ref)) {
			return p, true
		}
	}
	return oncall.Person{}, false
}

// PersonByPhone returns the person whose phone is number (E.164).
func (c *Config) PersonByPhone(number string) (oncall.Person, bool) {
	for _, k := range slices.Sorted(maps.Keys(c.People)) {
		if p := c.People[k]; p.Phone != "" && p.Phone == number {
			return p, true
		}
	}
	return oncall.Person{}, false
}

// Contact returns how the person with Slack ID user is reached: their
// people entry, or only Slack with the team's rules.
func (c *Config) Contact(user string) oncall.Person {
	if p, ok := c.Person(user); ok {
		return p
	}
	return oncall.Person{Key: user, Slack: user}
}

func (d *decoder) people(n *yaml.Node) map[string]oncall.Person {
	n = d.deref(n)
	d.remember("people", n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "people", "must be a mapping of person keys to their contacts, got %s", describe(n))
		return nil
	}
	out := map[string]oncall.Person{}
	slackOf := map[string]string{}
	phoneOf := map[string]string{}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], d.deref(n.Content[i+1])
		key := k.Value
		path := join("people", key)
		if first, dup := seen[key]; dup {
			d.errorf(k, path, "duplicate person (first on line %d)", first)
			continue
		}
		seen[key] = k.Line
		d.remember(path, v)
		if k.Kind != yaml.ScalarNode || !oncall.ValidName(key) {
			d.errorf(k, path, "%q is not a valid person key (use lowercase letters, digits, - and _; at most 64)", key)
			continue
		}
		p, ok := d.person(v, path, key)
		if !ok {
			continue
		}
		if other, dup := slackOf[p.Slack]; dup && p.Slack != "" {
			d.errorf(v, join(path, "slack"), "%s is also person %q", p.Slack, other)
		}
		slackOf[p.Slack] = key
		if other, dup := phoneOf[p.Phone]; dup && p.Phone != "" {
			d.errorf(v, join(path, "phone"), "the same phone as person %q: a reply by SMS could not tell them apart", other)
		}
		phoneOf[p.Phone] = key
		out[key] = p
	}
	return out
}

func (d *decoder) person(n *yaml.Node, path, key string) (oncall.Person, bool) {
	o, ok := d.object(n, path, personKeys)
	if !ok {
		return oncall.Person{}, false
	}
	p := oncall.Person{Key: key}
	if v := o.get("slack"); v != nil {
		p.Slack, _ = d.str(v, join(path, "slack"))
	} else {
		d.required(o, "slack", " (the person's Slack user ID, like U0123ABCD)")
		p.Slack = "U0000000" // reported; keep checking the rest
	}
	if v := o.get("phone"); v != nil {
		p.Phone, _ = d.str(v, join(path, "phone"))
	}
	if v := o.get("email"); v != nil {
		p.Email, _ = d.str(v, join(path, "email"))
	}
	if v := o.get("ntfy"); v != nil {
		if no, ok := d.object(v, join(path, "ntfy"), ntfyKeys); ok {
			t := &oncall.NtfyTopic{}
			if s := no.get("server"); s != nil {
				t.Server, _ = d.str(s, join(path, "ntfy.server"))
			}
			if s := no.get("topic"); s != nil {
				t.Topic, _ = d.str(s, join(path, "ntfy.topic"))
			} else {
				d.required(no, "topic", "")
			}
			if s := no.get("token"); s != nil {
				t.Token, _ = d.str(s, join(path, "ntfy.token"))
			}
			p.Ntfy = t
		}
	}
	if v := o.get("webhook"); v != nil {
		if wo, ok := d.object(v, join(path, "webhook"), webhookKeys); ok {
			w := &oncall.Webhook{}
			if s := wo.get("url"); s != nil {
				w.URL, _ = d.str(s, join(path, "webhook.url"))
			} else {
				d.required(wo, "url", "")
			}
			if s := wo.get("secret"); s != nil {
				w.Secret, _ = d.str(s, join(path, "webhook.secret"))
			}
			p.Webhook = w
		}
	}
	if v := o.get("rules"); v != nil {
		p.Rules = d.notifyRules(v, join(path, "rules"))
	}
	check := p
	if check.Ntfy != nil && check.Ntfy.Server == "" {
		c := *check.Ntfy
		c.Server = "https://ntfy.sh" // checked against paging.ntfy.server once known
		check.Ntfy = &c
	}
	d.fieldErrors(path, check.Validate())
	return p, true
}

func (d *decoder) notifyRules(n *yaml.Node, path string) []oncall.NotifyRule {
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	var out []oncall.NotifyRule
	for i, item := range items {
		p := index(path, i)
		o, ok := d.object(item, p, ruleKeys)
		if !ok {
			continue
		}
		var r oncall.NotifyRule
		if v := o.get("after"); v != nil {
			r.After, _ = d.nonNegative(v, join(p, "after"))
		}
		if v := o.get("notify"); v != nil {
			methods, ok := d.list(v, join(p, "notify"))
			for j, m := range methods {
				if !ok {
					break
				}
				s, ok := d.str(m, index(join(p, "notify"), j))
				if !ok {
					continue
				}
				method, err := oncall.ParseMethod(s)
				if err != nil {
					d.errorf(m, index(join(p, "notify"), j), "%v", err)
					continue
				}
				r.Notify = append(r.Notify, method)
			}
		} else {
			d.required(o, "notify", " (a list of methods: slack, push, sms, voice, email, webhook)")
		}
		out = append(out, r)
	}
	return out
}

func (d *decoder) paging(n *yaml.Node, pg *Paging) {
	o, ok := d.object(n, "paging", pagingKeys)
	if !ok {
		return
	}
	if v := o.get("rules"); v != nil {
		pg.Rules = d.notifyRules(v, "paging.rules")
		for i := 1; i < len(pg.Rules); i++ {
			if pg.Rules[i].After < pg.Rules[i-1].After {
				path := join(index("paging.rules", i), "after")
				d.errorf(d.lookup(path), path, "must not be earlier than the step before (%s)", pg.Rules[i-1].After)
			}
		}
	}
	pg.Twilio = d.twilio(o.get("twilio"), "paging.twilio")
	pg.Fallback = d.twilio(o.get("fallback"), "paging.fallback")
	if pg.Fallback != nil && pg.Twilio == nil {
		d.errorf(o.get("fallback"), "paging.fallback", "a fallback needs paging.twilio first")
	}
	if v := o.get("smtp"); v != nil {
		pg.SMTP = d.smtp(v)
	}
	if v := o.get("ntfy"); v != nil {
		if no, ok := d.object(v, "paging.ntfy", pagingNtfy); ok {
			if s := no.get("server"); s != nil {
				if srv, ok := d.str(s, "paging.ntfy.server"); ok {
					if err := httpURL(srv); err != nil {
						d.errorf(s, "paging.ntfy.server", "%v", err)
					} else {
						pg.NtfyServer = strings.TrimRight(srv, "/")
					}
				}
			}
		}
	}
	if v := o.get("ack_link_ttl"); v != nil {
		if ttl, ok := d.duration(v, "paging.ack_link_ttl"); ok {
			if ttl < time.Minute || ttl > 30*24*time.Hour {
				d.errorf(v, "paging.ack_link_ttl", "must be between 1m and 720h, got %s", ttl)
			} else {
				pg.AckLinkTTL = ttl
			}
		}
	}
}

func (d *decoder) twilio(n *yaml.Node, path string) *Twilio {
	if n == nil {
		return nil
	}
	o, ok := d.object(n, path, twilioKeys)
	if !ok {
		return nil
	}
	t := &Twilio{APIURL: "https://api.twilio.com"}
	if v := o.get("account_sid"); v != nil {
		if s, ok := d.str(v, join(path, "account_sid")); ok {
			if len(s) != 34 || !strings.HasPrefix(s, "AC") {
				d.errorf(v, join(path, "account_sid"), "%q is not a Twilio account SID (AC followed by 32 characters)", s)
			}
			t.AccountSID = s
		}
	} else {
		d.required(o, "account_sid", "")
	}
	if v := o.get("from"); v != nil {
		if s, ok := d.str(v, join(path, "from")); ok {
			if !oncall.IsE164(s) {
				d.errorf(v, join(path, "from"), "is not an E.164 phone number (like +15005550006)")
			}
			t.From = s
		}
	}
	if v := o.get("messaging_service_sid"); v != nil {
		if s, ok := d.str(v, join(path, "messaging_service_sid")); ok {
			if len(s) != 34 || !strings.HasPrefix(s, "MG") {
				d.errorf(v, join(path, "messaging_service_sid"), "%q is not a messaging service SID (MG followed by 32 characters)", s)
			}
			t.MessagingServiceSID = s
		}
	}
	if t.From == "" && o.get("from") == nil {
		d.required(o, "from", " (the number calls and texts come from)")
	}
	if v := o.get("api_url"); v != nil {
		if s, ok := d.str(v, join(path, "api_url")); ok {
			if err := httpURL(s); err != nil {
				d.errorf(v, join(path, "api_url"), "%v", err)
			}
			t.APIURL = strings.TrimRight(s, "/")
		}
	}
	return t
}

func (d *decoder) smtp(n *yaml.Node) *SMTP {
	o, ok := d.object(n, "paging.smtp", smtpKeys)
	if !ok {
		return nil
	}
	s := &SMTP{TLS: "starttls"}
	if v := o.get("host"); v != nil {
		s.Host, _ = d.str(v, "paging.smtp.host")
	} else {
		d.required(o, "host", "")
	}
	if v := o.get("port"); v != nil {
		if p, ok := d.integer(v, "paging.smtp.port"); ok {
			if p < 1 || p > 65535 {
				d.errorf(v, "paging.smtp.port", "must be 1 to 65535, got %d", p)
			}
			s.Port = p
		}
	}
	if v := o.get("username"); v != nil {
		s.Username, _ = d.str(v, "paging.smtp.username")
	}
	if v := o.get("from"); v != nil {
		if f, ok := d.str(v, "paging.smtp.from"); ok {
			if _, err := mail.ParseAddress(f); err != nil {
				d.errorf(v, "paging.smtp.from", "is not an email address (like \"incidentbot <pager@example.com>\")")
			}
			s.From = f
		}
	} else {
		d.required(o, "from", " (the sender address)")
	}
	if v := o.get("tls"); v != nil {
		if t, ok := d.str(v, "paging.smtp.tls"); ok {
			if !slices.Contains([]string{"starttls", "tls", "none"}, t) {
				d.errorf(v, "paging.smtp.tls", "unknown mode %q (use starttls, tls or none)", t)
			}
			s.TLS = t
			if t == "none" && !isLoopback(s.Host) {
				d.errorf(v, "paging.smtp.tls", "none sends the password in clear text: only for a mail server on this machine (localhost, 127.0.0.1)")
			}
		}
	}
	return s
}

// checkPeople ties people to the paging settings: people's ntfy topics get
// the default server, and each method a rule names has its provider. (The
// team's default rules may name methods a person has no address for: that
// person skips them.)
func (d *decoder) checkPeople(c *Config) {
	for _, key := range slices.Sorted(maps.Keys(c.People)) {
		p := c.People[key]
		if p.Ntfy != nil && p.Ntfy.Server == "" {
			if c.Paging.NtfyServer == "" {
				d.errorf(d.lookup(join(join("people", key), "ntfy")), join(join("people", key), "ntfy.server"),
					"no ntfy server: set it here or as paging.ntfy.server")
			}
			t := *p.Ntfy
			t.Server = c.Paging.NtfyServer
			p.Ntfy = &t
			c.People[key] = p
		}
		d.checkProviders(join(join("people", key), "rules"), p.Rules, c.Paging)
	}
	d.checkProviders("paging.rules", c.Paging.Rules, c.Paging)
}

func (d *decoder) checkProviders(path string, rules []oncall.NotifyRule, pg Paging) {
	for i, r := range rules {
		for j, m := range r.Notify {
			p := index(join(index(path, i), "notify"), j)
			switch {
			case (m == oncall.MethodSMS || m == oncall.MethodVoice) && pg.Twilio == nil:
				d.errorf(d.lookup(p), p, "%s needs paging.twilio", m)
			case m == oncall.MethodEmail && pg.SMTP == nil:
				d.errorf(d.lookup(p), p, "email needs paging.smtp")
			}
		}
	}
}

func isLoopback(host string) bool {
	return host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1"
}

// httpURL accepts absolute http(s) URLs with a host.
func httpURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}
