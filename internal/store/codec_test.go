package store

import (
	"bytes"
	"reflect"
	"testing"

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
		if got := EscapeKey(tt.in); got != tt.want {
			t.Errorf("EscapeKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := unescapeKey(EscapeKey(tt.in)); got != tt.in {
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

func TestIncidentCodec(t *testing.T) {
	reg := newRegistry()
	in := incidents.Incident{Number: 42, Version: 3, Title: "t", Labels: map[string]string{"service.name": "pay"}}

	var buf bytes.Buffer
	enc := bson.NewEncoder(bson.NewDocumentWriter(&buf))
	enc.SetRegistry(reg)
	if err := enc.Encode(in); err != nil {
		t.Fatalf("encode: %v", err)
	}
	raw := bson.Raw(buf.Bytes())
	if id, ok := raw.Lookup("_id").StringValueOK(); !ok || id != "42" {
		t.Errorf(`_id = %v, want the string "42"`, raw.Lookup("_id"))
	}
	if n, ok := raw.Lookup("number").Int64OK(); !ok || n != 42 {
		t.Errorf("number = %v, want int64 42", raw.Lookup("number"))
	}
	if v := raw.Lookup("labels", "service%2Ename"); v.StringValue() != "pay" {
		t.Errorf("nested map key not escaped: %s", raw)
	}

	decode := func(doc []byte) incidents.Incident {
		t.Helper()
		dec := bson.NewDecoder(bson.NewDocumentReader(bytes.NewReader(doc)))
		dec.SetRegistry(reg)
		var out incidents.Incident
		if err := dec.Decode(&out); err != nil {
			t.Fatalf("decode: %v", err)
		}
		return out
	}
	if out := decode(raw); !reflect.DeepEqual(out, in) {
		t.Errorf("round trip = %+v, want %+v", out, in)
	}
	// A document with the number as an integer _id (no number field) decodes too.
	legacy, _ := bson.Marshal(bson.D{{Key: "_id", Value: int64(7)}, {Key: "title", Value: "old"}})
	if out := decode(legacy); out.Number != 7 || out.Title != "old" {
		t.Errorf("legacy document = %+v, want number 7 title old", out)
	}
}
