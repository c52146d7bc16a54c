package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ids(t *testing.T, r response) []string {
	t.Helper()
	var out []string
	for _, e := range r.json(t).([]any) {
		out = append(out, e.(map[string]any)["id"].(string))
	}
	return out
}

func TestQueryEntities(t *testing.T) {
	ts := newTestServer(t, Config{DefaultLimit: 3, MaxLimit: 50})
	var items []string
	for i := 1; i <= 5; i++ {
		items = append(items, fmt.Sprintf(`{"id": "urn:ngsi-ld:Streetlight:%d", "type": "Streetlight", "powerState": "on"}`, i))
	}
	items = append(items,
		`{"id": "urn:ngsi-ld:WasteContainer:1", "type": "WasteContainer", "fillingLevel": 0.4}`,
		`{"id": "urn:ngsi-ld:Hybrid:1", "type": ["Streetlight", "WasteContainer"], "fillingLevel": 0.1}`)
	ts.must(http.StatusCreated, "POST", "/entityOperations/create", batch(items...))

	tests := []struct {
		query string
		want  []string
	}{
		{"type=WasteContainer", []string{"urn:ngsi-ld:WasteContainer:1", "urn:ngsi-ld:Hybrid:1"}},
		{"type=WasteContainer,Nothing", []string{"urn:ngsi-ld:WasteContainer:1", "urn:ngsi-ld:Hybrid:1"}},
		{"type=Streetlight&limit=10", []string{"urn:ngsi-ld:Streetlight:1", "urn:ngsi-ld:Streetlight:2", "urn:ngsi-ld:Streetlight:3", "urn:ngsi-ld:Streetlight:4", "urn:ngsi-ld:Streetlight:5", "urn:ngsi-ld:Hybrid:1"}},
		{"type=Streetlight", []string{"urn:ngsi-ld:Streetlight:1", "urn:ngsi-ld:Streetlight:2", "urn:ngsi-ld:Streetlight:3"}},
		{"type=Streetlight&offset=4&limit=2", []string{"urn:ngsi-ld:Streetlight:5", "urn:ngsi-ld:Hybrid:1"}},
		{"id=urn:ngsi-ld:Streetlight:2,urn:ngsi-ld:WasteContainer:1", []string{"urn:ngsi-ld:Streetlight:2", "urn:ngsi-ld:WasteContainer:1"}},
		{"idPattern=Streetlight:[24]$", []string{"urn:ngsi-ld:Streetlight:2", "urn:ngsi-ld:Streetlight:4"}},
		{"attrs=fillingLevel", []string{"urn:ngsi-ld:WasteContainer:1", "urn:ngsi-ld:Hybrid:1"}},
		{"type=Streetlight&attrs=fillingLevel", []string{"urn:ngsi-ld:Hybrid:1"}},
		{"type=Nothing", nil},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			got := ids(t, ts.with(t).must(http.StatusOK, "GET", "/entities?"+tc.query, ""))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	r := ts.must(http.StatusOK, "GET", "/entities?type=Streetlight&count=true&limit=2&offset=2", "")
	if c := r.header.Get("NGSILD-Results-Count"); c != "6" {
		t.Errorf("NGSILD-Results-Count %q, want 6", c)
	}
	links := strings.Join(r.header.Values("Link"), " | ")
	if !strings.Contains(links, `rel="next"`) || !strings.Contains(links, `rel="prev"`) {
		t.Errorf("paging links missing: %s", links)
	}
	r = ts.must(http.StatusOK, "GET", "/entities?type=Streetlight&count=true&limit=0", "")
	if c := r.header.Get("NGSILD-Results-Count"); c != "6" || len(r.json(t).([]any)) != 0 {
		t.Errorf("count-only query: count %q, body %s", c, r.body)
	}
	if r := ts.must(http.StatusOK, "GET", "/entities?type=Streetlight", ""); r.header.Get("NGSILD-Results-Count") != "" {
		t.Error("count header without count=true")
	}
	kv := ts.must(http.StatusOK, "GET", "/entities?id=urn:ngsi-ld:WasteContainer:1&options=keyValues", "").json(t)
	if diff := cmp.Diff([]any{map[string]any{"id": "urn:ngsi-ld:WasteContainer:1", "type": "WasteContainer", "fillingLevel": 0.4}}, numbersToFloat(kv)); diff != "" {
		t.Errorf("keyValues query (-want +got):\n%s", diff)
	}

	ts.wantProblem(http.StatusForbidden, "TooManyResults", "GET", "/entities?type=Streetlight&limit=51", "")
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "GET", "/entities", "")
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "GET", "/entities?type=Streetlight&limit=-1", "")
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "GET", "/entities?type=Streetlight&limit=0", "")
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "GET", "/entities?idPattern=(", "")
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "GET", "/entities?id=not-a-uri", "")
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "GET", "/entities?type=Streetlight&colour=red", "")
}

