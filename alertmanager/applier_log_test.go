package alertmanager

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// logLevels returns the level of each logged line whose message contains msg.
func logLevels(t *testing.T, out, msg string) []string {
	t.Helper()
	var levels []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m, _ := e["msg"].(string); strings.Contains(m, msg) {
			levels = append(levels, e["level"].(string))
		}
	}
	return levels
}

// A conflict with a concurrent change (as after a restart, when commands
// and the applier resume at once) is retried and logged at info; a store
// failure stays an error.
func TestApplierLogsARetriedConflictAtInfo(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		err        error
	}{
		{"conflict", "info", fmt.Errorf("update incident #31 at version 0: %w", incidents.ErrConflict)},
		{"store down", "error", errStoreDown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				inbox := newMemInbox()
				failed := false
				svc := &fakeService{fail: func(incidents.Notification, int) error {
					if !failed {
						failed = true
						return tc.err
					}
					return nil
				}}
				log, buf := newTestLogger(t)
				a := newTestApplier(t, ApplierOptions{Inbox: inbox, Service: svc, Logger: log, Poll: time.Hour, RetryMin: time.Second})
				fill(t, inbox, "g1")
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error)
				go func() { done <- a.Run(ctx) }()
				time.Sleep(2 * time.Second) // past the retry
				synctest.Wait()
				cancel()
				<-done
				if got := svc.groupKeys(); len(got) != 1 {
					t.Fatalf("applied %v, want g1 once, after the retry", got)
				}
				levels := logLevels(t, buf.String(), "will retry")
				if len(levels) != 1 || levels[0] != tc.want {
					t.Errorf("retry logged at %v, want [%s]\n%s", levels, tc.want, buf.String())
				}
			})
		})
	}
}
