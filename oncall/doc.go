// Package oncall is the on-call domain: schedules made of rotation layers,
// overrides, escalation policies, and the pure functions that answer who is
// on call, when shifts change hands, whom a page goes to and when, and how
// much on-call each person carries. It imports the standard library only;
// time is always a parameter.
//
// # Wall-clock arithmetic
//
// Handoffs are computed on the local wall clock of the schedule's zone, as
// GoAlert does: a daily 09:00 handoff stays at 09:00 across DST and zone-rule
// changes, so the shift that spans a change lasts 23 or 25 hours. A wall time
// that happens twice (clocks go back) means its first occurrence; a wall time
// that does not exist (clocks jump forward) means the instant of the jump.
// Put differently, the handoff at wall time w is the first instant whose local
// clock has reached w. Shifts that this makes empty are dropped.
//
// Times are taken to the second.
package oncall
