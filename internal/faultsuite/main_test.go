package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/app"
)

// playEnv makes the test binary play `incidentbot <args>` (serve, backup)
// through the same app functions as cmd/incidentbot, so the test needs no
// separate build.
const playEnv = "FAULTSUITE_PLAY_INCIDENTBOT"

func TestMain(m *testing.M) {
	if args := os.Getenv(playEnv); args != "" {
		os.Exit(play(strings.Split(args, "\x1f")))
	}
	os.Exit(m.Run())
}

func play(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case args[0] == "serve":
		err = app.Serve(ctx, os.Getenv, app.BuildInfo{Version: "faultsuite-test", Commit: "test"})
	case args[0] == "backup" && len(args) == 3 && args[1] == "--to":
		err = app.Backup(ctx, os.Getenv, args[2], os.Stdout)
	default:
		err = fmt.Errorf("cannot play %q", args)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "incidentbot:", err)
		return 1
	}
	return 0
}

// self runs the test binary as incidentbot.
func self(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), playEnv+"="+strings.Join(args, "\x1f"))
	return cmd
}

// The kill loop, short: five SIGKILLs of a real serve process at random
// moments during a storm of alert groups (re-sends included), escalations
// with SMS and voice steps, notes and acknowledgements, and a backup killed
// beside it; then the sweep finds nothing lost, twice or dangling.
// `go run ./internal/faultsuite kill` runs the long one.
func TestKillLoopShort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills serve processes")
	}
	seed := uint64(time.Now().UnixNano())
	r, err := killLoop(t.Context(), self, killOptions{
		env: envOptions{dir: t.TempDir(), stormMaxNew: 5, stormWindow: 10 * time.Minute, autoResolveAfter: time.Hour,
			sms: 2 * time.Second, voice: 4 * time.Second, escalate: 6 * time.Second},
		kills: 5, upMin: 300 * time.Millisecond, upMax: 1500 * time.Millisecond, groups: 24, workers: 6, backupEvery: 2,
		noteEvery: 150 * time.Millisecond, ackEvery: 700 * time.Millisecond, settle: 45 * time.Second, seed: seed, logf: t.Logf,
	})
	if r != nil {
		var b strings.Builder
		printKill(&b, r)
		t.Logf("seed %d\n%s", seed, b.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	if f := r.failures(); len(f) > 0 {
		t.Errorf("the sweep failed: %s", strings.Join(f, ", "))
		for _, p := range r.Problems {
			t.Log(p)
		}
	}
	if r.Kills != 5 || r.Backups != 2 {
		t.Errorf("kills %d, backups %d; want 5 and 2", r.Kills, r.Backups)
	}
	if r.Incidents < 2 || r.AlertsAcked == 0 || r.NotesAcked == 0 {
		t.Errorf("incidents %d, alerts acknowledged %d, notes acknowledged %d: the storm did not get through", r.Incidents, r.AlertsAcked, r.NotesAcked)
	}
	if r.SMS == 0 || r.Calls == 0 || r.Emails == 0 || r.Pushes == 0 {
		t.Errorf("SMS %d, calls %d, emails %d, pushes %d: every page step should have run", r.SMS, r.Calls, r.Emails, r.Pushes)
	}
}
