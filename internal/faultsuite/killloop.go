package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// killOptions shape a kill loop.
type killOptions struct {
	env envOptions
	// kills is how many times serve is killed (SIGKILL).
	kills int
	// upMin and upMax bound how long serve runs from its start to its
	// kill, drawn at random: some kills land before it is ready.
	upMin, upMax time.Duration
	// groups is the storm's size; its posts are spread over the kills.
	groups, workers int
	// backupEvery starts a backup before every n-th kill and kills it
	// at a random moment too; 0: none.
	backupEvery int
	// noteEvery and ackEvery pace the people's notes and acknowledgements.
	noteEvery, ackEvery time.Duration
	// settle bounds the wait for the bot to finish its work at the end.
	settle time.Duration
	seed   uint64
	logf   func(format string, args ...any)
}

// killLoop runs serve under a storm of alert groups, escalations with SMS
// and calls, notes and acknowledgements, kills it o.kills times at random
// moments (and a backup beside it now and then), lets it finish, stops it
// cleanly and sweeps.
func killLoop(ctx context.Context, launch launcher, o killOptions) (*report, error) {
	rng := rand.New(rand.NewPCG(o.seed, o.seed^0x5eed))
	e, err := newEnv(o.env)
	if err != nil {
		return nil, err
	}
	defer e.close()
	b, err := newBot(e, launch)
	if err != nil {
		return nil, err
	}
	defer b.close()
	r := &report{}
	start := time.Now()
	if err := b.start(); err != nil {
		return nil, err
	}
	firstReady, err := b.waitReady(start, time.Minute)
	if err != nil {
		return nil, err
	}
	tables, err := liveTables(ctx, e)
	if err != nil {
		return nil, err
	}

	l := newLedger()
	run := fmt.Sprintf("%x", rng.Uint32()&0xffff)
	plan := stormPlan(rng, run, o.groups, time.Now().Add(-time.Minute))
	// Spread the storm over the kills: each cycle is about a restart and
	// the mean time up.
	expected := time.Duration(o.kills) * ((o.upMin+o.upMax)/2 + firstReady)
	rate := float64(len(plan)) / max(expected.Seconds(), 1)
	o.logf("kill loop: %d kills, %d groups (%d posts at %.0f/s), seed %d, data in %s", o.kills, o.groups, len(plan), rate, o.seed, o.env.dir)

	traffic, stopTraffic := context.WithCancel(ctx)
	defer stopTraffic()
	var sent atomic.Int64
	stormDone := make(chan struct{})
	go func() {
		defer close(stormDone)
		storm(traffic, newSender(e.url(), l), plan, o.workers, rate, &sent)
	}()
	people := &people{e: e, l: l, rng: rand.New(rand.NewPCG(o.seed+1, 7)), run: run, note: o.noteEvery, ack: o.ackEvery}
	var wg sync.WaitGroup
	wg.Go(func() { people.play(traffic) })

	startedAt := start
	for i := range o.kills {
		up := o.upMin + time.Duration(rng.Int64N(int64(o.upMax-o.upMin)+1))
		var backup *backupRun
		if o.backupEvery > 0 && i%o.backupEvery == o.backupEvery-1 {
			time.Sleep(time.Until(startedAt.Add(up - 150*time.Millisecond)))
			backup = startBackup(e, launch, filepath.Join(o.env.dir, fmt.Sprintf("backup-%d.db", i)), time.Duration(rng.Int64N(int64(400*time.Millisecond))))
		}
		time.Sleep(time.Until(startedAt.Add(up)))
		b.kill()
		r.Kills++
		if backup != nil {
			r.Backups++
			switch err := backup.finish(ctx, tables); {
			case errors.Is(err, errAbsent):
				r.BackupsAbsent++
			case err != nil:
				r.BackupsBad++
				r.problem("backup %s: %v", backup.path, err)
			default:
				r.BackupsWhole++
			}
		}
		startedAt = time.Now()
		if err := b.start(); err != nil {
			return r, err
		}
		// The next kill may come before it is ready; readiness is measured
		// on the restarts that live long enough.
		if o.upMin > 0 || rng.IntN(4) > 0 {
			d, err := b.waitReady(startedAt, time.Minute)
			if err != nil {
				return r, err
			}
			r.Ready = append(r.Ready, d)
		}
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
	}
	if len(r.Ready) == 0 || b.cmd == nil {
		if _, err := b.waitReady(startedAt, time.Minute); err != nil {
			return r, err
		}
	}
	o.logf("kills done after %s; %d of %d posts sent; waiting for the storm to be acknowledged", time.Since(start).Round(time.Second), sent.Load(), len(plan))
	select {
	case <-stormDone:
	case <-time.After(o.settle):
		return r, fmt.Errorf("the storm was not acknowledged within %s", o.settle)
	}
	stopTraffic()
	wg.Wait()
	o.logf("storm acknowledged after %s; waiting for the bot to settle", time.Since(start).Round(100*time.Millisecond))
	if err := waitQuiet(ctx, e, o.settle); err != nil {
		o.logf("%v", err)
		r.problem("%v", err)
	}
	o.logf("settled after %s; stopping serve", time.Since(start).Round(100*time.Millisecond))
	if err := b.stop(30 * time.Second); err != nil {
		r.problem("clean stop: %v", err)
	}
	o.logf("stopped after %s; sweeping", time.Since(start).Round(100*time.Millisecond))
	r.Starts = b.starts
	if err := sweep(ctx, e, l, r); err != nil {
		return r, err
	}
	r.Errors = errorLines(e.logPath)
	return r, nil
}

