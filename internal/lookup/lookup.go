// Package lookup holds the one "not found" of every store.
//
// Each domain package names it as its own ErrNotFound (incidents, oncall,
// paging, deploys, maintenance, heartbeats, postmortem, slackstate, jobs),
// the way os.ErrNotExist is fs.ErrNotExist: all are this value. So a caller
// cannot test the wrong package's sentinel — errors.Is(err,
// incidents.ErrNotFound) and errors.Is(err, deploys.ErrNotFound) give the
// same answer — and a store that wraps another's lookup keeps its meaning.
// Which thing was missing is in the wrapping message ("deployment d1: not
// found") and in which call the caller made.
package lookup

import "errors"

// ErrNotFound means the store holds no such thing.
var ErrNotFound = errors.New("not found")
