package ngsild

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 123_000_000, time.UTC)

const renderDoc = `{"id": "urn:ngsi-ld:Thing:1", "type": ["Thing", "Building"], "scope": "/Nantes",
	"p": {"value": 21.5, "unitCode": "CEL", "observedAt": "2026-01-02T03:04:05Z",
		"providedBy": {"object": "urn:x:1"}},
	"bare": 3,
	"obj": {"a": 1},
	"r": {"object": "urn:ngsi-ld:Other:1", "objectType": "Other"},
	"location": {"type": "Point", "coordinates": [-1.55, 47.21]},
	"name": {"languageMap": {"fr": "Pont", "en": "Bridge", "@none": "Pont"}},
	"l": {"valueList": [1, 2]},
	"j": {"json": {"a": 1}},
	"v": {"vocab": ["good", "https://example.org/v#bad"]},
	"lr": {"objectList": ["urn:a:1"]},
	"shape": {"type": "Property", "value": {"type": "Point", "coordinates": [2, 48]}},
	"temperature": [{"value": 20, "datasetId": "urn:d:b"}, {"value": 21}, {"value": 22, "datasetId": "urn:d:a"}]
}`

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		o    RenderOptions
		want string
	}{
		{"normalized", RenderOptions{}, `{"id": "urn:ngsi-ld:Thing:1", "type": ["Thing", "Building"], "scope": "/Nantes",
			"bare": {"type": "Property", "value": 3},
			"j": {"type": "JsonProperty", "json": {"a": 1}},
			"l": {"type": "ListProperty", "valueList": [1, 2]},
			"location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [-1.55, 47.21]}},
			"lr": {"type": "ListRelationship", "objectList": [{"object": "urn:a:1"}]},
			"name": {"type": "LanguageProperty", "languageMap": {"fr": "Pont", "en": "Bridge", "@none": "Pont"}},
			"obj": {"type": "Property", "value": {"a": 1}},
			"p": {"type": "Property", "value": 21.5, "unitCode": "CEL", "observedAt": "2026-01-02T03:04:05Z",
				"providedBy": {"type": "Relationship", "object": "urn:x:1"}},
			"r": {"type": "Relationship", "object": "urn:ngsi-ld:Other:1", "objectType": "Other"},
			"shape": {"type": "Property", "value": {"type": "Point", "coordinates": [2, 48]}},
			"temperature": [
				{"type": "Property", "value": 21},
				{"type": "Property", "value": 22, "datasetId": "urn:d:a"},
				{"type": "Property", "value": 20, "datasetId": "urn:d:b"}],
			"v": {"type": "VocabProperty", "vocab": ["good", "https://example.org/v#bad"]}}`},
		{"concise", RenderOptions{Form: Concise}, `{"id": "urn:ngsi-ld:Thing:1", "type": ["Thing", "Building"], "scope": "/Nantes",
			"bare": 3,
			"j": {"json": {"a": 1}},
			"l": {"valueList": [1, 2]},
			"location": {"type": "Point", "coordinates": [-1.55, 47.21]},
			"lr": {"objectList": [{"object": "urn:a:1"}]},
			"name": {"languageMap": {"fr": "Pont", "en": "Bridge", "@none": "Pont"}},
			"obj": {"a": 1},
			"p": {"value": 21.5, "unitCode": "CEL", "observedAt": "2026-01-02T03:04:05Z",
				"providedBy": {"object": "urn:x:1"}},
			"r": {"object": "urn:ngsi-ld:Other:1", "objectType": "Other"},
			"shape": {"type": "Property", "value": {"type": "Point", "coordinates": [2, 48]}},
			"temperature": [{"value": 21}, {"value": 22, "datasetId": "urn:d:a"}, {"value": 20, "datasetId": "urn:d:b"}],
			"v": {"vocab": ["good", "https://example.org/v#bad"]}}`},
		{"keyValues", RenderOptions{Form: KeyValues}, `{"id": "urn:ngsi-ld:Thing:1", "type": ["Thing", "Building"], "scope": "/Nantes",
			"bare": 3,
			"j": {"json": {"a": 1}},
			"l": {"valueList": [1, 2]},
			"location": {"type": "Point", "coordinates": [-1.55, 47.21]},
			"lr": {"objectList": ["urn:a:1"]},
			"name": {"languageMap": {"fr": "Pont", "en": "Bridge", "@none": "Pont"}},
			"obj": {"a": 1},
			"p": 21.5,
			"r": "urn:ngsi-ld:Other:1",
			"shape": {"type": "Point", "coordinates": [2, 48]},
			"temperature": {"dataset": {"@none": 21, "urn:d:a": 22, "urn:d:b": 20}},
			"v": {"vocab": ["good", "https://example.org/v#bad"]}}`},
		{"attrs projection and sysAttrs", RenderOptions{SysAttrs: true, Attrs: map[string]bool{vocab + "p": true, vocab + "none": true}},
			`{"id": "urn:ngsi-ld:Thing:1", "type": ["Thing", "Building"], "scope": "/Nantes",
			"p": {"type": "Property", "value": 21.5, "unitCode": "CEL", "observedAt": "2026-01-02T03:04:05Z",
				"createdAt": "2026-01-02T03:04:05.123Z", "modifiedAt": "2026-01-02T03:04:05.123Z",
				"providedBy": {"type": "Relationship", "object": "urn:x:1",
					"createdAt": "2026-01-02T03:04:05.123Z", "modifiedAt": "2026-01-02T03:04:05.123Z"}},
			"createdAt": "2026-01-02T03:04:05.123Z", "modifiedAt": "2026-01-02T03:04:05.123Z"}`},
		{"concise with sysAttrs keeps objects", RenderOptions{Form: Concise, SysAttrs: true, Attrs: map[string]bool{vocab + "bare": true}},
			`{"id": "urn:ngsi-ld:Thing:1", "type": ["Thing", "Building"], "scope": "/Nantes",
			"bare": {"value": 3, "createdAt": "2026-01-02T03:04:05.123Z", "modifiedAt": "2026-01-02T03:04:05.123Z"},
			"createdAt": "2026-01-02T03:04:05.123Z", "modifiedAt": "2026-01-02T03:04:05.123Z"}`},
		{"keyValues with sysAttrs: entity level only", RenderOptions{Form: KeyValues, SysAttrs: true, Attrs: map[string]bool{vocab + "bare": true}},
			`{"id": "urn:ngsi-ld:Thing:1", "type": ["Thing", "Building"], "scope": "/Nantes", "bare": 3,
			"createdAt": "2026-01-02T03:04:05.123Z", "modifiedAt": "2026-01-02T03:04:05.123Z"}`},
		{"lang, normalized", RenderOptions{Lang: "en-GB", Attrs: map[string]bool{vocab + "name": true}},
			`{"id": "urn:ngsi-ld:Thing:1", "type": ["Thing", "Building"], "scope": "/Nantes",
			"name": {"type": "Property", "value": "Bridge", "lang": "en"}}`},
		{"lang, concise, exact match", RenderOptions{Form: Concise, Lang: "fr", Attrs: map[string]bool{vocab + "name": true}},
			`{"id": "urn:ngsi-ld:Thing:1", "type": ["Thing", "Building"], "scope": "/Nantes",
			"name": {"value": "Pont", "lang": "fr"}}`},
		{"lang, keyValues, falls back to @none", RenderOptions{Form: KeyValues, Lang: "de", Attrs: map[string]bool{vocab + "name": true}},
			`{"id": "urn:ngsi-ld:Thing:1", "type": ["Thing", "Building"], "scope": "/Nantes", "name": "Pont"}`},
		{"lang list in order", RenderOptions{Form: KeyValues, Lang: "de, en;q=0.5", Attrs: map[string]bool{vocab + "name": true}},
			`{"id": "urn:ngsi-ld:Thing:1", "type": ["Thing", "Building"], "scope": "/Nantes", "name": "Bridge"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseEntity(decodeDoc(t, renderDoc), testCtx)
			if err != nil {
				t.Fatal(err)
			}
			Stamp(e, t0)
			got := jsonOf(t, Render(e, testCtx, tt.o))
			if diff := cmp.Diff(decodeAny(t, tt.want), got); diff != "" {
				t.Errorf("Render (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderOrderAndEncoding(t *testing.T) {
	e := &Entity{ID: "urn:a:1", Types: []string{x("Building")}, Attrs: map[string][]*Attribute{
		vocab + "z": {{Type: TypeProperty, Value: "<b>\u2028\"é\n"}},
		vocab + "a": {{Type: TypeRelationship, Value: "urn:b:1", ObservedAt: "2026-01-02T03:04:05Z"}},
		// a name that would compact to a reserved member stays an IRI
		vocab + "value": {{Type: TypeProperty, Value: json.Number("1")}},
	}}
	Stamp(e, t0)
	got, err := Render(e, testCtx, RenderOptions{Form: Concise, SysAttrs: true}).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"urn:a:1","type":"Building","a":{"object":"urn:b:1","observedAt":"2026-01-02T03:04:05Z",` +
		`"createdAt":"2026-01-02T03:04:05.123Z","modifiedAt":"2026-01-02T03:04:05.123Z"},` +
		`"https://uri.etsi.org/ngsi-ld/default-context/value":{"value":1,"createdAt":"2026-01-02T03:04:05.123Z","modifiedAt":"2026-01-02T03:04:05.123Z"},` +
		`"z":{"value":"<b>\u2028\"é\n","createdAt":"2026-01-02T03:04:05.123Z","modifiedAt":"2026-01-02T03:04:05.123Z"},` +
		`"createdAt":"2026-01-02T03:04:05.123Z","modifiedAt":"2026-01-02T03:04:05.123Z"}`
	if string(got) != want {
		t.Errorf("Render JSON\n got %s\nwant %s", got, want)
	}
	if v, ok := Render(e, testCtx, RenderOptions{}).Get("type"); !ok || v != "Building" {
		t.Errorf("Object.Get(type) = %v, %v", v, ok)
	}
}

func TestPickLanguage(t *testing.T) {
	m := map[string]any{"fr-CA": "a", "en": "b", "es": "c"}
	tests := map[string]string{"fr-CA": "a", "FR-ca": "a", "fr": "a", "fr-FR": "a", "en-US": "b", "de": "b", "*": "b", "de,es": "c"}
	for lang, want := range tests {
		r := renderer{langs: parseLang(lang)}
		if got, _, _ := r.pick(m); got != want {
			t.Errorf("pick(%q) = %v, want %v", lang, got, want)
		}
	}
}
