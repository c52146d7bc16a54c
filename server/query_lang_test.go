package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// cityFixture creates a small territory: air-quality stations and car parks
// around Nantes, with values, scopes and locations.
func cityFixture(t *testing.T, ts *testServer) {
	t.Helper()
	items := []string{
		`{"id": "urn:ngsi-ld:AirQualityObserved:a1", "type": "AirQualityObserved", "scope": "/Nantes/Centre",
		  "no2": {"type": "Property", "value": 40, "observedAt": "2026-11-30T10:00:00Z", "unitCode": "GQ"},
		  "station": {"type": "Property", "value": "Bouffay"},
		  "address": {"type": "Property", "value": {"postalCode": "44000", "addressLocality": "Nantes"}},
		  "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [-1.5536, 47.2150]}}}`,
		`{"id": "urn:ngsi-ld:AirQualityObserved:a2", "type": "AirQualityObserved", "scope": "/Nantes/Est",
		  "no2": {"type": "Property", "value": 12, "observedAt": "2026-11-30T11:00:00+01:00"},
		  "station": {"type": "Property", "value": "Doulon"},
		  "address": {"type": "Property", "value": {"postalCode": "44300", "addressLocality": "Nantes"}},
		  "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [-1.5080, 47.2280]}}}`,
		`{"id": "urn:ngsi-ld:AirQualityObserved:a3", "type": "AirQualityObserved", "scope": "/Rezé",
		  "no2": {"type": "Property", "value": 25},
		  "station": {"type": "Property", "value": "Rezé Hôtel de ville"},
		  "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [-1.5670, 47.1830]}}}`,
		`{"id": "urn:ngsi-ld:OffStreetParking:p1", "type": "OffStreetParking",
		  "availableSpotNumber": {"type": "Property", "value": 120},
		  "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [-1.5560, 47.2170]}}}`,
	}
	ts.must(http.StatusCreated, "POST", "/entityOperations/create", batch(items...))
}