// liveTables lists the tables of the serving bot's database.
func liveTables(ctx context.Context, e *env) ([]string, error) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dataDir, "incidentbot.db")+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return tableList(ctx, db)
}

// waitQuiet waits until the bot has applied its inbox, has no job due and
// has given every incident its channel, summary and announce line, three
// looks in a row.
func waitQuiet(ctx context.Context, e *env, bound time.Duration) error {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dataDir, "incidentbot.db")+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(bound)
	quiet := 0
	var last string
	for time.Now().Before(deadline) {
		var inbox, due, bare int
		db.QueryRowContext(ctx, `SELECT count(*) FROM inbox`).Scan(&inbox)
		db.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE run_at <= ?`, time.Now().UnixNano()).Scan(&due)
		db.QueryRowContext(ctx, `SELECT count(*) FROM incidents i LEFT JOIN slack_state s ON s.number = i.number
			WHERE s.number IS NULL OR s.channel_id = '' OR s.summary_ts = '' OR s.summary_pinned = 0 OR s.announced_open = ''`).Scan(&bare)
		last = fmt.Sprintf("inbox %d, jobs due %d, incidents without their Slack side %d", inbox, due, bare)
		if os.Getenv("FAULTSUITE_DEBUG") != "" {
			rows, _ := db.QueryContext(ctx, `SELECT key, attempts, last_error FROM jobs WHERE run_at <= ?`, time.Now().UnixNano())
			for rows != nil && rows.Next() {
				var k, le string
				var a int
				rows.Scan(&k, &a, &le)
				fmt.Fprintln(os.Stderr, "  due:", k, a, le)
			}
			if rows != nil {
				rows.Close()
			}
			fmt.Fprintln(os.Stderr, time.Now().Format("15:04:05.000"), last)
		}
		if inbox == 0 && due == 0 && bare == 0 {
			if quiet++; quiet == 3 {
				return nil
			}
		} else {
			quiet = 0
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("the bot did not settle within %s: %s", bound, last)
}

var errAbsent = errors.New("no file")

// backupRun is a `backup --to` killed at a random moment.
type backupRun struct {
	path string
	done chan error
}

func startBackup(e *env, launch launcher, to string, killAfter time.Duration) *backupRun {
	cmd := launch("backup", "--to", to)
	cmd.Env = append(environOf(cmd), e.environ()...)
	br := &backupRun{path: to, done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		br.done <- err
		return br
	}
	t := time.AfterFunc(killAfter, func() { cmd.Process.Signal(syscall.SIGKILL) })
	go func() {
		err := cmd.Wait()
		t.Stop()
		br.done <- err
	}()
	return br
}

// finish waits for the backup and checks that its file is whole or absent.
func (br *backupRun) finish(ctx context.Context, tables []string) error {
	<-br.done
	if _, err := os.Lstat(br.path); errors.Is(err, os.ErrNotExist) {
		return errAbsent
	}
	return checkBackup(ctx, br.path, tables)
}
