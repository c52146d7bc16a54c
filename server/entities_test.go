package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"slices"
)

const station = `{
  "id": "urn:ngsi-ld:AirQualityObserved:Nantes-01",
  "type": "AirQualityObserved",
  "no2": {"type": "Property", "value": 22.5, "unitCode": "GQ", "observedAt": "2026-11-30T10:00:00Z"},
  "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:d1"},
  "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [-1.5536, 47.2184]}},
  "name": {"type": "Property", "value": "Nantes centre"}
}`

func TestCreateAndRetrieve(t *testing.T) {
	ts := newTestServer(t, Config{})
	r := ts.must(http.StatusCreated, "POST", "/entities", station)
	if loc, want := r.header.Get("Location"), "/ngsi-ld/v1/entities/urn:ngsi-ld:AirQualityObserved:Nantes-01"; loc != want {
		t.Fatalf("Location %q, want %q", loc, want)
	}
	id := "/entities/urn:ngsi-ld:AirQualityObserved:Nantes-01"

	got := ts.must(http.StatusOK, "GET", id, "").json(t)
	var want any
	json.Unmarshal([]byte(station), &want)
	if diff := cmp.Diff(want, numbersToFloat(got)); diff != "" {
		t.Errorf("normalized retrieve mismatch (-want +got):\n%s", diff)
	}
	if ct := ts.must(http.StatusOK, "GET", id, "").header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if link := ts.must(http.StatusOK, "GET", id, "").header.Get("Link"); !strings.Contains(link, "ngsi-ld-core-context") {
		t.Errorf("Link header %q does not point at the core context", link)
	}

	kv := map[string]any{
		"id":        "urn:ngsi-ld:AirQualityObserved:Nantes-01",
		"type":      "AirQualityObserved",
		"no2":       22.5,
		"refDevice": "urn:ngsi-ld:Device:d1",
		"location":  map[string]any{"type": "Point", "coordinates": []any{-1.5536, 47.2184}},
		"name":      "Nantes centre",
	}
	for _, q := range []string{"?options=keyValues", "?format=simplified", "?format=keyValues"} {
		got := ts.must(http.StatusOK, "GET", id+q, "").json(t)
		if diff := cmp.Diff(any(kv), numbersToFloat(got)); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", q, diff)
		}
	}

	sys := ts.must(http.StatusOK, "GET", id+"?options=sysAttrs", "").object(t)
	for _, k := range []string{"createdAt", "modifiedAt"} {
		if _, ok := sys[k]; !ok {
			t.Errorf("sysAttrs: no %s in %v", k, sys)
		}
		if _, ok := sys["no2"].(map[string]any)[k]; !ok {
			t.Errorf("sysAttrs: no %s on the attribute", k)
		}
	}
	if _, ok := ts.must(http.StatusOK, "GET", id, "").object(t)["createdAt"]; ok {
		t.Error("createdAt shown without options=sysAttrs")
	}

	proj := ts.must(http.StatusOK, "GET", id+"?attrs=no2", "").object(t)
	if diff := cmp.Diff([]string{"id", "no2", "type"}, keys(proj)); diff != "" {
		t.Errorf("attrs projection (-want +got):\n%s", diff)
	}
	pick := ts.must(http.StatusOK, "GET", id+"?pick=id,name&options=keyValues", "").object(t)
	if diff := cmp.Diff(map[string]any{"id": "urn:ngsi-ld:AirQualityObserved:Nantes-01", "name": "Nantes centre"}, pick); diff != "" {
		t.Errorf("pick (-want +got):\n%s", diff)
	}
	omit := ts.must(http.StatusOK, "GET", id+"?omit=location,refDevice,name&options=keyValues", "").object(t)
	if diff := cmp.Diff([]string{"id", "no2", "type"}, keys(omit)); diff != "" {
		t.Errorf("omit (-want +got):\n%s", diff)
	}

	ld := ts.must(http.StatusOK, "GET", id, "", "Accept", "application/ld+json")
	if ct := ld.header.Get("Content-Type"); ct != "application/ld+json" {
		t.Errorf("Content-Type %q, want application/ld+json", ct)
	}
	if _, ok := ld.object(t)["@context"]; !ok {
		t.Errorf("application/ld+json body without @context: %s", ld.body)
	}
	ts.must(http.StatusOK, "GET", id+"?type=AirQualityObserved", "")
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "GET", id+"?type=Streetlight", "")
}

