package incidents

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"
)

// canonicalEvent is e's canonical encoding, alone.
func canonicalEvent(e Event) []byte {
	b, _ := appendCanonical(nil, e, nil)
	return b
}

// chainOf is a sealed timeline of n events of incident number.
func chainOf(number int64, n int) []Event {
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = Event{
			ID: fmt.Sprintf("%d:note:%d", number, i+1), Incident: number, Type: EventNote,
			At: at.Add(time.Duration(i) * time.Minute), Actor: "U0001", Text: fmt.Sprintf("note %d", i+1),
			Fields: map[string]string{"n": fmt.Sprint(i + 1)},
		}
	}
	return Seal(number, ChainHead{}, evs...)
}

func TestSealChainsEachEventToThePrevious(t *testing.T) {
	evs := chainOf(7, 3)
	prev := ChainGenesis(7)
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Errorf("event %d: Seq = %d, want %d", i, e.Seq, i+1)
		}
		if want := ChainHash(prev, e); e.Hash != want || len(e.Hash) != 64 {
			t.Errorf("event %d: Hash = %q, want %q", i, e.Hash, want)
		}
		prev = e.Hash
	}
	// Sealing more after the head continues the same chain.
	more := Seal(7, Head(evs[:2]), evs[2])
	if more[0].Seq != evs[2].Seq || more[0].Hash != evs[2].Hash {
		t.Errorf("sealing after the head: %+v, want %+v", more[0], evs[2])
	}
	if ChainGenesis(7) == ChainGenesis(8) {
		t.Error("two incidents share a genesis")
	}
	if n, err := VerifyChain(7, evs); n != 3 || err != nil {
		t.Errorf("VerifyChain of a sealed chain = %d, %v; want 3, nil", n, err)
	}
	if n, err := VerifyChain(7, nil); n != 0 || err != nil {
		t.Errorf("VerifyChain of no events = %d, %v", n, err)
	}
}

func TestChainHashIgnoresZoneAndHashButNotContent(t *testing.T) {
	e := chainOf(1, 1)[0]
	prev := ChainGenesis(1)
	almaty := time.FixedZone("+05", 5*3600)
	same := e
	same.At = e.At.In(almaty)
	same.Hash = "whatever"
	same.Fields = maps.Clone(e.Fields)
	if ChainHash(prev, same) != e.Hash {
		t.Error("the zone of At or the stored Hash changed the hash")
	}
	for name, change := range map[string]func(*Event){
		"id":       func(e *Event) { e.ID += "x" },
		"incident": func(e *Event) { e.Incident++ },
		"seq":      func(e *Event) { e.Seq++ },
		"type":     func(e *Event) { e.Type = EventAction },
		"at":       func(e *Event) { e.At = e.At.Add(time.Nanosecond) },
		"actor":    func(e *Event) { e.Actor = "U0002" },
		"text":     func(e *Event) { e.Text += "." },
		"field":    func(e *Event) { e.Fields = map[string]string{"n": "2"} },
		"key":      func(e *Event) { e.Fields = map[string]string{"m": "1"} },
		"no field": func(e *Event) { e.Fields = nil },
	} {
		c := e
		change(&c)
		if ChainHash(prev, c) == e.Hash {
			t.Errorf("changing the %s left the hash alone", name)
		}
	}
	if ChainHash("other", e) == e.Hash {
		t.Error("the previous hash does not count")
	}
	var none, empty Event
	empty.Fields = map[string]string{}
	if !bytes.Equal(canonicalEvent(none), canonicalEvent(empty)) {
		t.Error("a nil and an empty Fields encode differently")
	}
}

