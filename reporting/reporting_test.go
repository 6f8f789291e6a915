package reporting

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustDeadline(t testing.TB, s string) Deadline {
	t.Helper()
	d, err := ParseDeadline(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func ptr[T any](v T) *T { return &v }

// dora is the DORA major-incident obligation of the example config.
func dora(t testing.TB) Obligation {
	return Obligation{Name: "dora-major", Reports: []Report{
		{Name: "initial", Due: mustDeadline(t, "4h after classified"), AtMost: ptr(mustDeadline(t, "24h after detected")), Remind: []time.Duration{15 * time.Minute, time.Hour}},
		{Name: "intermediate", Due: mustDeadline(t, "72h after initial submitted"), Remind: []time.Duration{time.Hour}},
		{Name: "final", Due: mustDeadline(t, "1 month after intermediate submitted")},
	}}
}

// nis2 is the NIS2 significant-incident obligation of the example config.
func nis2(t testing.TB) Obligation {
	return Obligation{Name: "nis2-significant", Reports: []Report{
		{Name: "early-warning", Due: mustDeadline(t, "24h after detected"), Remind: []time.Duration{2 * time.Hour}},
		{Name: "notification", Due: mustDeadline(t, "72h after detected")},
		{Name: "final", Due: mustDeadline(t, "1 month after first notification submitted")},
	}}
}

var detected = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

func h(n float64) time.Duration { return time.Duration(n * float64(time.Hour)) }

func TestEvaluate(t *testing.T) {
	almaty, _ := time.LoadLocation("Asia/Almaty")
	type want struct {
		due    time.Time // zero: waits
		waits  string
		capped bool
		state  State
	}
	tests := []struct {
		name string
		o    Obligation
		f    Facts
		now  time.Time
		loc  *time.Location
		want []want
	}{
		{"classified at once: 4h after classification", dora(t),
			Facts{Detected: detected, Classified: detected.Add(h(1))}, detected.Add(h(2)), nil,
			[]want{{due: detected.Add(h(5)), state: StatePending}, {waits: "initial", state: StatePending}, {waits: "intermediate", state: StatePending}}},
		{"first reminder passed: due soon", dora(t),
			Facts{Detected: detected, Classified: detected.Add(h(1))}, detected.Add(h(4)), nil,
			[]want{{due: detected.Add(h(5)), state: StateDueSoon}, {waits: "initial"}, {waits: "intermediate"}}},
		{"at the deadline itself: still due soon", dora(t),
			Facts{Detected: detected, Classified: detected.Add(h(1))}, detected.Add(h(5)), nil,
			[]want{{due: detected.Add(h(5)), state: StateDueSoon}, {waits: "initial"}, {waits: "intermediate"}}},
		{"classified late: capped at detection + 24h", dora(t),
			Facts{Detected: detected, Classified: detected.Add(h(22))}, detected.Add(h(22)), nil,
			[]want{{due: detected.Add(h(24)), capped: true, state: StatePending}, {waits: "initial"}, {waits: "intermediate"}}},
		{"classified after the cap: overdue at once", dora(t),
			Facts{Detected: detected, Classified: detected.Add(h(30))}, detected.Add(h(30)), nil,
			[]want{{due: detected.Add(h(24)), capped: true, state: StateOverdue}, {waits: "initial"}, {waits: "intermediate"}}},
		{"initial on time anchors the intermediate", dora(t),
			Facts{Detected: detected, Classified: detected.Add(h(1)), Submissions: []Submission{{Report: "initial", At: detected.Add(h(3))}}}, detected.Add(h(10)), nil,
			[]want{{due: detected.Add(h(5)), state: StateOnTime}, {due: detected.Add(h(75)), state: StatePending}, {waits: "intermediate"}}},
		{"initial late", dora(t),
			Facts{Detected: detected, Classified: detected.Add(h(1)), Submissions: []Submission{{Report: "initial", At: detected.Add(h(6))}}}, detected.Add(h(10)), nil,
			[]want{{due: detected.Add(h(5)), state: StateLate}, {due: detected.Add(h(78)), state: StatePending}, {waits: "intermediate"}}},
		{"intermediate overdue", dora(t),
			Facts{Detected: detected, Classified: detected.Add(h(1)), Submissions: []Submission{{Report: "initial", At: detected.Add(h(3))}}}, detected.Add(h(80)), nil,
			[]want{{due: detected.Add(h(5)), state: StateOnTime}, {due: detected.Add(h(75)), state: StateOverdue}, {waits: "intermediate"}}},
		{"final counts from the latest intermediate", dora(t),
			Facts{Detected: detected, Classified: detected, Submissions: []Submission{
				{Report: "intermediate", At: time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC)},
				{Report: "initial", At: detected.Add(h(1))},
				{Report: "intermediate", At: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)},
			}}, time.Date(2027, 1, 11, 0, 0, 0, 0, time.UTC), nil,
			[]want{{due: detected.Add(h(4)), state: StateOnTime}, {due: detected.Add(h(73)), state: StateLate}, {due: time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC), state: StateOverdue}}},
		{"1 month from 31 January: 28 February", dora(t),
			Facts{Detected: detected, Classified: detected, Submissions: []Submission{
				{Report: "initial", At: detected}, {Report: "intermediate", At: time.Date(2027, 1, 31, 10, 0, 0, 0, time.UTC)}}},
			time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), nil,
			[]want{{due: detected.Add(h(4)), state: StateOnTime}, {due: detected.Add(h(72)), state: StateLate}, {due: time.Date(2027, 2, 28, 10, 0, 0, 0, time.UTC), state: StatePending}}},
		{"1 month from 31 January of a leap year: 29 February", dora(t),
			Facts{Detected: detected, Classified: detected, Submissions: []Submission{
				{Report: "initial", At: detected}, {Report: "intermediate", At: time.Date(2028, 1, 31, 23, 30, 0, 0, time.UTC)}}},
			time.Date(2028, 2, 1, 0, 0, 0, 0, time.UTC), nil,
			[]want{{due: detected.Add(h(4)), state: StateOnTime}, {due: detected.Add(h(72)), state: StateLate}, {due: time.Date(2028, 2, 29, 23, 30, 0, 0, time.UTC), state: StatePending}}},
		{"1 month in the team's zone: 31 March late evening in Almaty is 30 April there", dora(t),
			Facts{Detected: detected, Classified: detected, Submissions: []Submission{
				{Report: "initial", At: detected}, {Report: "intermediate", At: time.Date(2027, 3, 31, 20, 0, 0, 0, time.UTC)}}}, // 1 April 01:00 in Almaty
			time.Date(2027, 4, 2, 0, 0, 0, 0, time.UTC), almaty,
			[]want{{due: detected.Add(h(4)), state: StateOnTime}, {due: detected.Add(h(72)), state: StateLate}, {due: time.Date(2027, 4, 30, 20, 0, 0, 0, time.UTC), state: StatePending}}},
		{"NIS2 counts from detection, classified or not yet", nis2(t),
			Facts{Detected: detected}, detected.Add(h(23)), nil,
			[]want{{due: detected.Add(h(24)), state: StateDueSoon}, {due: detected.Add(h(72)), state: StatePending}, {waits: "notification"}}},
		{"NIS2 final from the first notification", nis2(t),
			Facts{Detected: detected, Classified: detected, Submissions: []Submission{
				{Report: "early-warning", At: detected.Add(h(2))},
				{Report: "notification", At: detected.Add(h(80))}, {Report: "notification", At: detected.Add(h(50))}, {Report: "final", At: detected.Add(h(600))}}},
			detected.Add(h(700)), nil,
			[]want{{due: detected.Add(h(24)), state: StateOnTime}, {due: detected.Add(h(72)), state: StateOnTime},
				{due: time.Date(2026, 12, 27, 5, 0, 0, 0, time.UTC), state: StateOnTime}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(tt.o, tt.f, tt.now, tt.loc)
			if len(got) != len(tt.want) {
				t.Fatalf("%d statuses, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if w.state == "" {
					w.state = StatePending
				}
				if !g.Due.Equal(w.due) || g.Waits != w.waits || g.Capped != w.capped || g.State != w.state {
					t.Errorf("%s: due %s waits %q capped %v state %s\nwant   due %s waits %q capped %v state %s",
						g.Report, g.Due, g.Waits, g.Capped, g.State, w.due, w.waits, w.capped, w.state)
				}
			}
		})
	}
}

