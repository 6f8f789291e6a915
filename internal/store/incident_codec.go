package store

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/incidentbot/incidentbot/incidents"
)

// Incident documents are stored as {_id: "42", number: 42, ...}: the _id is
// the number in decimal, as a string. FerretDB v1 (SQLite) looks a document up
// by _id only when the whole filter is {_id: <string or ObjectID>}; with an
// integer _id every GetIncident and UpdateIncident scanned the whole incidents
// collection (measured: 0.5 s per read with 1,000 incidents). The number field
// is what ListIncidents sorts on. incidentCodec does the mapping for every
// encode and decode of incidents.Incident through the store's client, so code
// that decodes incidents itself (Decode(&inc)) gets the same view.

var tIncident = reflect.TypeOf(incidents.Incident{})

// incidentID is the _id of incident number n.
func incidentID(n int64) string { return strconv.FormatInt(n, 10) }

// incidentCodec encodes incidents.Incident with the base registry and then
// rewrites its _id; it decodes by the reverse rewrite.
type incidentCodec struct{ base *bson.Registry }

// EncodeValue implements bson.ValueEncoder.
func (c incidentCodec) EncodeValue(ec bson.EncodeContext, vw bson.ValueWriter, v reflect.Value) error {
	if !v.IsValid() || v.Type() != tIncident {
		return bson.ValueEncoderError{Name: "incidentCodec.EncodeValue", Types: []reflect.Type{tIncident}, Received: v}
	}
	var buf bytes.Buffer
	enc := bson.NewEncoder(bson.NewDocumentWriter(&buf))
	enc.SetRegistry(c.base)
	if err := enc.Encode(v.Interface()); err != nil {
		return err
	}
	elems, err := bson.Raw(buf.Bytes()).Elements()
	if err != nil {
		return err
	}
	n := v.Interface().(incidents.Incident).Number
	idx, doc := bsoncore.AppendDocumentStart(make([]byte, 0, buf.Len()+32))
	doc = bsoncore.AppendStringElement(doc, "_id", incidentID(n))
	doc = bsoncore.AppendInt64Element(doc, "number", n)
	for _, e := range elems {
		if e.Key() != "_id" {
			doc = append(doc, e...)
		}
	}
	if doc, err = bsoncore.AppendDocumentEnd(doc, idx); err != nil {
		return err
	}
	return writeRaw(ec, vw, doc)
}

// DecodeValue implements bson.ValueDecoder.
func (c incidentCodec) DecodeValue(dc bson.DecodeContext, vr bson.ValueReader, v reflect.Value) error {
	if !v.CanSet() || v.Type() != tIncident {
		return bson.ValueDecoderError{Name: "incidentCodec.DecodeValue", Types: []reflect.Type{tIncident}, Received: v}
	}
	raw, err := readRaw(dc, vr)
	if err != nil {
		return err
	}
	elems, err := raw.Elements()
	if err != nil {
		return err
	}
	var (
		n     int64
		found bool
	)
	if nv, err := raw.LookupErr("number"); err == nil {
		if n, found = nv.AsInt64OK(); !found {
			return fmt.Errorf("incident document: number is BSON %v, want an integer", nv.Type)
		}
	} else if idv, err := raw.LookupErr("_id"); err == nil {
		// A document written with the number as _id.
		n, found = idv.AsInt64OK()
	}
	if !found {
		return fmt.Errorf("incident document %v: no number", raw.Lookup("_id"))
	}
	idx, doc := bsoncore.AppendDocumentStart(make([]byte, 0, len(raw)))
	doc = bsoncore.AppendInt64Element(doc, "_id", n)
	for _, e := range elems {
		if k := e.Key(); k != "_id" && k != "number" {
			doc = append(doc, e...)
		}
	}
	if doc, err = bsoncore.AppendDocumentEnd(doc, idx); err != nil {
		return err
	}
	dec := bson.NewDecoder(bson.NewDocumentReader(bytes.NewReader(doc)))
	dec.SetRegistry(c.base)
	var inc incidents.Incident
	if err := dec.Decode(&inc); err != nil {
		return err
	}
	v.Set(reflect.ValueOf(inc))
	return nil
}

var tRaw = reflect.TypeOf(bson.Raw(nil))

// writeRaw writes a complete BSON document through the registry's bson.Raw encoder.
func writeRaw(ec bson.EncodeContext, vw bson.ValueWriter, doc []byte) error {
	enc, err := ec.LookupEncoder(tRaw)
	if err != nil {
		return err
	}
	return enc.EncodeValue(ec, vw, reflect.ValueOf(bson.Raw(doc)))
}

// readRaw reads the current document as bson.Raw through the registry's decoder.
func readRaw(dc bson.DecodeContext, vr bson.ValueReader) (bson.Raw, error) {
	dec, err := dc.LookupDecoder(tRaw)
	if err != nil {
		return nil, err
	}
	var raw bson.Raw
	if err := dec.DecodeValue(dc, vr, reflect.ValueOf(&raw).Elem()); err != nil {
		return nil, err
	}
	return raw, nil
}
