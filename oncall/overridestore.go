package oncall

import (
	"context"
	"time"
)

// OverrideStore keeps the overrides made by command (/oncall override, a
// taken cover request). IDs are given by the caller.
type OverrideStore interface {
	// AddOverride stores o; it reports false, storing nothing, when an
	// override with o.ID exists.
	AddOverride(ctx context.Context, o Override) (bool, error)
	// RemoveOverride deletes the override with id and returns it;
	// ErrNotFound when there is none.
	RemoveOverride(ctx context.Context, id string) (Override, error)
	// Overrides returns the overrides that end after endsAfter, of schedule
	// (every schedule when empty), sorted by From then ID (SortOverrides).
	Overrides(ctx context.Context, schedule string, endsAfter time.Time) ([]Override, error)
}
