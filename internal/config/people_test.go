package config

import (
	"slices"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/oncall"
)

func TestPeopleAndPaging(t *testing.T) {
	c, err := Parse("people.yaml", []byte(`
people:
  alice:
    slack: U0001
    phone: "+77011234567"
    email: alice@example.com
    ntfy: {topic: alice-pager}
    rules:
      - {after: 0s, notify: [slack, push]}
      - {after: 2m, notify: [sms]}
  bob:
    slack: U0002
paging:
  rules: [{after: 0s, notify: [slack, push]}]
  twilio: {account_sid: AC00000000000000000000000000000000, from: "+15005550006"}
  ntfy: {server: "https://ntfy.example.com/"}
schedules:
  - name: primary
    rotations:
      - name: weekly
        type: weekly
        start: "2026-01-05T09:00:00+05:00"
        members: [alice, bob@example.com, U0003]
`))
	if err != nil {
		t.Fatal(err)
	}
	// bob has no email in people: his stays an email (looked up in Slack at start).
	if got := c.Schedules[0].Rotations[0].Members; !slices.Equal(got, []string{"U0001", "bob@example.com", "U0003"}) {
		t.Errorf("members = %v, want alice resolved to U0001", got)
	}
	alice, ok := c.Person("alice")
	if !ok || alice.Slack != "U0001" || alice.Ntfy.Server != "https://ntfy.example.com" || len(alice.Rules) != 2 || alice.Rules[1].After != 2*time.Minute {
		t.Errorf("alice = %+v, %v", alice, ok)
	}
	for _, ref := range []string{"U0001", "ALICE@example.com"} {
		if p, ok := c.Person(ref); !ok || p.Key != "alice" {
			t.Errorf("Person(%q) = %+v, %v; want alice", ref, p, ok)
		}
	}
	if p, ok := c.PersonByPhone("+77011234567"); !ok || p.Key != "alice" {
		t.Errorf("PersonByPhone = %+v, %v", p, ok)
	}
	if _, ok := c.PersonByPhone("+70000000000"); ok {
		t.Error("an unknown number found a person")
	}
	if p := c.Contact("U0009"); p.Slack != "U0009" || p.Has(oncall.MethodSMS) {
		t.Errorf("Contact of someone not in people = %+v, want Slack only", p)
	}
	if c.Paging.Twilio == nil || c.Paging.Twilio.APIURL != "https://api.twilio.com" || c.Paging.AckLinkTTL != defaultAckLinkTTL {
		t.Errorf("paging = %+v", c.Paging)
	}
	if got := Default().Paging.AckLinkTTL; got != defaultAckLinkTTL {
		t.Errorf("default ack link TTL = %s", got)
	}
}