// TestVerifyChainNamesTheFirstTamperedEvent tampers with a sealed chain of
// six events the ways someone with write access to the store could.
func TestVerifyChainNamesTheFirstTamperedEvent(t *testing.T) {
	const number = 42
	forged := func(seq int64) Event {
		return Event{ID: "forged", Incident: number, Seq: seq, Type: EventNote, At: time.Date(2026, 11, 25, 3, 2, 30, 0, time.UTC),
			Text: "all was well", Hash: "0000000000000000000000000000000000000000000000000000000000000000"}
	}
	tests := []struct {
		name    string
		tamper  func([]Event) []Event
		checked int
		want    ChainError
	}{
		{"text changed", func(evs []Event) []Event { evs[2].Text = "nothing happened"; return evs }, 2,
			ChainError{Seq: 3, EventID: "42:note:3", Problem: ChainChanged}},
		{"field changed", func(evs []Event) []Event { evs[0].Fields = map[string]string{"n": "9"}; return evs }, 0,
			ChainError{Seq: 1, EventID: "42:note:1", Problem: ChainChanged}},
		{"time changed", func(evs []Event) []Event { evs[4].At = evs[4].At.Add(-time.Hour); return evs }, 4,
			ChainError{Seq: 5, EventID: "42:note:5", Problem: ChainChanged}},
		{"hash changed", func(evs []Event) []Event { evs[3].Hash = ChainHash("x", evs[3]); return evs }, 3,
			ChainError{Seq: 4, EventID: "42:note:4", Problem: ChainChanged}},
		{"last changed", func(evs []Event) []Event { evs[5].Actor = "U0666"; return evs }, 5,
			ChainError{Seq: 6, EventID: "42:note:6", Problem: ChainChanged}},
		{"removed", func(evs []Event) []Event { return slices.Delete(evs, 2, 3) }, 2,
			ChainError{Seq: 3, EventID: "42:note:4", Problem: ChainRemoved}},
		{"first removed", func(evs []Event) []Event { return evs[1:] }, 0,
			ChainError{Seq: 1, EventID: "42:note:2", Problem: ChainRemoved}},
		{"removed and the rest renumbered", func(evs []Event) []Event {
			evs = slices.Delete(evs, 2, 3)
			for i := 2; i < len(evs); i++ {
				evs[i].Seq--
			}
			return evs
		}, 2, ChainError{Seq: 3, EventID: "42:note:4", Problem: ChainRemoved}},
		{"inserted beside an event", func(evs []Event) []Event { return slices.Insert(evs, 3, forged(3)) }, 3,
			ChainError{Seq: 3, EventID: "forged", Problem: ChainInserted}},
		{"inserted and the rest renumbered", func(evs []Event) []Event {
			for i := 2; i < len(evs); i++ {
				evs[i].Seq++
			}
			return slices.Insert(evs, 2, forged(3))
		}, 2, ChainError{Seq: 3, EventID: "forged", Problem: ChainInserted}},
		{"inserted with a hash of its own", func(evs []Event) []Event {
			f := forged(3)
			f.Hash = ChainHash(evs[1].Hash, f)
			for i := 2; i < len(evs); i++ {
				evs[i].Seq++
			}
			return slices.Insert(evs, 2, f)
		}, 2, ChainError{Seq: 3, EventID: "forged", Problem: ChainInserted}},
		{"swapped", func(evs []Event) []Event {
			evs[1], evs[2] = evs[2], evs[1]
			evs[1].Seq, evs[2].Seq = 2, 3
			return evs
		}, 1, ChainError{Seq: 2, EventID: "42:note:3", Other: "42:note:2", Problem: ChainSwapped}},
		{"moved from another incident", func(evs []Event) []Event {
			other := chainOf(43, 3)[2]
			evs[2] = other
			return evs
		}, 2, ChainError{Seq: 3, EventID: "43:note:3", Problem: ChainForeign}},
		{"written without the chain", func(evs []Event) []Event {
			evs[4].Seq, evs[4].Hash = 0, ""
			return evs
		}, 4, ChainError{Seq: 5, EventID: "42:note:5", Problem: ChainUnsealed}},
		{"two changes: the first is named", func(evs []Event) []Event {
			evs[4].Text, evs[1].Text = "x", "y"
			return evs
		}, 1, ChainError{Seq: 2, EventID: "42:note:2", Problem: ChainChanged}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := tt.tamper(chainOf(number, 6))
			checked, err := VerifyChain(number, evs)
			var ce *ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("VerifyChain = %d, %v; want a *ChainError", checked, err)
			}
			tt.want.Incident = number
			if *ce != tt.want {
				t.Errorf("error = %+v\nwant    %+v", *ce, tt.want)
			}
			if checked != tt.checked {
				t.Errorf("checked = %d, want %d", checked, tt.checked)
			}
			if msg := ce.Error(); !bytes.Contains([]byte(msg), []byte(tt.want.Problem)) && tt.want.Problem != ChainUnsealed && tt.want.Problem != ChainForeign {
				t.Errorf("message %q does not say %s", msg, tt.want.Problem)
			}
		})
	}
}

