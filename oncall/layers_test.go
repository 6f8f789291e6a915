package oncall

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// layerShifts returns the shifts of one layer (rotation index i) that
// overlap [from, to), ignoring the other layers and overrides: where the
// layer is active, who it puts on call. They are whole, like Shifts'.
func layerShifts(s Schedule, i int, from, to time.Time) []Shift {
	one := s
	one.Rotations = s.Rotations[i : i+1]
	return Shifts(one, nil, from, to)
}

// almatySchedule is the contract's example: a weekly rotation with a
// weekend-cover layer on top, plus a nights layer crossing midnight.
func layered(t testing.TB) Schedule {
	loc := mustZone(t, "Asia/Almaty")
	return Schedule{Name: "primary", Timezone: loc, Rotations: []Rotation{
		{Name: "weekly", Type: RotationWeekly, Start: lt(t, loc, "2026-01-05 09:00"), HandoffTime: 9 * 60, Members: []string{"U01", "U02"}},
		{Name: "weekend", Type: RotationWeekly, Start: lt(t, loc, "2026-01-03 00:00"), Members: []string{"U03", "U04"},
			Active: &Active{Days: []time.Weekday{time.Saturday, time.Sunday}, From: 0, To: 24 * 60}},
		{Name: "nights", Type: RotationDaily, Start: lt(t, loc, "2026-01-05 22:00"), HandoffTime: 22 * 60, Members: []string{"U05"},
			Active: &Active{Days: []time.Weekday{time.Wednesday}, From: 22 * 60, To: 6 * 60}},
	}}
}

func TestLayersAndWindows(t *testing.T) {
	s := layered(t)
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	loc := s.Timezone
	got := fmtShifts(Shifts(s, nil, lt(t, loc, "2026-01-12 09:00"), lt(t, loc, "2026-01-19 09:00")))
	want := []string{
		"U02 Mon 01-12 09:00 +05 → Wed 01-14 22:00 +05 61h",
		// nights: Wednesday's window runs past midnight into Thursday.
		"U05 Wed 01-14 22:00 +05 → Thu 01-15 06:00 +05 8h",
		"U02 Thu 01-15 06:00 +05 → Sat 01-17 00:00 +05 42h",
		// weekend: Saturday's and Sunday's windows join; the weekly layer
		// below shows through again on Monday.
		"U03 Sat 01-17 00:00 +05 → Mon 01-19 00:00 +05 48h",
		"U02 Mon 01-19 00:00 +05 → Mon 01-19 09:00 +05 9h",
	}
	diffLines(t, got, want)

	// Layer by layer, ignoring the others.
	got = fmtShifts(layerShifts(s, 1, lt(t, loc, "2026-01-12 09:00"), lt(t, loc, "2026-01-26 00:00")))
	want = []string{
		"U03 Sat 01-17 00:00 +05 → Mon 01-19 00:00 +05 48h",
		"U04 Sat 01-24 00:00 +05 → Mon 01-26 00:00 +05 48h",
	}
	diffLines(t, got, want)
}

func TestOverrides(t *testing.T) {
	s := layered(t)
	loc := s.Timezone
	at := func(v string) time.Time { return lt(t, loc, v) }
	tests := []struct {
		name string
		ovs  []Override
		want []string
	}{
		{"replace whoever is on call", []Override{
			{ID: "o1", Schedule: "primary", User: "U09", From: at("2026-01-13 10:00"), To: at("2026-01-13 18:00")},
		}, []string{
			"U02 Mon 01-12 09:00 +05 → Tue 01-13 10:00 +05 25h",
			"U09 Tue 01-13 10:00 +05 → Tue 01-13 18:00 +05 8h",
			"U02 Tue 01-13 18:00 +05 → Wed 01-14 22:00 +05 28h",
		}},
		{"replace one person only: the nights layer is untouched", []Override{
			{ID: "o1", Schedule: "primary", Kind: OverrideReplace, User: "U09", Replaces: "U02", From: at("2026-01-14 12:00"), To: at("2026-01-15 12:00")},
		}, []string{
			"U02 Mon 01-12 09:00 +05 → Wed 01-14 12:00 +05 51h",
			"U09 Wed 01-14 12:00 +05 → Wed 01-14 22:00 +05 10h",
		}},
		{"add someone beside", []Override{
			{ID: "o1", Schedule: "primary", Kind: OverrideAdd, User: "U09", From: at("2026-01-13 10:00"), To: at("2026-01-13 18:00")},
		}, []string{
			"U02 Mon 01-12 09:00 +05 → Tue 01-13 10:00 +05 25h",
			"U02+U09 Tue 01-13 10:00 +05 → Tue 01-13 18:00 +05 8h",
			"U02 Tue 01-13 18:00 +05 → Wed 01-14 22:00 +05 28h",
		}},
		{"overlapping: the later one wins; other schedules' are ignored; same person merges", []Override{
			{ID: "o1", Schedule: "primary", User: "U08", From: at("2026-01-13 10:00"), To: at("2026-01-13 20:00")},
			{ID: "x", Schedule: "other", User: "U07", From: at("2026-01-13 11:00"), To: at("2026-01-13 19:00")},
			{ID: "o2", Schedule: "primary", User: "U09", From: at("2026-01-13 12:00"), To: at("2026-01-13 14:00")},
			{ID: "o3", Schedule: "primary", User: "U02", From: at("2026-01-13 16:00"), To: at("2026-01-13 18:00")},
		}, []string{
			"U02 Mon 01-12 09:00 +05 → Tue 01-13 10:00 +05 25h",
			"U08 Tue 01-13 10:00 +05 → Tue 01-13 12:00 +05 2h",
			"U09 Tue 01-13 12:00 +05 → Tue 01-13 14:00 +05 2h",
			"U08 Tue 01-13 14:00 +05 → Tue 01-13 16:00 +05 2h",
			"U02 Tue 01-13 16:00 +05 → Tue 01-13 18:00 +05 2h",
			"U08 Tue 01-13 18:00 +05 → Tue 01-13 20:00 +05 2h",
			"U02 Tue 01-13 20:00 +05 → Wed 01-14 22:00 +05 26h",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, o := range tt.ovs {
				if err := o.Validate(); err != nil {
					t.Fatalf("override %s: %v", o.ID, err)
				}
			}
			got := fmtShifts(Shifts(s, tt.ovs, at("2026-01-12 09:00"), at("2026-01-14 22:00")))
			diffLines(t, got, tt.want)
		})
	}
}

