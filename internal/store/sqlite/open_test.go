package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/alertmanager"
	"github.com/incidentbot/incidentbot/bot/slackstate"
	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/jobs"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(testCtx(t), Options{DataDir: dir})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

var t0 = time.Date(2026, 3, 14, 9, 0, 7, 123_000_000, time.UTC)

func TestOpenCreatesDataDirAndLock(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nested", "data")
	s := open(t, dir)
	for _, f := range []string{lockFileName, DBFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	var mode string
	if err := s.r.QueryRowContext(testCtx(t), "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal", mode, err)
	}
	var fk int
	if err := s.w.QueryRowContext(testCtx(t), "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d (%v), want 1", fk, err)
	}
}

func TestNextNumberPersistsAcrossReopen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := testCtx(t)
	s, err := Open(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for want := int64(1); want <= 3; want++ {
		if got, err := nextNumber(ctx, s); err != nil || got != want {
			t.Errorf("NextNumber = %d, %v; want %d", got, err, want)
		}
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = open(t, dir)
	if got, err := nextNumber(ctx, s); err != nil || got != 4 {
		t.Errorf("NextNumber after reopen = %d, %v; want 4", got, err)
	}
}

func TestSecondOpenOfDataDirFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := testCtx(t)
	first, err := Open(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	second, err := Open(ctx, Options{DataDir: dir})
	if err == nil {
		second.Close(ctx)
		t.Fatal("second Open of the same data dir succeeded, want an error")
	}
	if !errors.Is(err, ErrDataDirInUse) {
		t.Errorf("error %v is not ErrDataDirInUse", err)
	}
	wantMsg := "data dir " + dir + " is in use by another incidentbot process (lock " + filepath.Join(dir, lockFileName) + ")"
	if !strings.Contains(err.Error(), wantMsg) {
		t.Errorf("error = %q, want it to contain %q", err, wantMsg)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second Open took %s, want it to fail at once", d)
	}

	// Another process is refused too.
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperOpenDataDir$")
	cmd.Env = append(os.Environ(), "STORE_HELPER_DATA_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "is in use by another incidentbot process") {
		t.Errorf("other process: err=%v output=%q, want it refused with the in-use error", err, out)
	}

	if err := first.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	third, err := Open(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatalf("Open after Close released the lock: %v", err)
	}
	third.Close(ctx)
}

// TestHelperOpenDataDir runs in a child process of TestSecondOpenOfDataDirFails.
func TestHelperOpenDataDir(t *testing.T) {
	dir := os.Getenv("STORE_HELPER_DATA_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	s, err := Open(testCtx(t), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Close(context.Background())
}

func TestPingFailsAfterClose(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s, err := Open(ctx, Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping before Close: %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping after Close = nil, want an error")
	}
	if err := s.Close(ctx); err != nil {
		t.Errorf("second Close = %v, want the first result (nil)", err)
	}
}

// A data dir of the FerretDB store is refused with one line that says what to do.
func TestFerretDBDataDirRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ferretFile), []byte("SQLite format 3\x00"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(testCtx(t), Options{DataDir: dir})
	if !errors.Is(err, ErrFerretDBDataDir) {
		t.Fatalf("Open = %v, want ErrFerretDBDataDir", err)
	}
	for _, want := range []string{dir, ferretFile, "INCIDENTBOT_DATA_DIR"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q is more than one line", err)
	}
	if _, err := os.Stat(filepath.Join(dir, DBFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a new database was created beside the old store (stat: %v)", err)
	}
}

// seed writes a row into every table that versions from+1 … to added,
// through the Store methods that use them.
func seed(t *testing.T, s *Store, from, to int) {
	t.Helper()
	ctx := testCtx(t)
	if from < 1 && to >= 1 {
		for _, inc := range seedIncidents() {
			putIncident(t, s, inc, to)
		}
		ev := incidents.Event{ID: "1:e", Incident: 1, Type: incidents.EventDeclared, At: t0, Text: "declared"}
		if to < 9 { // before the chain
			if _, err := s.w.ExecContext(ctx, `INSERT INTO events (id, incident, at, type, actor, text) VALUES (?, ?, ?, ?, '', ?)`,
				ev.ID, ev.Incident, ts(ev.At), string(ev.Type), ev.Text); err != nil {
				t.Fatal(err)
			}
		} else if err := addEvents(ctx, s, ev); err != nil {
			t.Fatal(err)
		}
		if err := s.AppendInbox(ctx, []alertmanager.InboxItem{{ID: "0001", ReceivedAt: t0, Body: []byte("{}")}}); err != nil {
			t.Fatal(err)
		}
	}
	if from < 2 && to >= 2 {
		if to < 9 { // before job priorities
			if _, err := s.w.ExecContext(ctx, `INSERT INTO jobs (key, kind, run_at, created_at) VALUES ('old-job', 'k', ?, ?)`, ts(t0), ts(t0)); err != nil {
				t.Fatal(err)
			}
		} else if err := s.Enqueue(ctx, jobs.Job{Key: "old-job", Kind: "k", RunAt: t0, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if from < 3 && to >= 3 {
		if err := s.PutSlackState(ctx, &slackstate.Incident{Number: 1, ChannelID: "C1"}); err != nil {
			t.Fatal(err)
		}
	}
	if from < 4 && to >= 4 {
		if ok, err := s.AddDeployment(ctx, deploys.Deployment{ID: "d1", Service: "pay", Status: deploys.StatusSuccess, At: t0}); err != nil || !ok {
			t.Fatalf("AddDeployment = %v, %v", ok, err)
		}
		if err := s.SetCause(ctx, 1, "d1"); err != nil {
			t.Fatal(err)
		}
	}
}

// seedIncidents are the incidents seed stores: one with alerts, a group, a
// service label and an open follow-up, one by hand with its own alertname
// label and only done follow-ups.
func seedIncidents() []*incidents.Incident {
	return []*incidents.Incident{
		{Number: 1, Title: "old", Status: incidents.StatusTriggered, DeclaredAt: t0, Severity: "sev1", GroupKey: "{}:{alertname=\"HighErrorRate\"}",
			Labels: map[string]string{"alertname": "Ignored", "service": "search", "k8s.pod": "x"},
			Alerts: map[string]incidents.Alert{
				"a1": {Fingerprint: "a1", Status: incidents.AlertFiring, StartsAt: t0, Labels: map[string]string{"alertname": "HighErrorRate", "service.name": "s"}},
				"a2": {Fingerprint: "a2", Status: incidents.AlertFiring, StartsAt: t0, Labels: map[string]string{"alertname": "DiskFull"}},
				"a3": {Fingerprint: "a3", Status: incidents.AlertFiring, StartsAt: t0, Labels: map[string]string{"instance": "no name"}},
			},
			Actions: []incidents.Action{{ID: 1, Text: "done", Done: true, At: t0, DoneAt: t0}, {ID: 2, Text: "open", Owner: "U1", At: t0, Due: t0}}},
		{Number: 2, Title: "by hand", Status: incidents.StatusResolved, DeclaredAt: t0, Severity: "sev3", Service: "pay",
			Labels:  map[string]string{"alertname": "Latency", "service": "ignored"},
			Actions: []incidents.Action{{ID: 1, Text: "done", Done: true, At: t0, DoneAt: t0}}},
	}
}

// putIncident stores inc in a database at schema version v: before the
// filter columns (8), as the release of that version wrote it.
func putIncident(t *testing.T, s *Store, inc *incidents.Incident, v int) {
	t.Helper()
	if v >= 8 {
		c := &incidents.Change{Create: []*incidents.Incident{inc}}
		if v >= 9 { // every alert in its own row too
			for _, a := range inc.Alerts {
				c.Alerts = append(c.Alerts, incidents.IncidentAlert{Incident: inc.Number, Alert: a})
			}
		}
		if err := s.Commit(testCtx(t), c); err != nil {
			t.Fatal(err)
		}
		return
	}
	body, err := encodeIncident(inc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(testCtx(t), `INSERT INTO incidents (number, version, status, declared_at, body) VALUES (?, ?, ?, ?, ?)`,
		inc.Number, inc.Version, string(inc.Status), ts(inc.DeclaredAt), string(body)); err != nil {
		t.Fatal(err)
	}
}

// checkSeededFilters checks that every ListOptions filter finds the seeded
// incidents, and still does after an update.
func checkSeededFilters(t *testing.T, s *Store) {
	t.Helper()
	ctx := testCtx(t)
	type O = incidents.ListOptions
	check := func(o O, want ...int64) {
		t.Helper()
		list, err := s.ListIncidents(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		got := []int64{}
		for _, inc := range list {
			got = append(got, inc.Number)
		}
		if fmt.Sprint(got) != fmt.Sprint(append([]int64{}, want...)) {
			t.Errorf("ListIncidents(%+v) = %v, want %v", o, got, want)
		}
	}
	check(O{OpenActions: true}, 1)
	check(O{GroupKey: "{}:{alertname=\"HighErrorRate\"}"}, 1)
	check(O{AlertName: "HighErrorRate"}, 1)
	check(O{AlertName: "DiskFull", Before: 2, Limit: 1}, 1)
	check(O{AlertName: "Latency"}, 2)
	check(O{AlertName: "Ignored"})
	check(O{Severity: "sev1"}, 1)
	check(O{Service: "search"}, 1)
	check(O{Service: "pay"}, 2)
	check(O{Service: "ignored"})
	check(O{ResolvedOnly: true}, 2)

	inc, err := s.GetIncident(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	inc.Actions[1].Done = true
	delete(inc.Alerts, "a2")
	if err := s.Commit(ctx, &incidents.Change{Update: []*incidents.Incident{inc}}); err != nil {
		t.Fatal(err)
	}
	check(O{OpenActions: true})
	check(O{AlertName: "DiskFull"})
	check(O{AlertName: "HighErrorRate"}, 1)
}

// The migration to version 8 fills the filter columns and alert names from
// the stored bodies by the same rules as the Go code that writes them.
func TestIncidentIndexBackfillMatchesGo(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	dir := t.TempDir()
	db, err := openDB(filepath.Join(dir, DBFile), 1, busyTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, db, 7, discard.Logger()); err != nil {
		t.Fatal(err)
	}
	old := &Store{w: db, r: db}
	incs := append(seedIncidents(),
		&incidents.Incident{Number: 3},
		&incidents.Incident{Number: 4, Service: "svc", Labels: map[string]string{"service": "label", "alertname": ""},
			Alerts: map[string]incidents.Alert{"x": {Labels: map[string]string{"alertname": ""}}}},
		&incidents.Incident{Number: 5, Labels: map[string]string{"alertname": "Own"}, Alerts: map[string]incidents.Alert{},
			Actions: []incidents.Action{{ID: 1, Text: "open"}, {ID: 2, Text: "done", Done: true}}},
		&incidents.Incident{Number: 6, GroupKey: "g", Labels: map[string]string{"alertname": "Label"},
			Alerts: map[string]incidents.Alert{"y": {Labels: map[string]string{"alertname": "Alert\"quoted\" ünïcode"}}, "z": {Labels: map[string]string{"alertname": "Alert\"quoted\" ünïcode"}}}},
	)
	for _, inc := range incs {
		putIncident(t, old, inc, 7)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir)
	for _, inc := range incs {
		var gk, sev, svc string
		var open int
		if err := s.r.QueryRowContext(ctx, `SELECT `+indexCols+` FROM incidents WHERE number = ?`, inc.Number).Scan(&gk, &sev, &svc, &open); err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint([]any{gk, sev, svc, open}), fmt.Sprint(indexArgs(inc)); got != want {
			t.Errorf("#%d: migrated %s = %s, want %s", inc.Number, indexCols, got, want)
		}
		rows, err := s.r.QueryContext(ctx, `SELECT name FROM incident_alert_names WHERE incident = ? ORDER BY name`, inc.Number)
		if err != nil {
			t.Fatal(err)
		}
		names := []string{}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		rows.Close()
		if fmt.Sprint(names) != fmt.Sprint(inc.AlertNames()) {
			t.Errorf("#%d: migrated alert names %q, want %q", inc.Number, names, inc.AlertNames())
		}
	}
}

// A database left at every earlier schema version opens, is migrated to the
// current one, keeps its data, and works in full.
func TestMigrateFromEveryVersion(t *testing.T) {
	t.Parallel()
	for v := range schemaVersion {
		t.Run(fmt.Sprintf("from version %d", v), func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			dir := t.TempDir()
			db, err := openDB(filepath.Join(dir, DBFile), 1, busyTimeout)
			if err != nil {
				t.Fatal(err)
			}
			if err := migrate(ctx, db, v, discard.Logger()); err != nil {
				t.Fatalf("migrate to %d: %v", v, err)
			}
			old := &Store{w: db, r: db}
			seed(t, old, 0, v)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}

			s := open(t, dir)
			var got int
			if err := s.r.QueryRowContext(ctx, "SELECT version FROM schema_version").Scan(&got); err != nil || got != schemaVersion {
				t.Fatalf("schema version after Open = %d (%v), want %d", got, err, schemaVersion)
			}
			if v >= 1 {
				if inc, err := s.GetIncident(ctx, 1); err != nil || inc.Title != "old" {
					t.Errorf("incident from version %d = %+v, %v", v, inc, err)
				}
				evs, err := s.Timeline(ctx, 1)
				if err != nil || len(evs) != 1 {
					t.Fatalf("timeline from version %d = %v, %v", v, evs, err)
				}
				if evs[0].Seq != 1 || evs[0].Hash != incidents.ChainHash(incidents.ChainGenesis(1), evs[0]) {
					t.Errorf("event from version %d not sealed into the chain: seq %d hash %q", v, evs[0].Seq, evs[0].Hash)
				}
				if got, err := s.GetAlerts(ctx, 1, []string{"a1", "a2", "a3"}); err != nil || len(got) != 3 || got["a2"].Labels["alertname"] != "DiskFull" {
					t.Errorf("alerts from version %d = %v, %v; want a1..a3 in their own rows", v, got, err)
				}
				if inc, _ := s.GetIncident(ctx, 1); inc.AlertCount != 3 || inc.FiringCount != 3 {
					t.Errorf("alert counts from version %d = %d, %d; want 3, 3", v, inc.AlertCount, inc.FiringCount)
				}
			}
			if v >= 2 {
				if _, err := s.Get(ctx, "old-job"); err != nil {
					t.Errorf("job from version %d: %v", v, err)
				}
			}
			// Everything the current schema has works after the migration.
			seed(t, s, v, schemaVersion)
			checkSeededFilters(t, s)
			if st, err := s.SlackStateByChannel(ctx, "C1"); err != nil || st.Number != 1 {
				t.Errorf("slack state after migration = %+v, %v", st, err)
			}
			if c, err := s.Causes(ctx); err != nil || c[1] != "d1" {
				t.Errorf("causes after migration = %v, %v", c, err)
			}
		})
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	dir := t.TempDir()
	db, err := openDB(filepath.Join(dir, DBFile), 1, busyTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, db, schemaVersion, discard.Logger()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "UPDATE schema_version SET version = ?", schemaVersion+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(ctx, Options{DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema = %v, want it refused as newer", err)
	}
}

// A backup taken while the store is open and being written is a complete,
// consistent database that opens as a store.
func TestBackupBesideOpenStore(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	dir := t.TempDir()
	s := open(t, dir)
	seed(t, s, 0, schemaVersion)
	done := make(chan struct{})
	go func() { // writes go on during the backup
		defer close(done)
		for i := range 200 {
			ev := incidents.Event{ID: "1:w" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Incident: 1, Type: incidents.EventNote, At: t0, Text: "w"}
			if err := addEvents(ctx, s, ev); err != nil {
				t.Errorf("write during backup: %v", err)
				return
			}
		}
	}()
	to := filepath.Join(t.TempDir(), "backup.db")
	if err := Backup(ctx, dir, to); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	<-done
	if err := Backup(ctx, dir, to); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("Backup over an existing file = %v, want a refusal", err)
	}

	// Restore: the copy as the database of an empty data dir.
	restored := t.TempDir()
	b, err := os.ReadFile(to)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, DBFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := open(t, restored)
	if inc, err := r.GetIncident(ctx, 1); err != nil || inc.Title != "old" {
		t.Errorf("restored incident = %+v, %v", inc, err)
	}
	evs, err := r.Timeline(ctx, 1)
	if err != nil || len(evs) < 1 {
		t.Errorf("restored timeline = %d events, %v", len(evs), err)
	}
	if _, err := r.Get(ctx, "old-job"); err != nil {
		t.Errorf("restored job: %v", err)
	}
}

func TestFieldsEncoding(t *testing.T) {
	t.Parallel()
	tests := []map[string]string{
		{"a": "1"},
		{"": "", "label.with.dots": "x", "$boss": "\x00\xff", "long": strings.Repeat("v", 300)},
	}
	for _, want := range tests {
		got, err := decodeFields(encodeFields(want))
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("round trip of %q = %q, %v", want, got, err)
		}
	}
	for _, bad := range [][]byte{{0x05, 'a'}, {0x01, 'k', 0x09}, {0xff}} {
		if _, err := decodeFields(bad); err == nil {
			t.Errorf("decodeFields(%q) = nil error, want malformed", bad)
		}
	}
}

func addEvents(ctx context.Context, s *Store, events ...incidents.Event) error {
	return s.Commit(ctx, &incidents.Change{Events: events})
}

func nextNumber(ctx context.Context, s *Store) (int64, error) {
	last, err := s.LastNumber(ctx)
	if err != nil {
		return 0, err
	}
	return last + 1, s.Commit(ctx, &incidents.Change{Counter: incidents.Counter{From: last, To: last + 1}})
}
