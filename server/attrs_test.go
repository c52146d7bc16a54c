package server

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sensor = `{
  "id": "urn:ngsi-ld:NoiseLevelObserved:n1",
  "type": "NoiseLevelObserved",
  "LAeq": {"type": "Property", "value": 61.2, "unitCode": "2N", "observedAt": "2026-11-30T10:00:00Z",
           "accuracy": {"type": "Property", "value": 0.5}},
  "speed": [
    {"type": "Property", "value": 55, "datasetId": "urn:ngsi-ld:Dataset:radar"},
    {"type": "Property", "value": 54, "datasetId": "urn:ngsi-ld:Dataset:gps"}
  ]
}`

const sensorPath = "/entities/urn:ngsi-ld:NoiseLevelObserved:n1"

func TestAppendAttrs(t *testing.T) {
	ts := newTestServer(t, Config{})
	ts.must(http.StatusCreated, "POST", "/entities", sensor)
	ts.must(http.StatusNoContent, "POST", sensorPath+"/attrs", `{"LAmax": {"type": "Property", "value": 70}, "LAeq": {"type": "Property", "value": 62}}`)
	kv := ts.must(http.StatusOK, "GET", sensorPath+"?options=keyValues&attrs=LAmax,LAeq", "").object(t)
	if diff := cmp.Diff(map[string]any{"id": "urn:ngsi-ld:NoiseLevelObserved:n1", "type": "NoiseLevelObserved", "LAmax": 70.0, "LAeq": 62.0}, numbersToFloat(kv)); diff != "" {
		t.Errorf("after append (-want +got):\n%s", diff)
	}
	r := ts.must(http.StatusMultiStatus, "POST", sensorPath+"/attrs?options=noOverwrite", `{"LAmax": {"type": "Property", "value": 99}, "LAmin": {"type": "Property", "value": 30}}`)
	res := r.object(t)
	if diff := cmp.Diff([]any{"LAmin"}, res["updated"]); diff != "" {
		t.Errorf("updated (-want +got):\n%s", diff)
	}
	nu, _ := res["notUpdated"].([]any)
	if len(nu) != 1 || nu[0].(map[string]any)["attributeName"] != "LAmax" {
		t.Errorf("notUpdated %v, want LAmax", res["notUpdated"])
	}
	kv = ts.must(http.StatusOK, "GET", sensorPath+"?options=keyValues&attrs=LAmax", "").object(t)
	if numbersToFloat(kv["LAmax"]) != 70.0 {
		t.Errorf("noOverwrite changed LAmax to %v", kv["LAmax"])
	}
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "POST", "/entities/urn:ngsi-ld:X:missing/attrs", `{"a": 1}`)
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "POST", sensorPath+"/attrs", `{"a": {"type": "Property"}}`)
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "POST", sensorPath+"/attrs?options=replace", `{"a": 1}`)
}

func TestUpdateAttrs(t *testing.T) {
	ts := newTestServer(t, Config{})
	ts.must(http.StatusCreated, "POST", "/entities", sensor)
	ts.must(http.StatusNoContent, "PATCH", sensorPath+"/attrs", `{"LAeq": {"type": "Property", "value": 63}}`)
	r := ts.must(http.StatusMultiStatus, "PATCH", sensorPath+"/attrs", `{"LAeq": {"type": "Property", "value": 64}, "missing": {"type": "Property", "value": 1}}`)
	res := r.object(t)
	if diff := cmp.Diff([]any{"LAeq"}, res["updated"]); diff != "" {
		t.Errorf("updated (-want +got):\n%s", diff)
	}
	kv := ts.must(http.StatusOK, "GET", sensorPath+"?options=keyValues&attrs=LAeq,missing", "").object(t)
	if _, has := kv["missing"]; has {
		t.Error("update created an attribute")
	}
	if numbersToFloat(kv["LAeq"]) != 64.0 {
		t.Errorf("LAeq = %v, want 64", kv["LAeq"])
	}
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "PATCH", "/entities/urn:ngsi-ld:X:missing/attrs", `{"a": 1}`)
}