// TestReplaceOnePerson: an override that replaces one person leaves the
// layer above, which puts someone else on call, alone.
func TestReplaceOnePerson(t *testing.T) {
	s := layered(t)
	at := func(v string) time.Time { return lt(t, s.Timezone, v) }
	ovs := []Override{{ID: "o1", Schedule: "primary", User: "U09", Replaces: "U02", From: at("2026-01-14 12:00"), To: at("2026-01-15 12:00")}}
	got := fmtShifts(Shifts(s, ovs, at("2026-01-14 12:00"), at("2026-01-15 12:00")))
	diffLines(t, got, []string{
		"U09 Wed 01-14 12:00 +05 → Wed 01-14 22:00 +05 10h",
		"U05 Wed 01-14 22:00 +05 → Thu 01-15 06:00 +05 8h",
		"U09 Thu 01-15 06:00 +05 → Thu 01-15 12:00 +05 6h",
	})
}

func TestOnCallAndHandoff(t *testing.T) {
	s := layered(t)
	loc := s.Timezone
	at := func(v string) time.Time { return lt(t, loc, v) }
	ovs := []Override{{ID: "o1", Schedule: "primary", User: "U09", From: at("2026-01-13 10:00"), To: at("2026-01-13 18:00")}}
	tests := []struct {
		at   string
		want string
	}{
		{"2026-01-13 09:00", "U02 Mon 01-12 09:00 +05 → Tue 01-13 10:00 +05 25h"},
		{"2026-01-13 10:00", "U09 Tue 01-13 10:00 +05 → Tue 01-13 18:00 +05 8h"},
		{"2026-01-14 23:59", "U05 Wed 01-14 22:00 +05 → Thu 01-15 06:00 +05 8h"},
		{"2026-01-18 12:00", "U03 Sat 01-17 00:00 +05 → Mon 01-19 00:00 +05 48h"},
	}
	for _, tt := range tests {
		t.Run(tt.at, func(t *testing.T) {
			if got := fmtShift(OnCall(s, ovs, at(tt.at))); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}

	// Before any rotation starts: nobody, since the Horizon.
	nobody := OnCall(s, ovs, at("2025-12-01 12:00"))
	if nobody.User != "" || !nobody.End.Equal(at("2026-01-03 00:00")) || !nobody.Start.Equal(at("2025-12-01 12:00").Add(-Horizon)) {
		t.Errorf("before the start: %s, want nobody until the weekend layer starts", fmtShift(nobody))
	}

	h, ok := NextHandoff(s, ovs, at("2026-01-13 09:30"))
	if !ok || !h.At.Equal(at("2026-01-13 10:00")) || h.From.User != "U02" || h.To.User != "U09" || !h.To.End.Equal(at("2026-01-13 18:00")) {
		t.Errorf("NextHandoff = %v %s → %s, want 10:00 U02 → U09", h.At, fmtShift(h.From), fmtShift(h.To))
	}
	one := Schedule{Name: "one", Timezone: loc, Rotations: []Rotation{{Name: "r", Type: RotationDaily, Start: at("2026-01-01 09:00"), HandoffTime: 9 * 60, Members: []string{"U01"}}}}
	if h, ok := NextHandoff(one, nil, at("2026-01-13 09:30")); ok {
		t.Errorf("one member: NextHandoff = %v, want none within the Horizon", h)
	}
	if got := OnCall(one, nil, at("2026-01-13 09:30")).Users(); !slices.Equal(got, []string{"U01"}) {
		t.Errorf("Users() = %v", got)
	}
}

// TestNextHandoffAfterDSTChange is GoAlert's case: a daily rotation that
// starts five minutes after the clocks changed hands off next at its local
// time, 24 hours later.
func TestNextHandoffAfterDSTChange(t *testing.T) {
	for _, tt := range []struct{ zone, start, want string }{
		{"America/New_York", "2026-03-08 03:05", "2026-03-09T03:05:00-04:00"},
		{"America/New_York", "2026-11-01 01:05", "2026-11-02T01:05:00-05:00"},
		{"Europe/London", "2026-10-25 02:05", "2026-10-26T02:05:00Z"},
		{"Asia/Almaty", "2024-03-01 00:05", "2024-03-02T00:05:00+05:00"},
	} {
		t.Run(tt.zone+" "+tt.start, func(t *testing.T) {
			loc := mustZone(t, tt.zone)
			start := lt(t, loc, tt.start)
			s := Schedule{Name: "s", Timezone: loc, Rotations: []Rotation{{Name: "r", Type: RotationDaily, Start: start,
				HandoffTime: TimeOfDay(start.Hour()*60 + start.Minute()), Members: []string{"U01", "U02"}}}}
			h, ok := NextHandoff(s, nil, start)
			if !ok || h.At.Format(time.RFC3339) != tt.want || h.From.User != "U01" || h.To.User != "U02" {
				t.Errorf("NextHandoff = %s %v (%s → %s), want %s", h.At.Format(time.RFC3339), ok, h.From.User, h.To.User, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	loc := time.UTC
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, loc)
	s := Schedule{Name: "Bad Name", Timezone: nil, Channel: "oncall", Rotations: []Rotation{
		{Name: "ok", Type: RotationDaily, Start: start, Members: []string{"U01"}},
		{Name: "", Type: "nightly", Members: []string{"U01", "bob"}, HandoffTime: 24 * 60},
		{Name: "ok", Type: RotationCustom, Start: start, ShiftLength: 90 * time.Second, Members: nil,
			Active: &Active{Days: []time.Weekday{9}, From: 21 * 60, To: 21 * 60}},
	}}
	want := []string{
		`name: "Bad Name" is not a valid name (use lowercase letters, digits, - and _; at most 64)`,
		`timezone: is required`,
		`channel: "oncall" is not a channel`,
		`rotations[1].name: is required`,
		`rotations[1].type: unknown rotation type "nightly" (use hourly, daily, weekly, monthly or custom)`,
		`rotations[1].start: is required`,
		`rotations[1].handoff_time: must be 00:00 to 23:59, got 1440 minutes`,
		`rotations[1].members[1]: "bob" is neither a Slack user ID (like U0123ABCD) nor an email`,
		`rotations[2].shift_length: must be a whole number of minutes, got 1m30s`,
		`rotations[2].members: at least one member is required`,
		`rotations[2].active.days[0]: unknown day 9`,
		`rotations[2].active: from and to are both 21:00; omit them for the whole day`,
		`rotations[2].name: duplicate rotation "ok" (first: rotations[0])`,
	}
	err := s.Validate()
	var fe FieldErrors
	if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want FieldErrors matching ErrInvalid", err)
	}
	got := make([]string, len(fe))
	for i, e := range fe {
		got[i] = e.Error()
	}
	diffLines(t, got, want)
	if err := layered(t).Validate(); err != nil {
		t.Errorf("valid schedule: %v", err)
	}
}

func TestOverrideValidate(t *testing.T) {
	from := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		o    Override
		want string
	}{
		{"ok", Override{Schedule: "s", User: "U01", From: from, To: from.Add(time.Hour)}, ""},
		{"no schedule", Override{User: "U01", From: from, To: from.Add(time.Hour)}, "schedule: is required"},
		{"backwards", Override{Schedule: "s", User: "U01", From: from, To: from}, "to: must be after from (2026-01-05T09:00:00Z)"},
		{"too long", Override{Schedule: "s", User: "U01", From: from, To: from.Add(MaxOverrideLength + time.Hour)}, "to: an override lasts at most 92 days; change the rotation instead"},
		{"kind", Override{Schedule: "s", Kind: "remove", User: "U01", From: from, To: from.Add(time.Hour)}, `kind: unknown override kind "remove" (use replace or add)`},
		{"self", Override{Schedule: "s", User: "U01", Replaces: "U01", From: from, To: from.Add(time.Hour)}, "replaces: U01 cannot replace themselves"},
		{"add with replaces", Override{Schedule: "s", Kind: OverrideAdd, User: "U01", Replaces: "U02", From: from, To: from.Add(time.Hour)}, "replaces: applies only to replace overrides"},
		{"user", Override{Schedule: "s", User: "bob", From: from, To: from.Add(time.Hour)}, `user: "bob" is not a Slack user ID`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if err := tt.o.Validate(); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
