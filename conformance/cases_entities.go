package conformance

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/opentid/opentid/spec"
)

func entityCases() []Case {
	return []Case{
		coreCase("entity-create", "Create an entity, then retrieve it", []string{"entity-create", "entity-retrieve"}, caseEntityCreate),
		coreCase("entity-create-exists", "Creating an existing entity is a 409 AlreadyExists", []string{"entity-create-exists"}, caseEntityCreateExists),
		coreCase("entity-id-uri", "An entity id that is not a URI is refused", []string{"entity-id-uri"}, caseEntityIDURI),
		coreCase("entity-not-found", "Operations on a missing entity are 404 ResourceNotFound", []string{"entity-not-found"}, caseEntityNotFound),
		coreCase("entity-replace", "Replace an entity", []string{"entity-replace"}, caseEntityReplace),
		coreCase("entity-merge", "Merge-patch an entity", []string{"entity-merge"}, caseEntityMerge),
		coreCase("entity-delete", "Delete an entity", []string{"entity-delete"}, caseEntityDelete),
	}
}

const (
	reqCreateExists spec.ReqID = "/req/core/entity-create-exists"
	reqIDURI        spec.ReqID = "/req/core/entity-id-uri"
	reqNotFound     spec.ReqID = "/req/core/entity-not-found"
	reqReplace      spec.ReqID = "/req/core/entity-replace"
	reqMerge        spec.ReqID = "/req/core/entity-merge"
	reqDelete       spec.ReqID = "/req/core/entity-delete"
)

func caseEntityCreate(t *T) {
	id := t.EntityID("sensor")
	resp := t.Do(JSONRequest(http.MethodPost, "/entities", sensor(id, t.Name("OtcSensor"))))
	if !t.expectStatus(resp, reqCreate, http.StatusCreated) {
		t.Stop()
	}
	loc := resp.Header.Get("Location")
	want := strings.TrimSuffix(t.run.client.base.Path, "/") + "/entities/" + id
	u, err := url.Parse(loc)
	got := loc
	if err == nil {
		got = u.Path
	}
	t.Expect(got == want, reqCreate, "the Location header must point to the new entity", want, loc)

	e := t.getEntity(id, nil, reqRetrieve)
	t.Expect(e["id"] == id, reqRetrieve, "the retrieved entity has the wrong id", id, show(e["id"]))
	t.Expect(e["type"] == t.Name("OtcSensor"), reqRetrieve, "the retrieved entity has the wrong type", t.Name("OtcSensor"), show(e["type"]))
	t.expectAttrValue(e, "temperature", 21.5, reqRetrieve)
	t.expectAttrValue(e, "name", "Capteur 1", reqRetrieve)
	t.expectAttrValue(e, "isPartOf", buildingID, reqRetrieve)
	t.Expect(attr(e, "temperature")["unitCode"] == "CEL", reqRetrieve, "the unitCode of temperature was not kept", `"CEL"`, show(attr(e, "temperature")["unitCode"]))
	t.expectAttrValue(e, "location", Obj{"type": "Point", "coordinates": []any{-1.5536, 47.2184}}, reqRetrieve)
}

func caseEntityCreateExists(t *T) {
	id := t.EntityID("sensor")
	t.create(sensor(id, t.Name("OtcSensor")))
	again := sensor(id, t.Name("OtcSensor"))
	again["name"] = Prop("Doublon")
	resp := t.Do(JSONRequest(http.MethodPost, "/entities", again))
	t.expectProblem(resp, reqCreateExists, http.StatusConflict, spec.ProblemAlreadyExists)
	e := t.getEntity(id, nil, reqCreateExists)
	t.expectAttrValue(e, "name", "Capteur 1", reqCreateExists)
}

func caseEntityIDURI(t *T) {
	typ := t.Name("OtcSensor")
	for _, bad := range []Obj{
		{"id": "opentid-conformance-sensor", "type": typ, "name": Prop("sans schéma")},
		{"id": "not a uri at all", "type": typ, "name": Prop("espaces")},
		{"type": typ, "name": Prop("sans id")},
	} {
		resp := t.Do(JSONRequest(http.MethodPost, "/entities", bad))
		t.expectProblem(resp, reqIDURI, http.StatusBadRequest, spec.ProblemBadRequestData)
	}
	resp := t.Do(GetRequest("/entities", query("type", typ)))
	t.expectIDs(resp, reqIDURI)
}

func caseEntityNotFound(t *T) {
	id := t.EntityID("missing")
	p := EntityPath(id)
	typ := t.Name("OtcSensor")
	for _, req := range []Request{
		GetRequest(p, nil),
		JSONRequest(http.MethodPut, p, Obj{"type": typ, "name": Prop("x")}),
		JSONRequest(http.MethodPatch, p, Obj{"name": Prop("x")}),
		{Method: http.MethodDelete, Path: p},
		JSONRequest(http.MethodPost, p+"/attrs", Obj{"name": Prop("x")}),
		JSONRequest(http.MethodPatch, p+"/attrs", Obj{"name": Prop("x")}),
		JSONRequest(http.MethodPatch, p+"/attrs/name", Obj{"value": "x"}),
		{Method: http.MethodDelete, Path: p + "/attrs/name"},
	} {
		resp := t.Do(req)
		t.expectProblem(resp, reqNotFound, http.StatusNotFound, spec.ProblemResourceNotFound)
	}
}

func caseEntityReplace(t *T) {
	id := t.EntityID("sensor")
	typ := t.Name("OtcSensor")
	t.create(sensor(id, typ))
	resp := t.Do(JSONRequest(http.MethodPut, EntityPath(id), Obj{"type": typ, "temperature": Prop(30)}))
	if !t.expectStatus(resp, reqReplace, http.StatusNoContent) {
		t.Stop()
	}
	e := t.getEntity(id, nil, reqReplace)
	t.expectAttrValue(e, "temperature", 30, reqReplace)
	t.expectNoAttr(e, "name", reqReplace)
	t.expectNoAttr(e, "isPartOf", reqReplace)
}

func caseEntityMerge(t *T) {
	id := t.EntityID("sensor")
	t.create(sensor(id, t.Name("OtcSensor")))
	resp := t.Do(JSONRequest(http.MethodPatch, EntityPath(id), Obj{
		"temperature": Prop(25),
		"humidity":    Prop(40),
		"name":        Prop("urn:ngsi-ld:null"),
	}))
	if !t.expectStatus(resp, reqMerge, http.StatusNoContent) {
		t.Stop()
	}
	e := t.getEntity(id, nil, reqMerge)
	t.expectAttrValue(e, "temperature", 25, reqMerge)
	t.Expect(attr(e, "temperature")["unitCode"] == "CEL", reqMerge, "merging temperature lost its unitCode", `"CEL"`, show(attr(e, "temperature")["unitCode"]))
	t.expectAttrValue(e, "humidity", 40, reqMerge)
	t.expectAttrValue(e, "isPartOf", buildingID, reqMerge)
	t.expectNoAttr(e, "name", reqMerge)
}

func caseEntityDelete(t *T) {
	id := t.EntityID("sensor")
	t.create(sensor(id, t.Name("OtcSensor")))
	resp := t.Do(Request{Method: http.MethodDelete, Path: EntityPath(id)})
	if !t.expectStatus(resp, reqDelete, http.StatusNoContent) {
		t.Stop()
	}
	resp = t.Do(GetRequest(EntityPath(id), nil))
	t.expectProblem(resp, reqDelete, http.StatusNotFound, spec.ProblemResourceNotFound)
}
