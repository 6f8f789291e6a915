package oncall

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Method is one way of reaching a person.
type Method string

// The contact methods. Slack is always available (a direct message); the
// others need an address on the Person.
const (
	MethodSlack   Method = "slack"   // a Slack direct message with buttons
	MethodSMS     Method = "sms"     // a text message (Twilio)
	MethodVoice   Method = "voice"   // a phone call that reads the incident (Twilio)
	MethodEmail   Method = "email"   // an email with a signed acknowledge link
	MethodPush    Method = "push"    // an ntfy notification with an Acknowledge action
	MethodWebhook Method = "webhook" // a signed JSON POST (a pager gateway, anything)
)

// Methods lists every method, in the order people are usually woken.
var Methods = []Method{MethodSlack, MethodPush, MethodSMS, MethodVoice, MethodEmail, MethodWebhook}

// ParseMethod reads a method name.
func ParseMethod(s string) (Method, error) {
	m := Method(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range Methods {
		if m == k {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown contact method %q (use slack, push, sms, voice, email or webhook)", s)
}

// Person is someone who can be paged, and how. Phone and Email are
// personal data: they never appear in logs, metric labels or the web view.
type Person struct {
	// Key names the person in the config's people map; schedules and
	// escalation targets may use it instead of the Slack ID.
	Key string
	// Slack is the person's Slack user ID; every person has one.
	Slack string
	// Phone is an E.164 number for SMS and voice ("+77011234567").
	Phone string
	// Email is an address for email pages.
	Email string
	// Ntfy is a push topic; nil for none.
	Ntfy *NtfyTopic
	// Webhook is an outgoing webhook; nil for none.
	Webhook *Webhook
	// Rules say how the person is woken, step by step, until someone
	// acknowledges; empty means the team's default rules.
	Rules []NotifyRule
}

// NtfyTopic is an ntfy server and topic that the person's phone subscribes to.
type NtfyTopic struct {
	Server string // base URL, e.g. https://ntfy.sh
	Topic  string
	// Token is an access token (tk_…) for a protected topic; optional.
	Token string
}

// Webhook is an outgoing webhook: a JSON POST signed with HMAC-SHA256.
type Webhook struct {
	URL    string
	Secret string // the HMAC key; optional (then unsigned)
}

// NotifyRule is one step of a person's notification rules: After the page,
// notify by each of the methods.
type NotifyRule struct {
	After  time.Duration
	Notify []Method
}

// defaultRules are the team default when neither the person nor the config
// says otherwise: a Slack direct message at once.
func defaultRules() []NotifyRule { return []NotifyRule{{Notify: []Method{MethodSlack}}} }

// Has reports whether the person has an address for method m.
func (p Person) Has(m Method) bool {
	switch m {
	case MethodSlack:
		return p.Slack != ""
	case MethodSMS, MethodVoice:
		return p.Phone != ""
	case MethodEmail:
		return p.Email != ""
	case MethodPush:
		return p.Ntfy != nil && p.Ntfy.Topic != ""
	case MethodWebhook:
		return p.Webhook != nil && p.Webhook.URL != ""
	}
	return false
}

// RulesOr returns the person's rules, or def when the person has none.
func (p Person) RulesOr(def []NotifyRule) []NotifyRule {
	if len(p.Rules) > 0 {
		return p.Rules
	}
	if len(def) > 0 {
		return def
	}
	return defaultRules()
}

var e164Re = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// IsE164 reports whether s is a phone number in E.164 form: "+", a country
// code and the number, 8 to 15 digits in all.
func IsE164(s string) bool { return e164Re.MatchString(s) }

// MaskPhone hides all but the last two digits: "+7•••••••67".
func MaskPhone(s string) string {
	if len(s) < 4 {
		return strings.Repeat("•", len(s))
	}
	return s[:2] + strings.Repeat("•", len(s)-4) + s[len(s)-2:]
}

// MaskEmail hides the local part but its first letter: "a•••@example.com".
func MaskEmail(s string) string {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" {
		return "•••"
	}
	return local[:1] + "•••@" + domain
}

// Validate checks the person; the error is FieldErrors with paths such as
// "phone" or "rules[1].notify[0]".
func (p Person) Validate() error {
	var f fields
	if !ValidName(p.Key) {
		f.add("", "%q is not a valid person key (use lowercase letters, digits, - and _; at most 64)", p.Key)
	}
	if !IsUserID(p.Slack) {
		f.add("slack", "%q is not a Slack user ID (like U0123ABCD)", p.Slack)
	}
	if p.Phone != "" && !IsE164(p.Phone) {
		f.add("phone", "is not an E.164 phone number (a +, the country code and the number, digits only, like +77011234567)")
	}
	if p.Email != "" && !IsEmail(p.Email) {
		f.add("email", "is not an email address")
	}
	if p.Ntfy != nil {
		if err := checkURL(p.Ntfy.Server); err != nil {
			f.add("ntfy.server", "%v", err)
		}
		if !ntfyTopicRe.MatchString(p.Ntfy.Topic) {
			f.add("ntfy.topic", "%q is not an ntfy topic (letters, digits, - and _, at most 64)", p.Ntfy.Topic)
		}
	}
	if p.Webhook != nil {
		if err := checkURL(p.Webhook.URL); err != nil {
			f.add("webhook.url", "%v", err)
		}
	}
	for i, r := range p.Rules {
		rp := index("rules", i)
		if r.After < 0 {
			f.add(join(rp, "after"), "must not be negative, got %s", r.After)
		}
		if len(r.Notify) == 0 {
			f.add(join(rp, "notify"), "name at least one method")
		}
		for j, m := range r.Notify {
			if _, err := ParseMethod(string(m)); err != nil {
				f.add(index(join(rp, "notify"), j), "%v", err)
			} else if !p.Has(m) {
				f.add(index(join(rp, "notify"), j), "%s needs %s on this person", m, needs(m))
			}
		}
		if i > 0 && r.After < p.Rules[i-1].After {
			f.add(join(rp, "after"), "must not be earlier than the step before (%s)", p.Rules[i-1].After)
		}
	}
	return f.err()
}

func needs(m Method) string {
	switch m {
	case MethodSMS, MethodVoice:
		return "a phone"
	case MethodEmail:
		return "an email"
	case MethodPush:
		return "an ntfy topic"
	case MethodWebhook:
		return "a webhook"
	}
	return "a Slack user"
}

var ntfyTopicRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// checkURL accepts absolute http and https URLs with a host.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}
