package conformance

import (
	"net/http"
	"slices"
	"strings"

	"github.com/opentid/opentid/spec"
)

func batchCases() []Case {
	return []Case{
		coreCase("batch-create", "Batch create", []string{"batch-create"}, caseBatchCreate),
		coreCase("batch-partial-failure", "A batch with a failing item reports it and processes the others",
			[]string{"batch-result", "batch-every-item"}, caseBatchPartialFailure),
		coreCase("batch-upsert", "Batch upsert creates and replaces", []string{"batch-upsert"}, caseBatchUpsert),
		coreCase("batch-update", "Batch update", []string{"batch-update"}, caseBatchUpdate),
		coreCase("batch-delete", "Batch delete, with an unknown id", []string{"batch-delete", "batch-result"}, caseBatchDelete),
		coreCase("batch-merge", "Batch merge", []string{"batch-merge"}, caseBatchMerge),
	}
}

const (
	reqBatchCreate spec.ReqID = "/req/core/batch-create"
	reqBatchResult spec.ReqID = "/req/core/batch-result"
	reqBatchEvery  spec.ReqID = "/req/core/batch-every-item"
	reqBatchUpsert spec.ReqID = "/req/core/batch-upsert"
	reqBatchUpdate spec.ReqID = "/req/core/batch-update"
	reqBatchDelete spec.ReqID = "/req/core/batch-delete"
	reqBatchMerge  spec.ReqID = "/req/core/batch-merge"
)

func batch(op string, body any) Request {
	return JSONRequest(http.MethodPost, "/entityOperations/"+op, body)
}

// expectIDArray checks a 201 answer holding an array of entity ids.
func (t *T) expectIDArray(resp *Response, req spec.ReqID, want ...string) {
	got := strList(resp.JSON())
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	t.Expect(slices.Equal(got, want), req, "the answer must list the ids of the created entities", strings.Join(want, ", "), string(resp.Body))
}

// batchResult reads a BatchOperationResult: the success ids and, per
// failed id, the error type.
func batchResult(resp *Response) (success []string, errs map[string]string) {
	obj := resp.Object()
	success = strList(obj["success"])
	slices.Sort(success)
	errs = map[string]string{}
	list, _ := obj["errors"].([]any)
	for _, v := range list {
		m, _ := v.(map[string]any)
		id, _ := m["entityId"].(string)
		pd, _ := m["error"].(map[string]any)
		typ, _ := pd["type"].(string)
		errs[id] = typ
	}
	return success, errs
}

func caseBatchCreate(t *T) {
	typ := t.Name("OtcSensor")
	a, b := t.EntityID("a"), t.EntityID("b")
	resp := t.Do(batch("create", []any{sensor(a, typ), sensor(b, typ)}))
	if !t.expectStatus(resp, reqBatchCreate, http.StatusCreated) {
		t.Stop()
	}
	t.expectIDArray(resp, reqBatchCreate, a, b)
	for _, id := range []string{a, b} {
		e := t.getEntity(id, nil, reqBatchCreate)
		t.expectAttrValue(e, "temperature", 21.5, reqBatchCreate)
	}
}

func caseBatchPartialFailure(t *T) {
	typ := t.Name("OtcSensor")
	dup, first, last := t.EntityID("dup"), t.EntityID("first"), t.EntityID("last")
	t.create(sensor(dup, typ))
	resp := t.Do(batch("create", []any{sensor(first, typ), sensor(dup, typ), sensor(last, typ)}))
	if t.expectStatus(resp, reqBatchResult, http.StatusMultiStatus) {
		success, errs := batchResult(resp)
		t.Expect(slices.Equal(success, slices.Sorted(slices.Values([]string{first, last}))), reqBatchEvery,
			"success must list every item that was processed", first+", "+last, strings.Join(success, ", "))
		t.Expect(len(errs) == 1 && errs[dup] == problemURI(spec.ProblemAlreadyExists), reqBatchResult,
			"errors must report the failed item with its ProblemDetails", dup+": "+problemURI(spec.ProblemAlreadyExists), show(resp.Object()["errors"]))
	}
	for _, id := range []string{first, last} {
		resp := t.Do(GetRequest(EntityPath(id), nil))
		t.Expect(resp.Status == http.StatusOK, reqBatchEvery, "every valid item of the batch must be processed, "+id+" was not", "200", show(resp.Status))
	}
}

