package incidents

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"sync"
)

// The hash chain of a timeline. Every event of an incident carries Seq, its
// place in the incident's chain (1, 2, 3, …), and Hash, the hex SHA-256 of
// the previous event's Hash followed by the event's canonical encoding. The
// first event chains to ChainGenesis(incident). Changing, inserting,
// removing or reordering a stored event breaks the chain at that event;
// VerifyChain finds where. (Removing the last events is visible only against
// a head kept elsewhere: VerifyChainHead, e.g. with an evidence manifest's.)

// canonicalMagic starts every canonical encoding; the final byte is the
// encoding's version. A new version gets a new magic, so an encoding never
// means two things.
const canonicalMagic = "incidentbot/event\x00\x01"

// genesisMagic names the chain (and its version) in the genesis value.
const genesisMagic = "incidentbot/chain/v1/incident/"

// appendCanonical appends e's canonical encoding to dst: every field but
// Hash, deterministic and unambiguous. Strings are length-prefixed (so no
// two different events encode alike whatever bytes they hold), integers are
// fixed-width, At is UTC seconds and nanoseconds (its zone and monotonic
// reading do not count), and Fields come sorted by key (a nil and an empty
// map are the same). keys is scratch space for the sorted field keys (it
// may be nil), returned for reuse.
func appendCanonical(dst []byte, e Event, keys []string) ([]byte, []string) {
	dst = append(dst, canonicalMagic...)
	dst = appendString(dst, e.ID)
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Incident))
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Seq))
	dst = appendString(dst, string(e.Type))
	at := e.At.UTC()
	dst = binary.BigEndian.AppendUint64(dst, uint64(at.Unix()))
	dst = binary.BigEndian.AppendUint32(dst, uint32(at.Nanosecond()))
	dst = appendString(dst, e.Actor)
	dst = appendString(dst, e.Text)
	keys = keys[:0]
	for k := range e.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = binary.BigEndian.AppendUint64(dst, uint64(len(keys)))
	for _, k := range keys {
		dst = appendString(dst, k)
		dst = appendString(dst, e.Fields[k])
	}
	return dst, keys
}

func appendString(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(len(s)))
	return append(dst, s...)
}

// ChainGenesis is the prev of an incident's first event: fixed for the
// incident number, so a chain cannot be moved to another incident.
func ChainGenesis(number int64) string {
	sum := sha256.Sum256([]byte(genesisMagic + strconv.FormatInt(number, 10)))
	return hex.EncodeToString(sum[:])
}

// ChainHash is the Hash of e when prev is the Hash of the event before it
// (ChainGenesis for the first): hex SHA-256 over prev, length-prefixed, and
// e's canonical encoding. e.Hash itself does not count.
func ChainHash(prev string, e Event) string {
	h := hashers.Get().(*hasher)
	defer hashers.Put(h)
	return h.hash(prev, e)
}

var hashers = sync.Pool{New: func() any { return new(hasher) }}

// hasher computes chain hashes reusing its buffers; the zero value is ready.
type hasher struct {
	buf  []byte
	keys []string
	sum  [sha256.Size]byte
	hex  [2 * sha256.Size]byte
}

func (h *hasher) hash(prev string, e Event) string {
	h.compute(prev, e)
	return string(h.hex[:])
}

// compute leaves the hex hash of e after prev in h.hex.
func (h *hasher) compute(prev string, e Event) {
	h.buf = appendString(h.buf[:0], prev)
	h.buf, h.keys = appendCanonical(h.buf, e, h.keys)
	h.sum = sha256.Sum256(h.buf)
	hex.Encode(h.hex[:], h.sum[:])
}

// matches reports whether e, placed at seq after prev, carries the hash it
// should (comparing without allocating a string).
func (h *hasher) matches(prev string, e Event, seq int64) bool {
	if e.Hash == "" {
		return false
	}
	e.Seq = seq
	h.compute(prev, e)
	return string(h.hex[:]) == e.Hash
}

