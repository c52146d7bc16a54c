package jsonld

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	ngsi = "https://uri.etsi.org/ngsi-ld/"
	geo  = "https://purl.org/geojson/vocab#"
)

func mustContext(t testing.TB, p *Processor, raw any) *Context {
	t.Helper()
	c, err := p.Context(context.Background(), raw)
	if err != nil {
		t.Fatalf("Context(%v): %v", raw, err)
	}
	return c
}

func TestCoreExpandCompact(t *testing.T) {
	c := NewProcessor(Options{}).Core()
	tests := []struct{ term, iri string }{
		{"id", "@id"},
		{"type", "@type"},
		{"value", ngsi + "hasValue"},
		{"object", ngsi + "hasObject"},
		{"Property", ngsi + "Property"},
		{"Relationship", ngsi + "Relationship"},
		{"GeoProperty", ngsi + "GeoProperty"},
		{"LanguageProperty", ngsi + "LanguageProperty"},
		{"VocabProperty", ngsi + "VocabProperty"},
		{"ListRelationship", ngsi + "ListRelationship"},
		{"location", ngsi + "location"},
		{"observedAt", ngsi + "observedAt"},
		{"datasetId", ngsi + "datasetId"},
		{"languageMap", ngsi + "hasLanguageMap"},
		{"valueList", ngsi + "hasValueList"},
		{"objectList", ngsi + "hasObjectList"},
		{"json", ngsi + "hasJSON"},
		{"vocab", ngsi + "hasVocab"},
		{"objectType", ngsi + "hasObjectType"},
		{"containedBy", ngsi + "isContainedBy"},
		{"Point", geo + "Point"},
		{"coordinates", geo + "coordinates"},
		{"bbox", geo + "bbox"},
		{"description", "http://purl.org/dc/terms/description"},
		{"Subscription", ngsi + "Subscription"},
		{"watchedAttributes", ngsi + "watchedAttributes"},
		{"timerel", ngsi + "timerel"},
		{"stddev", ngsi + "stddev"},
		{"attributeCount", DefaultVocab + "attributeCount"},
		{"temperature", DefaultVocab + "temperature"},
		{"Building", DefaultVocab + "Building"},
		{"urn:ngsi-ld:Building:1", "urn:ngsi-ld:Building:1"},
		{"https://example.org/a#b", "https://example.org/a#b"},
		{"ngsi-ld:extra", ngsi + "extra"},
		{"geojson:Thing", geo + "Thing"},
		{"_:b0", "_:b0"},
		{"@context", "@context"},
	}
	for _, tt := range tests {
		if got := c.ExpandTerm(tt.term); got != tt.iri {
			t.Errorf("ExpandTerm(%q) = %q, want %q", tt.term, got, tt.iri)
		}
		if got := c.CompactIRI(tt.iri); got != tt.term {
			t.Errorf("CompactIRI(%q) = %q, want %q", tt.iri, got, tt.term)
		}
	}
	if c.Raw() != nil {
		t.Errorf("core Raw() = %v, want nil", c.Raw())
	}
}

