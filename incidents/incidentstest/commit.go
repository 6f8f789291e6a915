package incidentstest

import (
	"context"
	"errors"

	"github.com/incidentbot/incidentbot/incidents"
)

// The suite writes through Commit only, one kind of write at a time, as
// these helpers do; the Commit tests combine them.

func create(ctx context.Context, s incidents.Store, inc *incidents.Incident) error {
	return s.Commit(ctx, &incidents.Change{Create: []*incidents.Incident{inc}})
}

func update(ctx context.Context, s incidents.Store, inc *incidents.Incident) error {
	return s.Commit(ctx, &incidents.Change{Update: []*incidents.Incident{inc}})
}

// appendEvents appends events, again on a conflict (writers racing for the
// same place in a chain), as the service does.
func appendEvents(ctx context.Context, s incidents.Store, events ...incidents.Event) error {
	for {
		err := s.Commit(ctx, &incidents.Change{Events: events})
		if !errors.Is(err, incidents.ErrConflict) {
			return err
		}
	}
}

func putGroup(ctx context.Context, s incidents.Store, g incidents.Group) error {
	return s.Commit(ctx, &incidents.Change{Groups: []incidents.Group{g}})
}

func putStorm(ctx context.Context, s incidents.Store, st incidents.StormState) error {
	return s.Commit(ctx, &incidents.Change{Storm: &st})
}

// nextNumber moves the counter by one, as the service does: read, then a
// commit conditional on what was read, again on a conflict.
func nextNumber(ctx context.Context, s incidents.Store) (int64, error) {
	for {
		last, err := s.LastNumber(ctx)
		if err != nil {
			return 0, err
		}
		err = s.Commit(ctx, &incidents.Change{Counter: incidents.Counter{From: last, To: last + 1}})
		if errors.Is(err, incidents.ErrConflict) {
			continue
		}
		return last + 1, err
	}
}

// atomic reports whether s commits all or nothing; a store that says
// otherwise (Atomic() false: MongoDB without a replica set) writes a change
// in a safe order, and the all-or-nothing checks do not apply to it.
func atomic(s incidents.Store) bool {
	a, ok := s.(interface{ Atomic() bool })
	return !ok || a.Atomic()
}