func TestConciseInputAndOutput(t *testing.T) {
	ts := newTestServer(t, Config{})
	ts.must(http.StatusCreated, "POST", "/entities", `{
	  "id": "urn:ngsi-ld:WaterLevelObserved:Loire-1",
	  "type": "WaterLevelObserved",
	  "waterLevel": {"value": 3.2, "unitCode": "MTR"},
	  "refDevice": {"object": "urn:ngsi-ld:Device:g1"},
	  "river": "Loire",
	  "location": {"type": "Point", "coordinates": [-1.55, 47.21]}
	}`)
	norm := ts.must(http.StatusOK, "GET", "/entities/urn:ngsi-ld:WaterLevelObserved:Loire-1", "").object(t)
	want := map[string]string{"waterLevel": "Property", "refDevice": "Relationship", "river": "Property", "location": "GeoProperty"}
	for name, typ := range want {
		if got := norm[name].(map[string]any)["type"]; got != typ {
			t.Errorf("%s: type %v, want %s", name, got, typ)
		}
	}
	concise := ts.must(http.StatusOK, "GET", "/entities/urn:ngsi-ld:WaterLevelObserved:Loire-1?format=concise", "").object(t)
	if _, has := concise["refDevice"].(map[string]any)["type"]; has {
		t.Errorf("concise output keeps the attribute type: %v", concise["refDevice"])
	}
}

func TestCreateErrors(t *testing.T) {
	ts := newTestServer(t, Config{})
	ts.must(http.StatusCreated, "POST", "/entities", station)
	tests := []struct {
		name          string
		body          string
		headers       []string
		path          string
		status        int
		problem       string
		detailContent string
	}{
		{"already exists", station, nil, "", 409, "AlreadyExists", "already exists"},
		{"invalid JSON", `{"id": "urn:x:1", "type": `, nil, "", 400, "InvalidRequest", "JSON"},
		{"two JSON values", `{"id": "urn:x:1", "type": "T"} {"id": "urn:x:2", "type": "T"}`, nil, "", 400, "InvalidRequest", "after the top-level value"},
		{"not an object", `[1, 2]`, nil, "", 400, "BadRequestData", ""},
		{"id not a URI", `{"id": "station 1", "type": "T"}`, nil, "", 400, "BadRequestData", "URI"},
		{"no type", `{"id": "urn:x:1"}`, nil, "", 400, "BadRequestData", "type"},
		{"property without value", `{"id": "urn:x:1", "type": "T", "a": {"type": "Property"}}`, nil, "", 400, "BadRequestData", "a"},
		{"unknown attribute type", `{"id": "urn:x:1", "type": "T", "a": {"type": "Propertie", "value": 1}}`, nil, "", 400, "BadRequestData", "a"},
		{"relationship object not a URI", `{"id": "urn:x:1", "type": "T", "r": {"type": "Relationship", "object": "not a uri"}}`, nil, "", 400, "BadRequestData", "r"},
		{"bad geometry", `{"id": "urn:x:1", "type": "T", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [500, 1]}}}`, nil, "", 400, "BadRequestData", "location"},
		{"bad observedAt", `{"id": "urn:x:1", "type": "T", "a": {"type": "Property", "value": 1, "observedAt": "yesterday"}}`, nil, "", 400, "BadRequestData", "observedAt"},
		{"unknown query parameter", `{"id": "urn:x:1", "type": "T"}`, nil, "?option=x", 400, "BadRequestData", "option"},
		{"unsupported media type", `{"id": "urn:x:1", "type": "T"}`, []string{"Content-Type", "text/plain"}, "", 415, "UnsupportedMediaType", "text/plain"},
		{"ld+json without @context", `{"id": "urn:x:1", "type": "T"}`, []string{"Content-Type", "application/ld+json"}, "", 400, "BadRequestData", "@context"},
		{"ld+json with a Link header", `{"id": "urn:x:1", "type": "T", "@context": "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"}`, []string{"Content-Type", "application/ld+json", "Link", linkHeader("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld")}, "", 400, "BadRequestData", "Link"},
		{"@context in a JSON body", `{"id": "urn:x:1", "type": "T", "@context": "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"}`, nil, "", 400, "BadRequestData", "@context"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.with(t).wantProblem(tc.status, tc.problem, "POST", "/entities"+tc.path, tc.body, tc.headers...)
			if d, _ := r.object(t)["detail"].(string); !strings.Contains(d, tc.detailContent) {
				t.Errorf("detail %q does not mention %q", d, tc.detailContent)
			}
		})
	}
	ts.must(http.StatusCreated, "POST", "/entities", `{"id": "urn:x:ld", "type": "T", "@context": "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"}`, "Content-Type", "application/ld+json")
	ts.wantProblem(http.StatusNotAcceptable, "NotAcceptable", "GET", "/entities/urn:x:ld", "", "Accept", "text/html")
	ts.must(http.StatusOK, "GET", "/entities/urn:x:ld", "", "Accept", "text/html;q=0.9, application/*;q=0.5")
}

