package ngsild

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// vocab is the default vocabulary of the test context.
const vocab = "https://uri.etsi.org/ngsi-ld/default-context/"

// fakeContext is a term map with the default vocabulary as fallback: the
// part of a processed JSON-LD context this package relies on.
type fakeContext map[string]string

var testCtx = fakeContext{
	"AirQualityObserved": "https://smartdatamodels.org/dataModel.Environment/AirQualityObserved",
	"temperature":        "https://smartdatamodels.org/temperature",
	"location":           "https://uri.etsi.org/ngsi-ld/location",
	"observationSpace":   "https://uri.etsi.org/ngsi-ld/observationSpace",
	"Building":           "https://smartdatamodels.org/dataModel.Building/Building",
}

func (f fakeContext) ExpandTerm(term string) string {
	if iri, ok := f[term]; ok {
		return iri
	}
	if strings.Contains(term, ":") {
		return term
	}
	return vocab + term
}

func (f fakeContext) CompactIRI(iri string) string {
	for term, v := range f {
		if v == iri {
			return term
		}
	}
	if cand, ok := strings.CutPrefix(iri, vocab); ok && cand != "" && f.ExpandTerm(cand) == iri {
		return cand
	}
	return iri
}

// x expands a term of the test context.
func x(term string) string { return testCtx.ExpandTerm(term) }

func decodeAny(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return v
}

func decodeDoc(t testing.TB, s string) map[string]any {
	t.Helper()
	m, ok := decodeAny(t, s).(map[string]any)
	if !ok {
		t.Fatalf("test JSON is not an object: %s", s)
	}
	return m
}

// jsonOf marshals a rendering and decodes it back, for comparisons.
func jsonOf(t testing.TB, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("rendering is not valid JSON: %v\n%s", err, data)
	}
	return out
}

func n(s string) json.Number { return json.Number(s) }
