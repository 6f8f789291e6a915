package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver of the embedded store

	"github.com/incidentbot/incidentbot/internal/slacksim"
	"github.com/incidentbot/incidentbot/paging/acklink"
)

// incRow is what the sweep reads of a stored incident.
type incRow struct{ storm, acked bool }

// report is the final sweep's outcome, GoAlert-style: the store against
// what the clients were told, and the simulators' own count of everything
// the bot sent.
type report struct {
	Kills, Starts              int
	Ready                      []time.Duration
	Groups, Posts, PostsOK     int
	Rejected, Retries          int
	Incidents, Storms          int
	AlertsAcked, AlertsLost    int
	AlertsTwice                int
	Channels, ChannelsMissing  int
	ChannelsTwice              int
	SlackMessages, SlackTwice  int
	SummariesMissing           int
	AnnounceMissing            int
	SlackPages, SlackPagesLost int
	SMS, Calls, Emails, Pushes int
	ProviderTwice, Stray       int
	NotificationsLost          int
	Interrupted                int
	OrphanEvents, OrphanAlerts int
	OrphanJobs, OrphanGroups   int
	Counter                    int64
	Skipped                    int
	Integrity                  string
	NotesAcked, NotesLost      int
	NotesTwice                 int
	AcksConfirmed, AcksLost    int
	Backups, BackupsWhole      int
	BackupsAbsent, BackupsBad  int
	JobsLeft                   int
	Errors                     map[string]int
	Problems                   []string
}

