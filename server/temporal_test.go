package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opentid/opentid/server/store/sqlite"
	"github.com/opentid/opentid/spec"
)

const histID = "urn:ngsi-ld:Sensor:t1"

// temporalBody is a temporal entity with n noise readings, one per hour
// from 2024-01-01T00:00Z, of value 50+i.
func temporalBody(id string, n int) string {
	var inst []string
	for i := range n {
		at := time.Date(2024, 1, 1, i, 0, 0, 0, time.UTC).Format(time.RFC3339)
		inst = append(inst, fmt.Sprintf(`{"type":"Property","value":%d,"observedAt":%q}`, 50+i, at))
	}
	return fmt.Sprintf(`{"id":%q,"type":"Sensor","noise":[%s]}`, id, strings.Join(inst, ","))
}

func TestTemporalProvisionAndRetrieval(t *testing.T) {
	ts := newTestServer(t, Config{TemporalLimit: 5})
	r := ts.must(http.StatusCreated, "POST", "/temporal/entities", temporalBody(histID, 8))
	if loc := r.header.Get("Location"); loc != BasePath+"/temporal/entities/"+url.PathEscape(histID) {
		t.Errorf("Location %q", loc)
	}
	ts.must(http.StatusNoContent, "POST", "/temporal/entities", temporalBody(histID, 1))

	// The current state holds the latest reading.
	cur := ts.must(http.StatusOK, "GET", "/entities/"+histID, "").object(t)
	if v := cur["noise"].(map[string]any)["value"]; fmt.Sprint(v) != "57" {
		t.Errorf("current noise %v, want 57", v)
	}

	// 9 instances, limit 5: the first page ends before the 5th hour.
	r = ts.must(http.StatusPartialContent, "GET", "/temporal/entities/"+histID, "")
	if cr := r.header.Get("Content-Range"); cr != "date-time 2024-01-01T00:00:00.000Z-2024-01-01T04:00:00.000Z/*" {
		t.Errorf("Content-Range %q", cr)
	}
	list := r.object(t)["noise"].([]any)
	if len(list) != 5 { // two instances at 00:00, then 01:00 to 03:00
		t.Fatalf("%d instances on the first page: %s", len(list), r.body)
	}
	first := list[0].(map[string]any)
	if first["instanceId"] == nil || first["observedAt"] != "2024-01-01T00:00:00Z" {
		t.Errorf("instance %v", first)
	}

	r = ts.must(http.StatusOK, "GET", "/temporal/entities/"+histID+"?timerel=between&timeAt=2024-01-01T04:00:00Z&endTimeAt=2024-01-01T07:00:00%2B01:00&options=temporalValues", "")
	got := r.object(t)["noise"].(map[string]any)
	want := `[[54,"2024-01-01T04:00:00.000Z"],[55,"2024-01-01T05:00:00.000Z"]]`
	if b, _ := json.Marshal(got["values"]); string(b) != want {
		t.Errorf("temporalValues %s, want %s", b, want)
	}

	r = ts.must(http.StatusOK, "GET", "/temporal/entities/"+histID+"?lastN=2&format=temporalValues", "")
	if b, _ := json.Marshal(r.object(t)["noise"].(map[string]any)["values"]); string(b) != `[[56,"2024-01-01T06:00:00.000Z"],[57,"2024-01-01T07:00:00.000Z"]]` {
		t.Errorf("lastN=2: %s", b)
	}

	r = ts.must(http.StatusOK, "GET", "/temporal/entities/"+histID+"?options=aggregatedValues&aggrMethods=max,totalCount&aggrPeriodDuration=PT4H&timerel=between&timeAt=2024-01-01T00:00:00Z&endTimeAt=2024-01-01T08:00:00Z", "")
	agg := r.object(t)["noise"].(map[string]any)
	if b, _ := json.Marshal(agg["max"]); string(b) != `[[53,"2024-01-01T00:00:00.000Z","2024-01-01T04:00:00.000Z"],[57,"2024-01-01T04:00:00.000Z","2024-01-01T08:00:00.000Z"]]` {
		t.Errorf("max %s", b)
	}
	if b, _ := json.Marshal(agg["totalCount"]); !strings.HasPrefix(string(b), `[[5,`) {
		t.Errorf("totalCount %s", b)
	}

	ts.wantProblem(http.StatusForbidden, spec.ProblemTooManyResults, "GET", "/temporal/entities/"+histID+"?lastN=6", "")
	ts.wantProblem(http.StatusBadRequest, spec.ProblemBadRequestData, "GET", "/temporal/entities/"+histID+"?timerel=between&timeAt=2024-01-01T00:00:00Z", "")
	ts.wantProblem(http.StatusBadRequest, spec.ProblemBadRequestData, "GET", "/temporal/entities/"+histID+"?options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=1h", "")
	ts.wantProblem(http.StatusNotFound, spec.ProblemResourceNotFound, "GET", "/temporal/entities/urn:ngsi-ld:Sensor:none", "")
}