// Seal places events, in the order given, in incident number's chain after
// head (the zero ChainHead for a new chain): each gets the next Seq and its
// Hash. The stores call it as they append, in the transaction that writes
// the events, with the head they read in it; and once, at migration, over
// the events written before the chain. The events must be as the store
// will return them (At at the store's precision).
func Seal(number int64, head ChainHead, events ...Event) []Event {
	var h hasher
	prev := head.Hash
	if head.Seq == 0 {
		prev = ChainGenesis(number)
	}
	out := make([]Event, len(events))
	for i, e := range events {
		e.Seq = head.Seq + int64(i) + 1
		e.Hash = h.hash(prev, e)
		prev = e.Hash
		out[i] = e
	}
	return out
}

// ChainProblem says what VerifyChain found wrong with an event.
type ChainProblem string

// The problems VerifyChain names.
const (
	// ChainChanged: the event's content no longer matches its hash.
	ChainChanged ChainProblem = "changed"
	// ChainInserted: the event was not in the chain; the chain goes on without it.
	ChainInserted ChainProblem = "inserted"
	// ChainRemoved: the event of this Seq is missing.
	ChainRemoved ChainProblem = "removed"
	// ChainSwapped: the event and the next one (Other) changed places.
	ChainSwapped ChainProblem = "swapped"
	// ChainUnsealed: the event has no Seq and Hash: written without the
	// chain and never sealed.
	ChainUnsealed ChainProblem = "unsealed"
	// ChainForeign: the event belongs to another incident.
	ChainForeign ChainProblem = "foreign"
	// ChainTruncated: the chain ends before the head it was checked against.
	ChainTruncated ChainProblem = "truncated"
)

// ChainError is the first place where an incident's chain breaks.
type ChainError struct {
	Incident int64
	// Seq is the event's place in the chain: for ChainRemoved and
	// ChainTruncated, the place of the first missing event.
	Seq int64
	// EventID is the event concerned: for ChainRemoved, the one found in
	// the missing event's place; empty when there is none.
	EventID string
	// Other is, for ChainSwapped, the event it changed places with.
	Other   string
	Problem ChainProblem
}

func (e *ChainError) Error() string {
	head := fmt.Sprintf("incident #%d: event %d", e.Incident, e.Seq)
	id := ""
	if e.EventID != "" {
		id = fmt.Sprintf(" (%s)", e.EventID)
	}
	switch e.Problem {
	case ChainChanged:
		return fmt.Sprintf("%s%s was changed: its content does not match its hash", head, id)
	case ChainInserted:
		return fmt.Sprintf("%s%s was inserted: the chain goes on without it", head, id)
	case ChainRemoved:
		if id != "" {
			return fmt.Sprintf("%s was removed: %s stands in its place", head, e.EventID)
		}
		return head + " was removed"
	case ChainSwapped:
		return fmt.Sprintf("%s%s was swapped with the next event (%s)", head, id, e.Other)
	case ChainUnsealed:
		return fmt.Sprintf("%s%s is not sealed: it has no place and hash in the chain", head, id)
	case ChainForeign:
		return fmt.Sprintf("%s%s belongs to another incident", head, id)
	case ChainTruncated:
		return fmt.Sprintf("%s onwards were removed: the chain ends before its recorded head", head)
	}
	return fmt.Sprintf("%s%s: %s", head, id, e.Problem)
}

