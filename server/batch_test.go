package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func entityJSON(id string, value int) string {
	return fmt.Sprintf(`{"id": %q, "type": "ParkingSpot", "status": {"type": "Property", "value": "free"}, "n": {"type": "Property", "value": %d}}`, id, value)
}

func batch(items ...string) string { return "[" + strings.Join(items, ",") + "]" }

func TestBatchCreate(t *testing.T) {
	ts := newTestServer(t, Config{})
	r := ts.must(http.StatusCreated, "POST", "/entityOperations/create", batch(entityJSON("urn:p:1", 1), entityJSON("urn:p:2", 2)))
	if diff := cmp.Diff([]any{"urn:p:1", "urn:p:2"}, r.json(t)); diff != "" {
		t.Errorf("created ids (-want +got):\n%s", diff)
	}
	// Every item is processed: the failures in the middle do not stop the last one.
	r = ts.must(http.StatusMultiStatus, "POST", "/entityOperations/create", batch(
		entityJSON("urn:p:1", 1), `{"id": "not a uri", "type": "T"}`, entityJSON("urn:p:3", 3), entityJSON("urn:p:3", 4)))
	res := r.object(t)
	if diff := cmp.Diff([]any{"urn:p:3"}, res["success"]); diff != "" {
		t.Errorf("success (-want +got):\n%s", diff)
	}
	errs := res["errors"].([]any)
	var got []string
	for _, e := range errs {
		m := e.(map[string]any)
		typ := m["error"].(map[string]any)["type"].(string)
		got = append(got, fmt.Sprint(m["entityId"], " ", typ[strings.LastIndex(typ, "/")+1:]))
	}
	want := []string{"urn:p:1 AlreadyExists", "not a uri BadRequestData", "urn:p:3 AlreadyExists"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	ts.must(http.StatusOK, "GET", "/entities/urn:p:3", "")
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "POST", "/entityOperations/create", entityJSON("urn:p:9", 1))
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "POST", "/entityOperations/create", `[]`)
	ts.wantProblem(http.StatusBadRequest, "InvalidRequest", "POST", "/entityOperations/create", `[{"id": `)
}

func TestBatchUpsert(t *testing.T) {
	ts := newTestServer(t, Config{})
	r := ts.must(http.StatusCreated, "POST", "/entityOperations/upsert", batch(entityJSON("urn:p:1", 1)))
	if diff := cmp.Diff([]any{"urn:p:1"}, r.json(t)); diff != "" {
		t.Errorf("upsert created (-want +got):\n%s", diff)
	}
	ts.must(http.StatusNoContent, "POST", "/entityOperations/upsert", batch(`{"id": "urn:p:1", "type": "ParkingSpot", "n": 10}`))
	kv := ts.must(http.StatusOK, "GET", "/entities/urn:p:1?options=keyValues", "").object(t)
	if _, has := kv["status"]; has {
		t.Errorf("upsert with replace kept status: %v", kv)
	}
	ts.must(http.StatusNoContent, "POST", "/entityOperations/upsert?options=update", batch(`{"id": "urn:p:1", "type": "ParkingSpot", "status": "occupied"}`))
	kv = ts.must(http.StatusOK, "GET", "/entities/urn:p:1?options=keyValues", "").object(t)
	if diff := cmp.Diff(map[string]any{"id": "urn:p:1", "type": "ParkingSpot", "n": 10.0, "status": "occupied"}, numbersToFloat(kv)); diff != "" {
		t.Errorf("upsert with update (-want +got):\n%s", diff)
	}
	r = ts.must(http.StatusCreated, "POST", "/entityOperations/upsert", batch(entityJSON("urn:p:1", 1), entityJSON("urn:p:2", 2)))
	if diff := cmp.Diff([]any{"urn:p:2"}, r.json(t)); diff != "" {
		t.Errorf("mixed upsert answers the created ids (-want +got):\n%s", diff)
	}
	r = ts.must(http.StatusMultiStatus, "POST", "/entityOperations/upsert", batch(entityJSON("urn:p:4", 1), `{"id": "urn:p:5"}`))
	if diff := cmp.Diff([]any{"urn:p:4"}, r.object(t)["success"]); diff != "" {
		t.Errorf("upsert with an error (-want +got):\n%s", diff)
	}
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "POST", "/entityOperations/upsert?options=noOverwrite", batch(entityJSON("urn:p:1", 1)))
}

