package conformance

import (
	"net/http"
	"slices"
	"strings"

	"github.com/opentid/opentid/spec"
)

func attributeCases() []Case {
	return []Case{
		coreCase("attrs-append", "Append attributes", []string{"attrs-append"}, caseAttrsAppend),
		coreCase("attrs-append-no-overwrite", "Append attributes with noOverwrite", []string{"attrs-append-no-overwrite"}, caseAttrsAppendNoOverwrite),
		coreCase("attrs-update", "Update attributes", []string{"attrs-update"}, caseAttrsUpdate),
		coreCase("attrs-update-missing", "Updating missing attributes is a 207 that creates nothing", []string{"attrs-update-missing"}, caseAttrsUpdateMissing),
		coreCase("attr-partial-update", "Partial update of one attribute", []string{"attr-partial-update"}, caseAttrPartialUpdate),
		coreCase("attr-replace", "Replace one attribute", []string{"attr-replace"}, caseAttrReplace),
		coreCase("attr-delete", "Delete one attribute", []string{"attr-delete"}, caseAttrDelete),
		coreCase("attr-delete-dataset", "Delete one instance of a multi-attribute", []string{"attr-delete-dataset"}, caseAttrDeleteDataset),
		coreCase("attr-delete-all", "Delete every instance of a multi-attribute", []string{"attr-delete-all"}, caseAttrDeleteAll),
	}
}

const (
	reqAppend        spec.ReqID = "/req/core/attrs-append"
	reqAppendNoOver  spec.ReqID = "/req/core/attrs-append-no-overwrite"
	reqUpdate        spec.ReqID = "/req/core/attrs-update"
	reqUpdateMissing spec.ReqID = "/req/core/attrs-update-missing"
	reqPartial       spec.ReqID = "/req/core/attr-partial-update"
	reqAttrReplace   spec.ReqID = "/req/core/attr-replace"
	reqAttrDelete    spec.ReqID = "/req/core/attr-delete"
	reqDeleteDataset spec.ReqID = "/req/core/attr-delete-dataset"
	reqDeleteAll     spec.ReqID = "/req/core/attr-delete-all"
	datasetA                    = "urn:ngsi-ld:Dataset:opentid-conformance-a"
	datasetB                    = "urn:ngsi-ld:Dataset:opentid-conformance-b"
)

// newSensor creates the usual entity and returns its id.
func (t *T) newSensor(name string) string {
	id := t.EntityID(name)
	t.create(sensor(id, t.Name("OtcSensor")))
	return id
}

// expectNotUpdated checks an UpdateResult that names attrs in notUpdated.
func (t *T) expectNotUpdated(resp *Response, req spec.ReqID, attrs ...string) {
	if !t.expectStatus(resp, req, http.StatusMultiStatus) {
		return
	}
	var names []string
	if list, ok := resp.Object()["notUpdated"].([]any); ok {
		for _, v := range list {
			if m, ok := v.(map[string]any); ok {
				if n, ok := m["attributeName"].(string); ok {
					names = append(names, n)
				}
			}
		}
	}
	for _, a := range attrs {
		t.Expect(slices.ContainsFunc(names, func(n string) bool { return sameTerm(n, a) }), req,
			"the UpdateResult must name the attribute in notUpdated", a, strings.Join(names, ", "))
	}
}

func caseAttrsAppend(t *T) {
	id := t.newSensor("sensor")
	resp := t.Do(JSONRequest(http.MethodPost, EntityPath(id)+"/attrs", Obj{"temperature": Prop(22), "humidity": Prop(40)}))
	if !t.expectStatus(resp, reqAppend, http.StatusNoContent) {
		t.Stop()
	}
	e := t.getEntity(id, nil, reqAppend)
	t.expectAttrValue(e, "temperature", 22, reqAppend)
	t.expectAttrValue(e, "humidity", 40, reqAppend)
	t.expectAttrValue(e, "name", "Capteur 1", reqAppend)
}

func caseAttrsAppendNoOverwrite(t *T) {
	id := t.newSensor("sensor")
	resp := t.Do(withQuery(JSONRequest(http.MethodPost, EntityPath(id)+"/attrs", Obj{"temperature": Prop(99), "humidity": Prop(40)}), "options", "noOverwrite"))
	t.expectNotUpdated(resp, reqAppendNoOver, "temperature")
	e := t.getEntity(id, nil, reqAppendNoOver)
	t.expectAttrValue(e, "temperature", 21.5, reqAppendNoOver)
	t.expectAttrValue(e, "humidity", 40, reqAppendNoOver)
}

func withQuery(r Request, kv ...string) Request {
	r.Query = query(kv...)
	return r
}

func caseAttrsUpdate(t *T) {
	id := t.newSensor("sensor")
	resp := t.Do(JSONRequest(http.MethodPatch, EntityPath(id)+"/attrs", Obj{"temperature": Prop(23)}))
	if !t.expectStatus(resp, reqUpdate, http.StatusNoContent) {
		t.Stop()
	}
	e := t.getEntity(id, nil, reqUpdate)
	t.expectAttrValue(e, "temperature", 23, reqUpdate)
	t.expectAttrValue(e, "name", "Capteur 1", reqUpdate)
}

