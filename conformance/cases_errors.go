package conformance

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/opentid/opentid/spec"
)

func errorCases() []Case {
	return []Case{
		coreCase("problem-details", "Errors are ProblemDetails with the status of their type",
			[]string{"problem-details", "error-status"}, caseProblemDetails),
		coreCase("invalid-json", "A body that is not JSON is a 400 InvalidRequest", []string{"invalid-json"}, caseInvalidJSON),
		coreCase("unknown-parameter", "An unknown query parameter is a 400", []string{"unknown-parameter"}, caseUnknownParameter),
		coreCase("unsupported-media-type", "An unsupported Content-Type is a 415", []string{"unsupported-media-type"}, caseUnsupportedMediaType),
		coreCase("not-acceptable", "An unacceptable Accept is a 406", []string{"not-acceptable"}, caseNotAcceptable),
		coreCase("no-5xx-on-bad-input", "Malformed input never gets a 5xx", []string{"no-5xx-on-bad-input"}, caseNo5xx),
		coreCase("openapi-responses", "Responses match the OpenAPI document", []string{"openapi-responses"}, caseOpenAPIResponses),
	}
}

const (
	reqInvalidJSON   spec.ReqID = "/req/core/invalid-json"
	reqUnknownParam  spec.ReqID = "/req/core/unknown-parameter"
	reqMediaType     spec.ReqID = "/req/core/unsupported-media-type"
	reqNotAcceptable spec.ReqID = "/req/core/not-acceptable"
	reqNo5xx         spec.ReqID = "/req/core/no-5xx-on-bad-input"
)

func caseProblemDetails(t *T) {
	id := t.newSensor("sensor")
	for _, c := range []struct {
		req    Request
		status int
		typ    string
	}{
		{GetRequest(EntityPath(t.EntityID("missing")), nil), http.StatusNotFound, spec.ProblemResourceNotFound},
		{JSONRequest(http.MethodPost, "/entities", sensor(id, t.Name("OtcSensor"))), http.StatusConflict, spec.ProblemAlreadyExists},
		{JSONRequest(http.MethodPost, "/entities", Obj{"id": "pas-une-uri", "type": "X"}), http.StatusBadRequest, spec.ProblemBadRequestData},
		{Request{Method: http.MethodPost, Path: "/entities", Header: header("Content-Type", MediaJSON), Body: []byte("{")}, http.StatusBadRequest, spec.ProblemInvalidRequest},
	} {
		resp := t.Do(c.req)
		if t.checkProblemBody(resp) {
			got, _ := resp.Object()["type"].(string)
			t.Expect(got == problemURI(c.typ), reqErrorStatus, "the error type of this error", problemURI(c.typ), got)
			t.Expect(resp.Status == c.status, reqErrorStatus, "the status of "+c.typ, fmt.Sprint(c.status), fmt.Sprint(resp.Status))
		}
	}
}

func caseInvalidJSON(t *T) {
	id := t.newSensor("sensor")
	for _, r := range []struct{ method, path, body string }{
		{http.MethodPost, "/entities", `{"id": "` + t.EntityID("broken") + `", "type": `},
		{http.MethodPatch, EntityPath(id) + "/attrs", `{"temperature": {"type": "Property", "value": 1}`},
		{http.MethodPost, "/entityOperations/create", `[{"id": "urn:a"`},
		{http.MethodPost, "/entities", `{"id": "urn:x", "type": "X"} trailing`},
	} {
		resp := t.Do(Request{Method: r.method, Path: r.path, Header: header("Content-Type", MediaJSON, "Accept", MediaJSON), Body: []byte(r.body)})
		t.expectProblem(resp, reqInvalidJSON, http.StatusBadRequest, spec.ProblemInvalidRequest)
	}
}

func caseUnknownParameter(t *T) {
	id := t.newSensor("sensor")
	for _, r := range []Request{
		GetRequest("/entities", query("type", t.Name("OtcSensor"), "colour", "red")),
		GetRequest(EntityPath(id), query("optons", "keyValues")),
		GetRequest("/types", query("detials", "true")),
	} {
		resp := t.Do(r)
		t.expectProblem(resp, reqUnknownParam, http.StatusBadRequest, spec.ProblemBadRequestData, spec.ProblemInvalidRequest)
	}
}

func caseUnsupportedMediaType(t *T) {
	for _, mt := range []string{"text/plain", "application/xml"} {
		id := t.EntityID(strings.ReplaceAll(mt, "/", "-"))
		resp := t.Do(Request{Method: http.MethodPost, Path: "/entities", Header: header("Content-Type", mt), Body: mustJSON(sensor(id, t.Name("OtcSensor")))})
		t.expectStatus(resp, reqMediaType, http.StatusUnsupportedMediaType)
		resp = t.Do(GetRequest(EntityPath(id), nil))
		t.Expect(resp.Status == http.StatusNotFound, reqMediaType, "the refused entity must not be stored", "404", fmt.Sprint(resp.Status))
	}
}