func TestPartialAttrUpdateAndReplace(t *testing.T) {
	ts := newTestServer(t, Config{})
	ts.must(http.StatusCreated, "POST", "/entities", sensor)
	ts.must(http.StatusNoContent, "PATCH", sensorPath+"/attrs/LAeq", `{"value": 65}`)
	got := ts.must(http.StatusOK, "GET", sensorPath+"?attrs=LAeq", "").object(t)["LAeq"].(map[string]any)
	if numbersToFloat(got["value"]) != 65.0 || got["unitCode"] != "2N" || got["accuracy"] == nil {
		t.Errorf("partial update lost members: %v", got)
	}
	ts.must(http.StatusNoContent, "PUT", sensorPath+"/attrs/LAeq", `{"type": "Property", "value": 66}`)
	got = ts.must(http.StatusOK, "GET", sensorPath+"?attrs=LAeq", "").object(t)["LAeq"].(map[string]any)
	if diff := cmp.Diff(map[string]any{"type": "Property", "value": 66.0}, numbersToFloat(got)); diff != "" {
		t.Errorf("replace attr (-want +got):\n%s", diff)
	}
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "PATCH", sensorPath+"/attrs/nothing", `{"value": 1}`)
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "PUT", sensorPath+"/attrs/nothing", `{"type": "Property", "value": 1}`)
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "PATCH", "/entities/urn:ngsi-ld:X:missing/attrs/LAeq", `{"value": 1}`)
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "PUT", sensorPath+"/attrs/LAeq", `{"type": "Property"}`)
}

func TestDeleteAttr(t *testing.T) {
	ts := newTestServer(t, Config{})
	ts.must(http.StatusCreated, "POST", "/entities", sensor)
	ts.must(http.StatusNoContent, "DELETE", sensorPath+"/attrs/speed?datasetId=urn:ngsi-ld:Dataset:radar", "")
	speed := ts.must(http.StatusOK, "GET", sensorPath+"?attrs=speed", "").object(t)["speed"]
	if m, ok := speed.(map[string]any); !ok || m["datasetId"] != "urn:ngsi-ld:Dataset:gps" {
		t.Errorf("after deleting the radar instance, speed = %v", speed)
	}
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "DELETE", sensorPath+"/attrs/speed?datasetId=urn:ngsi-ld:Dataset:radar", "")
	ts.must(http.StatusNoContent, "DELETE", sensorPath+"/attrs/speed?deleteAll=true", "")
	ts.must(http.StatusNoContent, "DELETE", sensorPath+"/attrs/LAeq", "")
	left := ts.must(http.StatusOK, "GET", sensorPath, "").object(t)
	if diff := cmp.Diff([]string{"id", "type"}, keys(left)); diff != "" {
		t.Errorf("attributes left (-want +got):\n%s", diff)
	}
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "DELETE", sensorPath+"/attrs/LAeq", "")
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "DELETE", sensorPath+"/attrs/x?deleteAll=maybe", "")
}

func TestMergeAndReplaceEntity(t *testing.T) {
	ts := newTestServer(t, Config{})
	ts.must(http.StatusCreated, "POST", "/entities", sensor)
	before := ts.must(http.StatusOK, "GET", sensorPath+"?options=sysAttrs", "").object(t)
	ts.must(http.StatusNoContent, "PATCH", sensorPath, `{"LAeq": {"value": 70, "accuracy": "urn:ngsi-ld:null"}, "LAmax": 80, "speed": "urn:ngsi-ld:null"}`, "Content-Type", "application/merge-patch+json")
	got := ts.must(http.StatusOK, "GET", sensorPath, "").object(t)
	laeq := got["LAeq"].(map[string]any)
	if numbersToFloat(laeq["value"]) != 70.0 || laeq["unitCode"] != "2N" {
		t.Errorf("merge lost or missed LAeq members: %v", laeq)
	}
	if _, has := laeq["accuracy"]; has {
		t.Errorf("merge did not delete the sub-attribute: %v", laeq)
	}
	if speed, _ := got["speed"].([]any); len(speed) != 2 {
		t.Errorf("the null sentinel without datasetId deleted instances that have one: %v", got["speed"])
	}
	if got["LAmax"] == nil {
		t.Error("merge did not add LAmax")
	}
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "PATCH", "/entities/urn:ngsi-ld:X:missing", `{"a": 1}`)
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "PATCH", sensorPath, `{"id": "urn:ngsi-ld:other:1", "a": 1}`)

	ts.must(http.StatusNoContent, "PUT", sensorPath, `{"type": "NoiseLevelObserved", "LAeq": 50}`)
	after := ts.must(http.StatusOK, "GET", sensorPath+"?options=sysAttrs", "").object(t)
	if diff := cmp.Diff([]string{"LAeq", "createdAt", "id", "modifiedAt", "type"}, keys(after)); diff != "" {
		t.Errorf("replace (-want +got):\n%s", diff)
	}
	if after["createdAt"] != before["createdAt"] {
		t.Errorf("replace changed createdAt from %v to %v", before["createdAt"], after["createdAt"])
	}
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "PUT", "/entities/urn:ngsi-ld:X:missing", `{"type": "T", "a": 1}`)
}