func TestUserContext(t *testing.T) {
	tests := []struct {
		name string
		ctx  any
		want map[string]string // term → IRI
	}{
		{
			name: "string and object definitions",
			ctx: map[string]any{
				"temperature": "https://example.org/temperature",
				"Sensor":      map[string]any{"@id": "https://example.org/Sensor", "@type": "@id", "@container": "@set"},
				"label":       map[string]any{"@id": "https://example.org/label", "@language": "fr"},
			},
			want: map[string]string{
				"temperature": "https://example.org/temperature",
				"Sensor":      "https://example.org/Sensor",
				"label":       "https://example.org/label",
				"humidity":    DefaultVocab + "humidity",
			},
		},
		{
			name: "prefixes and compact IRIs, defined after their use",
			ctx: map[string]any{
				"name":    "schema:name",
				"address": map[string]any{"@id": "schema:address"},
				"schema":  "https://schema.org/",
				"sosa":    "http://www.w3.org/ns/sosa/",
			},
			want: map[string]string{
				"name":           "https://schema.org/name",
				"address":        "https://schema.org/address",
				"schema:email":   "https://schema.org/email",
				"sosa:Sensor":    "http://www.w3.org/ns/sosa/Sensor",
				"unknown:thing":  "unknown:thing",
				"schema://host/": "schema://host/",
			},
		},
		{
			name: "term to term chains",
			ctx: map[string]any{
				"t":    "temp",
				"temp": "temperature",
				"temperature": map[string]any{
					"@id": "ex:temperature",
				},
				"ex":   "https://example.org/",
				"self": "self",
			},
			want: map[string]string{
				"t":           "https://example.org/temperature",
				"temp":        "https://example.org/temperature",
				"temperature": "https://example.org/temperature",
				"self":        DefaultVocab + "self",
			},
		},
		{
			name: "term without @id uses @vocab",
			ctx:  map[string]any{"@vocab": "https://example.org/v/", "speed": map[string]any{"@type": "@id"}},
			want: map[string]string{"speed": "https://example.org/v/speed", "other": "https://example.org/v/other"},
		},
		{
			name: "vocab override",
			ctx:  map[string]any{"@vocab": "https://example.org/terms/"},
			want: map[string]string{
				"temperature": "https://example.org/terms/temperature",
				"location":    ngsi + "location",
			},
		},
		{
			name: "vocab as compact IRI and relative to the current vocab",
			ctx: []any{
				map[string]any{"ex": "https://example.org/"},
				map[string]any{"@vocab": "ex:base/"},
				map[string]any{"@vocab": "sub/"},
			},
			want: map[string]string{"x": "https://example.org/base/sub/x"},
		},
		{
			name: "vocab null falls back to the core vocab",
			ctx:  []any{map[string]any{"@vocab": "https://example.org/"}, map[string]any{"@vocab": nil}},
			want: map[string]string{"temperature": DefaultVocab + "temperature"},
		},
		{
			name: "core terms win",
			ctx: map[string]any{
				"location": "https://example.org/location",
				"type":     "https://example.org/type",
				"ngsi-ld":  "https://example.org/",
				"value":    map[string]any{"@id": "https://example.org/value"},
			},
			want: map[string]string{
				"location":      ngsi + "location",
				"type":          "@type",
				"value":         ngsi + "hasValue",
				"ngsi-ld:thing": ngsi + "thing",
			},
		},
		{
			name: "user definitions may use core prefixes and terms",
			ctx:  map[string]any{"loc": "location", "pressure": "ngsi-ld:pressure"},
			want: map[string]string{"loc": ngsi + "location", "pressure": ngsi + "pressure"},
		},
		{
			name: "later definitions override earlier ones",
			ctx: []any{
				map[string]any{"speed": "https://a.example/speed"},
				map[string]any{"speed": "https://b.example/speed"},
			},
			want: map[string]string{"speed": "https://b.example/speed"},
		},
		{
			name: "null resets and null mappings",
			ctx: []any{
				map[string]any{"speed": "https://a.example/speed", "gone": "https://a.example/gone"},
				nil,
				map[string]any{"gone": nil},
			},
			want: map[string]string{"speed": DefaultVocab + "speed", "gone": DefaultVocab + "gone"},
		},
		{
			name: "ignored keywords",
			ctx: map[string]any{
				"@version": 1.1, "@protected": true, "@propagate": false, "@language": "fr",
				"@base": "https://example.org/", "@direction": "ltr", "@unknownKeyword": 3,
				"@type": map[string]any{"@container": "@set"},
				"a":     map[string]any{"@id": "https://example.org/a", "@protected": true, "@prefix": false, "@nest": "n", "@index": "i", "@direction": nil, "@container": []any{"@list"}},
			},
			want: map[string]string{"a": "https://example.org/a"},
		},
		{
			name: "keyword aliases and absolute IRI terms",
			ctx: map[string]any{
				"myType":                  "@type",
				"https://example.org/abs": map[string]any{"@type": "@id"},
				"ex:rel":                  map[string]any{"@type": "@id"},
				"ex":                      "https://example.org/",
			},
			want: map[string]string{
				"myType":                  "@type",
				"https://example.org/abs": "https://example.org/abs",
				"ex:rel":                  "https://example.org/rel",
			},
		},
		{
			name: "core URL inside an array",
			ctx:  []any{map[string]any{"@vocab": "https://example.org/"}, CoreContextURL},
			want: map[string]string{"temperature": DefaultVocab + "temperature"},
		},
		{
			name: "core URL alone",
			ctx:  CoreContextURLs[0],
			want: map[string]string{"temperature": DefaultVocab + "temperature", "value": ngsi + "hasValue"},
		},
	}
	p := NewProcessor(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustContext(t, p, tt.ctx)
			got := make(map[string]string, len(tt.want))
			for term := range tt.want {
				got[term] = c.ExpandTerm(term)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("expansion mismatch (-want +got):\n%s", diff)
			}
			for term, iri := range tt.want {
				back := c.CompactIRI(iri)
				if c.ExpandTerm(back) != iri {
					t.Errorf("CompactIRI(%q) = %q, which expands to %q", iri, back, c.ExpandTerm(back))
				}
				_ = term
			}
		})
	}
}

