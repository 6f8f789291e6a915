package command

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/templates"
)

// The general usage lines, in English (grammar.usage_incident and
// grammar.usage_oncall of no verb).
const (
	incidentGeneralUsage = "/incident [#<number>] <declare|ack|status|severity|commander|role|note|action|page|cause|resolve|reopen|postmortem|timeline|list|stats|classify|report|silence|unsilence|help> …"
	oncallGeneralUsage   = "/oncall [<schedule> | override <schedule> @user <from> <to> | overrides [schedule] | override remove <id> | cover <schedule> <from> <to> | load [7d|30d|90d] | handoff [schedule] | contact | test-page [method] | maintenance <service|matchers> <from> <to> [reason] | maintenance list | maintenance remove <id> | help]"
)

func TestParseIncident(t *testing.T) {
	alice := UserRef{ID: "U123ABC", Name: "alice"}
	tests := []struct {
		name string
		text string
		want Incident
	}{
		{"empty is help", "", Incident{Verb: VerbHelp}},
		{"blank is help", "  \n\t ", Incident{Verb: VerbHelp}},
		{"help", "help", Incident{Verb: VerbHelp}},
		{"help topic", "help Status", Incident{Verb: VerbHelp, Topic: VerbStatus}},

		{"declare", "declare Payments API down", Incident{Verb: VerbDeclare, Title: "Payments API down"}},
		{"declare with severity", "declare Payments API down sev2", Incident{Verb: VerbDeclare, Title: "Payments API down", Severity: "sev2"}},
		{"declare severity any case", "declare DB down SEV1", Incident{Verb: VerbDeclare, Title: "DB down", Severity: "sev1"}},
		{"declare severity only in the middle stays in the title", "declare sev1 DB down", Incident{Verb: VerbDeclare, Title: "sev1 DB down"}},
		{"declare unknown severity is title", "declare DB down sev9", Incident{Verb: VerbDeclare, Title: "DB down sev9"}},
		{"declare no text opens modal", "declare", Incident{Verb: VerbDeclare, OpenDeclareModal: true}},
		{"declare only severity opens modal with it", "declare sev3", Incident{Verb: VerbDeclare, OpenDeclareModal: true, Severity: "sev3"}},
		{"declare verb any case, spaces folded", "DECLARE   DB\n down ", Incident{Verb: VerbDeclare, Title: "DB down"}},
		{"declare unescapes Slack text", "declare a &lt;b&gt; &amp; <@U1|bob> <!channel>", Incident{Verb: VerbDeclare, Title: "a <b> & @bob @channel"}},
		{"declare cyrillic", "declare Упала база sev1", Incident{Verb: VerbDeclare, Title: "Упала база", Severity: "sev1"}},

		{"status", "status identified", Incident{Verb: VerbStatus, Status: incidents.StatusIdentified}},
		{"status any case", "Status RESOLVED", Incident{Verb: VerbStatus, Status: incidents.StatusResolved}},
		{"status with number", "#42 status monitoring", Incident{Verb: VerbStatus, Incident: 42, Status: incidents.StatusMonitoring}},

		{"severity", "severity sev1", Incident{Verb: VerbSeverity, Severity: "sev1"}},
		{"severity any case", "severity Sev4", Incident{Verb: VerbSeverity, Severity: "sev4"}},

		{"commander escaped mention", "commander <@U123ABC|alice>", Incident{Verb: VerbCommander, User: alice}},
		{"commander bare mention", "commander <@U123ABC>", Incident{Verb: VerbCommander, User: UserRef{ID: "U123ABC"}}},
		{"commander enterprise user", "commander <@W0001>", Incident{Verb: VerbCommander, User: UserRef{ID: "W0001"}}},
		{"commander unresolved name", "commander @alice.smith", Incident{Verb: VerbCommander, User: UserRef{Name: "alice.smith"}}},

		{"role", "role comms <@U123ABC|alice>", Incident{Verb: VerbRole, Role: "comms", User: alice}},
		{"role multi-word lowercased", "role Ops Lead @bob", Incident{Verb: VerbRole, Role: "ops lead", User: UserRef{Name: "bob"}}},
		{"role with number", "#7 role scribe <@U123ABC>", Incident{Verb: VerbRole, Incident: 7, Role: "scribe", User: UserRef{ID: "U123ABC"}}},

		{"note", "note restarted the primary", Incident{Verb: VerbNote, Text: "restarted the primary"}},
		{"note keeps lines", "note line one\nline two", Incident{Verb: VerbNote, Text: "line one\nline two"}},
		{"note with number", "#42 note rolled back <@U9|carol>", Incident{Verb: VerbNote, Incident: 42, Text: "rolled back @carol"}},

		{"action", "action add an alert on replica lag", Incident{Verb: VerbAction, Text: "add an alert on replica lag"}},
		{"action with owner", "action add an alert on replica lag <@U123ABC|alice>", Incident{Verb: VerbAction, Text: "add an alert on replica lag", User: alice}},
		{"action with unresolved owner", "action fix it @bob", Incident{Verb: VerbAction, Text: "fix it", User: UserRef{Name: "bob"}}},
		{"action of only a mention is text", "action @bob", Incident{Verb: VerbAction, Text: "@bob"}},

		{"page schedule", "page primary", Incident{Verb: VerbPage, Schedule: "primary"}},
		{"page user", "page <@U123ABC|alice>", Incident{Verb: VerbPage, User: alice}},
		{"page channel", "page <#C0SRE|sre>", Incident{Verb: VerbPage, Channel: ChannelRef{ID: "C0SRE", Name: "sre"}}},
		{"page with message", "page primary db is on fire", Incident{Verb: VerbPage, Schedule: "primary", Text: "db is on fire"}},

		{"resolve", "resolve", Incident{Verb: VerbResolve}},
		{"resolve with summary", "resolve failed over to the replica", Incident{Verb: VerbResolve, Text: "failed over to the replica"}},
		{"reopen", "#3 reopen", Incident{Verb: VerbReopen, Incident: 3}},
		{"postmortem", "postmortem", Incident{Verb: VerbPostmortem}},
		{"timeline", "#12 timeline", Incident{Verb: VerbTimeline, Incident: 12}},
		{"list", "list", Incident{Verb: VerbList}},
		{"stats default", "stats", Incident{Verb: VerbStats, Period: 30 * 24 * time.Hour}},
		{"stats 7d", "stats 7d", Incident{Verb: VerbStats, Period: 7 * 24 * time.Hour}},
		{"stats 90D", "stats 90D", Incident{Verb: VerbStats, Period: 90 * 24 * time.Hour}},
		{"stats for a service", "stats checkout 7d", Incident{Verb: VerbStats, Period: 7 * 24 * time.Hour, Service: "checkout"}},
		{"ack", "#3 ack", Incident{Verb: VerbAck, Incident: 3}},
		{"cause deploy", "cause deploy d-1a2b3c", Incident{Verb: VerbCause, Deployment: "d-1a2b3c"}},

		{"classify", "classify dora-major", Incident{Verb: VerbClassify, Obligation: "dora-major"}},
		{"classify any case, with number", "#7 classify DORA-Major", Incident{Verb: VerbClassify, Incident: 7, Obligation: "dora-major"}},
		{"report draft", "report dora-major initial draft", Incident{Verb: VerbReport, Obligation: "dora-major", Report: "initial", ReportAction: ReportDraft}},
		{"report submitted", "report dora-major initial submitted", Incident{Verb: VerbReport, Obligation: "dora-major", Report: "initial", ReportAction: ReportSubmitted}},
		{"report the next draft", "report dora-major draft", Incident{Verb: VerbReport, Obligation: "dora-major", ReportAction: ReportDraft}},
		{"report the next submitted", "report dora-major SUBMITTED FIN-1", Incident{Verb: VerbReport, Obligation: "dora-major", ReportAction: ReportSubmitted, Text: "FIN-1"}},
		{"report submitted with reference", "#3 report nis2 early-warning Submitted CSIRT 2026/11 &lt;42&gt;",
			Incident{Verb: VerbReport, Incident: 3, Obligation: "nis2", Report: "early-warning", ReportAction: ReportSubmitted, Text: "CSIRT 2026/11 <42>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIncident(tt.text, nil)
			if err != nil {
				t.Fatalf("ParseIncident(%q) error = %v, want nil", tt.text, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseIncident(%q)\n got %+v\nwant %+v", tt.text, got, tt.want)
			}
			if err := validIncident(got); err != nil {
				t.Errorf("ParseIncident(%q) is not well formed: %v", tt.text, err)
			}
		})
	}
}

func TestParseIncidentConfiguredSeverities(t *testing.T) {
	sevs := []string{"P1", "P2", "Minor"}
	got, err := ParseIncident("declare checkout slow minor", sevs)
	if err != nil {
		t.Fatalf("ParseIncident() error = %v", err)
	}
	if got.Title != "checkout slow" || got.Severity != "Minor" {
		t.Errorf("got title %q severity %q, want %q %q", got.Title, got.Severity, "checkout slow", "Minor")
	}
	if _, err := ParseIncident("severity sev1", sevs); err == nil {
		t.Errorf("ParseIncident(severity sev1) with P1..Minor configured: error = nil, want a usage error")
	}
	if got, err := ParseIncident("severity p2", sevs); err != nil || got.Severity != "P2" {
		t.Errorf("ParseIncident(severity p2) = %q, %v; want P2", got.Severity, err)
	}
}

func TestParseIncidentErrors(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		wantMsg   string // substring of Msg
		wantUsage string // exact usage line
	}{
		{"unknown subcommand", "explode now", `Unknown subcommand "explode"`, incidentGeneralUsage},
		{"number alone", "#42", "Say what to do with incident #42", incidentGeneralUsage},
		{"bad number", "#abc note x", `"#abc" is not an incident number`, incidentGeneralUsage},
		{"zero number", "#0 note x", "numbers start at #1", incidentGeneralUsage},
		{"overflowing number", "#99999999999999999999 note x", "not an incident number", incidentGeneralUsage},
		{"number on declare", "#4 declare x", "declare does not take an incident number", "/incident declare <title> [sev1..sev4]"},
		{"number on list", "#4 list", "list does not take an incident number", "/incident list [actions [@owner]]"},
		{"title too long", "declare " + strings.Repeat("x", incidents.MaxTitle+1), "keep it within 200", "/incident declare <title> [sev1..sev4]"},
		{"status missing", "status", "status needs one of investigating, identified, monitoring, resolved.", "/incident status <investigating|identified|monitoring|resolved>"},
		{"status unknown", "status fixed", `not "fixed"`, "/incident status <investigating|identified|monitoring|resolved>"},
		{"status triggered not settable", "status triggered", `not "triggered"`, "/incident status <investigating|identified|monitoring|resolved>"},
		{"status extra", "status identified now", "status needs one of", "/incident status <investigating|identified|monitoring|resolved>"},
		{"severity missing", "severity", "severity needs one of sev1, sev2, sev3, sev4.", "/incident severity <sev1..sev4>"},
		{"severity unknown", "severity critical", `not "critical"`, "/incident severity <sev1..sev4>"},
		{"commander missing", "commander", "commander needs exactly one @user.", "/incident commander @user"},
		{"commander not a user", "commander alice", `not "alice"`, "/incident commander @user"},
		{"commander two users", "commander @a @b", "exactly one", "/incident commander @user"},
		{"commander channel", "commander <#C1|x>", "needs an @user", "/incident commander @user"},
		{"commander broken mention", "commander <@U1|a|b>", "needs an @user", "/incident commander @user"},
		{"commander bad id", "commander <@u1>", "needs an @user", "/incident commander @user"},
		{"role missing all", "role", "role needs a role name and an @user.", "/incident role <name> @user"},
		{"role missing user", "role comms lead", `needs an @user last, not "lead"`, "/incident role <name> @user"},
		{"role missing name", "role @bob", "role needs a role name and an @user.", "/incident role <name> @user"},
		{"role bad name", "role c*mms @bob", "letters, digits", "/incident role <name> @user"},
		{"role name too long", "role " + strings.Repeat("r", maxRoleLength+1) + " @bob", "too long", "/incident role <name> @user"},
		{"note empty", "note", "note needs some text.", "/incident note <text>"},
		{"note only spaces", "note    ", "note needs some text.", "/incident note <text>"},
		{"action empty", "action", "action needs a description", "/incident action <text> [@owner] [due <date>] | action done|reopen <id>"},
		{"page missing", "page", "page needs one schedule name or one @user.", "/incident page <schedule|@user> [message]"},
		{"page bad name", "page prim@ry!", "page needs a schedule name or an @user", "/incident page <schedule|@user> [message]"},
		{"reopen extra", "reopen now", "reopen takes no arguments.", "/incident reopen"},
		{"postmortem extra", "postmortem please", `not "please"`, "/incident postmortem [status draft|in-review|final]"},
		{"timeline extra", "timeline all", "timeline takes no arguments.", "/incident timeline"},
		{"list extra", "list open", "list takes nothing, or actions", "/incident list [actions [@owner]]"},
		{"stats bad period", "stats 14d", `7d, 30d or 90d, not "14d"`, "/incident stats [7d|30d|90d] [service]"},
		{"stats two periods", "stats 7d 30d", "one period", "/incident stats [7d|30d|90d] [service]"},
		{"stats two services", "stats checkout payments", "one service name", "/incident stats [7d|30d|90d] [service]"},
		{"cause without deploy", "cause d-123", "the word deploy", "/incident cause deploy <id>"},
		{"cause with a mention", "cause deploy <@U1>", "not a deployment id", "/incident cause deploy <id>"},
		{"ack with words", "ack now", "takes no arguments", "/incident ack"},
		{"help unknown topic", "help explode", `no subcommand "explode"`, "/incident help [subcommand]"},
		{"classify nothing", "classify", "classify needs one regulatory reporting obligation", "/incident classify <obligation>"},
		{"classify two", "classify dora nis2", "classify needs one", "/incident classify <obligation>"},
		{"classify bad name", "classify <@U1>", "is not the name of an obligation", "/incident classify <obligation>"},
		{"report too little", "report dora-major initial", "report needs an obligation, optionally a report, and draft or submitted", "/incident report <obligation> [report] draft|submitted [reference]"},
		{"report bad report name", "report dora-major in!tial draft", `"in!tial" is not the name`, "/incident report <obligation> [report] draft|submitted [reference]"},
		{"report bad action", "report dora-major initial sent", `draft or submitted, not "sent"`, "/incident report <obligation> [report] draft|submitted [reference]"},
		{"report draft extra", "report dora-major initial draft now", "draft takes nothing more",
			"/incident report <obligation> [report] draft|submitted [reference]"},
		{"report obligation only", "report dora-major", "report needs an obligation, optionally a report", "/incident report <obligation> [report] draft|submitted [reference]"},
		{"report next draft extra", "report dora-major draft now", "draft takes nothing more", "/incident report <obligation> [report] draft|submitted [reference]"},
		{"report reference too long", "report dora-major initial submitted " + strings.Repeat("r", 201), "keep it within 200", "/incident report <obligation> [report] draft|submitted [reference]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIncident(tt.text, nil)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseIncident(%q) = %+v, %v; want a *UsageError", tt.text, got, err)
			}
			if !strings.Contains(ue.Msg, tt.wantMsg) {
				t.Errorf("Msg = %q, want it to contain %q", ue.Msg, tt.wantMsg)
			}
			if ue.Usage != tt.wantUsage {
				t.Errorf("Usage = %q, want %q", ue.Usage, tt.wantUsage)
			}
			if want := ue.Msg + " Usage: " + ue.Usage; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
			if !reflect.DeepEqual(got, Incident{}) {
				t.Errorf("command on error = %+v, want the zero value", got)
			}
		})
	}
}

