package command

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/templates"
)

func TestParseOncall(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Oncall
	}{
		{"empty is now", "", Oncall{Verb: OncallNow}},
		{"help", "HELP", Oncall{Verb: OncallHelp}},
		{"contact", "contact", Oncall{Verb: OncallContact}},
		{"test page", "test-page", Oncall{Verb: OncallTestPage}},
		{"test page by voice", "test-page VOICE", Oncall{Verb: OncallTestPage, Method: oncall.MethodVoice}},
		{"schedule", "primary", Oncall{Verb: OncallSchedule, Schedule: "primary"}},
		{"handoff", "handoff", Oncall{Verb: OncallHandoff}},
		{"handoff schedule", "handoff primary", Oncall{Verb: OncallHandoff, Schedule: "primary"}},
		{"overrides", "overrides", Oncall{Verb: OncallOverrides}},
		{"overrides schedule", "overrides primary", Oncall{Verb: OncallOverrides, Schedule: "primary"}},
		{"override remove", "override remove ab12", Oncall{Verb: OncallOverrideRemove, ID: "ab12"}},
		{"load default", "load", Oncall{Verb: OncallLoad, Period: 30 * 24 * time.Hour}},
		{"load 7d", "load 7d", Oncall{Verb: OncallLoad, Period: 7 * 24 * time.Hour}},
		{"cover", "cover primary tomorrow 09:00 +8h", Oncall{Verb: OncallCover, Schedule: "primary", From: "tomorrow 09:00", To: "+8h"}},
		{"override local times", "override primary <@U1|bob> 2026-03-01T09:00 2026-03-01T18:00", Oncall{
			Verb: OncallOverride, Schedule: "primary", User: UserRef{ID: "U1", Name: "bob"}, From: "2026-03-01T09:00", To: "2026-03-01T18:00",
		}},
		{"override spaced local times", "override primary @bob 2026-03-01 09:00 2026-03-02 09:00", Oncall{
			Verb: OncallOverride, Schedule: "primary", User: UserRef{Name: "bob"}, From: "2026-03-01 09:00", To: "2026-03-02 09:00",
		}},
		{"override now +8h", "override primary <@U1> now +8h", Oncall{
			Verb: OncallOverride, Schedule: "primary", User: UserRef{ID: "U1"}, From: "now", To: "+8h",
		}},
		{"override day words", "override primary <@U1> mon 09:00 tomorrow 18:00", Oncall{
			Verb: OncallOverride, Schedule: "primary", User: UserRef{ID: "U1"}, From: "mon 09:00", To: "tomorrow 18:00",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOncall(tt.text)
			if err != nil {
				t.Fatalf("ParseOncall(%q) error = %v, want nil", tt.text, err)
			}
			if got != tt.want {
				t.Errorf("ParseOncall(%q)\n got %+v\nwant %+v", tt.text, got, tt.want)
			}
			if err := validOncall(got); err != nil {
				t.Errorf("ParseOncall(%q) is not well formed: %v", tt.text, err)
			}
		})
	}
}

func TestParseOncallErrors(t *testing.T) {
	override := "/oncall override <schedule> @user <from> <to>"
	tests := []struct {
		name, text, wantMsg, wantUsage string
	}{
		{"bad schedule", "prim@ry", "neither a subcommand nor a schedule name", oncallGeneralUsage},
		{"two schedules", "primary secondary", `"secondary" is extra`, "/oncall <schedule>"},
		{"help extra", "help me", "help takes no arguments.", "/oncall help"},
		{"contact extra", "contact me", "contact takes no arguments.", "/oncall contact"},
		{"test page by pigeon", "test-page pigeon", `"pigeon" is not a contact method`, "/oncall test-page [sms|voice|email|push|webhook]"},
		{"test page by slack", "test-page slack", `"slack" is not a contact method`, "/oncall test-page [sms|voice|email|push|webhook]"},
		{"test page two methods", "test-page sms voice", "at most one method", "/oncall test-page [sms|voice|email|push|webhook]"},
		{"handoff two", "handoff a b", "at most one schedule", "/oncall handoff [schedule]"},
		{"handoff bad", "handoff <@U1>", "is not a schedule name", "/oncall handoff [schedule]"},
		{"override nothing", "override", "needs a schedule, an @user, a start and an end.", override},
		{"override bad schedule", "override !! @bob 2026-03-01T09:00 2026-03-01T10:00", "is not a schedule name", override},
		{"override no user", "override primary bob 2026-03-01T09:00 2026-03-01T10:00", `not "bob"`, override},
		{"override no times", "override primary @bob", "give a start and an end time.", override},
		{"override one time", "override primary @bob 2026-03-01T09:00", "give a start and an end time.", override},
		{"override bad time", "override primary @bob soon 2026-03-01T10:00", `"soon" is not a time`, override},
		{"override bad date", "override primary @bob 2026-02-30T09:00 2026-03-01T10:00", "is not a time", override},
		{"override extra", "override primary @bob 2026-03-01T09:00 2026-03-01T10:00 later", `"later" is extra`, override},
		{"override zoned time", "override primary @bob 2026-03-01T10:00Z +1h", "is not a time", override},
		{"override remove nothing", "override remove", "needs one override ID", "/oncall override remove <id>"},
		{"load bad", "load 5d", "not a period", "/oncall load [7d|30d|90d]"},
		{"cover no times", "cover primary", "give a start and an end time.", "/oncall cover <schedule> <from> <to>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOncall(tt.text)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseOncall(%q) = %+v, %v; want a *UsageError", tt.text, got, err)
			}
			if !strings.Contains(ue.Msg, tt.wantMsg) {
				t.Errorf("Msg = %q, want it to contain %q", ue.Msg, tt.wantMsg)
			}
			if ue.Usage != tt.wantUsage {
				t.Errorf("Usage = %q, want %q", ue.Usage, tt.wantUsage)
			}
		})
	}
}

func TestOncallUsage(t *testing.T) {
	u := OncallHelpText(templates.Lang{})
	for _, want := range []string{"/oncall <schedule>", "/oncall override <schedule> @user <from> <to>", "/oncall handoff", "/oncall help", "tomorrow 09:00", "overrides [schedule]", "override remove <id>", "cover <schedule>", "load [7d|30d|90d]"} {
		if !strings.Contains(u, want) {
			t.Errorf("OncallHelpText(en) lacks %q", want)
		}
	}
}

func checkParsedOncall(t *testing.T, text string) {
	cmd, err := ParseOncall(text)
	if err != nil {
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Msg == "" || ue.Usage == "" {
			t.Fatalf("ParseOncall(%q) error = %#v, want a *UsageError with Msg and Usage", text, err)
		}
		return
	}
	if verr := validOncall(cmd); verr != nil {
		t.Fatalf("ParseOncall(%q) = %+v, which is not well formed: %v", text, cmd, verr)
	}
}

func FuzzParseOncall(f *testing.F) {
	for _, s := range []string{"", "primary", "override primary <@U1|bob> 2026-03-01T09:00 2026-03-01T18:00", "handoff"} {
		f.Add(s)
	}
	f.Fuzz(checkParsedOncall)
}

func TestParseOncallNow(t *testing.T) {
	for _, text := range []string{"", "now", "  NOW "} {
		if cmd, err := ParseOncall(text); err != nil || cmd.Verb != OncallNow {
			t.Errorf("ParseOncall(%q) = %+v, %v; want now", text, cmd, err)
		}
	}
	if _, err := ParseOncall("now primary"); err == nil {
		t.Error(`"now primary" parsed; want a usage error`)
	}
}