func TestVerifyChainHead(t *testing.T) {
	const number = 5
	evs := chainOf(number, 4)
	head := Head(evs)
	recomputed := slices.Clone(evs)
	recomputed[3].Text = "rewritten"
	recomputed = Seal(number, Head(evs[:3]), recomputed[3]) // the forger recomputed the hash
	recomputed = append(slices.Clone(evs[:3]), recomputed...)
	tests := []struct {
		name   string
		events []Event
		head   ChainHead
		want   *ChainError
	}{
		{"whole", evs, head, nil},
		{"last removed", evs[:3], head, &ChainError{Incident: number, Seq: 4, Problem: ChainTruncated}},
		{"all removed", nil, head, &ChainError{Incident: number, Seq: 1, Problem: ChainTruncated}},
		{"one more", append(slices.Clone(evs), Seal(number, head, chainOf(number, 5)[4])...), head,
			&ChainError{Incident: number, Seq: 5, EventID: "5:note:5", Problem: ChainInserted}},
		{"more than none", evs, ChainHead{}, &ChainError{Incident: number, Seq: 1, EventID: "5:note:1", Problem: ChainInserted}},
		{"last rewritten and resealed", recomputed, head, &ChainError{Incident: number, Seq: 4, EventID: "5:note:4", Problem: ChainChanged}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifyChainHead(number, tt.events, tt.head)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var ce *ChainError
			if !errors.As(err, &ce) || *ce != *tt.want {
				t.Errorf("err = %v (%+v), want %+v", err, ce, *tt.want)
			}
		})
	}
}

// FuzzCanonicalEvent holds the encoding to be injective: two events that
// differ in anything but Hash (and At's zone) never encode alike.
func FuzzCanonicalEvent(f *testing.F) {
	f.Add("a", int64(1), int64(1), "note", int64(0), "U1", "t", "k", "v", "b", int64(1), int64(1), "note", int64(0), "U1", "t", "k", "v")
	f.Add("a", int64(1), int64(1), "note", int64(5), "U1", "tk", "", "v", "a", int64(1), int64(1), "note", int64(5), "U1", "t", "k", "v")
	f.Add("ab", int64(2), int64(3), "x", int64(-1), "", "", "k", "", "a", int64(2), int64(3), "bx", int64(-1), "", "", "k", "")
	f.Fuzz(func(t *testing.T, id1 string, inc1, seq1 int64, typ1 string, at1 int64, actor1, text1, k1, v1 string,
		id2 string, inc2, seq2 int64, typ2 string, at2 int64, actor2, text2, k2, v2 string) {
		mk := func(id string, inc, seq int64, typ string, at int64, actor, text, k, v string) Event {
			e := Event{ID: id, Incident: inc, Seq: seq, Type: EventType(typ), At: time.Unix(0, at).UTC(), Actor: actor, Text: text}
			if k != "" || v != "" {
				e.Fields = map[string]string{k: v}
			}
			return e
		}
		a := mk(id1, inc1, seq1, typ1, at1, actor1, text1, k1, v1)
		b := mk(id2, inc2, seq2, typ2, at2, actor2, text2, k2, v2)
		same := a.ID == b.ID && a.Incident == b.Incident && a.Seq == b.Seq && a.Type == b.Type && a.At.Equal(b.At) &&
			a.Actor == b.Actor && a.Text == b.Text && maps.Equal(a.Fields, b.Fields)
		if enc := bytes.Equal(canonicalEvent(a), canonicalEvent(b)); enc != same {
			t.Fatalf("events equal: %v, encodings equal: %v\na: %+v\nb: %+v", same, enc, a, b)
		}
		if !bytes.Equal(canonicalEvent(a), canonicalEvent(a)) {
			t.Fatal("the encoding is not deterministic")
		}
	})
}

// BenchmarkChainHash is what the chain adds to writing one event.
func BenchmarkChainHash(b *testing.B) {
	e := chainOf(1, 1)[0]
	e.Text = "Status investigating → identified: the checkout database ran out of connections"
	e.Fields = map[string]string{"from": "investigating", "to": "identified"}
	prev := ChainGenesis(1)
	b.ReportAllocs()
	for b.Loop() {
		_ = ChainHash(prev, e)
	}
}