func TestCompactIRI(t *testing.T) {
	p := NewProcessor(Options{})
	c := mustContext(t, p, map[string]any{
		"zz":        "https://example.org/same",
		"aa":        "https://example.org/same",
		"longer":    "https://example.org/same",
		"ex":        "https://example.org/",
		"exx":       "https://example.org/",
		"deep":      "https://example.org/deep/",
		"frag":      "https://example.org/doc#",
		"urnp":      "urn:example:",
		"notprefix": "https://example.org/np",
		"myLoc":     ngsi + "location",
		"ns":        map[string]any{"@id": "https://ns.example/x", "@prefix": true},
		"noPre":     map[string]any{"@id": "https://nopre.example/", "@prefix": false},
		"taken":     "https://elsewhere.example/taken",
	})
	tests := []struct{ iri, want string }{
		{"https://example.org/same", "aa"},
		{ngsi + "location", "location"},
		{"https://example.org/other", "ex:other"},
		{"https://example.org/deep/x", "deep:x"},
		{"https://example.org/doc#part", "frag:part"},
		{"urn:example:thing", "urnp:thing"},
		{"https://example.org/np/x", "ex:np/x"},
		{"https://ns.example/xyz", "ns:yz"},
		{"https://nopre.example/a", "https://nopre.example/a"},
		{"https://unrelated.example/a", "https://unrelated.example/a"},
		{DefaultVocab + "temperature", "temperature"},
		{DefaultVocab + "taken", "ngsi-ld:default-context/taken"},
		{DefaultVocab + "ex:thing", "ngsi-ld:default-context/ex:thing"},
		{ngsi + "somethingNew", "ngsi-ld:somethingNew"},
		{"@type", "type"},
		{"@unknown", "@unknown"},
	}
	for _, tt := range tests {
		got := c.CompactIRI(tt.iri)
		if got != tt.want {
			t.Errorf("CompactIRI(%q) = %q, want %q", tt.iri, got, tt.want)
		}
		if back := c.ExpandTerm(got); back != tt.iri {
			t.Errorf("ExpandTerm(CompactIRI(%q)) = %q", tt.iri, back)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	p := NewProcessor(Options{})
	contexts := []any{
		nil,
		map[string]any{
			"schema":      "https://schema.org/",
			"name":        "schema:name",
			"temperature": "https://example.org/temperature",
			"Sensor":      map[string]any{"@id": "https://example.org/Sensor"},
			"refRoad":     map[string]any{"@id": "https://example.org/refRoad", "@type": "@id"},
		},
		map[string]any{"@vocab": "https://example.org/v/", "speed": map[string]any{"@type": "@id"}},
	}
	plain := []string{"temperature", "humidity", "Building", "refParking", "a", "x_y", "déjà-vu", "with space", "ngsi-ld:custom", "schema:knows", "urn:ngsi-ld:Thing:1"}
	for i, raw := range contexts {
		c := mustContext(t, p, raw)
		terms := append([]string(nil), plain...)
		for term := range c.iris {
			terms = append(terms, term)
		}
		for _, term := range terms {
			iri := c.ExpandTerm(term)
			if got := c.CompactIRI(iri); got != term {
				t.Errorf("context %d: CompactIRI(ExpandTerm(%q)) = %q (IRI %q)", i, term, got, iri)
			}
		}
	}
}

func TestIsCoreTermAndRaw(t *testing.T) {
	p := NewProcessor(Options{})
	raw := map[string]any{"location": "https://example.org/location", "speed": "https://example.org/speed"}
	c := mustContext(t, p, raw)
	for term, want := range map[string]bool{"location": true, "type": true, "ngsi-ld": true, "observedAt": true, "speed": false, "temperature": false} {
		if got := c.IsCoreTerm(term); got != want {
			t.Errorf("IsCoreTerm(%q) = %v, want %v", term, got, want)
		}
	}
	if diff := cmp.Diff(any(raw), c.Raw()); diff != "" {
		t.Errorf("Raw() mismatch (-want +got):\n%s", diff)
	}
	raw["speed"] = "changed"
	if c.Raw().(map[string]any)["speed"] != "https://example.org/speed" {
		t.Error("Raw() shares the caller's map")
	}
	for _, empty := range []any{nil, "", []any{}, map[string]any{}, []byte(" "), []string{}} {
		if c := mustContext(t, p, empty); c != p.Core() {
			t.Errorf("Context(%#v) is not the core context", empty)
		}
	}
	if c := mustContext(t, p, CoreContextURL); c.Raw() != CoreContextURL || c.ExpandTerm("value") != ngsi+"hasValue" {
		t.Errorf("Context(core URL): Raw %v, value → %q", c.Raw(), c.ExpandTerm("value"))
	}
}

func TestInvalidContext(t *testing.T) {
	tests := []struct {
		name string
		ctx  any
	}{
		{"number", 42.0},
		{"boolean", true},
		{"nested array", []any{[]any{"https://example.org/c.jsonld"}}},
		{"empty URL in array", []any{""}},
		{"term with a number", map[string]any{"a": 1.0}},
		{"term with an array", map[string]any{"a": []any{"x"}}},
		{"empty term", map[string]any{"": "https://example.org/x"}},
		{"cycle", map[string]any{"a": "b", "b": "c", "c": "a"}},
		{"prefix cycle", map[string]any{"p": "q:x", "q": "p:y"}},
		{"self prefix", map[string]any{"p": "p:x"}},
		{"scoped context", map[string]any{"a": map[string]any{"@id": "https://example.org/a", "@context": map[string]any{}}}},
		{"reverse", map[string]any{"a": map[string]any{"@reverse": "https://example.org/a"}}},
		{"unknown member", map[string]any{"a": map[string]any{"@id": "https://example.org/a", "extra": 1.0}}},
		{"bad @id", map[string]any{"a": map[string]any{"@id": 3.0}}},
		{"bad @type", map[string]any{"a": map[string]any{"@id": "https://example.org/a", "@type": "@list"}}},
		{"bad @container", map[string]any{"a": map[string]any{"@id": "https://example.org/a", "@container": "@bogus"}}},
		{"bad @prefix", map[string]any{"a": map[string]any{"@id": "https://example.org/a", "@prefix": "yes"}}},
		{"alias of @context", map[string]any{"a": "@context"}},
		{"unknown keyword value", map[string]any{"a": "@bogus"}},
		{"keyword redefinition", map[string]any{"@id": "https://example.org/id"}},
		{"bad @vocab", map[string]any{"@vocab": 3.0}},
		{"bad @version", map[string]any{"@version": "1.1"}},
		{"bad @protected", map[string]any{"@protected": "yes"}},
		{"bad @language", map[string]any{"@language": 1.0}},
		{"bad @import", map[string]any{"@import": 1.0}},
		{"relative vocab without vocab", []any{map[string]any{"@vocab": nil}, map[string]any{"@vocab": "rel/"}}},
		{"term without vocab", []any{map[string]any{"@vocab": nil, "a": map[string]any{"@type": "@id"}}}},
		{"not JSON bytes", []byte("{")},
	}
	p := NewProcessor(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Context(context.Background(), tt.ctx)
			if !errors.Is(err, ErrInvalidContext) {
				t.Errorf("Context(%#v) error = %v, want ErrInvalidContext", tt.ctx, err)
			}
		})
	}
}

func TestRawInputForms(t *testing.T) {
	p := NewProcessor(Options{})
	a := mustContext(t, p, []byte(`{"b":"https://example.org/b","a":"https://example.org/a"}`))
	b := mustContext(t, p, map[string]any{"a": "https://example.org/a", "b": "https://example.org/b"})
	if a != b {
		t.Error("equal contents were not served from the cache")
	}
	c := mustContext(t, p, []string{CoreContextURL})
	if c.ExpandTerm("location") != ngsi+"location" {
		t.Error("[]string context not processed")
	}
}