func caseAttrsUpdateMissing(t *T) {
	id := t.newSensor("sensor")
	resp := t.Do(JSONRequest(http.MethodPatch, EntityPath(id)+"/attrs", Obj{"temperature": Prop(24), "humidity": Prop(50)}))
	t.expectNotUpdated(resp, reqUpdateMissing, "humidity")
	e := t.getEntity(id, nil, reqUpdateMissing)
	t.expectAttrValue(e, "temperature", 24, reqUpdateMissing)
	t.expectNoAttr(e, "humidity", reqUpdateMissing)
}

func caseAttrPartialUpdate(t *T) {
	id := t.newSensor("sensor")
	resp := t.Do(JSONRequest(http.MethodPatch, EntityPath(id)+"/attrs/temperature", Obj{"type": "Property", "value": 26}))
	if !t.expectStatus(resp, reqPartial, http.StatusNoContent) {
		t.Stop()
	}
	e := t.getEntity(id, nil, reqPartial)
	t.expectAttrValue(e, "temperature", 26, reqPartial)
	t.Expect(attr(e, "temperature")["unitCode"] == "CEL", reqPartial, "a partial update must keep the members it does not mention", `unitCode "CEL"`, show(attr(e, "temperature")["unitCode"]))
	resp = t.Do(JSONRequest(http.MethodPatch, EntityPath(id)+"/attrs/humidity", Obj{"type": "Property", "value": 1}))
	t.expectProblem(resp, reqPartial, http.StatusNotFound, spec.ProblemResourceNotFound)
}

func caseAttrReplace(t *T) {
	id := t.newSensor("sensor")
	resp := t.Do(JSONRequest(http.MethodPut, EntityPath(id)+"/attrs/temperature", Obj{"type": "Property", "value": 27}))
	if !t.expectStatus(resp, reqAttrReplace, http.StatusNoContent) {
		t.Stop()
	}
	e := t.getEntity(id, nil, reqAttrReplace)
	t.expectAttrValue(e, "temperature", 27, reqAttrReplace)
	_, hasUnit := attr(e, "temperature")["unitCode"]
	t.Expect(!hasUnit, reqAttrReplace, "replacing an attribute must drop the members absent from the body", "no unitCode", show(attr(e, "temperature")["unitCode"]))
}

func caseAttrDelete(t *T) {
	id := t.newSensor("sensor")
	resp := t.Do(Request{Method: http.MethodDelete, Path: EntityPath(id) + "/attrs/name"})
	if !t.expectStatus(resp, reqAttrDelete, http.StatusNoContent) {
		t.Stop()
	}
	e := t.getEntity(id, nil, reqAttrDelete)
	t.expectNoAttr(e, "name", reqAttrDelete)
	t.expectHasAttr(e, "temperature", reqAttrDelete)
	resp = t.Do(Request{Method: http.MethodDelete, Path: EntityPath(id) + "/attrs/name"})
	t.expectProblem(resp, reqAttrDelete, http.StatusNotFound, spec.ProblemResourceNotFound)
}

// multiSensor creates an entity whose temperature has two instances.
func (t *T) multiSensor() string {
	id := t.EntityID("multi")
	t.create(Obj{"id": id, "type": t.Name("OtcSensor"), "temperature": []any{
		Obj{"type": "Property", "value": 20, "datasetId": datasetA},
		Obj{"type": "Property", "value": 21, "datasetId": datasetB},
	}, "name": Prop("multi")})
	return id
}

// instances lists the datasetIds of an attribute's instances ("" for the
// default instance).
func instances(e Obj, name string) []string {
	var list []any
	switch v := e[name].(type) {
	case []any:
		list = v
	case map[string]any:
		list = []any{v}
	}
	var out []string
	for _, i := range list {
		if m, ok := i.(map[string]any); ok {
			ds, _ := m["datasetId"].(string)
			out = append(out, ds)
		}
	}
	slices.Sort(out)
	return out
}

func caseAttrDeleteDataset(t *T) {
	id := t.multiSensor()
	e := t.getEntity(id, nil, reqDeleteDataset)
	if !t.Expect(slices.Equal(instances(e, "temperature"), []string{datasetA, datasetB}), reqDeleteDataset,
		"the entity must keep both instances of temperature", datasetA+", "+datasetB, strings.Join(instances(e, "temperature"), ", ")) {
		t.Stop()
	}
	resp := t.Do(withQuery(Request{Method: http.MethodDelete, Path: EntityPath(id) + "/attrs/temperature"}, "datasetId", datasetA))
	if !t.expectStatus(resp, reqDeleteDataset, http.StatusNoContent) {
		t.Stop()
	}
	e = t.getEntity(id, nil, reqDeleteDataset)
	got := instances(e, "temperature")
	t.Expect(slices.Equal(got, []string{datasetB}), reqDeleteDataset, "only the instance with the datasetId must be deleted", datasetB, strings.Join(got, ", "))
}

func caseAttrDeleteAll(t *T) {
	id := t.multiSensor()
	resp := t.Do(withQuery(Request{Method: http.MethodDelete, Path: EntityPath(id) + "/attrs/temperature"}, "deleteAll", "true"))
	if !t.expectStatus(resp, reqDeleteAll, http.StatusNoContent) {
		t.Stop()
	}
	e := t.getEntity(id, nil, reqDeleteAll)
	t.expectNoAttr(e, "temperature", reqDeleteAll)
	t.expectHasAttr(e, "name", reqDeleteAll)
}
