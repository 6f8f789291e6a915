package deploys

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzDecode checks that Decode never panics, that every error is classified,
// and that whatever it accepts is valid and survives a JSON round trip.
// Seeds live in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"service":"checkout","version":"v1","status":"success"}`))
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := Decode(bytes.NewReader(body), now)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Decode error %v wraps neither ErrInvalid nor ErrTooLarge", err)
			}
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("Decode accepted an invalid deployment %+v: %v", d, err)
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Decode(bytes.NewReader(b), now.Add(time.Hour))
		if err != nil {
			t.Fatalf("re-decoding %s: %v", b, err)
		}
		if !again.At.Equal(d.At) || !again.CommitAt.Equal(d.CommitAt) {
			t.Fatalf("times changed in a round trip: got %+v, want %+v", again, d)
		}
		again.At, again.CommitAt = d.At, d.CommitAt
		if again != d {
			t.Fatalf("round trip got %+v, want %+v", again, d)
		}
	})
}
