package jsonld

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

func FuzzContext(f *testing.F) {
	seeds := []string{
		`{"temperature": "https://example.org/temperature"}`,
		`{"schema": "https://schema.org/", "name": "schema:name"}`,
		`{"a": "b", "b": "a"}`,
		`{"@vocab": null}`,
		`{"@vocab": "rel"}`,
		`[{"@vocab": "https://example.org/"}, null, {"x": {"@id": "x:y", "@prefix": true}}]`,
		`{"t": {"@id": "temp", "@type": "@id", "@container": ["@list", "@set"]}, "temp": "ex:t", "ex": "urn:ex:"}`,
		`["https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld", {"location": "x"}]`,
		`{"@import": "https://contexts.example/a.jsonld", "ex:a": {}}`,
		`"https://contexts.example/a.jsonld"`,
		`{"p": "p:x"}`,
		`{"_:b": "_:c", "id": "@type", "k": "@bogus"}`,
		`42`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	loader := newFakeLoader(testDocs())
	p := NewProcessor(Options{Loader: loader, MaxCached: 64})
	f.Fuzz(func(t *testing.T, data []byte) {
		var raw any
		if json.Unmarshal(data, &raw) != nil {
			return
		}
		c, err := p.Context(context.Background(), raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidContext) && !errors.Is(err, ErrContextNotAvailable) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		probe := []string{"temperature", "location", "type", "a", "x:y", "ex:t", "urn:x", ""}
		for term := range c.iris {
			probe = append(probe, term)
		}
		for _, term := range probe {
			iri := c.ExpandTerm(term)
			back := c.CompactIRI(iri)
			if got := c.ExpandTerm(back); got != iri {
				t.Fatalf("term %q → %q → %q → %q", term, iri, back, got)
			}
			if c.IsCoreTerm(term) && c.ExpandTerm(term) != p.Core().ExpandTerm(term) {
				t.Fatalf("core term %q redefined: %q", term, c.ExpandTerm(term))
			}
		}
	})
}
