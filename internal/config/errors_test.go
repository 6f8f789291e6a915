package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseErrors checks each error class: exact line numbers and messages,
// and that all problems of a file are reported at once, in line order.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"unknown_keys.yaml", []string{
			`unknown_keys.yaml:2: severites: unknown key "severites"; did you mean "severities"? (allowed: timezone, locale, admins, slack, severities, routes, storm, auto_resolve, schedules, escalation_policies, postmortem, dora, people, paging, reporting, evidence, alertmanager, maintenance, heartbeats)`,
			`unknown_keys.yaml:5: slack.channel_prefx: unknown key "channel_prefx"; did you mean "channel_prefix"? (allowed: announce_channel, channel_prefix, invite)`,
			`unknown_keys.yaml:7: routes[0].matcher: unknown key "matcher"; did you mean "matchers"? (allowed: matchers, severity, escalation_policy, service)`,
			`unknown_keys.yaml:9: routes[0].escalation: unknown key "escalation"; did you mean "escalation_policy"? (allowed: matchers, severity, escalation_policy, service)`,
		}},
		{"reporting.yaml", []string{
			`reporting.yaml:3: reporting[0].auto_classify.severities[1]: unknown severity "sev9" (defined: sev1, sev2, sev3, sev4)`,
			`reporting.yaml:5: reporting[0].reports[0].at_most: invalid duration "24 hours" (write hours such as 4h or 72h, or months such as 1 month)`,
			`reporting.yaml:6: reporting[0].reports[1].remind[1]: invalid duration "soon"`,
			`reporting.yaml:7: reporting[0].reports[2].due: "interim" is not a report listed before "final" (a deadline counts from an earlier report)`,
			`reporting.yaml:8: reporting[0].reports[3].due: invalid anchor "resolved" (count from detected, classified, or REPORT submitted)`,
			`reporting.yaml:8: reporting[0].reports[3].name: duplicate report "final"`,
			`reporting.yaml:9: reporting[0].reports[4].name: "Bad Name" is not a valid name (lowercase letters, digits, - and _; at most 64)`,
			`reporting.yaml:10: reporting[0].reports[4].due: "bad-name" is not a report listed before "Bad Name" (a deadline counts from an earlier report)`,
			`reporting.yaml:11: reporting[0].reports[4].remind[0]: must be positive`,
			`reporting.yaml:12: reporting[0].reports[5]: due is required (e.g. "4h after classified")`,
			`reporting.yaml:13: reporting[1].name: duplicate obligation "dora-major" (first defined on line 2)`,
			`reporting.yaml:14: reporting[1].reports: at least one report is required`,
			`reporting.yaml:15: reporting[2].name: "NIS2" is not a valid name (lowercase letters, digits, - and _; at most 64)`,
			`reporting.yaml:17: reporting[2].reports[0].tempo: unknown key "tempo" (allowed: name, due, at_most, remind)`,
			`reporting.yaml:17: reporting[2].reports[0].due: a report cannot count from its own submission`,
			`reporting.yaml:18: reporting[3]: name is required (what /incident classify <name> calls it)`,
			`reporting.yaml:18: reporting[3]: reports is required (at least one)`,
			`reporting.yaml:20: evidence.signing_key: unknown key "signing_key"; did you mean "signing_key_file"? (allowed: signing_key_file)`,
		}},
		{"timezone.yaml", []string{
			`timezone.yaml:1: timezone: unknown time zone "Mars/Olympus_Mons" (use an IANA name such as Asia/Almaty or UTC)`,
			`timezone.yaml:4: schedules[0].timezone: unknown time zone "Local" (use an IANA name such as Asia/Almaty or UTC)`,
		}},
		{"severities.yaml", []string{
			`severities.yaml:6: severities[1].name: "Sev 2" is not a valid name (use lowercase letters, digits, - and _; at most 64)`,
			`severities.yaml:8: severities[2].name: duplicate severity "sev1" (first defined on line 3)`,
			`severities.yaml:12: severities[3].update_every: invalid duration "1x"`,
			`severities.yaml:14: severities[4].update_every: must not be negative, got -5m`,
			`severities.yaml:15: severities[5]: name is required`,
			`severities.yaml:16: severities[5].update_every: invalid duration "7d" (Go durations have no days or weeks: write hours, e.g. 24h or 168h)`,
		}},
		{"routes.yaml", []string{
			`routes.yaml:10: routes[0].severity: unknown severity "sev9" (defined: sev1, sev2)`,
			`routes.yaml:11: routes[0].escalation_policy: unknown escalation policy "dflt" (defined: default)`,
			`routes.yaml:12: routes[1].matchers[0]: invalid matcher "severity=critical\"": column 18: unexpected "\"" in an unquoted value; double-quote the value`,
			"routes.yaml:12: routes[1].matchers[1]: invalid matcher \"team=~\\\"(db\\\"\": column 7: invalid regular expression \"(db\": error parsing regexp: missing closing ): `^(?:(db)$`",
			`routes.yaml:14: routes[2]: severity is required (one of the severities' names)`,
			`routes.yaml:18: routes[4]: unreachable: routes[3] above has no matchers and catches every alert (first match wins)`,
		}},
		{"schedules.yaml", []string{
			`schedules.yaml:3: schedules[0].channel: "oncall" is not a channel (write "#name" in lowercase, or a channel ID like C0123ABCD)`,
			`schedules.yaml:8: schedules[0].rotations[0].handoff_time: invalid time of day "9am" (want HH:MM, e.g. 09:00)`,
			`schedules.yaml:9: schedules[0].rotations[0].shift_length: applies only to type custom (a weekly shift is 168h)`,
			`schedules.yaml:10: schedules[0].rotations[0].members: at least one member is required`,
			`schedules.yaml:11: schedules[0].rotations[1]: shift_length is required for type custom`,
			`schedules.yaml:13: schedules[0].rotations[1].start: invalid start "2026-01-10 09:00" (want RFC 3339 with a zone offset, e.g. "2026-01-05T09:00:00+05:00")`,
			`schedules.yaml:14: schedules[0].rotations[1].members[1]: "bob" is not a Slack user ID (like U0123ABCD), an email or a person of people`,
			`schedules.yaml:16: schedules[0].rotations[1].active.days[2]: unknown day "funday" (use mon, tue, wed, thu, fri, sat or sun)`,
			`schedules.yaml:17: schedules[0].rotations[1].active.from: invalid time of day "25:00" (want HH:MM, e.g. 09:00)`,
			`schedules.yaml:19: schedules[0].rotations[2].type: unknown rotation type "nightly" (use hourly, daily, weekly, monthly or custom)`,
			`schedules.yaml:22: schedules[0].rotations[2].active: from and to are both 21:00; omit them for the whole day`,
			`schedules.yaml:23: schedules[0].rotations[3].name: duplicate rotation "nights" (first defined on line 18)`,
			`schedules.yaml:23: schedules[0].rotations[3]: members is required (Slack user IDs, emails or people keys)`,
			`schedules.yaml:26: schedules[0].rotations[3].handoff_time: applies only to daily, weekly and monthly rotations (hourly shifts change hands every shift_length from start)`,
			`schedules.yaml:27: schedules[1].name: duplicate schedule "primary" (first defined on line 2)`,
			`schedules.yaml:28: schedules[1].rotations: at least one rotation is required`,
			`schedules.yaml:29: schedules[2]: rotations is required (at least one rotation)`,
		}},
		{"policies.yaml", []string{
			`policies.yaml:10: escalation_policies[0].repeat: must not be negative, got -1`,
			`policies.yaml:12: escalation_policies[0].levels[0].delay: must not be negative, got -1m`,
			`policies.yaml:13: escalation_policies[0].levels[0].targets[1]: invalid target "pager:bob" (want schedule:NAME, user:U0123ABCD or channel:#name)`,
			`policies.yaml:13: escalation_policies[0].levels[0].targets[2]: "user:bob": "bob" is not a Slack user ID (like U0123ABCD)`,
			`policies.yaml:13: escalation_policies[0].levels[0].targets[3]: "channel:sre": "sre" is not a channel (write "#name" in lowercase, or a channel ID like C0123ABCD)`,
			`policies.yaml:13: escalation_policies[0].levels[0].targets[0]: unknown schedule "primry" (defined: primary)`,
			`policies.yaml:15: escalation_policies[0].levels[1].targets: at least one target is required`,
			`policies.yaml:16: escalation_policies[1].name: duplicate escalation policy "default" (first defined on line 9)`,
			`policies.yaml:17: escalation_policies[1].levels: at least one level is required`,
			`policies.yaml:18: escalation_policies[2]: levels is required (at least one level with targets)`,
			`policies.yaml:19: escalation_policies[2].repeat: must be a whole number, got "twice"`,
		}},
		// Rules the oncall domain checks itself (Validate), at the line of the
		// field its path names.
		{"domain.yaml", []string{
			`domain.yaml:10: schedules[0].rotations[1].shift_length: must be a whole number of minutes, got 1m30s`,
			`domain.yaml:15: escalation_policies[0].repeat: must be 0 to 5, got 9`,
			`domain.yaml:19: escalation_policies[1].ack_timeout: must not be negative, got -5m`,
		}},
		{"limits.yaml", []string{
			`limits.yaml:2: storm.max_new: must be at least 1, got 0`,
			`limits.yaml:3: storm.window: must be positive, got -5m`,
			`limits.yaml:5: auto_resolve.enabled: must be true or false, got "maybe"`,
			`limits.yaml:6: auto_resolve.after: must not be negative, got -1m`,
			`limits.yaml:8: dora.window: must be positive, got 0s`,
		}},
		{"syntax.yaml", []string{
			`syntax.yaml:2: invalid YAML: did not find expected '-' indicator`,
		}},
		{"shapes.yaml", []string{
			`shapes.yaml:1: admins: must be a list, got "U0001"`,
			`shapes.yaml:2: slack: must be a mapping of keys (announce_channel, channel_prefix, invite), got a list`,
			`shapes.yaml:4: severities: must be a list, got a mapping`,
			`shapes.yaml:5: storm: must be a mapping of keys (max_new, window), got "10"`,
			`shapes.yaml:6: locale: unsupported locale "fr" (use en or ru)`,
		}},
		{"people.yaml", []string{
			`people.yaml:4: people.alice.phone: is not an E.164 phone number (a +, the country code and the number, digits only, like +77011234567)`,
			`people.yaml:5: people.alice.email: is not an email address`,
			`people.yaml:6: people.alice.ntfy.server: "ftp://push.example" is not an http(s) URL`,
			`people.yaml:6: people.alice.ntfy.topic: "alice pager" is not an ntfy topic (letters, digits, - and _, at most 64)`,
			`people.yaml:7: people.alice.webhook.url: "/relative" is not an http(s) URL`,
			`people.yaml:9: people.alice.rules[0].notify[1]: unknown contact method "pager" (use slack, push, sms, voice, email or webhook)`,
			`people.yaml:10: people.alice.rules[1].notify[0]: sms needs paging.twilio`,
			`people.yaml:11: people.alice.rules[2].after: must not be earlier than the step before (2m0s)`,
			`people.yaml:11: people.alice.rules[2].notify[0]: voice needs paging.twilio`,
			`people.yaml:16: people.bob.rules[0].notify[0]: email needs an email on this person`,
			`people.yaml:16: people.bob.rules[0].notify[1]: push needs an ntfy topic on this person`,
			`people.yaml:18: people.carol.phone: the same phone as person "bob": a reply by SMS could not tell them apart`,
			`people.yaml:20: people.Dave: "Dave" is not a valid person key (use lowercase letters, digits, - and _; at most 64)`,
			`people.yaml:24: paging.rules[0].notify[0]: sms needs paging.twilio`,
			`people.yaml:25: paging.fallback.account_sid: "AC123" is not a Twilio account SID (AC followed by 32 characters)`,
			`people.yaml:25: paging.fallback.from: is not an E.164 phone number (like +15005550006)`,
			`people.yaml:25: paging.fallback: a fallback needs paging.twilio first`,
			`people.yaml:26: paging.smtp: host is required`,
			`people.yaml:26: paging.smtp.port: must be 1 to 65535, got 70000`,
			`people.yaml:26: paging.smtp.from: is not an email address (like "incidentbot <pager@example.com>")`,
			`people.yaml:26: paging.smtp.tls: unknown mode "ssl" (use starttls, tls or none)`,
			`people.yaml:27: paging.ack_link_ttl: must be between 1m and 720h, got 10s`,
			`people.yaml:34: schedules[0].rotations[0].members[1]: "zed" is not a Slack user ID (like U0123ABCD), an email or a person of people`,
		}},
		{"slack.yaml", []string{
			`slack.yaml:2: slack.announce_channel: "incidents" is not a channel (write "#name" in lowercase, or a channel ID like C0123ABCD)`,
			`slack.yaml:3: slack.channel_prefix: "Incident-Channels-Are-Long" is not a valid channel-name prefix (1 to 20 of lowercase a-z, 0-9, - and _)`,
			`slack.yaml:4: slack.invite[1]: "someone" is not a Slack user ID (like U0123ABCD)`,
			`slack.yaml:5: admins[1]: "alice@example.com" is not a Slack user ID (like U0123ABCD)`,
			`slack.yaml:7: timezone: duplicate key (first on line 6)`,
		}},
		{"two_docs.yaml", []string{
			`two_docs.yaml:2: a second YAML document; the config is one document (remove the extra ---)`,
		}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "errors", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse(tt.file, data)
			if c != nil {
				t.Errorf("Parse returned a config along with errors")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse error = %v (%T), want Errors", err, err)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(errs) {
				t.Errorf("Error() has %d lines for %d errors", len(got), len(errs))
			}
			for i := 0; i < max(len(got), len(tt.want)); i++ {
				var g, w string
				if i < len(got) {
					g = got[i]
				}
				if i < len(tt.want) {
					w = tt.want[i]
				}
				if g != w {
					t.Errorf("error %d:\n got  %s\n want %s", i, g, w)
				}
			}
			for _, e := range errs {
				if e.File != tt.file || e.Line < 1 {
					t.Errorf("error %q: File %q Line %d, want %q and a line", e.Msg, e.File, e.Line, tt.file)
				}
			}
		})
	}
	// Every file under testdata/errors is covered by the table.
	files, _ := filepath.Glob(filepath.Join("testdata", "errors", "*.yaml"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no expectations in TestParseErrors", f)
		}
	}
}

// TestErrorFormat pins the documented message shape.
func TestErrorFormat(t *testing.T) {
	data := []byte(`severities:
  - name: sev1
    description: Critical
    update_every: 30m
  - name: sev2
    description: Major
    update_every: 1h
  - name: sev3
  - name: sev4
    description: Cosmetic


    update_every: 1x
`)
	_, err := Parse("incidentbot.yaml", data)
	want := `incidentbot.yaml:13: severities[3].update_every: invalid duration "1x"`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}

	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "a.yaml", Line: 12, Msg: "x: bad"}, "a.yaml:12: x: bad"},
		{Error{File: "a.yaml", Msg: "bad"}, "a.yaml: bad"},
		{Error{Line: 3, Msg: "bad"}, "line 3: bad"},
		{Error{Msg: "bad"}, "bad"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