func caseNotAcceptable(t *T) {
	id := t.newSensor("sensor")
	for _, accept := range []string{"text/html", "application/xml"} {
		req := GetRequest(EntityPath(id), nil)
		req.Header.Set("Accept", accept)
		t.expectStatus(t.Do(req), reqNotAcceptable, http.StatusNotAcceptable)
	}
	req := GetRequest("/entities", query("type", t.Name("OtcSensor")))
	req.Header.Set("Accept", "text/csv")
	t.expectStatus(t.Do(req), reqNotAcceptable, http.StatusNotAcceptable)
}

func caseNo5xx(t *T) {
	id := t.newSensor("sensor")
	typ := t.Name("OtcSensor")
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	huge := strings.Repeat("x", 4<<20)
	bad := []Request{
		{Method: http.MethodPost, Path: "/entities", Header: header("Content-Type", MediaJSON), Body: []byte(`[1, 2, 3]`)},
		{Method: http.MethodPost, Path: "/entities", Header: header("Content-Type", MediaJSON), Body: []byte{0xff, 0xfe, 0x00, 0x01, 0x80}},
		{Method: http.MethodPost, Path: "/entities", Header: header("Content-Type", MediaJSON), Body: []byte(`{"id": "` + t.EntityID("deep") + `", "type": "X", "a": ` + deep + `}`)},
		JSONRequest(http.MethodPost, "/entities", Obj{"id": t.EntityID("typeless"), "type": typ, "temperature": Obj{"type": "Teapot", "value": 1}}),
		JSONRequest(http.MethodPost, "/entities", Obj{"id": t.EntityID("numtype"), "type": 42}),
		JSONRequest(http.MethodPost, "/entities", Obj{"id": t.EntityID("huge"), "type": typ, "name": Prop(huge)}),
		JSONRequest(http.MethodPost, "/entities", Obj{"id": t.EntityID("longname"), "type": typ, strings.Repeat("a", 70000): Prop(1)}),
		JSONRequest(http.MethodPost, "/entityOperations/create", Obj{"not": "an array"}),
		JSONRequest(http.MethodPatch, EntityPath(id)+"/attrs", []any{"not", "an", "object"}),
		withLink(GetRequest(EntityPath(id), nil), "not a URL at all"),
		{Method: http.MethodGet, Path: "/entities", Query: query("type", typ, "limit", "-1"), Header: header("Accept", MediaJSON)},
		{Method: http.MethodGet, Path: "/entities", Query: query("type", typ, "idPattern", "(unclosed"), Header: header("Accept", MediaJSON)},
		{Method: http.MethodGet, Path: "/entities", Query: query("type", typ, "limit", "abc"), Header: header("Accept", MediaJSON)},
	}
	for _, r := range bad {
		resp := t.Do(r)
		t.Expect(resp.Status < 500, reqNo5xx, fmt.Sprintf("malformed input to %s %s must not get a 5xx", r.Method, r.Path), "a 4xx status", fmt.Sprint(resp.Status))
		if resp.Status >= 400 && resp.Status < 500 {
			t.checkProblemBody(resp)
		}
	}
}

func caseOpenAPIResponses(t *T) {
	// Every exchange is checked against the OpenAPI document by T.Do; this
	// case makes sure each operation of the core class is exercised.
	typ := t.Name("OtcSensor")
	id := t.newSensor("sensor")
	for _, r := range []Request{
		GetRequest(EntityPath(id), nil),
		GetRequest(EntityPath(id), query("options", "keyValues")),
		GetRequest("/entities", query("type", typ)),
		GetRequest("/entities", query("type", typ, "count", "true")),
		GetRequest("/types", nil),
		GetRequest("/types/"+typ, nil),
		GetRequest("/attributes", nil),
		GetRequest("/attributes/temperature", nil),
		JSONRequest(http.MethodPost, EntityPath(id)+"/attrs", Obj{"humidity": Prop(1)}),
		JSONRequest(http.MethodPatch, EntityPath(id)+"/attrs", Obj{"humidity": Prop(2)}),
		JSONRequest(http.MethodPatch, EntityPath(id)+"/attrs/humidity", Obj{"value": 3}),
		JSONRequest(http.MethodPut, EntityPath(id)+"/attrs/humidity", Prop(4)),
		{Method: http.MethodDelete, Path: EntityPath(id) + "/attrs/humidity"},
		JSONRequest(http.MethodPatch, EntityPath(id), Obj{"humidity": Prop(5)}),
		JSONRequest(http.MethodPut, EntityPath(id), Obj{"type": typ, "humidity": Prop(6)}),
		{Method: http.MethodDelete, Path: EntityPath(id)},
	} {
		resp := t.Do(r)
		t.Expect(resp.Status < 300, ReqOpenAPI, fmt.Sprintf("%s %s must succeed", r.Method, r.Path), "a 2xx status", fmt.Sprint(resp.Status))
	}
}
