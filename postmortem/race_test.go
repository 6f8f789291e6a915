//go:build race

package postmortem

// raceDetector: the race detector's own allocations count in a
// benchmark's B/op, so allocation budgets do not hold under it.
const raceDetector = true
