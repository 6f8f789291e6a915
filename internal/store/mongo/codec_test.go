package mongo

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/incidentbot/incidentbot/incidents"
)

func TestEscapeKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alertname", "alertname"},
		{"service.name", "service%2Ename"},
		{"$set", "%24set"},
		{"a$b", "a$b"},
		{"100%", "100%25"},
		{"%2E", "%252E"},
		{"%.$", "%25%2E$"},
		{"", ""},
		{"ключ.метки", "ключ%2Eметки"},
	}
	for _, tt := range tests {
		if got := escapeKey(tt.in); got != tt.want {
			t.Errorf("EscapeKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := unescapeKey(escapeKey(tt.in)); got != tt.in {
			t.Errorf("unescapeKey(EscapeKey(%q)) = %q", tt.in, got)
		}
	}
}

func TestStringMapCodec(t *testing.T) {
	type doc struct {
		M map[string]string `bson:"m"`
		N map[string]string `bson:"n"`
		E map[string]string `bson:"e"`
		O map[string]string `bson:"o,omitempty"`
	}
	in := doc{M: map[string]string{"a.b": "1", "$c": "2", "d": "3"}, E: map[string]string{}}
	reg := newRegistry()

	var buf bytes.Buffer
	enc := bson.NewEncoder(bson.NewDocumentWriter(&buf))
	enc.SetRegistry(reg)
	if err := enc.Encode(in); err != nil {
		t.Fatalf("encode: %v", err)
	}
	raw := bson.Raw(buf.Bytes())
	wantJSON := `{"m": {"%24c": "2","a%2Eb": "1","d": "3"},"n": null,"e": {}}`
	if got := raw.String(); got != wantJSON {
		t.Errorf("encoded %s, want %s", got, wantJSON)
	}

	dec := bson.NewDecoder(bson.NewDocumentReader(bytes.NewReader(raw)))
	dec.SetRegistry(reg)
	var out doc
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Errorf("round trip = %#v, want %#v", out, in)
	}
}

// The incident document has the number as its integer _id and escaped map
// keys, and reads back as the incident that was written.
func TestIncidentDoc(t *testing.T) {
	reg := newRegistry()
	at := time.Date(2026, 3, 14, 9, 1, 2, 3_000_000, time.UTC)
	in := &incidents.Incident{Number: 42, Version: 3, Title: "t", Status: incidents.StatusTriggered,
		Labels: map[string]string{"service.name": "pay"}, DeclaredAt: at, AcknowledgedAt: &at,
		Alerts: map[string]incidents.Alert{"ab": {Fingerprint: "ab", Status: "firing", StartsAt: at}}, AlertCount: 1, FiringCount: 1}

	var buf bytes.Buffer
	enc := bson.NewEncoder(bson.NewDocumentWriter(&buf))
	enc.SetRegistry(reg)
	if err := enc.Encode(incidentDocOf(in)); err != nil {
		t.Fatalf("encode: %v", err)
	}
	raw := bson.Raw(buf.Bytes())
	if id, ok := raw.Lookup("_id").Int64OK(); !ok || id != 42 {
		t.Errorf("_id = %v, want int64 42", raw.Lookup("_id"))
	}
	if v := raw.Lookup("labels", "service%2Ename"); v.StringValue() != "pay" {
		t.Errorf("nested map key not escaped: %s", raw)
	}
	dec := bson.NewDecoder(bson.NewDocumentReader(bytes.NewReader(raw)))
	dec.SetRegistry(reg)
	var d incidentDoc
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if got := d.incident(); !reflect.DeepEqual(got, in) {
		t.Errorf("round trip:\ngot  %+v\nwant %+v", got, in)
	}
}