// TestBodyTooLarge: a body over Config.MaxBodyBytes is refused with the
// limit in the detail, whether its JSON would be valid or not.
func TestBodyTooLarge(t *testing.T) {
	ts := newTestServer(t, Config{MaxBodyBytes: 1024})
	big := `{"id": "urn:x:big", "type": "T", "a": {"type": "Property", "value": "` + strings.Repeat("x", 2000) + `"}}`
	for _, body := range []string{big, big[:1500]} {
		r := ts.wantProblem(http.StatusBadRequest, "BadRequestData", "POST", "/entities", body)
		if d, _ := r.object(t)["detail"].(string); !strings.Contains(d, "1024") {
			t.Errorf("detail %q does not give the limit", d)
		}
	}
	ts.must(http.StatusCreated, "POST", "/entities", `{"id": "urn:x:small", "type": "T"}`)
}

func TestRetrieveAndDeleteErrors(t *testing.T) {
	ts := newTestServer(t, Config{})
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "GET", "/entities/urn:ngsi-ld:T:missing", "")
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "GET", "/entities/not-a-uri", "")
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "GET", "/entities/urn:x:1?options=bogus", "")
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "GET", "/entities/urn:x:1?foo=bar", "")
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "DELETE", "/entities/urn:ngsi-ld:T:missing", "")
	ts.must(http.StatusCreated, "POST", "/entities", station)
	ts.must(http.StatusNoContent, "DELETE", "/entities/urn:ngsi-ld:AirQualityObserved:Nantes-01", "")
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "GET", "/entities/urn:ngsi-ld:AirQualityObserved:Nantes-01", "")
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "GET", "/nothing-here", "")
	r := ts.do("PUT", "/entities", `{}`)
	if r.status != http.StatusMethodNotAllowed {
		t.Errorf("PUT /entities: status %d, want 405", r.status)
	}
}

func TestEntityIDWithReservedCharacters(t *testing.T) {
	ts := newTestServer(t, Config{})
	id := "https://example.org/sensors/a/b?c=1#d"
	body := fmt.Sprintf(`{"id": %q, "type": "T", "a": 1}`, id)
	r := ts.must(http.StatusCreated, "POST", "/entities", body)
	loc := r.header.Get("Location")
	got := ts.must(http.StatusOK, "GET", ts.root+loc, "").object(t)
	if got["id"] != id {
		t.Fatalf("retrieved id %v, want %s", got["id"], id)
	}
}

// numbersToFloat turns json.Number into float64 for comparison with
// json.Unmarshal output.
func numbersToFloat(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbersToFloat(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbersToFloat(e)
		}
	}
	return v
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
