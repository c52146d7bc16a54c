package conformance

import (
	"net/http"

	"github.com/opentid/opentid/spec"
)

func representationCases() []Case {
	return []Case{
		coreCase("repr-normalized", "Entities are normalized by default", []string{"repr-normalized"}, caseReprNormalized),
		coreCase("repr-concise", "Concise input and output", []string{"repr-concise"}, caseReprConcise),
		coreCase("repr-keyvalues", "options=keyValues", []string{"repr-keyvalues"}, caseReprKeyValues(reqKeyValues, "options", "keyValues")),
		coreCase("repr-format-simplified", "format=simplified", []string{"repr-format-simplified"}, caseReprKeyValues(reqSimplified, "format", "simplified")),
		coreCase("repr-sysattrs", "options=sysAttrs", []string{"repr-sysattrs"}, caseReprSysAttrs),
	}
}

const (
	reqConcise    spec.ReqID = "/req/core/repr-concise"
	reqKeyValues  spec.ReqID = "/req/core/repr-keyvalues"
	reqSimplified spec.ReqID = "/req/core/repr-format-simplified"
	reqSysAttrs   spec.ReqID = "/req/core/repr-sysattrs"
)

func caseReprNormalized(t *T) {
	id := t.newSensor("sensor")
	e := t.getEntity(id, nil, reqNormalized)
	for name, typ := range map[string]string{"temperature": "Property", "name": "Property", "isPartOf": "Relationship", "location": "GeoProperty"} {
		a := attr(e, name)
		t.Expect(a != nil && a["type"] == typ, reqNormalized, "attribute "+name+" must be an object of type "+typ, typ, show(e[name]))
	}
	_, hasValue := attr(e, "temperature")["value"]
	_, hasObject := attr(e, "isPartOf")["object"]
	t.Expect(hasValue && hasObject, reqNormalized, "a Property has a value and a Relationship an object", "value and object members", show(e))
}

func caseReprConcise(t *T) {
	id := t.EntityID("concise")
	typ := t.Name("OtcSensor")
	resp := t.Do(JSONRequest(http.MethodPost, "/entities", Obj{
		"id": id, "type": typ,
		"temperature": Obj{"value": 21.5, "unitCode": "CEL"},
		"name":        "Capteur concis",
		"isPartOf":    Obj{"object": buildingID},
	}))
	if !t.expectStatus(resp, reqConcise, http.StatusCreated) {
		t.Stop()
	}
	e := t.getEntity(id, nil, reqConcise)
	for name, typ := range map[string]string{"temperature": "Property", "name": "Property", "isPartOf": "Relationship"} {
		t.Expect(attr(e, name)["type"] == typ, reqConcise, "concise input must be understood: "+name+" is a "+typ, typ, show(e[name]))
	}
	t.expectAttrValue(e, "name", "Capteur concis", reqConcise)

	c := t.getEntity(id, query("options", "concise"), reqConcise)
	for _, name := range []string{"temperature", "name", "isPartOf"} {
		if a := attr(c, name); a != nil {
			_, hasType := a["type"]
			t.Expect(!hasType, reqConcise, "a concise attribute has no type member: "+name, "no type", show(a))
		}
	}
	name := c["name"]
	if m, ok := name.(map[string]any); ok {
		name = m["value"]
	}
	t.Expect(name == "Capteur concis", reqConcise, "the concise value of name", `"Capteur concis"`, show(c["name"]))
	t.Expect(attr(c, "temperature")["value"] != nil && attr(c, "temperature")["unitCode"] == "CEL", reqConcise,
		"a concise attribute with a sub-attribute keeps value and unitCode", `{"value":21.5,"unitCode":"CEL"}`, show(c["temperature"]))
	t.Expect(attr(c, "isPartOf")["object"] == buildingID, reqConcise, "a concise Relationship keeps its object", `{"object":"`+buildingID+`"}`, show(c["isPartOf"]))
}

func caseReprKeyValues(req spec.ReqID, param, value string) func(t *T) {
	return func(t *T) {
		id := t.newSensor("sensor")
		check := func(e Obj) {
			for name, want := range map[string]any{
				"temperature": 21.5, "name": "Capteur 1", "isPartOf": buildingID,
				"location": Obj{"type": "Point", "coordinates": []any{-1.5536, 47.2184}},
			} {
				t.Expect(jsonEqual(e[name], want), req, "simplified attribute "+name, show(want), show(e[name]))
			}
		}
		check(t.getEntity(id, query(param, value), req))
		resp := t.Do(GetRequest("/entities", query("type", t.Name("OtcSensor"), param, value)))
		if t.expectStatus(resp, req, http.StatusOK) && t.Expect(len(resp.Array()) == 1, req, "the query must return the entity", "1 entity", string(resp.Body)) {
			e, _ := resp.Array()[0].(map[string]any)
			check(e)
		}
	}
}

func caseReprSysAttrs(t *T) {
	id := t.newSensor("sensor")
	e := t.getEntity(id, query("options", "sysAttrs"), reqSysAttrs)
	for _, m := range []struct {
		where string
		obj   Obj
	}{{"the entity", e}, {"temperature", attr(e, "temperature")}} {
		for _, k := range []string{"createdAt", "modifiedAt"} {
			_, ok := m.obj[k].(string)
			t.Expect(ok, reqSysAttrs, k+" must be present on "+m.where+" with options=sysAttrs", "a date-time string", show(m.obj[k]))
		}
	}
	e = t.getEntity(id, nil, reqSysAttrs)
	for _, m := range []struct {
		where string
		obj   Obj
	}{{"the entity", e}, {"temperature", attr(e, "temperature")}} {
		for _, k := range []string{"createdAt", "modifiedAt"} {
			_, ok := m.obj[k]
			t.Expect(!ok, reqSysAttrs, k+" must not be present on "+m.where+" without options=sysAttrs", "no "+k, show(m.obj[k]))
		}
	}
}
