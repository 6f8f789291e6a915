//go:build !unix

package postmortem

import "time"

// cpuTime is not measured here; the benchmark reports 0 cpu-ms/op.
func cpuTime() time.Duration { return 0 }