func TestEvaluateRemindersAndSubmissions(t *testing.T) {
	f := Facts{Detected: detected, Classified: detected, Submissions: []Submission{
		{Report: "initial", At: detected.Add(h(2)), Reference: "FIN-1"}, {Report: "initial", At: detected.Add(h(3)), Reference: "FIN-2"}}}
	got := Evaluate(dora(t), f, detected, nil)[0]
	if len(got.Reminders) != 2 || !got.Reminders[0].Equal(detected.Add(h(3))) || !got.Reminders[1].Equal(detected.Add(h(3.75))) {
		t.Errorf("reminders = %v, want 1h and 15m before %s, earliest first", got.Reminders, got.Due)
	}
	if !got.First.Equal(detected.Add(h(2))) || !got.Last.Equal(detected.Add(h(3))) || got.Reference != "FIN-2" {
		t.Errorf("submissions: first %s last %s ref %q", got.First, got.Last, got.Reference)
	}
}

func TestCapKnownBeforeTheDue(t *testing.T) {
	o := Obligation{Name: "x", Reports: []Report{
		{Name: "a", Due: mustDeadline(t, "1h after classified")},
		{Name: "b", Due: mustDeadline(t, "72h after a submitted"), AtMost: ptr(mustDeadline(t, "48h after detected"))},
	}}
	got := Evaluate(o, Facts{Detected: detected, Classified: detected}, detected, nil)[1]
	if !got.Due.Equal(detected.Add(h(48))) || !got.Capped || got.Waits != "" {
		t.Errorf("b = %+v; want the cap as its deadline while a is not submitted", got)
	}
}

