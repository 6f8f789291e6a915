package paging

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/incidentbot/incidentbot/oncall"
)

// TestResult is what one method's provider answered to a test page.
type TestResult struct {
	Method   oncall.Method
	Provider string
	Status   string // the provider's status when it took the message
	Error    string // why it did not, without personal data
}

// TestPage sends a test page to the person with Slack ID user through
// each of their contact methods (or only method, when set) and returns
// what each provider answered. A test page says it is one everywhere,
// acknowledges nothing, and counts in no figure; its notifications are
// stored so that the provider's later reports and the person's reply find
// them.
func (e *Engine) TestPage(ctx context.Context, user string, method oncall.Method) ([]TestResult, error) {
	person := e.o.Directory.Contact(user)
	var out []TestResult
	now := e.o.Now()
	for _, m := range oncall.Methods {
		if (method != "" && m != method) || m == oncall.MethodSlack {
			continue
		}
		res := TestResult{Method: m}
		switch {
		case !person.Has(m):
			if method == "" {
				continue
			}
			res.Error = e.o.Words.Text("notify.test_no_address", map[string]any{"Method": string(m)})
		case e.o.Senders[m] == nil:
			res.Error = e.o.Words.Text("notify.test_no_provider", map[string]any{"Method": string(m)})
		default:
			n := Notification{ID: shortID("t", user, string(m), strconv.FormatInt(now.UnixNano(), 10)), Person: person.Key, User: user,
				Method: m, Kind: KindTest, State: NotifySending, DueAt: now, CreatedAt: now, UpdatedAt: now}
			if _, _, err := e.o.Store.AddNotification(ctx, n); err != nil {
				return nil, err
			}
			r, err := e.send(ctx, n, nil)
			if err != nil {
				res.Error = err.Error()
				_, _ = e.move(ctx, n, NotifyFailed, res.Error, NotifySending)
			} else {
				res.Provider, res.Status = r.Provider, r.Status
				n.Provider, n.ProviderID, n.Status = r.Provider, r.ID, r.Status
				if _, err := e.move(ctx, n, NotifySent, "", NotifySending); err != nil {
					return nil, err
				}
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// ContactMethod is one way of reaching a person, shown masked.
type ContactMethod struct {
	Method  oncall.Method
	Address string // masked: "+7•••••••67", "a•••@example.com", the ntfy host and topic; the Slack user ID
	Ready   bool   // a provider is configured for it
}

// Contact returns how the person with Slack ID user is reached: their
// methods (addresses masked) and the rules that apply to them.
func (e *Engine) Contact(user string) ([]ContactMethod, []oncall.NotifyRule) {
	p := e.o.Directory.Contact(user)
	var out []ContactMethod
	for _, m := range oncall.Methods {
		if !p.Has(m) {
			continue
		}
		c := ContactMethod{Method: m, Ready: m == oncall.MethodSlack || e.o.Senders[m] != nil}
		switch m {
		case oncall.MethodSlack:
			c.Address = p.Slack
		case oncall.MethodSMS, oncall.MethodVoice:
			c.Address = oncall.MaskPhone(p.Phone)
		case oncall.MethodEmail:
			c.Address = oncall.MaskEmail(p.Email)
		case oncall.MethodPush:
			c.Address = hostOf(p.Ntfy.Server) + "/" + p.Ntfy.Topic
		case oncall.MethodWebhook:
			c.Address = hostOf(p.Webhook.URL)
		}
		out = append(out, c)
	}
	return out, p.RulesOr(e.o.DefaultRules)
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return "?"
}

// RulesText writes rules as "slack, push at once · sms after 2m".
func RulesText(rules []oncall.NotifyRule, now, after func(d string) string) string {
	var parts []string
	for _, r := range rules {
		ms := make([]string, len(r.Notify))
		for i, m := range r.Notify {
			ms[i] = string(m)
		}
		when := now("")
		if r.After > 0 {
			when = after(fmt.Sprint(r.After))
		}
		parts = append(parts, strings.Join(ms, ", ")+" "+when)
	}
	return strings.Join(parts, " · ")
}
