package server

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"testing"

	"github.com/opentid/opentid/schemas"
)

// modelLink is the Link header of the unified @context of the models.
var modelLink = []string{"Link", linkHeader(schemas.ContextURL)}

// example reads an example entity of the schemas package.
func example(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := fs.ReadFile(schemas.Files(), name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantPointers checks that a problem lists an error at each pointer.
func wantPointers(t *testing.T, problem map[string]any, pointers ...string) {
	t.Helper()
	errs, _ := problem["errors"].([]any)
	got := map[string]bool{}
	for _, e := range errs {
		if m, ok := e.(map[string]any); ok {
			p, _ := m["pointer"].(string)
			got[p] = true
			if d, _ := m["detail"].(string); d == "" {
				t.Errorf("error at %q has no detail", p)
			}
		}
	}
	for _, p := range pointers {
		if !got[p] {
			t.Errorf("no error at %s in %v", p, problem)
		}
	}
}

func TestModelValidationExamples(t *testing.T) {
	set, err := schemas.Compile()
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, Config{})
	files, err := fs.Glob(schemas.Files(), "examples/*/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		base := path.Base(f)
		if strings.Contains(base, "keyValues") {
			continue // a keyValues document is no NGSI-LD write body
		}
		t.Run(path.Base(path.Dir(f))+"/"+base, func(t *testing.T) {
			ts := ts.with(t)
			e := example(t, f)
			id := "urn:ngsi-ld:Test:" + strings.TrimSuffix(path.Base(path.Dir(f))+":"+base, ".json")
			e["id"] = id
			if strings.HasPrefix(base, "invalid-") {
				ts.wantProblem(http.StatusBadRequest, "BadRequestData", "POST", "/entities", mustMarshal(t, e), modelLink...)
				ts.must(http.StatusNotFound, "GET", "/entities/"+id, "")
				return
			}
			ts.must(http.StatusCreated, "POST", "/entities", mustMarshal(t, e), modelLink...)
			got := ts.must(http.StatusOK, "GET", "/entities/"+id, "", modelLink...).object(t)
			if problems := set.Validate(got, schemas.FormNormalized); problems != nil {
				t.Errorf("the stored entity is not valid: %v", problems)
			}
		})
	}
}

func TestModelValidationWritePaths(t *testing.T) {
	ts := newTestServer(t, Config{})
	e := example(t, "examples/AirQualityObserved/valid-normalized.json")
	id := e["id"].(string)
	p := "/entities/" + id
	ts.must(http.StatusCreated, "POST", "/entities", mustMarshal(t, e), modelLink...)
	bad := func(method, path, body string, pointers ...string) {
		t.Helper()
		r := ts.wantProblem(http.StatusBadRequest, "BadRequestData", method, path, body, modelLink...)
		wantPointers(t, r.object(t), pointers...)
	}
	bad("PATCH", p, `{"no2x": {"type": "Property", "value": 1}}`, "/no2x")
	bad("POST", p+"/attrs", `{"no2": {"type": "Property", "value": 30}}`, "/no2/unitCode")
	bad("PATCH", p+"/attrs", `{"pm10": {"type": "Property", "value": 30, "unitCode": "XYZ"}}`, "/pm10/unitCode")
	bad("PATCH", p+"/attrs/codeInsee", `{"value": "7505"}`, "/codeInsee/value")
	bad("PUT", p+"/attrs/license", `{"type": "Relationship", "object": "urn:x:1"}`, "/license/type")
	bad("DELETE", p+"/attrs/license", "", "/license")
	repl := example(t, "examples/AirQualityObserved/valid-normalized.json")
	delete(repl, "producerSiren")
	bad("PUT", p, mustMarshal(t, repl), "/producerSiren")
	// Nothing was written: the entity is as created.
	got := ts.must(http.StatusOK, "GET", p, "", modelLink...).object(t)
	if _, has := got["no2x"]; has || got["license"] == nil || got["producerSiren"] == nil {
		t.Errorf("a refused write changed the entity: %v", got)
	}
	// A valid change is accepted.
	ts.must(http.StatusNoContent, "PATCH", p+"/attrs/no2", `{"value": 31.5}`, modelLink...)

	// In a batch, the invalid item fails with its problem and the others proceed.
	other := example(t, "examples/AirQualityObserved/valid-normalized.json")
	other["id"] = "urn:ngsi-ld:AirQualityObserved:217003102:other"
	broken := example(t, "examples/AirQualityObserved/invalid-unit-missing-no2.json")
	broken["id"] = "urn:ngsi-ld:AirQualityObserved:217003102:broken"
	r := ts.must(http.StatusMultiStatus, "POST", "/entityOperations/upsert", "["+mustMarshal(t, broken)+","+mustMarshal(t, other)+"]", modelLink...)
	res := r.object(t)
	if s, _ := res["success"].([]any); len(s) != 1 || s[0] != other["id"] {
		t.Errorf("batch success %v", res["success"])
	}
	errs, _ := res["errors"].([]any)
	if len(errs) != 1 {
		t.Fatalf("batch errors %v", res["errors"])
	}
	item := errs[0].(map[string]any)
	if item["entityId"] != broken["id"] {
		t.Errorf("batch error for %v", item["entityId"])
	}
	wantPointers(t, item["error"].(map[string]any), "/no2/unitCode")
	ts.must(http.StatusNotFound, "GET", "/entities/"+broken["id"].(string), "")
	r = ts.must(http.StatusMultiStatus, "POST", "/entityOperations/merge", `[{"id": "`+id+`", "no2": {"type": "Property", "value": 1, "unitCode": "CEL"}}]`, modelLink...)
	errs, _ = r.object(t)["errors"].([]any)
	if len(errs) != 1 {
		t.Fatalf("batch merge errors %s", r.body)
	}

	// Temporal provision writes the current state: it is validated too.
	temporal := `{"id": "urn:ngsi-ld:AirQualityObserved:217003102:history", "type": "AirQualityObserved",
		"no2": [{"type": "Property", "value": 20, "unitCode": "GQ", "observedAt": "2026-03-02T10:00:00Z"}]}`
	r = ts.wantProblem(http.StatusBadRequest, "BadRequestData", "POST", "/temporal/entities", temporal, modelLink...)
	wantPointers(t, r.object(t), "/license")
}

func TestModelValidationScope(t *testing.T) {
	broken := example(t, "examples/AirQualityObserved/invalid-unit-missing-no2.json")
	body := mustMarshal(t, broken)
	p := "/entities/" + broken["id"].(string)

	t.Run("types of another context", func(t *testing.T) {
		// Without the unified @context, AirQualityObserved expands in the
		// default vocabulary: it is not the standard's type.
		ts := newTestServer(t, Config{}).with(t)
		ts.must(http.StatusCreated, "POST", "/entities", body)
	})
	t.Run("off", func(t *testing.T) {
		ts := newTestServer(t, Config{ValidateModels: ValidateNoTenant}).with(t)
		ts.must(http.StatusCreated, "POST", "/entities", body, modelLink...)
		ts.must(http.StatusOK, "GET", p, "", modelLink...)
	})
	t.Run("listed tenants", func(t *testing.T) {
		ts := newTestServer(t, Config{ValidateModels: ValidateListedTenants, ValidateTenants: []string{"lure"}}).with(t)
		ts.wantProblem(http.StatusBadRequest, "BadRequestData", "POST", "/entities", body, append(modelLink, "NGSILD-Tenant", "lure")...)
		ts.must(http.StatusCreated, "POST", "/entities", body, append(modelLink, "NGSILD-Tenant", "nantes")...)
		ts.must(http.StatusCreated, "POST", "/entities", body, modelLink...)
	})
	t.Run("unified context offline", func(t *testing.T) {
		// The unified @context is built in: no fetch is needed.
		ts := newTestServer(t, Config{OfflineContexts: true}).with(t)
		ts.wantProblem(http.StatusBadRequest, "BadRequestData", "POST", "/entities", body, modelLink...)
		ts.must(http.StatusOK, "GET", "/types", "", modelLink...)
	})
}
