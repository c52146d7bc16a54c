package ngsild

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestMarshalEntityAsEncodingJSON: MarshalEntity writes the bytes
// encoding/json writes for the same entity, and fails where it fails.
func TestMarshalEntityAsEncodingJSON(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)
	paris := time.FixedZone("Paris", 3600)
	odd := time.FixedZone("odd", 3600+30)
	attr := func(v any) *Attribute {
		return &Attribute{Type: TypeProperty, Value: v, CreatedAt: t0, ModifiedAt: t0}
	}
	entity := func(attrs map[string][]*Attribute) *Entity {
		return &Entity{ID: "urn:ngsi-ld:T:1", Types: []string{"https://example.org/T"}, Attrs: attrs, CreatedAt: t0, ModifiedAt: t0}
	}
	cases := map[string]*Entity{
		"empty":           {},
		"nil types":       {ID: "urn:x:1"},
		"empty scope":     {ID: "urn:x:1", Types: []string{}, Scope: []string{}, Attrs: map[string][]*Attribute{}},
		"scopes":          {ID: "urn:x:1", Types: []string{"a", "b"}, Scope: []string{"/Nantes/Est", "/Lyon"}},
		"escaped strings": {ID: "urn:x:<&>\"\\\n\t\x01", Types: []string{"é", "\u2028", "\xff", "a\u007fb"}},
		"numbers": entity(map[string][]*Attribute{
			"n": {attr(json.Number("12.5")), attr(json.Number("-0")), attr(json.Number("0")), attr(json.Number("1e5")),
				attr(json.Number("1E-7")), attr(json.Number("")), attr(json.Number("-12")), attr(json.Number("0.000"))},
			"f": {attr(12.5), attr(1e21), attr(1e-7), attr(float64(3)), attr(-0.0)},
		}),
		"values": entity(map[string][]*Attribute{
			"z": {attr(nil), attr(true), attr(false), attr("text <b>"), attr(map[string]any{"b": 1, "a": []any{"x", nil}}),
				attr([]any{json.Number("1"), "two"}), attr(map[string]any{"type": "Point", "coordinates": []any{json.Number("-1.55"), json.Number("47.2")}})},
			"nil list":     nil,
			"nil instance": {nil},
		}),
		"members": entity(map[string][]*Attribute{
			"r": {{Type: TypeRelationship, Value: "urn:x:2", ObjectType: []string{"https://example.org/U"}, DatasetID: "urn:d:1",
				ObservedAt: "2026-03-01T10:00:00+01:00", UnitCode: "CEL", CreatedAt: t0.In(paris), ModifiedAt: t0,
				Sub: map[string]*Attribute{"s2": attr(json.Number("2")), "s1": {Type: TypeProperty, Value: "x", Sub: map[string]*Attribute{"deep": nil}}}}},
		}),
		"zones":      {ID: "urn:x:1", CreatedAt: t0.In(paris), ModifiedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.Local)},
		"odd offset": {ID: "urn:x:1", CreatedAt: t0.In(odd)},
		"year 10000": {ID: "urn:x:1", CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"bad number": entity(map[string][]*Attribute{"n": {attr(json.Number("12,5"))}}),
	}
	for _, doc := range []string{allTypesNormalized, renderDoc, baseDoc} {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		delete(m, "@context")
		e, err := ParseEntity(m, testCtx)
		if err != nil {
			t.Fatal(err)
		}
		cases["parsed "+e.ID] = e
	}
	for name, e := range cases {
		want, wantErr := json.Marshal(e)
		got, err := MarshalEntity(e)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s (%v)\nwant %s (%v)", name, got, err, want, wantErr)
		}
	}
}