func TestTypesAndAttributes(t *testing.T) {
	ts := newTestServer(t, Config{})
	ts.must(http.StatusCreated, "POST", "/entityOperations/create", batch(
		`{"id": "urn:a:1", "type": "Streetlight", "powerState": "on", "refDevice": {"object": "urn:d:1"}}`,
		`{"id": "urn:a:2", "type": "Streetlight", "powerState": "off"}`,
		`{"id": "urn:a:3", "type": "WasteContainer", "fillingLevel": 0.5, "refDevice": {"type": "Property", "value": "d2"}}`))

	list := ts.must(http.StatusOK, "GET", "/types", "").object(t)
	if list["type"] != "EntityTypeList" || !strings.HasPrefix(list["id"].(string), "urn:ngsi-ld:EntityTypeList:") {
		t.Errorf("type list header: %v", list)
	}
	if diff := cmp.Diff([]any{"Streetlight", "WasteContainer"}, list["typeList"]); diff != "" {
		t.Errorf("typeList (-want +got):\n%s", diff)
	}
	details := ts.must(http.StatusOK, "GET", "/types?details=true", "").json(t).([]any)
	first := details[0].(map[string]any)
	if diff := cmp.Diff(map[string]any{
		"id": "https://uri.etsi.org/ngsi-ld/default-context/Streetlight", "type": "EntityType",
		"typeName": "Streetlight", "attributeNames": []any{"powerState", "refDevice"},
	}, first); diff != "" {
		t.Errorf("type details (-want +got):\n%s", diff)
	}
	info := ts.must(http.StatusOK, "GET", "/types/Streetlight", "").object(t)
	if info["type"] != "EntityTypeInfo" || fmt.Sprint(info["entityCount"]) != "2" || len(info["attributeDetails"].([]any)) != 2 {
		t.Errorf("type info: %v", info)
	}
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "GET", "/types/Nothing", "")

	attrs := ts.must(http.StatusOK, "GET", "/attributes", "").object(t)
	if diff := cmp.Diff([]any{"fillingLevel", "powerState", "refDevice"}, attrs["attributeList"]); diff != "" {
		t.Errorf("attributeList (-want +got):\n%s", diff)
	}
	ref := ts.must(http.StatusOK, "GET", "/attributes/refDevice", "").object(t)
	if diff := cmp.Diff(map[string]any{
		"id": "https://uri.etsi.org/ngsi-ld/default-context/refDevice", "type": "Attribute", "attributeName": "refDevice",
		"attributeCount": 2.0, "attributeTypes": []any{"Property", "Relationship"}, "typeNames": []any{"Streetlight", "WasteContainer"},
	}, numbersToFloat(ref)); diff != "" {
		t.Errorf("attribute info (-want +got):\n%s", diff)
	}
	ad := ts.must(http.StatusOK, "GET", "/attributes?details=true", "").json(t).([]any)
	if len(ad) != 3 || ad[0].(map[string]any)["type"] != "Attribute" {
		t.Errorf("attribute details: %v", ad)
	}
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "GET", "/attributes/nothing", "")
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "GET", "/types?details=perhaps", "")
}