func caseBatchUpsert(t *T) {
	typ := t.Name("OtcSensor")
	old, fresh := t.EntityID("old"), t.EntityID("new")
	t.create(sensor(old, typ))
	resp := t.Do(batch("upsert", []any{Obj{"id": old, "type": typ, "temperature": Prop(30)}, sensor(fresh, typ)}))
	if t.expectStatus(resp, reqBatchUpsert, http.StatusCreated) {
		t.expectIDArray(resp, reqBatchUpsert, fresh)
	}
	e := t.getEntity(old, nil, reqBatchUpsert)
	t.expectAttrValue(e, "temperature", 30, reqBatchUpsert)
	t.expectNoAttr(e, "name", reqBatchUpsert)
	t.getEntity(fresh, nil, reqBatchUpsert)
	resp = t.Do(batch("upsert", []any{Obj{"id": old, "type": typ, "temperature": Prop(31)}, sensor(fresh, typ)}))
	t.expectStatus(resp, reqBatchUpsert, http.StatusNoContent)
	e = t.getEntity(old, nil, reqBatchUpsert)
	t.expectAttrValue(e, "temperature", 31, reqBatchUpsert)
}

func caseBatchUpdate(t *T) {
	typ := t.Name("OtcSensor")
	a, b := t.newSensor("a"), t.newSensor("b")
	resp := t.Do(batch("update", []any{Obj{"id": a, "type": typ, "temperature": Prop(31)}, Obj{"id": b, "type": typ, "temperature": Prop(32)}}))
	if !t.expectStatus(resp, reqBatchUpdate, http.StatusNoContent) {
		t.Stop()
	}
	for id, want := range map[string]int{a: 31, b: 32} {
		e := t.getEntity(id, nil, reqBatchUpdate)
		t.expectAttrValue(e, "temperature", want, reqBatchUpdate)
		t.expectAttrValue(e, "name", "Capteur 1", reqBatchUpdate)
	}
}

func caseBatchDelete(t *T) {
	a, b := t.newSensor("a"), t.newSensor("b")
	resp := t.Do(batch("delete", []string{a, b}))
	if !t.expectStatus(resp, reqBatchDelete, http.StatusNoContent) {
		t.Stop()
	}
	for _, id := range []string{a, b} {
		resp := t.Do(GetRequest(EntityPath(id), nil))
		t.Expect(resp.Status == http.StatusNotFound, reqBatchDelete, id+" must be deleted", "404", show(resp.Status))
	}
	c, unknown := t.newSensor("c"), t.EntityID("unknown")
	resp = t.Do(batch("delete", []string{c, unknown}))
	if t.expectStatus(resp, reqBatchDelete, http.StatusMultiStatus) {
		success, errs := batchResult(resp)
		t.Expect(slices.Equal(success, []string{c}), reqBatchResult, "success must list the deleted entity", c, strings.Join(success, ", "))
		t.Expect(errs[unknown] == problemURI(spec.ProblemResourceNotFound), reqBatchDelete, "errors must report the unknown id as ResourceNotFound",
			unknown+": "+problemURI(spec.ProblemResourceNotFound), show(resp.Object()["errors"]))
	}
}

func caseBatchMerge(t *T) {
	typ := t.Name("OtcSensor")
	a := t.newSensor("a")
	resp := t.Do(batch("merge", []any{Obj{"id": a, "type": typ, "temperature": Prop(33)}}))
	if !t.expectStatus(resp, reqBatchMerge, http.StatusNoContent) {
		t.Stop()
	}
	e := t.getEntity(a, nil, reqBatchMerge)
	t.expectAttrValue(e, "temperature", 33, reqBatchMerge)
	t.expectAttrValue(e, "name", "Capteur 1", reqBatchMerge)
	t.Expect(attr(e, "temperature")["unitCode"] == "CEL", reqBatchMerge, "merging temperature lost its unitCode", `"CEL"`, show(attr(e, "temperature")["unitCode"]))
}
