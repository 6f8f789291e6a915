// Command faultsuite proves that incidentbot loses nothing and does nothing
// twice under faults, end to end and bounded in time, against a real
// `incidentbot serve` (built once) on the embedded store, with Slack, Twilio,
// SMTP and ntfy simulated on 127.0.0.1 (internal/slacksim, twiliosim,
// inboxsim), each counting everything the bot sends it.
//
//	go run ./internal/faultsuite kill  [-kills 50] [-groups 600]   # SIGKILL in a loop, then a sweep
//	go run ./internal/faultsuite soak  [-duration 10m] [-kills 4]  # mixed traffic; goroutines, heap, fds, jobs over time
//	go run ./internal/faultsuite outage [-hold 30s]                # the store's write lock held by another process
//
// Each prints its figures (Markdown rows for BENCHMARKS.md) and exits 1 when
// something was lost, duplicated or left dangling. The test of this package
// runs a short kill loop (5 kills) in the ordinary test suite.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "kill"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "", "the incidentbot binary (default: go build ./cmd/incidentbot into the work dir)")
	dir := fs.String("dir", "", "work dir: data, config, serve.log, backups (default: a new temporary directory, kept)")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "random seed (kill moments, the storm's order)")
	kills := fs.Int("kills", 50, "kill: how many SIGKILLs; soak: kills spread over the run")
	groups := fs.Int("groups", 600, "kill: alert groups in the storm (each posted 3-4 times)")
	duration := fs.Duration("duration", 10*time.Minute, "soak: how long")
	hold := fs.Duration("hold", 30*time.Second, "outage: how long the store's write lock is held")
	if cmd == "soak" {
		*kills = 4
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, time.Now().Format("15:04:05 ")+format+"\n", a...)
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "faultsuite-")
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		*dir = d
	}
	path := *bin
	if path == "" {
		logf("building ./cmd/incidentbot")
		p, err := buildBinary(ctx, *dir)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		path = p
	}
	env := envOptions{dir: *dir, stormMaxNew: 60, stormWindow: 10 * time.Minute, autoResolveAfter: time.Hour,
		sms: 20 * time.Second, voice: 40 * time.Second, escalate: 90 * time.Second}
	switch cmd {
	case "kill":
		r, err := killLoop(ctx, binary(path), killOptions{env: env, kills: *kills, upMin: 300 * time.Millisecond, upMax: 4 * time.Second,
			groups: *groups, workers: 8, backupEvery: 5, noteEvery: 200 * time.Millisecond, ackEvery: time.Second,
			settle: 3 * time.Minute, seed: *seed, logf: logf})
		if r != nil {
			printKill(stdout, r)
		}
		return verdict(stderr, r, err)
	case "soak":
		s, err := soak(ctx, binary(path), soakOptions{env: env, duration: *duration, kills: *kills, seed: *seed, logf: logf})
		if s != nil {
			printSoak(stdout, s)
		}
		var r *report
		if s != nil {
			r = s.report
		}
		return verdict(stderr, r, err)
	case "outage":
		o, err := outage(ctx, binary(path), outageOptions{env: env, hold: *hold, seed: *seed, logf: logf})
		if o != nil {
			printOutage(stdout, o)
		}
		var r *report
		if o != nil {
			r = o.report
		}
		return verdict(stderr, r, err)
	}
	fmt.Fprintf(stderr, "unknown command %q: kill, soak or outage\n", cmd)
	return 2
}

// verdict prints what failed and returns the exit code.
func verdict(w io.Writer, r *report, err error) int {
	code := 0
	if err != nil {
		fmt.Fprintln(w, "faultsuite:", err)
		code = 1
	}
	if r != nil {
		if f := r.failures(); len(f) > 0 {
			fmt.Fprintln(w, "FAILED:", strings.Join(f, ", "))
			for _, p := range r.Problems {
				fmt.Fprintln(w, "  ", p)
			}
			code = 1
		}
	}
	return code
}

func quantiles(ds []time.Duration) (lo, med, hi time.Duration) {
	if len(ds) == 0 {
		return
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[0], s[len(s)/2], s[len(s)-1]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func printKill(w io.Writer, r *report) {
	lo, med, hi := quantiles(r.Ready)
	fmt.Fprintf(w, "kills %d (serve started %d times); /readyz after a restart: min %s, median %s, max %s (%d measured)\n",
		r.Kills, r.Starts, ms(lo), ms(med), ms(hi), len(r.Ready))
	fmt.Fprintf(w, "storm: %d groups, %d posts, %d answered 200, %d retried (5xx or no answer), %d rejected 4xx\n",
		r.Groups, r.Posts, r.PostsOK, r.Retries, r.Rejected)
	fmt.Fprintf(w, "incidents %d (%d storm); counter %d; skipped numbers %d; integrity_check %s\n",
		r.Incidents, r.Storms, r.Counter, r.Skipped, r.Integrity)
	fmt.Fprintf(w, "alerts acknowledged %d: lost %d, on two incidents %d\n", r.AlertsAcked, r.AlertsLost, r.AlertsTwice)
	fmt.Fprintf(w, "Slack: %d channels (missing %d, twice %d), %d bot messages (twice %d), summaries missing %d, announce lines missing %d, %d DM pages (lost %d)\n",
		r.Channels, r.ChannelsMissing, r.ChannelsTwice, r.SlackMessages, r.SlackTwice, r.SummariesMissing, r.AnnounceMissing, r.SlackPages, r.SlackPagesLost)
	fmt.Fprintf(w, "providers: %d SMS, %d calls, %d emails, %d pushes; twice %d, stray %d, sent but missing %d; interrupted while sending (not resent) %d\n",
		r.SMS, r.Calls, r.Emails, r.Pushes, r.ProviderTwice, r.Stray, r.NotificationsLost, r.Interrupted)
	fmt.Fprintf(w, "orphans: events %d, alerts %d, groups %d, jobs %d; jobs left (timers) %d\n",
		r.OrphanEvents, r.OrphanAlerts, r.OrphanGroups, r.OrphanJobs, r.JobsLeft)
	fmt.Fprintf(w, "notes acknowledged %d: lost %d, twice %d; acknowledgements confirmed %d: lost %d\n",
		r.NotesAcked, r.NotesLost, r.NotesTwice, r.AcksConfirmed, r.AcksLost)
	fmt.Fprintf(w, "backups killed %d: whole %d, absent %d, broken %d\n", r.Backups, r.BackupsWhole, r.BackupsAbsent, r.BackupsBad)
	if len(r.Errors) > 0 {
		var lines []string
		for msg, n := range r.Errors {
			lines = append(lines, fmt.Sprintf("%dx %q", n, msg))
		}
		sort.Strings(lines)
		fmt.Fprintf(w, "error log lines: %s\n", strings.Join(lines, "; "))
	}
	fmt.Fprintf(w, "\n| kills | groups | incidents | lost | duplicated (channels, messages, pages) | orphans | skipped | integrity | /readyz after restart |\n|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
	fmt.Fprintf(w, "| %d | %d | %d | %d | %d, %d, %d | %d | %d | %s | %s / %s / %s |\n",
		r.Kills, r.Groups, r.Incidents, r.AlertsLost+r.NotesLost+r.AcksLost+r.NotificationsLost+r.SlackPagesLost+r.ChannelsMissing+r.SummariesMissing+r.AnnounceMissing,
		r.ChannelsTwice, r.SlackTwice, r.ProviderTwice+r.Stray, r.OrphanEvents+r.OrphanAlerts+r.OrphanGroups+r.OrphanJobs, r.Skipped, r.Integrity,
		ms(lo), ms(med), ms(hi))
}
