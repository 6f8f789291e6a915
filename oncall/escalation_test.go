package oncall

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func fmtStep(st Step, start time.Time) string {
	s := fmt.Sprintf("%s +%s users=%v channels=%v", st.Key, short(st.At.Sub(start)), st.Users, st.Channels)
	if len(st.Unresolved) > 0 {
		s += fmt.Sprintf(" unresolved=%v", st.Unresolved)
	}
	return s
}

func TestPlan(t *testing.T) {
	s := layered(t)
	start := lt(t, s.Timezone, "2026-01-13 09:50")
	scheds := map[string]Schedule{"primary": s}
	ovs := []Override{{ID: "o1", Schedule: "primary", Kind: OverrideAdd, User: "U09", From: start.Add(15 * time.Minute), To: start.Add(time.Hour)}}
	p := EscalationPolicy{Name: "default", Repeat: 1, Levels: []EscalationLevel{
		{Delay: 0, Targets: []Target{{TargetSchedule, "primary"}, {TargetSchedule, "gone"}}},
		{Delay: 10 * time.Minute, Targets: []Target{{TargetUser, "U02"}, {TargetChannel, "#sre"}, {TargetSchedule, "primary"}}},
	}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	plan := NewPlan(42, p, start, scheds, ovs)
	got := make([]string, len(plan.Steps))
	for i, st := range plan.Steps {
		got[i] = fmtStep(st, start)
	}
	diffLines(t, got, []string{
		"page:42:0:0 +0s users=[U02] channels=[] unresolved=[schedule:gone]",
		// U02 is named and on call: paged once.
		"page:42:0:1 +10m users=[U02] channels=[#sre]",
		// The round restarts after the last level's wait; the add override
		// now holds.
		"page:42:1:0 +20m users=[U02 U09] channels=[] unresolved=[schedule:gone]",
		"page:42:1:1 +30m users=[U02 U09] channels=[#sre]",
	})
	if d := plan.Exhausted.Sub(start); d != 40*time.Minute || plan.ExhaustedKey != "page:42:exhausted" {
		t.Errorf("exhausted +%s %q, want +40m page:42:exhausted", d, plan.ExhaustedKey)
	}

	// Due and Next, as the job calls them.
	done := map[string]bool{"page:42:0:0": true}
	due := plan.Due(start.Add(12*time.Minute), func(k string) bool { return done[k] })
	if len(due) != 1 || due[0].Key != "page:42:0:1" {
		t.Errorf("Due = %v, want page:42:0:1", due)
	}
	if next, ok := plan.Next(start.Add(12 * time.Minute)); !ok || next.Key != "page:42:1:0" {
		t.Errorf("Next = %v %v", next.Key, ok)
	}
	if _, ok := plan.Next(start.Add(30 * time.Minute)); ok {
		t.Errorf("Next after the last step: want none")
	}

	// Decline at +3m: level 1 at once, the rest keep their waits.
	d := plan.Decline(start.Add(3 * time.Minute))
	var at []string
	for _, st := range d.Steps {
		at = append(at, st.Key+"@"+short(st.At.Sub(start)))
	}
	if want := "page:42:0:0@0s page:42:0:1@3m page:42:1:0@13m page:42:1:1@23m"; strings.Join(at, " ") != want {
		t.Errorf("after decline: %s, want %s", strings.Join(at, " "), want)
	}
	if e := d.Exhausted.Sub(start); e != 33*time.Minute {
		t.Errorf("after decline: exhausted +%s, want +33m", e)
	}
	if plan.Steps[1].At.Sub(start) != 10*time.Minute {
		t.Errorf("Decline changed the original plan")
	}

	// Zero delays everywhere: rounds wait defaultRoundWait.
	zero := NewPlan(7, EscalationPolicy{Name: "z", Repeat: 2, Levels: []EscalationLevel{{Targets: []Target{{TargetUser, "U01"}}}}}, start, nil, nil)
	var times []string
	for _, st := range zero.Steps {
		times = append(times, short(st.At.Sub(start)))
	}
	if strings.Join(times, " ") != "0s 5m 10m" || zero.Exhausted.Sub(start) != 15*time.Minute {
		t.Errorf("zero delays: %v, exhausted +%s", times, zero.Exhausted.Sub(start))
	}
}

func TestAckRepage(t *testing.T) {
	ack := time.Date(2026, 1, 13, 10, 0, 0, 0, time.UTC)
	p := EscalationPolicy{Name: "p", AckTimeout: time.Hour}
	tests := []struct {
		name               string
		p                  EscalationPolicy
		by                 string
		update, lastRepage time.Time
		want               string
	}{
		{"an hour after the ack", p, "U01", time.Time{}, time.Time{}, "U01 11:00 page:1:ack:1768302000"},
		{"a status update restarts the clock", p, "U01", ack.Add(40 * time.Minute), time.Time{}, "U01 11:40 page:1:ack:1768304400"},
		{"an update before the ack is ignored", p, "U01", ack.Add(-time.Hour), time.Time{}, "U01 11:00 page:1:ack:1768302000"},
		{"repaged: again an hour later", p, "U01", time.Time{}, ack.Add(time.Hour), "U01 12:00 page:1:ack:1768305600"},
		{"no ack timeout", EscalationPolicy{Name: "p"}, "U01", time.Time{}, time.Time{}, "none"},
		{"not acknowledged", p, "", time.Time{}, time.Time{}, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := AckRepage(1, tt.p, tt.by, ack, tt.update, tt.lastRepage)
			got := "none"
			if ok {
				got = r.User + " " + r.At.Format("15:04") + " " + r.Key
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	p := EscalationPolicy{Name: "Default", Repeat: 9, AckTimeout: -time.Minute, Levels: []EscalationLevel{
		{Delay: -time.Minute, Targets: []Target{{TargetSchedule, "Primary"}, {"pager", "bob"}, {TargetUser, "bob"}, {TargetChannel, "sre"}}},
		{Delay: time.Minute},
	}}
	var fe FieldErrors
	err := p.Validate()
	if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	got := make([]string, len(fe))
	for i, e := range fe {
		got[i] = e.Error()
	}
	diffLines(t, got, []string{
		`name: "Default" is not a valid name (use lowercase letters, digits, - and _; at most 64)`,
		`repeat: must be 0 to 5, got 9`,
		`ack_timeout: must not be negative, got -1m0s`,
		`levels[0].delay: must not be negative, got -1m0s`,
		`levels[0].targets[0]: "schedule:Primary": "Primary" is not a schedule name`,
		`levels[0].targets[1]: invalid target "pager:bob" (want schedule:NAME, user:U0123ABCD or channel:#name)`,
		`levels[0].targets[2]: "user:bob": "bob" is not a Slack user ID (like U0123ABCD)`,
		`levels[0].targets[3]: "channel:sre": "sre" is not a channel (write "#name" in lowercase, or a channel ID like C0123ABCD)`,
		`levels[1].targets: at least one target is required`,
	})
	ok := EscalationPolicy{Name: "p", Levels: []EscalationLevel{{Targets: []Target{{TargetSchedule, "primary"}, {TargetSchedule, "x"}}}}}
	if got := ok.UnknownSchedules(func(n string) bool { return n == "primary" }); !slices.Equal(got, []string{"levels[0].targets[1]"}) {
		t.Errorf("UnknownSchedules = %v", got)
	}
	for _, tt := range []struct {
		in   string
		want Target
		ok   bool
	}{
		{"schedule:primary", Target{TargetSchedule, "primary"}, true},
		{"user:U0002", Target{TargetUser, "U0002"}, true},
		{"channel:#sre", Target{TargetChannel, "#sre"}, true},
		{"channel:C0123", Target{TargetChannel, "C0123"}, true},
		{"primary", Target{"primary", ""}, false},
	} {
		got, err := ParseTarget(tt.in)
		if got != tt.want || (err == nil) != tt.ok || got.String() != tt.in && tt.ok {
			t.Errorf("ParseTarget(%q) = %v, %v", tt.in, got, err)
		}
	}
}