func TestUsageErrorExample(t *testing.T) {
	_, err := ParseIncident("status", nil)
	want := "status needs one of investigating, identified, monitoring, resolved. Usage: /incident status <investigating|identified|monitoring|resolved>"
	if err == nil || err.Error() != want {
		t.Errorf("ParseIncident(status) error = %v, want %q", err, want)
	}
}

func TestIncidentUsage(t *testing.T) {
	u := IncidentHelpText(templates.Lang{}, "")
	for _, v := range IncidentVerbs() {
		if !strings.Contains(u, incidentTable.usage(v).text(templates.Lang{})) {
			t.Errorf("IncidentHelpText(en) lacks the usage of %s (%q)", v, incidentTable.usage(v).text(templates.Lang{}))
		}
	}
	if got := IncidentHelpText(templates.Lang{}, VerbNote); !strings.HasPrefix(got, "/incident note <text> — ") {
		t.Errorf("IncidentHelpText(en, note) = %q, want the note usage line", got)
	}
	if got := IncidentHelpText(templates.Lang{}, ""); got != u {
		t.Errorf("IncidentHelpText(en, \"\") = %q, want the whole help", got)
	}
}

// checkParsed is what the fuzz targets assert: no panic, every error a
// *UsageError, and a nil error means a command that validates.
func checkParsedIncident(t *testing.T, text string) {
	cmd, err := ParseIncident(text, nil)
	if err != nil {
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Msg == "" || ue.Usage == "" {
			t.Fatalf("ParseIncident(%q) error = %#v, want a *UsageError with Msg and Usage", text, err)
		}
		return
	}
	if verr := validIncident(cmd); verr != nil {
		t.Fatalf("ParseIncident(%q) = %+v, which is not well formed: %v", text, cmd, verr)
	}
}

func FuzzParseIncident(f *testing.F) {
	// More seeds live in testdata/fuzz/FuzzParseIncident.
	for _, s := range []string{"", "declare DB down sev1", "#42 note hi <@U1|a>", "role comms @bob", "stats 7d", "action x <@U1>"} {
		f.Add(s)
	}
	f.Fuzz(checkParsedIncident)
}

// TestFuzzSeedsPresent keeps the checked-in corpora from silently vanishing.
func TestFuzzSeedsPresent(t *testing.T) {
	for _, target := range []string{"FuzzParseIncident", "FuzzParseOncall"} {
		files, err := os.ReadDir(filepath.Join("testdata", "fuzz", target))
		if err != nil || len(files) == 0 {
			t.Errorf("testdata/fuzz/%s: %d seeds, %v; want some", target, len(files), err)
		}
	}
}
