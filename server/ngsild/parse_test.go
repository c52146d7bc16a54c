package ngsild

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const thing = `"id": "urn:ngsi-ld:Thing:1", "type": "Thing"`

// allTypes is the entity that the normalized and concise documents below
// both describe.
func allTypes() *Entity {
	return &Entity{
		ID:    "urn:ngsi-ld:Thing:1",
		Types: []string{vocab + "Thing"},
		Attrs: map[string][]*Attribute{
			vocab + "p": {{Type: TypeProperty, Value: n("21.5"), UnitCode: "CEL", ObservedAt: "2026-01-02T03:04:05.123Z"}},
			vocab + "r": {{Type: TypeRelationship, Value: "urn:ngsi-ld:Other:1", ObjectType: []string{vocab + "Other"}}},
			x("location"): {{Type: TypeGeoProperty, Value: map[string]any{
				"type": "Point", "coordinates": []any{n("-1.55"), n("47.21")}}}},
			vocab + "name": {{Type: TypeLanguageProperty, Value: map[string]any{"fr": "Pont", "en": "Bridge"}}},
			vocab + "l":    {{Type: TypeListProperty, Value: []any{n("1"), n("2"), n("3")}}},
			vocab + "j":    {{Type: TypeJSONProperty, Value: map[string]any{"a": []any{n("1"), map[string]any{"b": nil}}}}},
			vocab + "v":    {{Type: TypeVocabProperty, Value: vocab + "good"}},
			vocab + "lr":   {{Type: TypeListRelationship, Value: []any{"urn:a:1", "urn:a:2"}}},
		},
	}
}

const allTypesNormalized = `{` + thing + `,
	"p": {"type": "Property", "value": 21.5, "unitCode": "CEL", "observedAt": "2026-01-02T04:04:05.123+01:00"},
	"r": {"type": "Relationship", "object": "urn:ngsi-ld:Other:1", "objectType": "Other"},
	"location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [-1.55, 47.21]}},
	"name": {"type": "LanguageProperty", "languageMap": {"fr": "Pont", "en": "Bridge"}},
	"l": {"type": "ListProperty", "valueList": [1, 2, 3]},
	"j": {"type": "JsonProperty", "json": {"a": [1, {"b": null}]}},
	"v": {"type": "VocabProperty", "vocab": "good"},
	"lr": {"type": "ListRelationship", "objectList": [{"object": "urn:a:1"}, {"object": "urn:a:2"}]}
}`

const allTypesConcise = `{` + thing + `,
	"p": {"value": 21.5, "unitCode": "CEL", "observedAt": "2026-01-02T03:04:05.123Z"},
	"r": {"object": "urn:ngsi-ld:Other:1", "objectType": "Other"},
	"location": {"type": "Point", "coordinates": [-1.55, 47.21]},
	"name": {"languageMap": {"fr": "Pont", "en": "Bridge"}},
	"l": {"valueList": [1, 2, 3]},
	"j": {"json": {"a": [1, {"b": null}]}},
	"v": {"vocab": "good"},
	"lr": {"objectList": ["urn:a:1", "urn:a:2"]},
	"@context": "https://example.org/ignored.jsonld",
	"createdAt": "2020-01-01T00:00:00Z"
}`

