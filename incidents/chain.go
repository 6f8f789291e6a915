package incidents

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strconv"
)

// ChainHash is the hash of event e chained to prev, the hash of the event
// before it on the same incident ("" for the first). The stores set
// e.Hash = ChainHash(previous.Hash, e) when they append e, in the same
// transaction, so a changed, inserted or removed event breaks every hash
// after it.
func ChainHash(prev string, e Event) string {
	h := sha256.New()
	if prev == "" {
		prev = genesis(e.Incident)
	}
	h.Write([]byte(prev))
	h.Write(canonical(e))
	return hex.EncodeToString(h.Sum(nil))
}

// genesis is the chain's start for an incident: its first event's prev.
func genesis(incident int64) string { return "incidentbot-chain-v1:" + strconv.FormatInt(incident, 10) }

// canonical encodes everything of e but its Hash, each value with its length.
func canonical(e Event) []byte {
	var b []byte
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendVarint(b, e.Incident)
	b = binary.AppendVarint(b, e.Seq)
	str(e.ID)
	str(string(e.Type))
	b = binary.AppendVarint(b, e.At.UTC().UnixNano())
	str(e.Actor)
	str(e.Text)
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		str(k)
		str(e.Fields[k])
	}
	return b
}
