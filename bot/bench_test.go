package bot

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// BenchmarkSlashCommandAck measures how long Slack waits for a command's
// answer while every Web API call takes 2 s: the answer must not wait for
// Slack. It reports p50 and p99 of the round trip (signed request through
// the simulator, handler, embedded store).
func BenchmarkSlashCommandAck(b *testing.B) {
	e := newEnv(b)
	_, ch := e.incident("U0001", "Checkout down")
	e.sim.SetLatency("*", 2*time.Second)
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		resp, err := e.sim.SlashCommand(e.ctx, "U0002", ch, commandIncident, "note benchmark")
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("command: %v", err)
		}
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	e.sim.SetLatency("*", 0)
	slices.Sort(durations)
	pct := func(p float64) time.Duration { return durations[int(float64(len(durations)-1)*p)] }
	b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99-ms")
}
