package schemas

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The unified @context defines every entity type and attribute of the models
// (or leaves it to the NGSI-LD core context), never redefines a core term,
// and maps terms to Smart Data Models or OpenTID IRIs.
func TestContext(t *testing.T) {
	s := testSet(t)
	var doc struct {
		Context map[string]any `json:"@context"`
	}
	if err := json.Unmarshal(Context(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Context) == 0 {
		t.Fatal("empty @context")
	}
	core := map[string]bool{}
	if b, err := os.ReadFile("../server/jsonld/core-context.jsonld"); err == nil {
		var c struct {
			Context map[string]any `json:"@context"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		for k := range c.Context {
			core[k] = true
		}
	} else {
		t.Logf("core context not found (%v): terms left to it are not checked", err)
	}
	for term, iri := range doc.Context {
		if core[term] {
			t.Errorf("%q redefines a term of the NGSI-LD core context", term)
		}
		s, ok := iri.(string)
		if !ok || !(strings.HasPrefix(s, "https://smartdatamodels.org/") || strings.HasPrefix(s, "https://opentid.org/ns/")) {
			t.Errorf("%q maps to %v, want a Smart Data Models or OpenTID IRI", term, iri)
		}
	}
	defined := func(term string) bool { return doc.Context[term] != nil || core[term] }
	for _, m := range s.Models() {
		if doc.Context[m] == nil {
			t.Errorf("entity type %s is not in the @context", m)
		}
		for _, a := range s.Attributes(m) {
			if !defined(a.Name) && len(core) > 0 {
				t.Errorf("%s.%s is not in the @context", m, a.Name)
			}
		}
		// Members of structured values.
		raw := s.raw[m+".schema.json"]
		props, _ := raw["properties"].(map[string]any)
		for name, p := range props {
			v, _ := lookup(p, "/properties/value").(map[string]any)
			for _, obj := range []any{v, lookup(v, "/items")} {
				o, _ := obj.(map[string]any)
				members, _ := o["properties"].(map[string]any)
				for k := range members {
					if !defined(k) {
						t.Errorf("%s.%s: member %q is not in the @context", m, name, k)
					}
				}
			}
		}
	}
}
