package command

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/labels"
	"github.com/incidentbot/incidentbot/oncall"
)

func TestParseSilence(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       Incident
	}{
		{"an hour", "silence 1h", Incident{Verb: VerbSilence, SilenceFor: time.Hour}},
		{"days and hours", "#7 silence 1d12h", Incident{Verb: VerbSilence, Incident: 7, SilenceFor: 36 * time.Hour}},
		{"until resolved", "silence Until Resolved", Incident{Verb: VerbSilence, SilenceUntilResolved: true}},
		{"one matcher", `silence 4h service=checkout`, Incident{Verb: VerbSilence, SilenceFor: 4 * time.Hour, SilenceMatchers: `service="checkout"`}},
		{"braces with spaces", `silence until resolved {service="checkout", instance=~"web-.*"}`,
			Incident{Verb: VerbSilence, SilenceUntilResolved: true, SilenceMatchers: `service="checkout", instance=~"web-.*"`}},
		{"space separated", `silence 30m service="checkout" env!="dev"`, Incident{Verb: VerbSilence, SilenceFor: 30 * time.Minute, SilenceMatchers: `service="checkout", env!="dev"`}},
		{"typographic quotes from Slack", "silence 2h service=“pay ment”", Incident{Verb: VerbSilence, SilenceFor: 2 * time.Hour, SilenceMatchers: `service="pay ment"`}},
		{"escaped by Slack", `silence 1h path=~"a&amp;b"`, Incident{Verb: VerbSilence, SilenceFor: time.Hour, SilenceMatchers: `path=~"a&b"`}},
		{"unsilence", "unsilence", Incident{Verb: VerbUnsilence}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseIncident(tc.text, nil)
			if err != nil {
				t.Fatalf("ParseIncident(%q): %v", tc.text, err)
			}
			if got != tc.want {
				t.Errorf("ParseIncident(%q)\n got %+v\nwant %+v", tc.text, got, tc.want)
			}
			if err := validIncident(got); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestParseSilenceErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"silence", "silence needs how long"},
		{"silence soon", `"soon" is not how long to silence`},
		{"silence 30s", "a silence lasts from 1m to 30d"},
		{"silence 31d", "a silence lasts from 1m to 30d"},
		{"silence 99999999999h", "is not how long to silence"},
		{`silence 1h service=~"("`, "not in Alertmanager's syntax"},
		{"silence until", `"until" is not how long`},
		{"unsilence now", "unsilence takes no arguments"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			_, err := ParseIncident(tc.text, nil)
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(ue.Msg, tc.want) {
				t.Fatalf("ParseIncident(%q) = %v, want a usage error with %q", tc.text, err, tc.want)
			}
			if !strings.Contains(ue.Usage, "/incident silence") && !strings.Contains(ue.Usage, "/incident unsilence") {
				t.Errorf("usage = %q, want the silence usage line", ue.Usage)
			}
		})
	}
}

func TestParseMaintenance(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       Oncall
	}{
		{"service with a reason", "maintenance checkout tomorrow 22:00 +2h DB &lt;upgrade&gt; &amp; vacuum",
			Oncall{Verb: OncallMaintenance, Service: "checkout", From: "tomorrow 22:00", To: "+2h", Reason: "DB <upgrade> & vacuum"}},
		{"braced matchers", `maintenance {service="checkout", env="prod"} now +1h`,
			Oncall{Verb: OncallMaintenance, Matchers: `service="checkout", env="prod"`, From: "now", To: "+1h"}},
		{"one-word matchers and dates", `maintenance team=db,env=~prod.* 2026-12-01 09:00 2026-12-01 11:00 kernel`,
			Oncall{Verb: OncallMaintenance, Matchers: `team="db", env=~"prod.*"`, From: "2026-12-01 09:00", To: "2026-12-01 11:00", Reason: "kernel"}},
		{"list", "maintenance LIST", Oncall{Verb: OncallMaintenanceList}},
		{"remove", "maintenance remove a1b2c3", Oncall{Verb: OncallMaintenanceRemove, ID: "a1b2c3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseOncall(tc.text)
			if err != nil {
				t.Fatalf("ParseOncall(%q): %v", tc.text, err)
			}
			if got != tc.want {
				t.Errorf("ParseOncall(%q)\n got %+v\nwant %+v", tc.text, got, tc.want)
			}
			if err := validOncall(got); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestParseMaintenanceErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"maintenance", "maintenance needs a service or matchers"},
		{"maintenance checkout", "a start and an end"},
		{"maintenance checkout now", "a start and an end"},
		{"maintenance checkout now soon", `"soon" is not a time`},
		{`maintenance {service="x" now +1h`, "missing closing '}'"},
		{`maintenance service=~"(" now +1h`, "not in Alertmanager's syntax"},
		{"maintenance ch@ckout now +1h", "neither a service name nor matchers"},
		{"maintenance list all", "maintenance list takes no arguments"},
		{"maintenance remove", "maintenance remove needs one window ID"},
		{"maintenance checkout now +1h " + strings.Repeat("x", 301), "within 300 characters"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			_, err := ParseOncall(tc.text)
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(ue.Msg, tc.want) {
				t.Fatalf("ParseOncall(%q) = %v, want a usage error with %q", tc.text, err, tc.want)
			}
			if !strings.Contains(ue.Usage, "/oncall maintenance") {
				t.Errorf("usage = %q, want a maintenance usage line", ue.Usage)
			}
		})
	}
}