func TestTemporalRecordsEntityAPIChanges(t *testing.T) {
	ts := newTestServer(t, Config{})
	ts.must(http.StatusCreated, "POST", "/entities", `{"id":"urn:ngsi-ld:Sensor:e1","type":"Sensor","noise":{"type":"Property","value":1,"observedAt":"2024-01-01T00:00:00Z"},"name":{"type":"Property","value":"a"}}`)
	ts.must(http.StatusNoContent, "PATCH", "/entities/urn:ngsi-ld:Sensor:e1/attrs", `{"noise":{"type":"Property","value":2,"observedAt":"2024-01-01T01:00:00Z"}}`)
	ts.must(http.StatusCreated, "POST", "/entityOperations/upsert", `[{"id":"urn:ngsi-ld:Sensor:e1","type":"Sensor","noise":{"type":"Property","value":3,"observedAt":"2024-01-01T02:00:00Z"}}, {"id":"urn:ngsi-ld:Sensor:e2","type":"Sensor","noise":{"type":"Property","value":9,"observedAt":"2024-01-01T02:00:00Z"}}]`)
	r := ts.must(http.StatusOK, "GET", "/temporal/entities/urn:ngsi-ld:Sensor:e1?options=temporalValues", "")
	obj := r.object(t)
	if b, _ := json.Marshal(obj["noise"].(map[string]any)["values"]); string(b) != `[[1,"2024-01-01T00:00:00.000Z"],[2,"2024-01-01T01:00:00.000Z"],[3,"2024-01-01T02:00:00.000Z"]]` {
		t.Errorf("noise history %s", b)
	}
	if n := len(obj["name"].(map[string]any)["values"].([]any)); n != 1 {
		t.Errorf("name history has %d instances, want 1 (recorded at creation only)", n)
	}
	r = ts.must(http.StatusOK, "GET", "/temporal/entities?type=Sensor&lastN=1&options=temporalValues", "")
	if list := r.json(t).([]any); len(list) != 2 {
		t.Errorf("temporal query: %s", r.body)
	}
	r = ts.must(http.StatusOK, "POST", "/temporal/entityOperations/query?options=temporalValues", `{"type":"Query","entities":[{"type":"Sensor"}],"attrs":["noise"],"temporalQ":{"timerel":"after","timeAt":"2024-01-01T02:00:00Z"}}`)
	if list := r.json(t).([]any); len(list) != 2 {
		t.Errorf("temporal query via POST: %s", r.body)
	}
	// Deleting the entity keeps its history.
	ts.must(http.StatusNoContent, "DELETE", "/entities/urn:ngsi-ld:Sensor:e2", "")
	ts.must(http.StatusOK, "GET", "/temporal/entities/urn:ngsi-ld:Sensor:e2", "")
	ts.must(http.StatusNoContent, "DELETE", "/temporal/entities/urn:ngsi-ld:Sensor:e2", "")
	ts.must(http.StatusNotFound, "GET", "/temporal/entities/urn:ngsi-ld:Sensor:e2", "")
}

func TestTemporalInstanceEdits(t *testing.T) {
	ts := newTestServer(t, Config{})
	ts.must(http.StatusCreated, "POST", "/temporal/entities", temporalBody(histID, 3))
	ts.must(http.StatusNoContent, "POST", "/temporal/entities/"+histID+"/attrs", `{"level":[{"type":"Property","value":1,"observedAt":"2024-01-01T00:00:00Z"}]}`)
	ts.wantProblem(http.StatusNotFound, spec.ProblemResourceNotFound, "POST", "/temporal/entities/urn:ngsi-ld:Sensor:none/attrs", `{"level":[{"type":"Property","value":1}]}`)
	list := ts.must(http.StatusOK, "GET", "/temporal/entities/"+histID+"?attrs=noise", "").object(t)["noise"].([]any)
	iid := list[1].(map[string]any)["instanceId"].(string)
	path := "/temporal/entities/" + histID + "/attrs/noise/" + url.PathEscape(iid)
	ts.must(http.StatusNoContent, "PATCH", path, `{"value":99}`)
	r := ts.must(http.StatusOK, "GET", "/temporal/entities/"+histID+"?attrs=noise&options=temporalValues", "")
	if b, _ := json.Marshal(r.object(t)["noise"].(map[string]any)["values"]); string(b) != `[[50,"2024-01-01T00:00:00.000Z"],[99,"2024-01-01T01:00:00.000Z"],[52,"2024-01-01T02:00:00.000Z"]]` {
		t.Errorf("after patch: %s", b)
	}
	ts.must(http.StatusNoContent, "DELETE", path, "")
	ts.wantProblem(http.StatusNotFound, spec.ProblemResourceNotFound, "DELETE", path, "")
	ts.must(http.StatusNoContent, "DELETE", "/temporal/entities/"+histID+"/attrs/level", "")
	ts.wantProblem(http.StatusNotFound, spec.ProblemResourceNotFound, "DELETE", "/temporal/entities/"+histID+"/attrs/level", "")
	obj := ts.must(http.StatusOK, "GET", "/temporal/entities/"+histID, "").object(t)
	if _, has := obj["level"]; has || len(obj["noise"].([]any)) != 2 {
		t.Errorf("after deletions: %v", obj)
	}
}

func TestRetention(t *testing.T) {
	now := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "retention.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv, err := Open(Config{Now: func() time.Time { return now }, Retention: 20 * time.Hour, TenantRetention: map[string]time.Duration{"keep": 0}}, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	st := &testServer{t: t, url: hs.URL + BasePath, root: hs.URL}
	st.must(http.StatusCreated, "POST", "/temporal/entities", temporalBody(histID, 8))
	st.must(http.StatusCreated, "POST", "/temporal/entities", temporalBody(histID, 8), "NGSILD-Tenant", "keep")
	n, err := srv.ApplyRetention(context.Background())
	if err != nil || n != 4 {
		t.Fatalf("ApplyRetention: %d, %v; want 4 instances removed (before 04:00)", n, err)
	}
	list := st.must(http.StatusOK, "GET", "/temporal/entities/"+histID, "").object(t)["noise"].([]any)
	if len(list) != 4 {
		t.Errorf("%d instances left, want 4", len(list))
	}
	list = st.must(http.StatusOK, "GET", "/temporal/entities/"+histID, "", "NGSILD-Tenant", "keep").object(t)["noise"].([]any)
	if len(list) != 8 {
		t.Errorf("%d instances left in a tenant without retention, want 8", len(list))
	}
}
