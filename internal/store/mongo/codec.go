package mongo

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// FerretDB v1 rejects field names that contain '.' or start with '$' (MongoDB
// 5+ stores them but cannot query them well). Labels, annotations and roles
// are map[string]string with keys from outside (Prometheus 3 allows UTF-8
// label names such as "service.name"), so the store's registry writes the keys
// of every map[string]string escaped and reads them back unescaped. Keys with
// none of '%', '.', or a leading '$' are stored as they are, so ordinary keys
// stay queryable by path; to query an escaped key, build the path with escapeKey.

// escapeKey returns map key k as the store writes it: '%' → "%25", '.' → "%2E",
// and a leading '$' → "%24".
func escapeKey(k string) string {
	if !strings.ContainsAny(k, "%.") && !strings.HasPrefix(k, "$") {
		return k
	}
	var b strings.Builder
	for i, r := range k {
		switch {
		case r == '%':
			b.WriteString("%25")
		case r == '.':
			b.WriteString("%2E")
		case r == '$' && i == 0:
			b.WriteString("%24")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unescapeKey reverses escapeKey.
func unescapeKey(k string) string {
	if !strings.Contains(k, "%") {
		return k
	}
	r := strings.NewReplacer("%25", "%", "%2E", ".", "%24", "$")
	return r.Replace(k)
}

var tStringMap = reflect.TypeOf(map[string]string(nil))

// newRegistry returns the driver's default registry plus the escaping
// map[string]string codec.
func newRegistry() *bson.Registry {
	reg := bson.NewRegistry()
	reg.RegisterTypeEncoder(tStringMap, bson.ValueEncoderFunc(encodeStringMap))
	reg.RegisterTypeDecoder(tStringMap, bson.ValueDecoderFunc(decodeStringMap))
	return reg
}

// encodeStringMap writes a map[string]string as a document with escaped keys,
// sorted so that equal maps give equal documents; nil is written as null, as
// the default codec does.
func encodeStringMap(_ bson.EncodeContext, vw bson.ValueWriter, v reflect.Value) error {
	if !v.IsValid() || v.Type() != tStringMap {
		return bson.ValueEncoderError{Name: "encodeStringMap", Types: []reflect.Type{tStringMap}, Received: v}
	}
	if v.IsNil() {
		return vw.WriteNull()
	}
	m := v.Interface().(map[string]string)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dw, err := vw.WriteDocument()
	if err != nil {
		return err
	}
	for _, k := range keys {
		ew, err := dw.WriteDocumentElement(escapeKey(k))
		if err != nil {
			return err
		}
		if err := ew.WriteString(m[k]); err != nil {
			return err
		}
	}
	return dw.WriteDocumentEnd()
}

// decodeStringMap reads a document written by encodeStringMap (or null).
func decodeStringMap(_ bson.DecodeContext, vr bson.ValueReader, v reflect.Value) error {
	if !v.CanSet() || v.Type() != tStringMap {
		return bson.ValueDecoderError{Name: "decodeStringMap", Types: []reflect.Type{tStringMap}, Received: v}
	}
	switch t := vr.Type(); t {
	case bson.TypeNull:
		v.Set(reflect.Zero(tStringMap))
		return vr.ReadNull()
	case bson.TypeUndefined:
		v.Set(reflect.Zero(tStringMap))
		return vr.ReadUndefined()
	case bson.TypeEmbeddedDocument:
	default:
		return fmt.Errorf("cannot decode BSON %v into map[string]string", t)
	}
	dr, err := vr.ReadDocument()
	if err != nil {
		return err
	}
	m := map[string]string{}
	for {
		k, evr, err := dr.ReadElement()
		if errors.Is(err, bson.ErrEOD) {
			break
		}
		if err != nil {
			return err
		}
		if evr.Type() != bson.TypeString {
			return fmt.Errorf("cannot decode BSON %v in key %q into a string", evr.Type(), k)
		}
		s, err := evr.ReadString()
		if err != nil {
			return err
		}
		m[unescapeKey(k)] = s
	}
	v.Set(reflect.ValueOf(m))
	return nil
}
