package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/evidence"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/store"
	"github.com/incidentbot/incidentbot/postmortem"
)

// memChains is an in-memory chainSource whose timelines are sealed as the
// stores will seal them (incidents.Seal), so verify is tested apart from
// the stores.
type memChains struct {
	incs   map[int64]*incidents.Incident
	events map[int64][]incidents.Event
}

func newMemChains(incidentsN, eventsN int) *memChains {
	m := &memChains{incs: map[int64]*incidents.Incident{}, events: map[int64][]incidents.Event{}}
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	for n := int64(1); n <= int64(incidentsN); n++ {
		m.incs[n] = &incidents.Incident{Number: n, Title: fmt.Sprintf("incident %d", n), DetectedAt: at, DeclaredAt: at}
		evs := make([]incidents.Event, eventsN)
		for i := range evs {
			evs[i] = incidents.Event{ID: fmt.Sprintf("%d:e%d", n, i), Incident: n, Type: incidents.EventNote,
				At: at.Add(time.Duration(i) * time.Second), Actor: "U0001", Text: "checked the replica lag",
				Fields: map[string]string{"n": fmt.Sprint(i)}}
		}
		m.events[n] = incidents.Seal(n, incidents.ChainHead{}, evs...)
	}
	return m
}

func (m *memChains) GetIncident(_ context.Context, n int64) (*incidents.Incident, error) {
	if inc, ok := m.incs[n]; ok {
		return inc, nil
	}
	return nil, incidents.ErrNotFound
}

func (m *memChains) ListIncidents(_ context.Context, o incidents.ListOptions) ([]*incidents.Incident, error) {
	var out []*incidents.Incident
	for n := int64(len(m.incs)); n >= 1; n-- {
		if o.Before != 0 && n >= o.Before {
			continue
		}
		out = append(out, m.incs[n])
		if o.Limit > 0 && len(out) == o.Limit {
			break
		}
	}
	return out, nil
}

func (m *memChains) TimelineChain(_ context.Context, n int64) ([]incidents.Event, error) {
	return m.events[n], nil
}

func (m *memChains) Postmortem(_ context.Context, n int64) (postmortem.Record, error) {
	if n == 2 {
		return postmortem.Record{Number: 2, Markdown: []byte("# INC-2\n")}, nil
	}
	return postmortem.Record{}, incidents.ErrNotFound
}