// VerifyChain recomputes the chain of incident number over its events in
// Seq order (as the store returns them) and reports how many events it
// checked before the first problem, and that problem as a *ChainError: the
// first event that was changed, inserted or removed, or two events that
// were swapped. An empty timeline is a good chain of 0 events.
func VerifyChain(number int64, events []Event) (checked int, err error) {
	var h hasher
	before, prev := "", ChainGenesis(number) // the hashes two events back and one
	for i, e := range events {
		want := int64(i) + 1
		if problem := h.check(number, prev, events, i, want); problem != nil {
			// An event that chains to the one before its predecessor shows
			// that predecessor was inserted with a hash computed for it.
			if i > 0 && problem.Problem == ChainChanged && h.matches(before, e, want-1) {
				p := events[i-1]
				return i - 1, &ChainError{Incident: number, Seq: p.Seq, EventID: p.ID, Problem: ChainInserted}
			}
			return i, problem
		}
		before, prev = prev, e.Hash
	}
	return len(events), nil
}

// check looks at events[i], expected at place want after prev, and names
// its problem (nil when it is sound). When its hash does not match, the
// next event tells a changed event from an inserted, removed or swapped one.
func (h *hasher) check(number int64, prev string, events []Event, i int, want int64) *ChainError {
	e := events[i]
	fail := func(p ChainProblem, seq int64) *ChainError {
		return &ChainError{Incident: number, Seq: seq, EventID: e.ID, Problem: p}
	}
	switch {
	case e.Seq == 0 && e.Hash == "":
		return fail(ChainUnsealed, want)
	case e.Incident != number:
		return fail(ChainForeign, e.Seq)
	case e.Seq > want:
		return fail(ChainRemoved, want)
	case e.Seq < want:
		return fail(ChainInserted, e.Seq) // a second event at a place already taken
	case h.matches(prev, e, want):
		return nil
	}
	if i+1 < len(events) {
		next := events[i+1]
		switch {
		case h.matches(prev, next, want) && h.matches(next.Hash, e, want+1):
			ce := fail(ChainSwapped, want)
			ce.Other = next.ID
			return ce
		case h.matches(prev, next, want):
			return fail(ChainInserted, want)
		case h.matches(e.Hash, next, next.Seq+1):
			// The chain goes on from e's hash with everything one place later:
			// an event was removed here and the rest renumbered down.
			return fail(ChainRemoved, want)
		}
	}
	return fail(ChainChanged, want)
}

// ChainHead is the last event of a chain, as recorded somewhere the
// timeline's writer cannot reach (an evidence manifest, a published hash).
type ChainHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// Head returns the head of a chain of events in Seq order (the zero head
// for none).
func Head(events []Event) ChainHead {
	if len(events) == 0 {
		return ChainHead{}
	}
	last := events[len(events)-1]
	return ChainHead{Seq: last.Seq, Hash: last.Hash}
}

// VerifyChainHead is VerifyChain, and also checks that the chain ends at
// head: events removed from the end (ChainTruncated), added after it
// (ChainInserted), or a chain recomputed over changed events (ChainChanged
// at the head's place) are caught too.
func VerifyChainHead(number int64, events []Event, head ChainHead) (int, error) {
	checked, err := VerifyChain(number, events)
	if err != nil {
		return checked, err
	}
	got := Head(events)
	switch {
	case got == head:
		return checked, nil
	case got.Seq < head.Seq:
		return checked, &ChainError{Incident: number, Seq: got.Seq + 1, Problem: ChainTruncated}
	case head.Seq <= 0:
		if got.Seq == 0 {
			return 0, fmt.Errorf("incident #%d: the head %+v is not a head of an empty chain", number, head)
		}
		e := events[0] // the head says there were none
		return 0, &ChainError{Incident: number, Seq: e.Seq, EventID: e.ID, Problem: ChainInserted}
	case got.Seq > head.Seq && events[head.Seq-1].Hash == head.Hash:
		e := events[head.Seq] // the chain went on after its head
		return int(head.Seq), &ChainError{Incident: number, Seq: e.Seq, EventID: e.ID, Problem: ChainInserted}
	}
	e := events[head.Seq-1]
	return int(head.Seq) - 1, &ChainError{Incident: number, Seq: e.Seq, EventID: e.ID, Problem: ChainChanged}
}