func TestSilenceLengths(t *testing.T) {
	for in, want := range map[string]time.Duration{"90m": 90 * time.Minute, "1w": 7 * 24 * time.Hour, "1h30m": 90 * time.Minute, "2D": 48 * time.Hour} {
		if got, ok := ParseLength(in); !ok || got != want {
			t.Errorf("ParseLength(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "h", "1", "1x", "1h-2m", "-1h", "1.5h", strings.Repeat("9", 40) + "h"} {
		if got, ok := ParseLength(in); ok {
			t.Errorf("ParseLength(%q) = %v; want refused", in, got)
		}
	}
}

// checkSilence holds a parse of /incident silence to its contract: it
// never panics; a command has a length in bounds or until resolved, and
// matchers that parse back to themselves.
func checkSilence(t *testing.T, text string) {
	cmd, err := ParseIncident("silence "+text, nil)
	if err != nil {
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Msg == "" {
			t.Fatalf("silence %q: error %#v, want a *UsageError", text, err)
		}
		return
	}
	if cmd.Verb != VerbSilence {
		return
	}
	if !cmd.SilenceUntilResolved && (cmd.SilenceFor < MinSilence || cmd.SilenceFor > MaxSilence) {
		t.Fatalf("silence %q: length %v out of bounds", text, cmd.SilenceFor)
	}
	if cmd.SilenceMatchers != "" {
		ms, err := labels.ParseMatchers([]string{cmd.SilenceMatchers})
		if err != nil || len(ms) == 0 {
			t.Fatalf("silence %q: matchers %q do not parse back: %v", text, cmd.SilenceMatchers, err)
		}
		if got := strings.Join(SplitMatchers(cmd.SilenceMatchers), ", "); got != cmd.SilenceMatchers {
			t.Fatalf("silence %q: matchers %q are not canonical (%q)", text, cmd.SilenceMatchers, got)
		}
	}
}

func FuzzParseSilence(f *testing.F) {
	for _, s := range []string{"1h", "until resolved", `4h {service="checkout", instance=~"web-.*"}`, `30m a="b" c!~"d"`,
		"2d service=“x”", `1h a=~"(`, "until resolved,", "0m", "1w2d3h4m5s"} {
		f.Add(s)
	}
	f.Fuzz(checkSilence)
}

// checkMaintenance holds /oncall maintenance's parse to its contract.
func checkMaintenance(t *testing.T, text string) {
	cmd, err := ParseOncall("maintenance " + text)
	if err != nil {
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Msg == "" || ue.Usage == "" {
			t.Fatalf("maintenance %q: error %#v, want a *UsageError", text, err)
		}
		return
	}
	if err := validOncall(cmd); err != nil {
		t.Fatalf("maintenance %q = %+v: %v", text, cmd, err)
	}
}

func FuzzParseMaintenance(f *testing.F) {
	for _, s := range []string{"checkout tomorrow 22:00 +2h DB upgrade", `{service="checkout", env="prod"} now +1h`, "list", "remove ab12",
		`team=db,env=~prod.* 2026-12-01 09:00 2026-12-01 11:00`, "{", "} now +1h", `{a="}" now +1h`, "x mon 09:00 tue"} {
		f.Add(s)
	}
	f.Fuzz(checkMaintenance)
}

// validMaintenance is validOncall's part for maintenance commands.
func validMaintenance(c Oncall) error {
	bad := func(what string) error { return errors.New("invalid " + string(c.Verb) + " command: " + what) }
	switch c.Verb {
	case OncallMaintenanceList:
		if c.ID != "" || c.From != "" || c.Service != "" || c.Matchers != "" {
			return bad("takes no arguments")
		}
	case OncallMaintenanceRemove:
		if !isOverrideID(c.ID) {
			return bad("id")
		}
	case OncallMaintenance:
		if (c.Service == "") == (c.Matchers == "") {
			return bad("a service xor matchers")
		}
		if c.Service != "" && !isName(c.Service) {
			return bad("service")
		}
		if c.Matchers != "" {
			if ms, err := labels.ParseMatchers([]string{c.Matchers}); err != nil || len(ms) == 0 {
				return bad("matchers")
			}
		}
		for _, tm := range []string{c.From, c.To} {
			if _, err := oncall.ParseTime(tm, timeCheckNow, time.UTC); err != nil {
				return bad("time " + tm)
			}
		}
		if utf8.RuneCountInString(c.Reason) > maxReason || strings.Join(strings.Fields(c.Reason), " ") != c.Reason {
			return bad("reason")
		}
	}
	return nil
}
