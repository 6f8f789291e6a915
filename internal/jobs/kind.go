package jobs

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Kind is a job kind together with the typed form of its payload, so that
// the code that enqueues a job and the handler that runs it share one name
// and one encoding. Declare each Kind once, in one table.
type Kind[P any] struct {
	// Name is the stored kind.
	Name string
	// Priority is the priority of the kind's jobs (PriorityNormal when zero).
	Priority int
	// Encode turns a payload into its stored form; nil stores none.
	Encode func(P) map[string]string
	// Decode reads a stored payload; nil decodes to the zero P.
	Decode func(map[string]string) (P, error)
}

// Job returns a job of kind k with key and payload p, due at runAt (zero: now).
func (k Kind[P]) Job(key string, p P, runAt time.Time) Job {
	j := Job{Key: key, Kind: k.Name, RunAt: runAt, Priority: k.Priority}
	if k.Encode != nil {
		j.Payload = k.Encode(p)
	}
	return j
}

// Handle registers h for jobs of kind k. A payload that does not decode
// fails permanently: retrying cannot mend it.
func Handle[P any](r *Runner, k Kind[P], h func(ctx context.Context, j Job, p P) error) {
	r.Handle(k.Name, func(ctx context.Context, j Job) error {
		var p P
		if k.Decode != nil {
			var err error
			if p, err = k.Decode(j.Payload); err != nil {
				return Permanent(fmt.Errorf("job %s (%s): bad payload: %w", j.Key, k.Name, err))
			}
		}
		return h(ctx, j, p)
	})
}

// PayloadInt reads an integer field of a stored payload.
func PayloadInt(p map[string]string, field string) (int64, error) {
	v, ok := p[field]
	if !ok {
		return 0, fmt.Errorf("no %q", field)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer: %q", field, v)
	}
	return n, nil
}