func TestQueryLanguage(t *testing.T) {
	ts := newTestServer(t, Config{})
	cityFixture(t, ts)
	district := `[[[-1.58,47.20],[-1.53,47.20],[-1.53,47.23],[-1.58,47.23],[-1.58,47.20]]]`
	tests := []struct {
		name, query string
		want        []string
	}{
		{"greater", "type=AirQualityObserved&q=no2>20", []string{"a1", "a3"}},
		{"range", "type=AirQualityObserved&q=no2==10..30", []string{"a2", "a3"}},
		{"list", "type=AirQualityObserved&q=no2==12,40", []string{"a1", "a2"}},
		{"and or", "type=AirQualityObserved&q=(no2>30|no2<15);station==\"Doulon\"", []string{"a2"}},
		{"unicode string", "type=AirQualityObserved&q=station==\"Rezé Hôtel de ville\"", []string{"a3"}},
		{"regex", "type=AirQualityObserved&q=station~=^B", []string{"a1"}},
		{"json path", "type=AirQualityObserved&q=address[postalCode]==\"44300\"", []string{"a2"}},
		{"observedAt member", "type=AirQualityObserved&q=no2.observedAt>=2026-11-30T10:30:00Z", nil},
		{"observedAt with offset", "type=AirQualityObserved&q=no2.observedAt<2026-11-30T10:30:00Z", []string{"a1", "a2"}},
		{"existence", "q=availableSpotNumber", []string{"p1"}},
		{"type mismatch", "type=AirQualityObserved&q=station>5", nil},
		{"scopeQ", "type=AirQualityObserved&scopeQ=/Nantes/%23", []string{"a1", "a2"}},
		{"within", "type=AirQualityObserved&georel=within&geometry=Polygon&coordinates=" + url.QueryEscape(district), []string{"a1"}},
		{"near", "type=AirQualityObserved&georel=near;maxDistance==1000&geometry=Point&coordinates=[-1.5540,47.2160]", []string{"a1"}},
		{"near any type", "georel=near;maxDistance==500&geometry=Point&coordinates=[-1.5540,47.2160]", []string{"a1", "p1"}},
		{"type or", "type=AirQualityObserved|OffStreetParking&q=no2>30|availableSpotNumber>100", []string{"a1", "p1"}},
		{"orderBy desc", "type=AirQualityObserved&orderBy=no2;desc", []string{"a1", "a3", "a2"}},
		{"orderBy asc", "type=AirQualityObserved&orderBy=no2", []string{"a2", "a3", "a1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := strings.NewReplacer(" ", "%20", `"`, "%22").Replace(tc.query)
			got := shortIDs(ids(t, ts.with(t).must(http.StatusOK, "GET", "/entities?"+q, "")))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.query, diff)
			}
		})
	}
	for _, bad := range []string{"q=no2>", "q=(no2>1", "q=no2===1", "georel=near&geometry=Point&coordinates=[1,2]", "georel=within&geometry=Polygon&coordinates=[1,2]", "scopeQ=Nantes", "type=(A", "type=A&orderBy=;desc"} {
		r := ts.wantProblem(http.StatusBadRequest, "BadRequestData", "GET", "/entities?"+strings.ReplaceAll(bad, "#", "%23"), "")
		if d := r.object(t)["detail"].(string); !strings.Contains(d, "position") && !strings.Contains(bad, "geo") {
			t.Errorf("%s: detail %q does not give the position", bad, d)
		}
	}
}

func shortIDs(in []string) []string {
	var out []string
	for _, id := range in {
		out = append(out, id[strings.LastIndex(id, ":")+1:])
	}
	return out
}

func TestQueryViaPost(t *testing.T) {
	ts := newTestServer(t, Config{})
	cityFixture(t, ts)
	body := `{"type": "Query", "entities": [{"type": "AirQualityObserved"}], "q": "no2>20", "attrs": ["no2"],
	  "geoQ": {"georel": "within", "geometry": "Polygon", "coordinates": [[[-1.6,47.1],[-1.5,47.1],[-1.5,47.3],[-1.6,47.3],[-1.6,47.1]]]}}`
	r := ts.must(http.StatusOK, "POST", "/entityOperations/query?options=keyValues&count=true", body)
	got := numbersToFloat(r.json(t))
	want := []any{
		map[string]any{"id": "urn:ngsi-ld:AirQualityObserved:a1", "type": "AirQualityObserved", "scope": "/Nantes/Centre", "no2": 40.0},
		map[string]any{"id": "urn:ngsi-ld:AirQualityObserved:a3", "type": "AirQualityObserved", "scope": "/Rezé", "no2": 25.0},
	}
	if diff := cmp.Diff(any(want), got); diff != "" {
		t.Errorf("POST query (-want +got):\n%s", diff)
	}
	if c := r.header.Get("NGSILD-Results-Count"); c != "2" {
		t.Errorf("count %q", c)
	}
	two := `{"type": "Query", "entities": [{"id": "urn:ngsi-ld:AirQualityObserved:a2"}, {"id": "urn:ngsi-ld:OffStreetParking:p1"}]}`
	if diff := cmp.Diff([]string{"a2", "p1"}, shortIDs(ids(t, ts.must(http.StatusOK, "POST", "/entityOperations/query", two)))); diff != "" {
		t.Errorf("two id selectors (-want +got):\n%s", diff)
	}
	// Selectors are alternatives, whatever each of them gives.
	for _, tc := range []struct {
		name, entities string
		want           []string
	}{
		{"id with type, and a type", `[{"id": "urn:ngsi-ld:AirQualityObserved:a2", "type": "AirQualityObserved"}, {"type": "OffStreetParking"}]`, []string{"a2", "p1"}},
		{"ids with their type", `[{"id": "urn:ngsi-ld:AirQualityObserved:a1", "type": "AirQualityObserved"}, {"id": "urn:ngsi-ld:OffStreetParking:p1", "type": "OffStreetParking"}]`, []string{"a1", "p1"}},
		{"id of another type", `[{"id": "urn:ngsi-ld:AirQualityObserved:a1", "type": "OffStreetParking"}, {"idPattern": ":a3$"}]`, []string{"a3"}},
		{"pattern and type", `[{"idPattern": "a[12]$", "type": "AirQualityObserved"}, {"id": "urn:ngsi-ld:OffStreetParking:p1"}]`, []string{"a1", "a2", "p1"}},
	} {
		body := `{"type": "Query", "entities": ` + tc.entities + `, "q": "no2>20|availableSpotNumber>100"}`
		want := []string{}
		for _, id := range tc.want { // q keeps a1, a3 and p1
			if id != "a2" {
				want = append(want, id)
			}
		}
		if diff := cmp.Diff(want, shortIDs(ids(t, ts.must(http.StatusOK, "POST", "/entityOperations/query", body))), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s, with q (-want +got):\n%s", tc.name, diff)
		}
		body = `{"type": "Query", "entities": ` + tc.entities + `}`
		if diff := cmp.Diff(tc.want, shortIDs(ids(t, ts.must(http.StatusOK, "POST", "/entityOperations/query", body)))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "POST", "/entityOperations/query", `{"type": "Query", "entities": [{"id": "not a uri", "type": "T"}, {"type": "U"}]}`)
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "POST", "/entityOperations/query", `{"type": "Query", "entities": [{"idPattern": "(", "type": "T"}, {"type": "U"}]}`)
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "POST", "/entityOperations/query", `{"type": "Subscription"}`)
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "POST", "/entityOperations/query", `{"type": "Query", "q": "no2>"}`)
}

func TestGeoJSON(t *testing.T) {
	ts := newTestServer(t, Config{})
	cityFixture(t, ts)
	f := ts.must(http.StatusOK, "GET", "/entities/urn:ngsi-ld:AirQualityObserved:a3?options=keyValues&attrs=no2,location", "", "Accept", "application/geo+json")
	if ct := f.header.Get("Content-Type"); ct != "application/geo+json" {
		t.Errorf("Content-Type %q", ct)
	}
	want := map[string]any{
		"id": "urn:ngsi-ld:AirQualityObserved:a3", "type": "Feature",
		"geometry":   map[string]any{"type": "Point", "coordinates": []any{-1.567, 47.183}},
		"properties": map[string]any{"type": "AirQualityObserved", "scope": "/Rezé", "no2": 25.0, "location": map[string]any{"type": "Point", "coordinates": []any{-1.567, 47.183}}},
	}
	if diff := cmp.Diff(any(want), numbersToFloat(f.json(t))); diff != "" {
		t.Errorf("feature (-want +got):\n%s", diff)
	}
	fc := ts.must(http.StatusOK, "GET", "/entities?type=AirQualityObserved,OffStreetParking", "", "Accept", "application/geo+json").object(t)
	if fc["type"] != "FeatureCollection" || len(fc["features"].([]any)) != 4 {
		t.Errorf("feature collection: %v", fc)
	}
	none := ts.must(http.StatusOK, "GET", "/entities/urn:ngsi-ld:OffStreetParking:p1?geometryProperty=entrance", "", "Accept", "application/geo+json").object(t)
	if none["geometry"] != nil {
		t.Errorf("geometry of a missing geometryProperty: %v", none["geometry"])
	}
	ts.wantProblem(http.StatusNotAcceptable, "NotAcceptable", "GET", "/types", "", "Accept", "application/geo+json")
}
