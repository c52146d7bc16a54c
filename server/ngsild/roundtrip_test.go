package ngsild

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sameContent compares entities ignoring timestamps and the order of the
// instances of a multi-attribute.
var sameContent = cmp.Options{
	cmpopts.IgnoreFields(Entity{}, "CreatedAt", "ModifiedAt"),
	cmpopts.IgnoreFields(Attribute{}, "CreatedAt", "ModifiedAt"),
	cmpopts.SortSlices(func(a, b *Attribute) bool { return a.DatasetID < b.DatasetID }),
}

// gen builds random entities in their stored form, with the values that
// are hard to represent concisely: objects that look like attributes or
// geometries, arrays of attribute-like objects, empty arrays.
type gen struct{ r *rand.Rand }

func (g gen) pick(vs ...any) any { return vs[g.r.IntN(len(vs))] }

var genNames = []string{"temperature", "a", "b2", "location", "https://example.org/v#x", vocab + "y", "urn:attr:z"}

func (g gen) entity(i int) *Entity {
	e := &Entity{ID: fmt.Sprintf("urn:ngsi-ld:Gen:%d", i), Types: []string{vocab + "Gen"}}
	if g.r.IntN(3) == 0 {
		e.Types = append(e.Types, x("Building"))
	}
	if g.r.IntN(3) == 0 {
		e.Scope = []string{"/A", "/A/B"}[:1+g.r.IntN(2)]
	}
	e.Attrs = map[string][]*Attribute{}
	for range g.r.IntN(6) {
		name := x(genNames[g.r.IntN(len(genNames))])
		count := 1
		if g.r.IntN(4) == 0 {
			count = 2 + g.r.IntN(2)
		}
		var list []*Attribute
		for j := range count {
			a := g.attr(0)
			if j > 0 || count > 1 && g.r.IntN(2) == 0 {
				a.DatasetID = fmt.Sprintf("urn:ngsi-ld:Dataset:%d", j)
			}
			list = append(list, a)
		}
		e.Attrs[name] = list
	}
	return e
}

func (g gen) attr(depth int) *Attribute {
	a := &Attribute{}
	switch g.r.IntN(8) {
	case 0, 1:
		a.Type, a.Value = TypeProperty, g.pick(n("1"), n("-2.5e3"), "s", "urn:x:1", true, []any{n("1"), "x"}, []any{},
			[]any{nil}, map[string]any{}, map[string]any{"a": n("1")}, map[string]any{"value": n("1")},
			map[string]any{"type": "Property", "value": n("2")}, map[string]any{"observedAt": "x"},
			map[string]any{"type": "Foo"}, point("1", "2"), map[string]any{"type": "Point"},
			[]any{map[string]any{"value": n("1")}}, []any{map[string]any{"a": n("1")}})
	case 2:
		a.Type, a.Value = TypeGeoProperty, g.pick(point("-1.5", "47.2"),
			map[string]any{"type": "LineString", "coordinates": []any{pos("0", "0"), pos("1", "1")}},
			map[string]any{"type": "Polygon", "coordinates": []any{[]any{pos("0", "0"), pos("1", "0"), pos("1", "1"), pos("0", "0")}}},
			map[string]any{"type": "GeometryCollection", "geometries": []any{point("3", "4")}})
	case 3:
		a.Type, a.Value = TypeRelationship, "urn:ngsi-ld:Target:1"
		if g.r.IntN(2) == 0 {
			a.ObjectType = []string{vocab + "Target", x("Building")}[:1+g.r.IntN(2)]
		}
	case 4:
		a.Type, a.Value = TypeLanguageProperty, g.pick(map[string]any{"fr": "a", "@none": "b"}, map[string]any{"en": []any{"x", "y"}})
	case 5:
		a.Type, a.Value = TypeListProperty, g.pick([]any{n("1"), map[string]any{"a": "b"}}, []any{})
	case 6:
		a.Type, a.Value = TypeJSONProperty, g.pick(map[string]any{"a": nil}, []any{n("1")}, "str", n("0"))
	case 7:
		if g.r.IntN(2) == 0 {
			a.Type, a.Value = TypeVocabProperty, g.pick(vocab+"good", []any{vocab + "a", "https://e.org/v#b"})
		} else {
			a.Type, a.Value = TypeListRelationship, g.pick([]any{"urn:a:1", "urn:a:2"}, []any{})
		}
	}
	if g.r.IntN(3) == 0 {
		a.ObservedAt = "2026-01-02T03:04:05.50Z"
	}
	if g.r.IntN(4) == 0 {
		a.UnitCode = "CEL"
	}
	if depth < 2 && g.r.IntN(3) == 0 {
		a.Sub = map[string]*Attribute{}
		for range 1 + g.r.IntN(2) {
			a.Sub[x(genNames[g.r.IntN(len(genNames))])] = g.attr(depth + 1)
		}
	}
	return a
}