func TestParseEntity(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want *Entity
	}{
		{"normalized, every attribute type", allTypesNormalized, allTypes()},
		{"concise, every attribute type", allTypesConcise, allTypes()},
		{
			"inference of bare values",
			`{` + thing + `, "s": "text", "i": 3, "b": false, "a": [1, "x"], "empty": [],
			  "address": {"streetAddress": "1 rue X", "postalCode": "44000"},
			  "observationSpace": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}}`,
			&Entity{ID: "urn:ngsi-ld:Thing:1", Types: []string{vocab + "Thing"}, Attrs: map[string][]*Attribute{
				vocab + "s":     {{Type: TypeProperty, Value: "text"}},
				vocab + "i":     {{Type: TypeProperty, Value: n("3")}},
				vocab + "b":     {{Type: TypeProperty, Value: false}},
				vocab + "a":     {{Type: TypeProperty, Value: []any{n("1"), "x"}}},
				vocab + "empty": {{Type: TypeProperty, Value: []any{}}},
				vocab + "address": {{Type: TypeProperty, Value: map[string]any{
					"streetAddress": "1 rue X", "postalCode": "44000"}}},
				x("observationSpace"): {{Type: TypeGeoProperty, Value: map[string]any{"type": "Polygon",
					"coordinates": []any{[]any{pos("0", "0"), pos("1", "0"), pos("1", "1"), pos("0", "0")}}}}},
			}},
		},
		{
			"concise GeoProperty with a sub-attribute; explicit Property holding a geometry",
			`{` + thing + `,
			  "location": {"value": {"type": "Point", "coordinates": [2, 48]}, "observedAt": "2026-01-02T03:04:05Z"},
			  "shape": {"type": "Property", "value": {"type": "Point", "coordinates": [2, 48]}}}`,
			&Entity{ID: "urn:ngsi-ld:Thing:1", Types: []string{vocab + "Thing"}, Attrs: map[string][]*Attribute{
				x("location"):   {{Type: TypeGeoProperty, Value: point("2", "48"), ObservedAt: "2026-01-02T03:04:05Z"}},
				vocab + "shape": {{Type: TypeProperty, Value: point("2", "48")}},
			}},
		},
		{
			"multi-attribute, normalized and concise instances mixed",
			`{` + thing + `, "temperature": [
				{"type": "Property", "value": 20, "datasetId": "urn:ngsi-ld:Dataset:a"},
				{"value": 21},
				{"value": 22, "datasetId": "urn:ngsi-ld:Dataset:b"}]}`,
			&Entity{ID: "urn:ngsi-ld:Thing:1", Types: []string{vocab + "Thing"}, Attrs: map[string][]*Attribute{
				x("temperature"): {
					{Type: TypeProperty, Value: n("20"), DatasetID: "urn:ngsi-ld:Dataset:a"},
					{Type: TypeProperty, Value: n("21")},
					{Type: TypeProperty, Value: n("22"), DatasetID: "urn:ngsi-ld:Dataset:b"},
				},
			}},
		},
		{
			"sub-attributes, recursively, with expanded names",
			`{` + thing + `, "temperature": {"value": 1, "providedBy": {"type": "Relationship", "object": "urn:x:1",
				"since": {"value": "2020"}}, "accuracy": 0.5}}`,
			&Entity{ID: "urn:ngsi-ld:Thing:1", Types: []string{vocab + "Thing"}, Attrs: map[string][]*Attribute{
				x("temperature"): {{Type: TypeProperty, Value: n("1"), Sub: map[string]*Attribute{
					vocab + "providedBy": {Type: TypeRelationship, Value: "urn:x:1", Sub: map[string]*Attribute{
						vocab + "since": {Type: TypeProperty, Value: "2020"},
					}},
					vocab + "accuracy": {Type: TypeProperty, Value: n("0.5")},
				}}},
			}},
		},
		{
			"types expanded and deduplicated, scope, full IRI names",
			`{"id": "https://example.org/things/1", "type": ["Building", "Thing", "https://smartdatamodels.org/dataModel.Building/Building"],
			  "scope": ["/Nantes/Est", "/Nantes"], "https://example.org/vocab#height": 12}`,
			&Entity{ID: "https://example.org/things/1", Types: []string{x("Building"), vocab + "Thing"},
				Scope: []string{"/Nantes/Est", "/Nantes"},
				Attrs: map[string][]*Attribute{
					"https://example.org/vocab#height": {{Type: TypeProperty, Value: n("12")}},
				}},
		},
		{
			"vocab arrays, objectType arrays, languageMap of arrays",
			`{` + thing + `, "v": {"type": "VocabProperty", "vocab": ["a", "b"]},
			  "r": {"object": "urn:x:1", "objectType": ["T1", "T2"]},
			  "name": {"languageMap": {"fr": ["a", "b"], "@none": "c"}}}`,
			&Entity{ID: "urn:ngsi-ld:Thing:1", Types: []string{vocab + "Thing"}, Attrs: map[string][]*Attribute{
				vocab + "v":    {{Type: TypeVocabProperty, Value: []any{vocab + "a", vocab + "b"}}},
				vocab + "r":    {{Type: TypeRelationship, Value: "urn:x:1", ObjectType: []string{vocab + "T1", vocab + "T2"}}},
				vocab + "name": {{Type: TypeLanguageProperty, Value: map[string]any{"fr": []any{"a", "b"}, "@none": "c"}}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEntity(decodeDoc(t, tt.doc), testCtx)
			if err != nil {
				t.Fatalf("ParseEntity: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseEntity (-want +got):\n%s", diff)
			}
		})
	}
}

func pos(lon, lat string) []any { return []any{n(lon), n(lat)} }

func point(lon, lat string) map[string]any {
	return map[string]any{"type": "Point", "coordinates": pos(lon, lat)}
}

func TestParseEntityErrors(t *testing.T) {
	tests := []struct {
		name   string
		doc    string
		kind   error
		detail string // a part of the detail
	}{
		{"id not a URI", `{"id": "thing1", "type": "T"}`, ErrBadRequestData, "absolute URI"},
		{"id with a space", `{"id": "urn:a b", "type": "T"}`, ErrBadRequestData, "absolute URI"},
		{"id not a string", `{"id": 5, "type": "T"}`, ErrBadRequestData, "absolute URI"},
		{"id empty", `{"id": "", "type": "T"}`, ErrBadRequestData, "absolute URI"},
		{"id missing", `{"type": "T"}`, ErrBadRequestData, `no "id"`},
		{"type missing", `{"id": "urn:a:1"}`, ErrBadRequestData, `no "type"`},
		{"type empty array", `{"id": "urn:a:1", "type": []}`, ErrBadRequestData, "non-empty array"},
		{"type not a string", `{"id": "urn:a:1", "type": 3}`, ErrBadRequestData, "type must be"},
		{"type with a forbidden character", `{"id": "urn:a:1", "type": "T<1>"}`, ErrBadRequestData, "forbidden character"},
		{"Property without value", `{` + thing + `, "p": {"type": "Property", "unitCode": "CEL"}}`, ErrBadRequestData, `"p": a Property needs a "value"`},
		{"Property with null value", `{` + thing + `, "p": {"type": "Property", "value": null}}`, ErrBadRequestData, `"p"`},
		{"attribute null", `{` + thing + `, "p": null}`, ErrBadRequestData, `"p"`},
		{"members without value", `{` + thing + `, "p": {"observedAt": "2026-01-02T03:04:05Z"}}`, ErrBadRequestData, "no value member"},
		{"unknown attribute type", `{` + thing + `, "p": {"type": "Feature", "value": 1}}`, ErrBadRequestData, `"p": "Feature" is not an attribute type`},
		{"several payload members", `{` + thing + `, "p": {"value": 1, "object": "urn:a:b"}}`, ErrBadRequestData, "several payload members"},
		{"payload member of another type", `{` + thing + `, "r": {"type": "Relationship", "object": "urn:a:b", "value": 1}}`, ErrBadRequestData, `member "value" is not allowed in a Relationship`},
		{"GeoJSON longitude out of range", `{` + thing + `, "location": {"type": "Point", "coordinates": [200, 10]}}`, ErrBadRequestData, "longitude"},
		{"GeoJSON latitude out of range", `{` + thing + `, "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2, -91]}}}`, ErrBadRequestData, "latitude"},
		{"GeoJSON position of 4 numbers", `{` + thing + `, "location": {"type": "Point", "coordinates": [1, 2, 3, 4]}}`, ErrBadRequestData, "2 or 3 numbers"},
		{"GeoJSON coordinates not numbers", `{` + thing + `, "location": {"type": "Point", "coordinates": ["1", "2"]}}`, ErrBadRequestData, "2 or 3 numbers"},
		{"GeoJSON LineString of one position", `{` + thing + `, "location": {"type": "LineString", "coordinates": [[1, 2]]}}`, ErrBadRequestData, "at least 2 positions"},
		{"GeoJSON Polygon not closed", `{` + thing + `, "location": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1]]]}}`, ErrBadRequestData, "not closed"},
		{"GeoJSON Polygon ring too short", `{` + thing + `, "location": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[0,0]]]}}`, ErrBadRequestData, "at least 4"},
		{"GeoJSON Polygon of wrong depth", `{` + thing + `, "location": {"type": "Polygon", "coordinates": [[0,0],[1,0],[1,1],[0,0]]}}`, ErrBadRequestData, "positions"},
		{"GeoJSON Point without coordinates", `{` + thing + `, "location": {"type": "GeoProperty", "value": {"type": "Point"}}}`, ErrBadRequestData, "coordinates"},
		{"GeoProperty value not a geometry", `{` + thing + `, "location": {"type": "GeoProperty", "value": "Nantes"}}`, ErrBadRequestData, "GeoJSON"},
		{"GeometryCollection with a bad member", `{` + thing + `, "location": {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [1]}]}}`, ErrBadRequestData, "geometries[0]"},
		{"observedAt not a date-time", `{` + thing + `, "p": {"value": 1, "observedAt": "yesterday"}}`, ErrBadRequestData, "observedAt must be an RFC 3339"},
		{"observedAt a date only", `{` + thing + `, "p": {"value": 1, "observedAt": "2026-01-02"}}`, ErrBadRequestData, "observedAt"},
		{"observedAt a number", `{` + thing + `, "p": {"value": 1, "observedAt": 12}}`, ErrBadRequestData, "observedAt"},
		{"unitCode not a string", `{` + thing + `, "p": {"value": 1, "unitCode": 3}}`, ErrBadRequestData, "unitCode"},
		{"datasetId not a URI", `{` + thing + `, "p": {"value": 1, "datasetId": "a"}}`, ErrBadRequestData, "datasetId must be a URI"},
		{"attribute name with a space", `{` + thing + `, "a b": 1}`, ErrBadRequestData, "forbidden character"},
		{"attribute name with a parenthesis", `{` + thing + `, "a(b)": 1}`, ErrBadRequestData, "forbidden character"},
		{"attribute name with a quote", `{` + thing + `, "a'b": 1}`, ErrBadRequestData, "forbidden character"},
		{"attribute name with a control character", `{` + thing + `, "a\u0001": 1}`, ErrBadRequestData, "forbidden character"},
		{"sub-attribute name with =", `{` + thing + `, "p": {"value": 1, "a=b": 2}}`, ErrBadRequestData, "forbidden character"},
		{"empty attribute name", `{` + thing + `, "": 1}`, ErrBadRequestData, "empty"},
		{"reserved attribute name", `{` + thing + `, "observedAt": "2026-01-02T03:04:05Z"}`, ErrBadRequestData, "reserved"},
		{"JSON-LD keyword as attribute", `{` + thing + `, "@id": "x"}`, ErrBadRequestData, "reserved"},
		{"duplicate datasetId", `{` + thing + `, "p": [{"value": 1, "datasetId": "urn:d:1"}, {"value": 2, "datasetId": "urn:d:1"}]}`, ErrBadRequestData, `datasetId "urn:d:1"`},
		{"two default instances", `{` + thing + `, "p": [{"value": 1}, {"value": 2}]}`, ErrBadRequestData, "more than one default instance"},
		{"same attribute as term and IRI", `{` + thing + `, "p": 1, "https://uri.etsi.org/ngsi-ld/default-context/p": 2}`, ErrBadRequestData, "given twice"},
		{"Relationship object not a URI", `{` + thing + `, "r": {"type": "Relationship", "object": "bob"}}`, ErrBadRequestData, `"object" must be a URI`},
		{"Relationship object an array", `{` + thing + `, "r": {"object": ["urn:a:1"]}}`, ErrBadRequestData, `"object" must be a URI`},
		{"objectList element not a URI", `{` + thing + `, "r": {"objectList": ["urn:a:1", "x"]}}`, ErrBadRequestData, `"objectList"[1]`},
		{"languageMap of numbers", `{` + thing + `, "n": {"languageMap": {"fr": 1}}}`, ErrBadRequestData, `entry "fr"`},
		{"languageMap empty", `{` + thing + `, "n": {"type": "LanguageProperty", "languageMap": {}}}`, ErrBadRequestData, "non-empty object"},
		{"valueList not an array", `{` + thing + `, "n": {"valueList": 1}}`, ErrBadRequestData, "must be an array"},
		{"json null", `{` + thing + `, "n": {"type": "JsonProperty", "json": null}}`, ErrBadRequestData, "cannot be null"},
		{"vocab not a term", `{` + thing + `, "n": {"vocab": 1}}`, ErrBadRequestData, `"vocab" must be`},
		{"NGSI-LD null in an entity", `{` + thing + `, "p": "urn:ngsi-ld:null"}`, ErrBadRequestData, "NGSI-LD null"},
		{"NGSI-LD null value in an entity", `{` + thing + `, "p": {"value": "urn:ngsi-ld:null"}}`, ErrBadRequestData, "NGSI-LD null"},
		{"scope without a slash", `{` + thing + `, "scope": "Nantes"}`, ErrBadRequestData, "scope"},
		{"scope not a string", `{` + thing + `, "scope": [1]}`, ErrBadRequestData, "scope"},
		{"sub-attribute with several instances", `{` + thing + `, "p": {"value": 1, "q": [{"value": 1}, {"value": 2, "datasetId": "urn:d:1"}]}}`, ErrBadRequestData, "single instance"},
		{"error inside a sub-attribute names its path", `{` + thing + `, "p": {"value": 1, "q": {"value": 2, "observedAt": "x"}}}`, ErrBadRequestData, `"p.q"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEntity(decodeDoc(t, tt.doc), testCtx)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("ParseEntity error = %v, want %v", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("detail %q does not contain %q", err.Error(), tt.detail)
			}
		})
	}
	if _, err := ParseEntity(nil, testCtx); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("ParseEntity(nil) error = %v, want ErrInvalidRequest", err)
	}
}

func TestParseFragment(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want *Fragment
	}{
		{
			"null sentinels in every form",
			`{"a": "urn:ngsi-ld:null", "b": {"value": "urn:ngsi-ld:null"},
			  "c": {"type": "Property", "value": "urn:ngsi-ld:null"}, "d": {"object": "urn:ngsi-ld:null"},
			  "e": {"type": "LanguageProperty", "languageMap": {"@none": "urn:ngsi-ld:null"}},
			  "f": {"value": 3, "unitCode": "urn:ngsi-ld:null", "observedAt": "urn:ngsi-ld:null", "q": "urn:ngsi-ld:null"}}`,
			&Fragment{Attrs: map[string][]*Attribute{
				vocab + "a": {{Type: TypeProperty, Value: NullURI}},
				vocab + "b": {{Type: TypeProperty, Value: NullURI}},
				vocab + "c": {{Type: TypeProperty, Value: NullURI}},
				vocab + "d": {{Type: TypeRelationship, Value: NullURI}},
				vocab + "e": {{Type: TypeLanguageProperty, Value: NullURI}},
				vocab + "f": {{Type: TypeProperty, Value: n("3"), UnitCode: NullURI, ObservedAt: NullURI,
					Sub: map[string]*Attribute{vocab + "q": {Type: TypeProperty, Value: NullURI}}}},
			}},
		},
		{
			"id, types and scope",
			`{"id": "urn:a:1", "type": "Building", "scope": "/Nantes", "temperature": 3}`,
			&Fragment{ID: "urn:a:1", Types: []string{x("Building")}, Scope: []string{"/Nantes"}, ScopeSet: true,
				Attrs: map[string][]*Attribute{x("temperature"): {{Type: TypeProperty, Value: n("3")}}}},
		},
		{
			"scope deleted",
			`{"scope": "urn:ngsi-ld:null"}`,
			&Fragment{ScopeSet: true, Attrs: map[string][]*Attribute{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFragment(decodeDoc(t, tt.doc), testCtx)
			if err != nil {
				t.Fatalf("ParseFragment: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseFragment (-want +got):\n%s", diff)
			}
		})
	}
	for _, doc := range []string{`{"id": "nope"}`, `{"p": {"type": "Property"}}`, `{"type": 1}`} {
		if _, err := ParseFragment(decodeDoc(t, doc), testCtx); !errors.Is(err, ErrBadRequestData) {
			t.Errorf("ParseFragment(%s) error = %v, want ErrBadRequestData", doc, err)
		}
	}
	if _, err := ParseFragment(nil, testCtx); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("ParseFragment(nil) error = %v, want ErrInvalidRequest", err)
	}
}

func TestParseAttribute(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *Attribute
		kind error
	}{
		{"normalized", `{"type": "Property", "value": 5, "unitCode": "CEL"}`, &Attribute{Type: TypeProperty, Value: n("5"), UnitCode: "CEL"}, nil},
		{"concise", `{"object": "urn:a:1", "datasetId": "urn:d:1"}`, &Attribute{Type: TypeRelationship, Value: "urn:a:1", DatasetID: "urn:d:1"}, nil},
		{"bare value", `"hello"`, &Attribute{Type: TypeProperty, Value: "hello"}, nil},
		{"null sentinel", `"urn:ngsi-ld:null"`, &Attribute{Type: TypeProperty, Value: NullURI}, nil},
		{"JSON null", `null`, nil, ErrInvalidRequest},
		{"array of instances", `[{"value": 1}]`, nil, ErrBadRequestData},
		{"bad type", `{"type": "Thing", "value": 1}`, nil, ErrBadRequestData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAttribute(x("temperature"), decodeAny(t, tt.body), testCtx)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("ParseAttribute error = %v, want %v", err, tt.kind)
			}
			if err == nil && !cmp.Equal(tt.want, got) {
				t.Errorf("ParseAttribute (-want +got):\n%s", cmp.Diff(tt.want, got))
			}
			if err != nil && !strings.Contains(err.Error(), "temperature") && tt.kind != ErrInvalidRequest {
				t.Errorf("detail %q does not name the attribute", err)
			}
		})
	}
}

func TestNormalizeTime(t *testing.T) {
	tests := map[string]string{
		"2026-01-02T03:04:05Z":             "2026-01-02T03:04:05Z",
		"2026-01-02T04:04:05.1+01:00":      "2026-01-02T03:04:05.1Z",
		"2026-01-02T03:04:05.123456-02:00": "2026-01-02T05:04:05.123456Z",
		"2026-01-02T03:04:05.000Z":         "2026-01-02T03:04:05.000Z",
		"2026-01-02 03:04:05Z":             "",
		"2026-13-02T03:04:05Z":             "",
		"9999-12-31T23:00:00-05:00":        "",
	}
	for in, want := range tests {
		got, _ := normalizeTime(in)
		if got != want {
			t.Errorf("normalizeTime(%q) = %q, want %q", in, got, want)
		}
	}
}