func TestStateAt(t *testing.T) {
	due, soon := detected.Add(h(4)), detected.Add(h(3))
	tests := []struct {
		name           string
		due, submitted time.Time
		now            time.Time
		want           State
	}{
		{"pending", due, time.Time{}, detected, StatePending},
		{"due soon", due, time.Time{}, soon, StateDueSoon},
		{"overdue", due, time.Time{}, due.Add(time.Second), StateOverdue},
		{"on time", due, due, due.Add(h(1)), StateOnTime},
		{"late", due, due.Add(time.Second), due.Add(h(1)), StateLate},
		{"waiting", time.Time{}, time.Time{}, due, StatePending},
		{"submitted before its deadline was known", time.Time{}, detected, due, StateOnTime},
	}
	for _, tt := range tests {
		if got := stateAt(tt.due, soon, tt.submitted, tt.now); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestParseDeadline(t *testing.T) {
	tests := []struct {
		in   string
		want string // String of the result; "" for an error
	}{
		{"4h after classified", "4h after classified"},
		{"24h after detection", "24h after detected"},
		{"72h after initial submitted", "72h after initial submitted"},
		{"1 month after intermediate submitted", "1 month after intermediate submitted"},
		{"2 months after final submission", "2 months after final submitted"},
		{"1 month 12h after first notification submitted", "1 month 12h after first notification submitted"},
		{"90m after latest early-warning submitted", "1h30m after early-warning submitted"},
		{"1month after detected", "1 month after detected"},
		{"4h", ""},
		{"after classified", ""},
		{"4 hours after classified", ""},
		{"-4h after classified", ""},
		{"0s after classified", ""},
		{"4h after resolved", ""},
		{"4h after Initial! submitted", ""},
		{"1 month 1 month after detected", ""},
		{"4h 5h after detected", ""},
	}
	for _, tt := range tests {
		d, err := ParseDeadline(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("ParseDeadline(%q) = %s, want an error", tt.in, d)
		case tt.want == "" && !errors.Is(err, ErrSyntax):
			t.Errorf("ParseDeadline(%q) error %v does not match ErrSyntax", tt.in, err)
		case tt.want != "" && err != nil:
			t.Errorf("ParseDeadline(%q): %v", tt.in, err)
		case tt.want != "" && d.String() != tt.want:
			t.Errorf("ParseDeadline(%q) = %q, want %q", tt.in, d, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := dora(t).Validate(); err != nil {
		t.Errorf("DORA: %v", err)
	}
	if err := nis2(t).Validate(); err != nil {
		t.Errorf("NIS2: %v", err)
	}
	bad := Obligation{Name: "Bad Name", Reports: []Report{
		{Name: "a", Due: mustDeadline(t, "1h after a submitted")},
		{Name: "b", Due: mustDeadline(t, "1h after c submitted"), AtMost: ptr(mustDeadline(t, "1h after nope submitted")), Remind: []time.Duration{0}},
		{Name: "c", Due: mustDeadline(t, "1h after detected")},
		{Name: "c", Due: mustDeadline(t, "1h after detected")},
		{Name: "draft", Due: mustDeadline(t, "1h after detected")},
	}}
	var fe FieldErrors
	if err := bad.Validate(); !errors.As(err, &fe) {
		t.Fatalf("Validate = %v, want FieldErrors", err)
	}
	var paths []string
	for _, e := range fe {
		paths = append(paths, e.Path)
	}
	if got, want := strings.Join(paths, " "), "name reports[0].due reports[1].due reports[1].at_most reports[1].remind[0] reports[3].name reports[4].name"; got != want {
		t.Errorf("paths = %s\nwant    %s\n(%v)", got, want, fe)
	}
	if err := (Obligation{Name: "x"}).Validate(); err == nil || !strings.Contains(err.Error(), "at least one report") {
		t.Errorf("no reports: %v", err)
	}
}

func TestAppliesTo(t *testing.T) {
	o := Obligation{Severities: []string{"sev1"}, Services: []string{"payments"}}
	for _, c := range []struct {
		sev, svc string
		want     bool
	}{{"sev1", "", true}, {"sev2", "payments", true}, {"sev2", "search", false}, {"", "", false}} {
		if got := o.AppliesTo(c.sev, c.svc); got != c.want {
			t.Errorf("AppliesTo(%q, %q) = %v", c.sev, c.svc, got)
		}
	}
}