func TestBatchUpdateMergeDelete(t *testing.T) {
	ts := newTestServer(t, Config{})
	ts.must(http.StatusCreated, "POST", "/entityOperations/create", batch(entityJSON("urn:p:1", 1), entityJSON("urn:p:2", 2)))

	ts.must(http.StatusNoContent, "POST", "/entityOperations/update", batch(`{"id": "urn:p:1", "n": 11}`, `{"id": "urn:p:2", "extra": "x"}`))
	r := ts.must(http.StatusMultiStatus, "POST", "/entityOperations/update", batch(`{"id": "urn:p:1", "n": 12}`, `{"id": "urn:p:missing", "n": 1}`))
	if diff := cmp.Diff([]any{"urn:p:1"}, r.object(t)["success"]); diff != "" {
		t.Errorf("update success (-want +got):\n%s", diff)
	}
	ts.must(http.StatusNoContent, "POST", "/entityOperations/update?options=noOverwrite", batch(`{"id": "urn:p:1", "n": 99, "other": 1}`))
	kv := ts.must(http.StatusOK, "GET", "/entities/urn:p:1?options=keyValues", "").object(t)
	if numbersToFloat(kv["n"]) != 12.0 || kv["other"] == nil {
		t.Errorf("update with noOverwrite: %v", kv)
	}

	ts.must(http.StatusNoContent, "POST", "/entityOperations/merge", batch(`{"id": "urn:p:1", "status": "urn:ngsi-ld:null", "m": 1}`))
	kv = ts.must(http.StatusOK, "GET", "/entities/urn:p:1?options=keyValues", "").object(t)
	if _, has := kv["status"]; has || kv["m"] == nil {
		t.Errorf("merge: %v", kv)
	}
	ts.must(http.StatusMultiStatus, "POST", "/entityOperations/merge", batch(`{"id": "urn:p:missing", "m": 1}`))

	r = ts.must(http.StatusMultiStatus, "POST", "/entityOperations/delete", `["urn:p:1", "urn:p:missing", "urn:p:2"]`)
	if diff := cmp.Diff([]any{"urn:p:1", "urn:p:2"}, r.object(t)["success"]); diff != "" {
		t.Errorf("delete success (-want +got):\n%s", diff)
	}
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "GET", "/entities/urn:p:2", "")
	ts.must(http.StatusCreated, "POST", "/entities", entityJSON("urn:p:7", 7))
	ts.must(http.StatusNoContent, "POST", "/entityOperations/delete", `["urn:p:7"]`)
}

func TestBatchOfTenThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("large batch")
	}
	ts := newTestServer(t, Config{})
	items := make([]string, 10000)
	for i := range items {
		items[i] = entityJSON(fmt.Sprintf("urn:ngsi-ld:ParkingSpot:%05d", i), i)
	}
	r := ts.must(http.StatusCreated, "POST", "/entityOperations/upsert", batch(items...))
	if n := len(r.json(t).([]any)); n != 10000 {
		t.Fatalf("%d ids created, want 10000", n)
	}
	c := ts.must(http.StatusOK, "GET", "/entities?type=ParkingSpot&count=true&limit=0", "")
	if got := c.header.Get("NGSILD-Results-Count"); got != "10000" {
		t.Fatalf("count %s, want 10000", got)
	}
	small := newTestServer(t, Config{MaxBatch: 2})
	small.wantProblem(http.StatusBadRequest, "BadRequestData", "POST", "/entityOperations/upsert", batch(items[:3]...))
}
