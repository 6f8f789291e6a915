package stats

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestNearestRank(t *testing.T) {
	s := func(vals ...int) []time.Duration {
		out := make([]time.Duration, len(vals))
		for i, v := range vals {
			out[i] = time.Duration(v)
		}
		return out
	}
	tests := []struct {
		name        string
		sorted      []time.Duration
		median, p90 time.Duration
	}{
		{"one", s(7), 7, 7},
		// n=2: median rank ⌈1⌉ = 1, p90 rank ⌈1.8⌉ = 2.
		{"two", s(1, 2), 1, 2},
		// n=3: median rank ⌈1.5⌉ = 2, p90 rank ⌈2.7⌉ = 3.
		{"three", s(10, 20, 30), 20, 30},
		// n=6: p90 rank ⌈5.4⌉ = 6, where rounding to nearest would give the 5th.
		{"six", s(1, 2, 3, 4, 5, 6), 3, 6},
		// n=10: median rank 5, p90 rank 9 (exactly, no rounding up).
		{"ten", s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 5, 9},
		// n=11: median rank ⌈5.5⌉ = 6, p90 rank ⌈9.9⌉ = 10.
		{"eleven", s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 6, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nearestRank(tt.sorted, 50); got != tt.median {
				t.Errorf("median got %d, want %d", got, tt.median)
			}
			if got := nearestRank(tt.sorted, 90); got != tt.p90 {
				t.Errorf("p90 got %d, want %d", got, tt.p90)
			}
		})
	}
}

func TestSampleSummary(t *testing.T) {
	var s sample
	for _, d := range []time.Duration{3 * time.Second, -time.Second, time.Second, 2 * time.Second} {
		s.add(d)
	}
	s.missing = 2
	got := s.summary("def", "why")
	// Values 0 1 2 3 (the negative counts as 0): median 2nd = 1s, p90 ⌈3.6⌉ = 4th = 3s, mean 1.5s.
	want := Durations{Definition: "def", Count: 4, Median: Duration(time.Second), P90: Duration(3 * time.Second),
		Mean: Duration(1500 * time.Millisecond), Max: Duration(3 * time.Second), Missing: 2, MissingMeaning: "why"}
	if got != want {
		t.Errorf("summary got %+v, want %+v", got, want)
	}
}

func TestDurationJSON(t *testing.T) {
	tests := []struct {
		d    Duration
		want string
	}{
		{0, "0"},
		{Duration(90 * time.Second), "90"},
		{Duration(1500 * time.Millisecond), "1.5"},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.d)
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(%v) got %s, %v; want %s", time.Duration(tt.d), b, err, tt.want)
		}
		var back Duration
		if err := json.Unmarshal(b, &back); err != nil || back != tt.d {
			t.Errorf("Unmarshal(%s) got %v, %v; want %v", b, back, err, tt.d)
		}
	}
	if got := Duration(90*time.Minute + 400*time.Millisecond).String(); got != "1h30m0s" {
		t.Errorf("String got %q, want 1h30m0s", got)
	}
}

// FuzzDurationJSON checks that reading seconds never panics, rejects what a
// Duration cannot hold, and that what it accepts writes back to the same value.
// Seeds live in testdata/fuzz/FuzzDurationJSON.
func FuzzDurationJSON(f *testing.F) {
	f.Add([]byte("90"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Duration
		if err := d.UnmarshalJSON(b); err != nil {
			return
		}
		out, err := d.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var again Duration
		if err := again.UnmarshalJSON(out); err != nil {
			t.Fatalf("re-reading %s (from %q): %v", out, b, err)
		}
		// Seconds as a float64 keep about 15 digits; beyond that a nanosecond or
		// two may move, never more than a part in 10^14.
		if diff := math.Abs(float64(again - d)); diff > 1 && diff > math.Abs(float64(d))*1e-14 {
			t.Fatalf("round trip of %q got %d, want %d", b, again, d)
		}
	})
}

func TestDurationJSONRejects(t *testing.T) {
	for _, in := range []string{`"90"`, `NaN`, `Inf`, `1e300`, `-9.3e9`, `null`} {
		var d Duration
		if err := d.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("UnmarshalJSON(%s) got %v, want an error", in, time.Duration(d))
		}
	}
}
