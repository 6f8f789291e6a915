package paging

import (
	"testing"
	"time"
)

// A Slack page that failed for a passing reason is tried again within
// seconds, never after the job runner's minutes.
func TestSlackPageRetry(t *testing.T) {
	want := []time.Duration{time.Second, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second}
	for attempts, w := range want {
		if got := slackPageRetry(attempts); got != w {
			t.Errorf("slackPageRetry(%d) = %v, want %v", attempts, got, w)
		}
	}
	if got := slackPageRetry(1000); got != 30*time.Second {
		t.Errorf("slackPageRetry(1000) = %v, want 30s", got)
	}
}
