// Package metriclabel bounds the Prometheus label values that come from
// data (an alert's service, a deployment's service): each value is short,
// valid UTF-8 without control characters, and the number of distinct values
// a label takes is capped, the rest counted together as "other". Every
// distinct value is a series Prometheus keeps; a label that copies its input
// lets any sender of alerts grow them without limit.
package metriclabel

import (
	"sync"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/templates"
)

// Defaults.
const (
	// MaxLen bounds a value, in bytes.
	MaxLen = 64
	// defaultMaxValues bounds the distinct values of one label.
	defaultMaxValues = 100
	// other stands for every value past the bound.
	other = "other"
)

// clean returns s as a label value: one line without control characters or
// bidi overrides (see sanitize.Line), valid UTF-8, cut to at most MaxLen
// bytes at a character boundary.
func clean(s string) string {
	if len(s) > 4*MaxLen {
		s = s[:4*MaxLen] // cleaning removes, never adds: no need to read the rest
	}
	s = templates.CleanLine(s)
	if len(s) <= MaxLen {
		return s
	}
	cut := MaxLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// Set keeps the values one label has taken. The zero value is not usable;
// call NewSet.
type Set struct {
	max  int
	mu   sync.Mutex
	seen map[string]struct{}
}

// NewSet returns a Set of at most max distinct values (max ≤ 0 means
// defaultMaxValues).
func NewSet(max int) *Set {
	if max <= 0 {
		max = defaultMaxValues
	}
	return &Set{max: max, seen: map[string]struct{}{}}
}

// Value returns the label value for s: clean(s), or other when that is a
// value not seen before and the set is full. A value seen before keeps its
// own series.
func (s *Set) Value(v string) string {
	v = clean(v)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[v]; ok {
		return v
	}
	if len(s.seen) >= s.max {
		return other
	}
	s.seen[v] = struct{}{}
	return v
}
