package stats

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"time"
)

// Duration is a time.Duration that JSON shows in seconds (a number), the unit
// a script or dashboard expects, instead of nanoseconds.
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats the duration as time.Duration does, rounded to the second.
func (d Duration) String() string { return time.Duration(d).Round(time.Second).String() }

// MarshalJSON writes seconds, with a fraction when there is one.
func (d Duration) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, time.Duration(d).Seconds(), 'f', -1, 64), nil
}

// errSeconds is returned for a duration that is not a number of seconds a
// time.Duration can hold.
var errSeconds = errors.New("stats: duration must be a finite number of seconds within ±292 years")

// UnmarshalJSON reads seconds, so API clients can round-trip a Report.
func (d *Duration) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	ns := f * float64(time.Second)
	// Converting a float outside int64's range to an integer gives an
	// arbitrary value, so bound it first.
	if err != nil || math.IsNaN(ns) || math.Abs(ns) >= math.MaxInt64 {
		return errSeconds
	}
	*d = Duration(math.Round(ns))
	return nil
}

// Durations summarises one measured interval over a set of incidents or deployments.
// Median and P90 use the nearest-rank method: the k-th smallest value with
// k = ⌈p/100 · Count⌉, so both are always durations that really happened and
// the median of an even count is the lower of the two middle values.
// When Count is 0 the statistics are 0 and mean nothing.
type Durations struct {
	// Definition says what was measured, e.g. "first acknowledgement − detection".
	Definition string `json:"definition,omitempty"`
	// Count is how many intervals were measured.
	Count  int      `json:"count"`
	Median Duration `json:"median_seconds"`
	P90    Duration `json:"p90_seconds"`
	Mean   Duration `json:"mean_seconds"`
	Max    Duration `json:"max_seconds"`
	// Missing counts the items the interval could not be measured for (never
	// acknowledged, not yet restored, no commit time, …), kept apart rather than
	// dropped; MissingMeaning says which.
	Missing        int    `json:"missing"`
	MissingMeaning string `json:"missing_meaning,omitempty"`
}

// sample gathers intervals before they are summarised.
type sample struct {
	values  []time.Duration
	missing int
}

// add records one interval; a negative one (clocks out of step, an
// acknowledgement before the alert's start) counts as zero.
func (s *sample) add(d time.Duration) { s.values = append(s.values, max(d, 0)) }

// summary sorts the values in place and returns their summary.
func (s *sample) summary(definition, missingMeaning string) Durations {
	out := Durations{Definition: definition, Count: len(s.values), Missing: s.missing, MissingMeaning: missingMeaning}
	if len(s.values) == 0 {
		return out
	}
	slices.Sort(s.values)
	var sum float64
	for _, v := range s.values {
		sum += float64(v)
	}
	out.Median = Duration(nearestRank(s.values, 50))
	out.P90 = Duration(nearestRank(s.values, 90))
	out.Mean = Duration(time.Duration(sum / float64(len(s.values))).Round(time.Millisecond))
	out.Max = Duration(s.values[len(s.values)-1])
	return out
}

// nearestRank returns the p-th percentile (0 < p ≤ 100) of sorted, non-empty values.
func nearestRank(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ⌈p·n/100⌉ in integers
	return sorted[max(rank, 1)-1]
}
