package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/internal/jobs"
)

var errChanged = errors.New("changed concurrently")

// A failure the caller calls expected (a conflict with a concurrent change)
// is retried with backoff like any other, but logged at info, not as a
// warning; other failures still warn.
func TestExpectedFailureIsRetriedAndLoggedAtInfo(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		level logrus.Level
	}{
		{"conflict", fmt.Errorf("update incident #31 at version 0: %w", errChanged), logrus.InfoLevel},
		{"other", errors.New("connection refused"), logrus.WarnLevel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := logrus.New()
			l.SetOutput(&buf)
			l.SetLevel(logrus.DebugLevel)
			l.SetFormatter(&logrus.TextFormatter{DisableTimestamp: true})
			f := newFixture(t, jobs.Options{Logger: logrus.NewEntry(l), Jitter: -1,
				Expected: func(err error) bool { return errors.Is(err, errChanged) }})
			calls := 0
			f.r.Handle("k", func(context.Context, jobs.Job) error {
				if calls++; calls == 1 {
					return tc.err
				}
				return nil
			})
			f.enqueue(t, jobs.Job{Key: "a", Kind: "k"})
			f.runDue(t)
			if j := f.get(t, "a"); !j.RunAt.Equal(t0.Add(time.Second)) {
				t.Errorf("RunAt = %s, want the backoff %s later", j.RunAt, time.Second)
			}
			f.clock.Advance(time.Second)
			if n := f.runDue(t); n != 1 || calls != 2 {
				t.Fatalf("retry: runs %d, calls %d; want 1, 2", n, calls)
			}
			var line string
			for _, l := range strings.Split(buf.String(), "\n") {
				if strings.Contains(l, "again") || strings.Contains(l, "retry") {
					line = l
				}
			}
			if want := "level=" + tc.level.String(); !strings.HasPrefix(line, want) {
				t.Errorf("the retry's log line %q, want %s", line, want)
			}
		})
	}
}
