package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// outageOptions shape a store outage.
type outageOptions struct {
	env  envOptions
	hold time.Duration
	seed uint64
	logf func(format string, args ...any)
}

type outageResult struct {
	report *report
	// Webhook answers while the lock was held, by status, and the slowest.
	during  map[int]int
	slowest time.Duration
	// Slash-command answers while it was held: immediate and late.
	replies map[string]int
	late    map[string]int
	// retried: the posts answered 503, sent again after; applied after.
	retried int
}

// How the bot answers a command while the store is down (handler.unavailable,
// en), or one that outlasts Slack's 3 seconds (handler.working).
const (
	unavailableText = "I can't write to the incident store right now"
	workingText     = "Working on it… I'll post the result here."
)

// outage holds the bot's store write lock from this process for o.hold,
// as a stuck maintenance script or a backup tool holding a transaction
// would, while Alertmanager and people keep sending; then lets go,
// retries what was answered 503 as Alertmanager does, and sweeps.
func outage(ctx context.Context, launch launcher, o outageOptions) (*outageResult, error) {
	rng := rand.New(rand.NewPCG(o.seed, 3))
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
	res := &outageResult{report: &report{}, during: map[int]int{}, replies: map[string]int{}, late: map[string]int{}}
	r := res.report
	if err := b.start(); err != nil {
		return nil, err
	}
	if _, err := b.waitReady(time.Now(), time.Minute); err != nil {
		return nil, err
	}
	l := newLedger()
	run := fmt.Sprintf("%x", rng.Uint32()&0xffff)
	s := newSender(e.url(), l)
	// Alertmanager waits for an answer up to its group_interval; the bot
	// answers within its 30 s write timeout.
	s.client.Timeout = 35 * time.Second
	before := stormPlan(rng, run+"a", 10, time.Now())
	for _, p := range before {
		s.send(ctx, p)
	}
	if err := waitQuiet(ctx, e, time.Minute); err != nil {
		return res, err
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dataDir, "incidentbot.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return res, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return res, fmt.Errorf("take the write lock: %w", err)
	}
	o.logf("outage: the store's write lock held for %s", o.hold)
	lockedAt := time.Now()
	during := stormPlan(rng, run+"b", 12, time.Now())
	var mu sync.Mutex
	var refused []alertPost
	var wg sync.WaitGroup
	for i, p := range during {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * o.hold / time.Duration(len(during)+2))
			start := time.Now()
			code := s.post(ctx, p.body)
			mu.Lock()
			defer mu.Unlock()
			res.during[code]++
			res.slowest = max(res.slowest, time.Since(start))
			if code != http.StatusOK {
				refused = append(refused, p)
			}
		})
	}
	ch, _ := e.slack.ChannelByName("incidents")
	for i := range 5 {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * o.hold / 6)
			resp, err := e.slack.SlashCommand(ctx, alice, ch.ID, "/incident", fmt.Sprintf("#1 note fs-outage-%d", i))
			if err != nil {
				mu.Lock()
				res.replies["error: "+err.Error()]++
				mu.Unlock()
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var reply struct {
				Text string `json:"text"`
			}
			json.Unmarshal(body, &reply)
			mu.Lock()
			res.replies[reply.Text]++
			mu.Unlock()
		})
	}
	time.Sleep(time.Until(lockedAt.Add(o.hold)))
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		return res, fmt.Errorf("release the write lock: %w", err)
	}
	o.logf("outage: released after %s", time.Since(lockedAt).Round(time.Second))
	wg.Wait()
	// Alertmanager retries what got a 5xx.
	for _, p := range refused {
		res.retried++
		s.send(ctx, p)
	}
	if err := waitQuiet(ctx, e, 2*time.Minute); err != nil {
		r.problem("%v", err)
	}
	if err := b.stop(30 * time.Second); err != nil {
		r.problem("clean stop: %v", err)
	}
	lateAnswers := 0
	for _, resp := range e.slack.Responses() {
		if resp.Source == "response_url" && resp.At.After(lockedAt) {
			res.late[resp.Text]++
			lateAnswers++
		}
	}
	if working := res.replies[workingText]; lateAnswers < working {
		r.NotesLost += working - lateAnswers
		r.problem("%d slash commands answered %q, only %d late answers came", working, workingText, lateAnswers)
	}
	for code, n := range res.during {
		if code != http.StatusServiceUnavailable {
			r.Rejected += n
			r.problem("%d webhook answers %d during the outage, want 503", n, code)
		}
	}
	for text, n := range res.replies {
		if !strings.Contains(text, unavailableText) && text != workingText {
			r.problem("%d slash commands answered %q during the outage", n, text)
			r.NotesLost += n
		}
	}
	r.Starts = b.starts
	if err := sweep(ctx, e, l, r); err != nil {
		return res, err
	}
	r.Errors = errorLines(e.logPath)
	return res, nil
}

func printOutage(w io.Writer, o *outageResult) {
	fmt.Fprintf(w, "webhook answers while the lock was held: %v (slowest %s)\n", o.during, o.slowest.Round(time.Millisecond))
	fmt.Fprintf(w, "slash-command answers while held: %v\n", o.replies)
	fmt.Fprintf(w, "late answers (response_url): %v\n", o.late)
	fmt.Fprintf(w, "posts answered 503 and retried after: %d\n\n", o.retried)
	printKill(w, o.report)
}
