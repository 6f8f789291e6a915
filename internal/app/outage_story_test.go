package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/store/sqlite"
)

// storeLock holds the embedded store's write lock from another connection,
// as another process would (a stuck maintenance script, a backup tool):
// every write of the bot waits its busy timeout and fails.
type storeLock struct {
	t    *testing.T
	db   *sql.DB
	conn *sql.Conn
}

func lockStore(t *testing.T, dir string) *storeLock {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.DBFile)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatalf("take the write lock: %v", err)
	}
	l := &storeLock{t: t, db: db, conn: conn}
	t.Cleanup(l.release)
	return l
}

func (l *storeLock) release() {
	if l.conn == nil {
		return
	}
	if _, err := l.conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		l.t.Errorf("release the write lock: %v", err)
	}
	l.conn.Close()
	l.db.Close()
	l.conn = nil
}

// While another process holds the store's write lock, the webhook answers
// 503 (Alertmanager retries 5xx only; a 4xx or 429 would drop the alert),
// slash commands say plainly to try again, in the team's language, and
// nothing acknowledged before the outage is lost: it is applied, with its
// channel, when the lock is released; Alertmanager's retries of what got
// 503 are applied too.
func TestStoryStoreLockedAnswers503AndTryAgain(t *testing.T) {
	for _, locale := range []string{"en", "ru"} {
		t.Run(locale, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			st, err := sqlite.Open(context.Background(), sqlite.Options{DataDir: dir, BusyTimeout: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close(context.Background()) })
			h := newHarness(t, harnessOptions{dir: dir, store: st, manual: true, config: func(c *config.Config) {
				withSlack(c)
				c.Locale = locale
			}})
			now := h.clock.Now()
			h.mustPost(payload("g1", testAlert{fp(1), "firing", "HighLatency", now}))
			h.applyAll()
			h.settle()
			channel := h.channel(1).ID
			// Acknowledged before the outage, applied after it.
			h.mustPost(payload("g2", testAlert{fp(2), "firing", "DiskFull", now}))

			lock := lockStore(t, dir)
			during := payload("g3", testAlert{fp(3), "firing", "QueueStuck", now})
			for range 3 {
				if code := h.post(during); code != http.StatusServiceUnavailable {
					t.Fatalf("webhook during the outage answered %d, want 503", code)
				}
			}
			reply := h.command("U0001", channel, "note checking the database")
			var r struct{ Text string }
			if err := json.Unmarshal([]byte(reply), &r); err != nil {
				t.Fatalf("reply %q: %v", reply, err)
			}
			want := h.app.lang.Text("handler.unavailable", nil)
			if r.Text != want || !strings.Contains(want, map[string]string{"en": "try again", "ru": "ещё раз"}[locale]) {
				t.Errorf("/incident note during the outage answered %q, want %q", r.Text, want)
			}
			if _, err := h.app.Applier().ApplyPending(context.Background()); err == nil {
				t.Error("applying during the outage succeeded")
			}

			lock.release()
			if code := h.post(during); code != http.StatusOK { // Alertmanager's retry
				t.Fatalf("webhook after the outage answered %d, want 200", code)
			}
			h.applyAll()
			h.settle()
			incs := h.incidents()
			if len(incs) != 3 {
				t.Fatalf("incidents after the outage = %d, want 3 (g1, g2 acknowledged before, g3 retried)", len(incs))
			}
			for _, inc := range incs {
				h.channel(inc.Number) // each has its channel
			}
			for _, e := range h.timeline(1) {
				if strings.Contains(e.Text, "checking the database") {
					t.Errorf("the note refused during the outage is on the timeline: %+v", e)
				}
			}
		})
	}
}
