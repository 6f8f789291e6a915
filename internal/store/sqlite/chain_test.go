package sqlite

import (
	"errors"
	"fmt"
	"testing"

	"github.com/incidentbot/incidentbot/incidents"
)

// `incidentbot verify` catches each way of changing a stored timeline by
// hand: an event's text changed, an event deleted, one inserted, two
// swapped.
func TestVerifyCatchesTamperingByHand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tamper  string
		problem incidents.ChainProblem
		seq     int64
	}{
		{"text changed", `UPDATE events SET text = 'all fine' WHERE id = '1:e3'`, incidents.ChainChanged, 3},
		{"event deleted", `DELETE FROM events WHERE id = '1:e2'`, incidents.ChainRemoved, 2},
		{"event inserted", `UPDATE events SET seq = seq + 10 WHERE incident = 1 AND seq >= 3;
			UPDATE events SET seq = seq - 9 WHERE incident = 1 AND seq >= 13;
			INSERT INTO events (id, incident, at, type, actor, text, seq, hash)
			SELECT '1:forged', 1, at + 1, type, actor, 'forged', 3, hash FROM events WHERE id = '1:e2'`, incidents.ChainInserted, 3},
		{"two swapped", `UPDATE events SET seq = CASE seq WHEN 2 THEN 3 ELSE 2 END WHERE incident = 1 AND seq IN (2, 3)`, incidents.ChainSwapped, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			s := open(t, t.TempDir())
			var evs []incidents.Event
			for i := 1; i <= 5; i++ {
				evs = append(evs, incidents.Event{ID: fmt.Sprintf("1:e%d", i), Incident: 1, Type: incidents.EventNote, At: t0, Actor: "U1", Text: fmt.Sprint("note ", i)})
			}
			if err := s.Commit(ctx, &incidents.Change{Create: []*incidents.Incident{{Number: 1, Title: "t"}}, Events: evs}); err != nil {
				t.Fatal(err)
			}
			chain, _ := s.TimelineChain(ctx, 1)
			if n, err := incidents.VerifyChain(1, chain); err != nil || n != 5 {
				t.Fatalf("before: %d events, %v", n, err)
			}
			if _, err := s.w.ExecContext(ctx, `DROP INDEX events_seq`); err != nil { // as someone with the file would
				t.Fatal(err)
			}
			if _, err := s.w.ExecContext(ctx, tt.tamper); err != nil {
				t.Fatal(err)
			}
			chain, err := s.TimelineChain(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			_, err = incidents.VerifyChain(1, chain)
			var ce *incidents.ChainError
			if !errors.As(err, &ce) || ce.Problem != tt.problem || ce.Seq != tt.seq {
				t.Fatalf("verify after %s = %v, want %s at event %d", tt.name, err, tt.problem, tt.seq)
			}
		})
	}
}