func (r *report) problem(format string, args ...any) {
	if len(r.Problems) < 200 {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// failures are the figures that must be zero, by name.
func (r *report) failures() []string {
	var out []string
	for name, v := range map[string]int{
		"alerts lost": r.AlertsLost, "alerts on two incidents": r.AlertsTwice, "webhooks rejected 4xx": r.Rejected,
		"channels missing": r.ChannelsMissing, "channels twice": r.ChannelsTwice, "Slack messages twice": r.SlackTwice,
		"summaries missing": r.SummariesMissing, "announce lines missing": r.AnnounceMissing, "Slack pages lost": r.SlackPagesLost,
		"provider messages twice": r.ProviderTwice, "stray provider messages": r.Stray, "notifications lost": r.NotificationsLost,
		"orphan events": r.OrphanEvents, "orphan alerts": r.OrphanAlerts, "orphan jobs": r.OrphanJobs, "orphan groups": r.OrphanGroups,
		"skipped numbers": r.Skipped, "notes lost": r.NotesLost, "notes twice": r.NotesTwice, "acknowledgements lost": r.AcksLost,
		"backups broken": r.BackupsBad,
	} {
		if v != 0 {
			out = append(out, fmt.Sprintf("%s: %d", name, v))
		}
	}
	if r.Integrity != "ok" {
		out = append(out, "integrity_check: "+r.Integrity)
	}
	sort.Strings(out)
	return out
}

// sweep reads the stopped bot's database and the simulators.
func sweep(ctx context.Context, e *env, l *ledger, r *report) error {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dataDir, "incidentbot.db")+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	r.Integrity = integrity(ctx, db)

	// Incidents and numbers.
	db.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'incident'`).Scan(&r.Counter)
	incs := map[int64]incRow{}
	rows, err := db.QueryContext(ctx, `SELECT number, body FROM incidents ORDER BY number`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var n int64
		var body string
		if err := rows.Scan(&n, &body); err != nil {
			rows.Close()
			return err
		}
		var d struct {
			Storm bool       `json:"storm"`
			Acked *time.Time `json:"acknowledged_at"`
		}
		json.Unmarshal([]byte(body), &d)
		incs[n] = incRow{storm: d.Storm, acked: d.Acked != nil}
		if d.Storm {
			r.Storms++
		}
	}
	rows.Close()
	r.Incidents = len(incs)
	for n := int64(1); n <= r.Counter; n++ {
		if _, ok := incs[n]; !ok {
			r.Skipped++
			r.problem("incident #%d skipped (counter at %d)", n, r.Counter)
		}
	}
	for n := range incs {
		if n > r.Counter {
			r.problem("incident #%d above the counter %d", n, r.Counter)
			r.Skipped++
		}
	}
	exists := func(n int64) bool { _, ok := incs[n]; return ok }

	// Orphans: rows that point at an incident that does not exist.
	for _, q := range []struct {
		what string
		n    *int
		sql  string
	}{
		{"events", &r.OrphanEvents, `SELECT incident, count(*) FROM events WHERE incident NOT IN (SELECT number FROM incidents) GROUP BY incident`},
		{"alerts", &r.OrphanAlerts, `SELECT incident, count(*) FROM alerts WHERE incident <> 0 AND incident NOT IN (SELECT number FROM incidents) GROUP BY incident`},
		{"groups", &r.OrphanGroups, `SELECT incident, count(*) FROM alert_groups WHERE incident NOT IN (SELECT number FROM incidents) GROUP BY incident`},
	} {
		rows, err := db.QueryContext(ctx, q.sql)
		if err != nil {
			return err
		}
		for rows.Next() {
			var n int64
			var c int
			rows.Scan(&n, &c)
			*q.n += c
			r.problem("%d %s of incident #%d, which does not exist", c, q.what, n)
		}
		rows.Close()
	}
	rows, err = db.QueryContext(ctx, `SELECT key, kind, payload, last_error FROM jobs`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var key, kind, lastErr string
		var payload sql.NullString
		rows.Scan(&key, &kind, &payload, &lastErr)
		r.JobsLeft++
		var p map[string]string
		if payload.Valid && json.Unmarshal([]byte(payload.String), &p) == nil && strings.HasPrefix(kind, "incident.") {
			var n int64
			if _, err := fmt.Sscan(p["incident"], &n); err == nil && !exists(n) {
				r.OrphanJobs++
				r.problem("job %s (%s) of incident #%d, which does not exist: %s", key, kind, n, lastErr)
			}
		}
	}
	rows.Close()

	// Every alert acknowledged 2xx is on exactly one incident; none on two.
	onIncidents := map[string][]int64{}
	rows, err = db.QueryContext(ctx, `SELECT incident, fingerprint FROM alerts WHERE incident <> 0`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var n int64
		var fp string
		rows.Scan(&n, &fp)
		onIncidents[fp] = append(onIncidents[fp], n)
	}
	rows.Close()
	l.mu.Lock()
	r.Groups, r.Posts, r.PostsOK, r.Rejected, r.Retries = len(l.groups), l.posts, l.ok, l.rejected, l.retries
	for fp := range l.alerts {
		on := onIncidents[fp]
		if l.acked[fp] {
			r.AlertsAcked++
			if len(on) == 0 {
				r.AlertsLost++
				r.problem("alert %s (group %s) acknowledged 200 but on no incident", fp, l.alerts[fp])
			}
		}
		if len(on) > 1 {
			r.AlertsTwice++
			r.problem("alert %s on incidents %v", fp, on)
		}
	}
	l.mu.Unlock()

	if err := sweepSlack(ctx, db, e, incs, r); err != nil {
		return err
	}
	if err := sweepProviders(ctx, db, e, r); err != nil {
		return err
	}

	// Notes: one event per acknowledged note, never two for any.
	notes := map[string]int{}
	rows, err = db.QueryContext(ctx, `SELECT text FROM events WHERE type = 'note' AND text LIKE '%fs-note-%'`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var text string
		rows.Scan(&text)
		if i := strings.Index(text, "fs-note-"); i >= 0 {
			notes[strings.Fields(text[i:])[0]]++
		}
	}
	rows.Close()
	l.mu.Lock()
	for text := range l.notesTried {
		if notes[text] > 1 {
			r.NotesTwice++
			r.problem("note %s recorded %d times", text, notes[text])
		}
	}
	for text := range l.notesAcked {
		r.NotesAcked++
		if notes[text] == 0 {
			r.NotesLost++
			r.problem("note %s answered as added but not on any timeline", text)
		}
	}
	// Acknowledgements the person was told of hold.
	confirmed := map[int64]string{}
	for n, via := range l.acksOK {
		confirmed[n] = via
	}
	l.mu.Unlock()
	for _, resp := range e.slack.Responses() {
		var n int64
		if _, err := fmt.Sscanf(resp.Text, "You acknowledged incident #%d.", &n); err == nil && resp.User == alice {
			confirmed[n] = "button"
		}
	}
	for n, via := range confirmed {
		r.AcksConfirmed++
		if !incs[n].acked {
			r.AcksLost++
			r.problem("incident #%d acknowledged by %s (confirmed) but not acknowledged", n, via)
		}
	}
	return nil
}

func integrity(ctx context.Context, db *sql.DB) string {
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		lines = append(lines, s)
	}
	return strings.Join(lines, "; ")
}

// firstBlockID is the block_id of a message's first block.
func firstBlockID(m slacksim.Message) string {
	var blocks []struct {
		BlockID string `json:"block_id"`
	}
	if json.Unmarshal(m.Blocks, &blocks) != nil || len(blocks) == 0 {
		return ""
	}
	return blocks[0].BlockID
}

// sweepSlack counts, in the Slack simulator, each incident's channel,
// summary and announce line, every page, and every bot message that
// carries an identity (its first block's ID): each must be there once.
func sweepSlack(ctx context.Context, db *sql.DB, e *env, incs map[int64]incRow, r *report) error {
	type state struct {
		channel, summary, announced string
	}
	states := map[int64]state{}
	rows, err := db.QueryContext(ctx, `SELECT number, channel_id, summary_ts, announced_open FROM slack_state`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var n int64
		var st state
		rows.Scan(&n, &st.channel, &st.summary, &st.announced)
		states[n] = st
	}
	rows.Close()

	byIncident := map[int64][]string{}
	announce, _ := e.slack.ChannelByName("incidents")
	seen := map[string]int{} // channel + first block ID
	for _, ch := range e.slack.Channels() {
		var n int64
		if _, err := fmt.Sscanf(ch.Name, "inc-%d-", &n); err == nil && strings.HasPrefix(ch.Name, fmt.Sprintf("inc-%d-", n)) {
			byIncident[n] = append(byIncident[n], ch.ID)
		}
		for _, m := range e.slack.Messages(ch.ID) {
			if m.User != slacksim.BotUserID {
				continue
			}
			r.SlackMessages++
			if id := firstBlockID(m); id != "" {
				seen[ch.ID+" "+id]++
			}
		}
	}
	for key, c := range seen {
		if c > 1 {
			r.SlackTwice += c - 1
			r.problem("Slack message %s posted %d times", key, c)
		}
	}
	r.Channels = 0
	for n := range incs {
		chans := byIncident[n]
		r.Channels += len(chans)
		switch {
		case len(chans) == 0:
			r.ChannelsMissing++
			r.problem("incident #%d has no channel", n)
			continue
		case len(chans) > 1:
			r.ChannelsTwice += len(chans) - 1
			r.problem("incident #%d has channels %v", n, chans)
		}
		if st := states[n]; st.channel != chans[0] {
			r.problem("incident #%d: channel %s in Slack, %q recorded", n, chans[0], st.channel)
		}
		if seen[chans[0]+" incident-summary"] == 0 {
			r.SummariesMissing++
			r.problem("incident #%d has no summary in its channel", n)
		}
		if seen[announce.ID+" "+fmt.Sprintf("announce-opened-%d", n)] == 0 {
			r.AnnounceMissing++
			r.problem("incident #%d was not announced", n)
		}
	}
	// Every page whose Slack notification went out is in its DM.
	rows, err = db.QueryContext(ctx, `SELECT p.id, p.incident, p.channel FROM pages p
		JOIN notifications n ON n.page = p.id AND n.method = 'slack' AND n.state IN ('sent', 'delivered')`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, channel string
		var n int64
		rows.Scan(&id, &n, &channel)
		r.SlackPages++
		if seen[channel+" page:"+id] == 0 {
			r.SlackPagesLost++
			r.problem("page %s of incident #%d: sent, but not in %s", id, n, channel)
		}
	}
	rows.Close()
	return nil
}

// sweepProviders holds every SMS, call, email and push the simulators got
// to the notification it was sent for: one each for those sent, at most
// one for those interrupted while sending, none for the others and none
// without a notification.
func sweepProviders(ctx context.Context, db *sql.DB, e *env, r *report) error {
	type note struct {
		incident       int64
		method, kind   string
		state, errText string
	}
	notes := map[string]note{}
	rows, err := db.QueryContext(ctx, `SELECT id, incident, method, kind, state, error FROM notifications WHERE method <> 'slack'`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		var n note
		rows.Scan(&id, &n.incident, &n.method, &n.kind, &n.state, &n.errText)
		notes[id] = n
	}
	rows.Close()
	var keyHex string
	db.QueryRowContext(ctx, `SELECT body FROM state WHERE name = 'secret:ack-links'`).Scan(&keyHex)
	key, _ := hex.DecodeString(keyHex)
	signer, err := acklink.New(key, func() time.Time { return time.Unix(0, 0) })
	if err != nil {
		return fmt.Errorf("the acknowledge links' key: %w", err)
	}

	got := map[string]int{}
	callbackID := func(u string) string {
		pu, err := url.Parse(u)
		if err != nil {
			return ""
		}
		_, rest, ok := strings.Cut(pu.Path, "/n/")
		if !ok {
			return ""
		}
		id, _, _ := strings.Cut(rest, "/")
		return id
	}
	for _, m := range e.twilio.Messages() {
		if m.Direction != "outbound-api" {
			continue
		}
		r.SMS++
		got[callbackID(m.StatusCallback)]++
	}
	for _, c := range e.twilio.Calls() {
		r.Calls++
		got[callbackID(c.StatusCallback)]++
	}
	for _, m := range e.inbox.Emails() {
		r.Emails++
		addr, _ := mail.ParseAddress("x " + m.Header.Get("Message-Id"))
		id := ""
		if addr != nil {
			id, _, _ = strings.Cut(addr.Address, ".")
		}
		got[id]++
	}
	notices := map[int64]int{}
	for _, p := range e.inbox.Pushes() {
		r.Pushes++
		if len(p.Actions) == 0 {
			var n int64
			fmt.Sscanf(p.Title, "#%d", &n)
			notices[n]++
			continue
		}
		id := ""
		if i := strings.LastIndex(p.Actions[0].URL, "/ack/"); i >= 0 {
			if c, err := signer.Verify(p.Actions[0].URL[i+len("/ack/"):]); err == nil {
				id = c.Notification
			}
		}
		got[id]++
	}
	storeNotices := map[int64][2]int{} // push notices per incident: sent, any that may have gone
	for id, n := range notes {
		if n.method == "push" && n.kind == "notice" {
			c := storeNotices[n.incident]
			if n.state == "sent" || n.state == "delivered" {
				c[0]++
			}
			if n.state != "pending" && n.state != "cancelled" {
				c[1]++
			}
			storeNotices[n.incident] = c
			continue
		}
		c := got[id]
		delete(got, id)
		switch {
		case c > 1:
			r.ProviderTwice += c - 1
			r.problem("%s %s of incident #%d reached the provider %d times", n.method, id, n.incident, c)
		case (n.state == "sent" || n.state == "delivered") && c == 0:
			r.NotificationsLost++
			r.problem("%s %s of incident #%d is %s but the provider has nothing", n.method, id, n.incident, n.state)
		case (n.state == "pending" || n.state == "cancelled") && c > 0:
			r.Stray += c
			r.problem("%s %s of incident #%d is %s but the provider got it", n.method, id, n.incident, n.state)
		}
		if n.state == "failed" && strings.Contains(n.errText, "interrupted") {
			r.Interrupted++
		}
	}
	for id, c := range got {
		r.Stray += c
		r.problem("%d provider messages for %q, which is no notification", c, id)
	}
	for n, c := range notices {
		if c > storeNotices[n][1] {
			r.ProviderTwice += c - storeNotices[n][1]
			r.problem("incident #%d: %d push notices, %d stored", n, c, storeNotices[n][1])
		}
	}
	for n, c := range storeNotices {
		if notices[n] < c[0] {
			r.NotificationsLost += c[0] - notices[n]
			r.problem("incident #%d: %d push notices sent, %d arrived", n, c[0], notices[n])
		}
	}
	return nil
}

// errorLines counts the serve log's error lines by message.
func errorLines(logPath string) map[string]int {
	out := map[string]int{}
	f, err := os.Open(logPath)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && (line.Level == "error" || line.Level == "fatal" || line.Level == "panic") {
			out[line.Msg]++
		}
	}
	return out
}

// checkBackup reports whether the file at path is a whole backup:
// integrity_check ok, the schema version and the tables of the original.
func checkBackup(ctx context.Context, path string, tables []string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		return err
	}
	defer db.Close()
	if s := integrity(ctx, db); s != "ok" {
		return fmt.Errorf("integrity_check: %s", s)
	}
	got, err := tableList(ctx, db)
	if err != nil {
		return err
	}
	if !slices.Equal(got, tables) {
		return fmt.Errorf("tables %v, want %v", got, tables)
	}
	return nil
}

func tableList(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out, rows.Err()
}