// reparse renders e, encodes it and parses the result.
func reparse(t testing.TB, e *Entity, o RenderOptions) (*Entity, string) {
	t.Helper()
	data, err := Render(e, testCtx, o).MarshalJSON()
	if err != nil {
		t.Fatalf("MarshalJSON: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("rendering is not a JSON object: %v\n%s", err, data)
	}
	got, err := ParseEntity(doc, testCtx)
	if err != nil {
		t.Fatalf("the rendering does not parse: %v\n%s", err, data)
	}
	return got, string(data)
}

func TestRoundTrip(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	for i := range 1000 {
		e := g.entity(i)
		Stamp(e, t0)
		for _, o := range []RenderOptions{{Form: Normalized}, {Form: Concise}, {Form: Concise, SysAttrs: true}} {
			got, data := reparse(t, e, o)
			if diff := cmp.Diff(e, got, sameContent); diff != "" {
				t.Fatalf("entity %d, form %d: round trip (-want +got):\n%s\nrendering: %s", i, o.Form, diff, data)
			}
		}
	}
}

// TestStorageRoundTrip checks that what parsing produces survives the
// storage encoding unchanged, timestamps included.
func TestStorageRoundTrip(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(3, 4))}
	for i := range 300 {
		e := g.entity(i)
		Stamp(e, t0)
		data, err := MarshalEntity(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := UnmarshalEntity(data)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(e, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("entity %d: storage round trip (-want +got):\n%s", i, diff)
		}
	}
}

func FuzzParseEntity(f *testing.F) {
	for _, seed := range []string{allTypesNormalized, allTypesConcise, renderDoc, baseDoc,
		`{"id": "urn:a:1", "type": "T", "p": [{"value": 1}, {"value": 2, "datasetId": "urn:d:1"}]}`,
		`{"id": "urn:a:1", "type": "T", "p": {"value": {"type": "MultiPolygon", "coordinates": [[[[0,0],[1,0],[1,1],[0,0]]]]}}}`,
		`{"id": "urn:a:1", "type": "T", "p": {"value": {"value": 1}, "q": {"vocab": "x"}}}`,
		`[1, 2]`, `{"id": 1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var doc map[string]any
		if dec.Decode(&doc) != nil || doc == nil {
			return
		}
		delete(doc, "@context")
		e, err := ParseEntity(doc, testCtx)
		if err != nil {
			if !errors.Is(err, ErrBadRequestData) && !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("error of no kind: %v", err)
			}
			return
		}
		// The storage encoding is encoding/json's, byte for byte.
		stored, err := MarshalEntity(e)
		if want, wantErr := json.Marshal(e); (err != nil) != (wantErr != nil) || !bytes.Equal(stored, want) {
			t.Fatalf("MarshalEntity:\n got %s (%v)\nwant %s (%v)", stored, err, want, wantErr)
		}
		for _, o := range []RenderOptions{{Form: Normalized}, {Form: Concise}} {
			got, data := reparse(t, e, o)
			if diff := cmp.Diff(e, got, sameContent); diff != "" {
				t.Fatalf("form %d: round trip (-want +got):\n%s\nrendering: %s", o.Form, diff, data)
			}
		}
		for _, o := range []RenderOptions{{Form: KeyValues, SysAttrs: true}, {Form: Concise, Lang: "fr"}, {Form: KeyValues, Lang: "en"}} {
			if _, err := Render(e, testCtx, o).MarshalJSON(); err != nil {
				t.Fatalf("MarshalJSON: %v", err)
			}
		}
	})
}

const airQuality = `{
	"id": "urn:ngsi-ld:AirQualityObserved:Nantes-Bouteillerie:2026-01-02T03:00:00Z",
	"type": "AirQualityObserved",
	"dateObserved": {"type": "Property", "value": "2026-01-02T03:00:00Z"},
	"location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [-1.5386, 47.2256]}},
	"address": {"type": "Property", "value": {"addressLocality": "Nantes", "postalCode": "44000", "streetAddress": "Rue de la Bouteillerie"}},
	"no2": {"type": "Property", "value": 22.4, "unitCode": "GQ", "observedAt": "2026-01-02T03:00:00Z"},
	"o3": {"type": "Property", "value": 51.2, "unitCode": "GQ", "observedAt": "2026-01-02T03:00:00Z"},
	"pm10": {"type": "Property", "value": 17.9, "unitCode": "GQ", "observedAt": "2026-01-02T03:00:00Z",
		"measurementMethod": {"type": "Property", "value": "beta attenuation"}},
	"pm25": {"type": "Property", "value": 9.1, "unitCode": "GQ", "observedAt": "2026-01-02T03:00:00Z"},
	"temperature": {"type": "Property", "value": 6.5, "unitCode": "CEL", "observedAt": "2026-01-02T03:00:00Z"},
	"airQualityLevel": {"type": "VocabProperty", "vocab": "moderate"},
	"refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:airparif-123", "objectType": "Device"},
	"name": {"type": "LanguageProperty", "languageMap": {"fr": "Station Bouteillerie", "en": "Bouteillerie station"}}
}`

func BenchmarkParseRender(b *testing.B) {
	doc := decodeDoc(b, airQuality)
	b.SetBytes(int64(len(airQuality)))
	b.ReportAllocs()
	for b.Loop() {
		e, err := ParseEntity(doc, testCtx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Render(e, testCtx, RenderOptions{Form: Normalized}).MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}