func TestVerifyChains(t *testing.T) {
	tests := []struct {
		name     string
		tamper   func(m *memChains)
		incident int64
		wantOut  []string
		wantErr  string // "" for none
	}{
		{"all intact", nil, 0,
			[]string{"ok\tincident #1: 4 events, chain intact", "ok\tincident #3: 4 events, chain intact", "verified 12 events of 3 incidents: 3 chains intact, 0 broken"}, ""},
		{"a text changed by hand and an event removed", func(m *memChains) {
			m.events[2][1].Text = "nothing to see"
			m.events[3] = slices.Delete(m.events[3], 2, 3)
		}, 0, []string{
			"ok\tincident #1: 4 events, chain intact",
			"BROKEN\tincident #2: event 2 (2:e1) was changed: its content does not match its hash (1 of 4 events verified before it)",
			"BROKEN\tincident #3: event 3 was removed: 3:e3 stands in its place (2 of 3 events verified before it)",
			"verified 7 events of 3 incidents: 1 chains intact, 2 broken"},
			"verify: 2 of 3 timelines do not verify; the first: incident #2: event 2 (2:e1) was changed"},
		{"one incident", func(m *memChains) { m.events[3][0].Text = "x" }, 2,
			[]string{"ok\tincident #2: 4 events, chain intact", "verified 4 events of 1 incidents: 1 chains intact, 0 broken"}, ""},
		{"two events swapped", func(m *memChains) {
			e := m.events[1]
			e[1], e[2] = e[2], e[1]
			e[1].Seq, e[2].Seq = 2, 3
		}, 1, []string{"BROKEN\tincident #1: event 2 (1:e2) was swapped with the next event (1:e1)"}, "was swapped"},
		{"an event inserted", func(m *memChains) {
			forged := incidents.Event{ID: "forged", Incident: 1, Seq: 3, Type: incidents.EventNote, Text: "all fine", Hash: strings.Repeat("0", 64)}
			m.events[1] = slices.Insert(m.events[1], 3, forged)
		}, 1, []string{"BROKEN\tincident #1: event 3 (forged) was inserted"}, "was inserted"},
		{"unknown incident", nil, 9, nil, "verify: incident #9: not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMemChains(3, 4)
			if tt.tamper != nil {
				tt.tamper(m)
			}
			var out bytes.Buffer
			err := verifyChains(context.Background(), m, tt.incident, &out)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// TestVerifyPagesThroughEveryIncident lists more incidents than a page.
func TestVerifyPagesThroughEveryIncident(t *testing.T) {
	m := newMemChains(verifyPage*2+3, 1)
	var out bytes.Buffer
	if err := verifyChains(context.Background(), m, 0, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != verifyPage*2+4 || lines[0] != "ok\tincident #1: 1 events, chain intact" ||
		lines[len(lines)-1] != "verified 1003 events of 1003 incidents: 1003 chains intact, 0 broken" {
		t.Errorf("%d lines, first %q, last %q", len(lines), lines[0], lines[len(lines)-1])
	}
}

// TestVerifyReadsTheEmbeddedStore runs `verify` on a real data dir beside
// nothing (as beside a running serve: read-only). Until the stores seal
// the events they write, it names the first one unsealed; once they do,
// every chain is intact.
func TestVerifyReadsTheEmbeddedStore(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	svc := incidents.NewService(st, nopTasks{}, incidents.Options{})
	inc, err := svc.Declare(ctx, incidents.DeclareRequest{Title: "Checkout down", Severity: "sev1", Actor: "U0001"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddNote(ctx, inc.Number, "rolled back", "U0001"); err != nil {
		t.Fatal(err)
	}
	evs, err := st.TimelineChain(ctx, inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	sealed := len(evs) == 2 && evs[0].Seq != 0
	st.Close(ctx)

	getenv := func(k string) string { return map[string]string{"INCIDENTBOT_DATA_DIR": dir}[k] }
	var out bytes.Buffer
	err = Verify(ctx, getenv, 0, &out)
	if sealed {
		if err != nil || !strings.Contains(out.String(), "incident #1: 2 events, chain intact") {
			t.Errorf("verify of a sealed store: %v\n%s", err, out.String())
		}
		return
	}
	var ce *incidents.ChainError
	if !errors.As(err, &ce) || ce.Problem != incidents.ChainUnsealed || ce.Incident != 1 || ce.Seq != 1 {
		t.Errorf("verify of a store that does not seal yet: %v\n%s", err, out.String())
	}
}

type nopTasks struct{}

func (nopTasks) Schedule(context.Context, incidents.Task) error { return nil }
func (nopTasks) Wake()                                          {}

func TestEvidenceOfAnIncident(t *testing.T) {
	m := newMemChains(2, 5)
	_, key, _ := ed25519.GenerateKey(nil)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		n     int64
		files int
	}{{1, 2}, {2, 3}} { // #2 has a postmortem
		in, err := evidenceInput(context.Background(), m, m, tt.n, now, BuildInfo{Version: "1.2.3", Commit: "abc"})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "inc.tar")
		if _, err := evidence.WriteFile(path, in, key); err != nil {
			t.Fatal(err)
		}
		res, err := evidence.VerifyFile(path, key.Public().(ed25519.PublicKey))
		if err != nil || res.Events != 5 || len(res.Manifest.Files) != tt.files || !strings.HasPrefix(res.Manifest.Tool, "incidentbot 1.2.3 (commit abc") {
			t.Errorf("#%d: %+v, %v", tt.n, res, err)
		}
	}
	if _, err := evidenceInput(context.Background(), m, m, 7, now, BuildInfo{}); !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("an unknown incident: %v", err)
	}
}

// BenchmarkVerify is `incidentbot verify` over 10,000 incidents of 100
// events each, in memory: what the chain check itself costs.
func BenchmarkVerify(b *testing.B) {
	m := newMemChains(10_000, 100)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if err := verifyChains(ctx, m, 0, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ns/event")
}
